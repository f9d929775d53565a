#!/usr/bin/env bash
# check-deps.sh: fail when an import points the wrong way (see DESIGN.md "Packages").
# Each rule lists the module packages a package may import (directly or not); anything
# outside the standard library that is not the module itself must be named too.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)

# package (relative) -> allowed module-internal packages and third-party prefixes (space separated)
declare -A allow=(
  [remoting]=""
  [protocol]=""
  [message]=""
  [internal/props]=""
  [store]="message golang.org/x/sys"
  [namesrv]="protocol remoting internal/props internal/promexport broker/acl"
  [admin]="protocol remoting message"
  [broker]="broker/ store message protocol remoting internal/props internal/promexport golang.org/x/sys"
  [internal/promexport]=""
  [tui]="admin protocol remoting message"
  [bench]="admin protocol remoting message github.com/HdrHistogram/hdrhistogram-go"
)
# packages whose third-party imports are not restricted (only their module imports are);
# namesrv and internal/promexport: the Prometheus client
declare -A anyThirdParty=([tui]=1 [broker]=1 [namesrv]=1 [internal/promexport]=1)

fail=0
for pkg in "${!allow[@]}"; do
  [ -d "$pkg" ] || continue
  for p in $(go list "./$pkg/..." 2>/dev/null); do
    deps=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$p" | grep -v "^$p\$" || true)
    for d in $deps; do
      rel=${d#"$mod"/}
      ok=0
      case "$d" in "$mod"/*) ;; *) [ -n "${anyThirdParty[$pkg]:-}" ] && ok=1 ;; esac
      # a package may import its own subpackages
      case "$d" in "$mod/$pkg"/*) ok=1 ;; esac
      for a in ${allow[$pkg]}; do
        case "$a" in
          */) case "$rel" in "$a"*) ok=1 ;; esac; case "$d" in "$a"*) ok=1 ;; esac ;;
          *) [ "$rel" = "$a" ] && ok=1; case "$rel" in "$a"/*) ok=1 ;; esac
             case "$d" in "$a"/*|"$a") ok=1 ;; esac ;;
        esac
      done
      if [ $ok = 0 ]; then
        echo "check-deps: ${p#"$mod"/} must not import $rel" >&2
        fail=1
      fi
    done
  done
done

# nobody outside cmd/ imports cmd/mq (cmd/mq may import its internal/cmdutil); internal/mqtest only from tests
for p in $(go list ./... ); do
  imports=$(go list -f '{{join .Imports " "}}' "$p")
  for i in $imports; do
    case "$i" in
      "$mod/cmd/"*) case "$p" in "$mod/cmd/"*) ;; *) echo "check-deps: ${p#"$mod"/} imports ${i#"$mod"/}" >&2; fail=1 ;; esac ;;
      "$mod/internal/mqtest"*) echo "check-deps: ${p#"$mod"/} imports internal/mqtest outside tests" >&2; fail=1 ;;
    esac
  done
done
if [ $fail = 0 ]; then echo "check-deps: ok"; fi
exit $fail
