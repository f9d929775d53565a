#!/usr/bin/env bash
# bench-compare.sh: mq against NATS JetStream side by side at issue 15's shapes, and the table
# that decides its targets (README "Performance").
#
#   scripts/bench-compare.sh [--quick] [--runs N] [--json FILE] [-d DURATION] [--backlog N]
#                            [--nats-consume ordered|pull] [--only main,goclient,syncflush] [--keep]
#
# Builds mq, installs nats-server (v2.15.3, `go install` through the Go module proxy) and the
# comparison program (the separate module scripts/benchcompare: nats.go and the official
# RocketMQ Go client stay out of mq's go.mod) into a cache directory, then runs, in each
# repeat, mq standalone, nats-server, the null broker (the load generator's ceiling) and the
# SYNC_FLUSH / sync_interval=always pair one after the other (alternating which goes first),
# on free 127.0.0.1 ports with stores in a temporary directory. Prints one markdown table and
# "N passed, M failed"; exits 0 only when every target passed. Progress goes to stderr.
# Everything started is killed on exit; the temporary directory is removed (--keep keeps it).
# --only measures a subset (main: throughput, consume, memory, CPU and start rows; goclient;
# syncflush); the other rows show as skipped. Options are those of `benchcompare run`.
set -euo pipefail
cd "$(dirname "$0")/.."

nats_version=v2.15.3
cache=${MQ_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mq-bench-compare}
keep=0
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) args+=(--quick) ;;
    --runs|--json|-d|--backlog|--nats-consume|--only)
      [ $# -ge 2 ] || { echo "bench-compare: $1 needs a value" >&2; exit 2; }
      args+=("$1" "$2"); shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-compare: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

mkdir -p "$cache"
echo "building mq and benchcompare into $cache" >&2
go build -o "$cache/mq" ./cmd/mq
# Built from a copy of its go.mod/go.sum with -mod=mod: when mq's go.mod moves a shared
# dependency ahead of the nested module's, the build still resolves (through the Go module
# proxy) and the checked-in files stay untouched.
modtmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare-mod.XXXXXX")
cp scripts/benchcompare/go.mod scripts/benchcompare/go.sum "$modtmp/"
(cd scripts/benchcompare && go build -mod=mod -modfile="$modtmp/go.mod" -o "$cache/benchcompare" .) ||
  { rm -rf "$modtmp"; exit 1; }
rm -rf "$modtmp"
if ! "$cache/nats-server" --version 2>/dev/null | grep -q "${nats_version#v}"; then
  echo "installing nats-server $nats_version into $cache" >&2
  GOBIN="$cache" go install "github.com/nats-io/nats-server/v2@$nats_version"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # benchcompare stops its servers on SIGTERM; they also die with it (PDEATHSIG).
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$cache/benchcompare" run --mq "$cache/mq" --nats-server "$cache/nats-server" --tmp "$tmp" "${args[@]}" &
pid=$!
set +e
wait "$pid"
rc=$?
set -e
pid=
exit "$rc"
