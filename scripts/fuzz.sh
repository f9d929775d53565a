#!/usr/bin/env bash
# fuzz.sh [DURATION]: run every fuzz target in the module for DURATION each (default 60s).
# Findings are written by go test to the package's testdata/fuzz and make the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-60s}
fail=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  targets=$(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' || true)
  for t in $targets; do
    echo "== $pkg $t ($dur)"
    if ! go test "$pkg" -run '^$' -fuzz "^$t\$" -fuzztime "$dur"; then
      echo "FINDING: $pkg $t" >&2
      fail=1
    fi
  done
done
exit $fail
