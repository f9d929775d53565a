#!/usr/bin/env bash
# bench-compare.sh: mq against NATS JetStream side by side at issue 15's shapes, and the table
# that decides its targets (README "Performance").
#
#   scripts/bench-compare.sh [--quick] [--runs N] [--json FILE] [-d DURATION] [--backlog N]
#                            [--nats-consume ordered|pull] [--only main,goclient,syncflush]
#                            [--mq BINARY] [--keep]
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
# syncflush); the other rows show as skipped. --mq measures that mq binary instead of building
# this tree's. The other options are those of `benchcompare run`.
set -euo pipefail
nats_version=v2.15.3
cache=${MQ_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mq-bench-compare}
keep=0
mq=
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) args+=(--quick) ;;
    --json) [ $# -ge 2 ] || { echo "bench-compare: --json needs a value" >&2; exit 2; }
      args+=(--json "$(realpath -m "$2")"); shift ;;
    --runs|-d|--backlog|--nats-consume|--only)
      [ $# -ge 2 ] || { echo "bench-compare: $1 needs a value" >&2; exit 2; }
      args+=("$1" "$2"); shift ;;
    --mq) [ $# -ge 2 ] || { echo "bench-compare: --mq needs a value" >&2; exit 2; }
      mq=$(realpath "$2"); shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-compare: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
cd "$(dirname "$0")/.."

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

# mq and benchcompare are built into this run's directory, so runs from several worktrees at
# once never swap each other's binaries; only nats-server (one fixed version) is cached.
mkdir -p "$cache" "$tmp/bin"
if [ -z "$mq" ]; then
  echo "building mq and benchcompare" >&2
  go build -o "$tmp/bin/mq" ./cmd/mq
  mq=$tmp/bin/mq
fi
# Built from a copy of its go.mod/go.sum with -mod=mod: when mq's go.mod moves a shared
# dependency ahead of the nested module's, the build still resolves (through the Go module
# proxy) and the checked-in files stay untouched.
cp scripts/benchcompare/go.mod scripts/benchcompare/go.sum "$tmp/bin/"
(cd scripts/benchcompare && go build -mod=mod -modfile="$tmp/bin/go.mod" -o "$tmp/bin/benchcompare" .)
if ! "$cache/nats-server" --version 2>/dev/null | grep -q "${nats_version#v}"; then
  echo "installing nats-server $nats_version into $cache" >&2
  GOBIN="$cache" go install "github.com/nats-io/nats-server/v2@$nats_version"
fi

"$tmp/bin/benchcompare" run --mq "$mq" --nats-server "$cache/nats-server" --tmp "$tmp" "${args[@]}" &
pid=$!
set +e
wait "$pid"
rc=$?
set -e
pid=
exit "$rc"
