#!/usr/bin/env bash
# readme-tables.sh: regenerate README.md's configuration key tables from the code
# (between the <!-- keys:NAME --> and <!-- /keys:NAME --> markers).
set -euo pipefail
cd "$(dirname "$0")/.."
for name in namesrv broker; do
  table=$(go run ./scripts/configdoc "$name")
  python3 - "$name" "$table" <<'PY'
import sys, re
name, table = sys.argv[1], sys.argv[2]
s = open("README.md").read()
pat = re.compile(r"(<!-- keys:%s -->\n)(?:.*?\n)?(<!-- /keys:%s -->)" % (name, name), re.S)
if not pat.search(s):
    sys.exit("README.md has no keys:%s markers" % name)
s = pat.sub(lambda m: m.group(1) + table + "\n" + m.group(2), s)
open("README.md", "w").write(s)
PY
done
