#!/usr/bin/env bash
# abuse.sh [--short]: attack a real `mq standalone` as hostile clients would, with a healthy
# producer and consumer alongside, and fail past the stated bounds.
#
# Probes (scripts/abuse/main.go): connections that pull a 4 MB message hundreds of times and
# never read; QUERY_MESSAGE with maxNum 1e9; 100 connections holding 4 MiB of a 15 MiB frame;
# thousands of idle connections (5,000 with --short, against maxConnections=4000; 15,000
# otherwise, against the default limit); UPDATE_BROKER_CONFIG with a continuation-line body
# (1 MiB with --short, 16 MiB otherwise); poison timer entries. It prints the broker's peak RSS
# and the healthy client's errors and latency, and fails when RSS grows more than 256 MiB over
# the baseline, the healthy p99 exceeds 1 s, or the healthy client sees any error.
# --short takes under a minute. Everything runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
short=""
if [ "${1:-}" = "--short" ]; then short="-short"; shift; fi
# Any further arguments go to scripts/abuse (e.g. -probes unread,query); ABUSE_KEEP=1 keeps the
# work directory (standalone.log, store).

work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  if [ -n "${ABUSE_KEEP:-}" ]; then echo "abuse: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
go build -o "$work/mq" ./cmd/mq
go build -o "$work/abuse" ./scripts/abuse

{
  echo "brokerName=abuse-a"
  [ -n "$short" ] && echo "maxConnections=4000"
} > "$work/broker.conf"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

"$work/mq" standalone --namesrv-port 0 --broker-port 0 --store "$work/store" -c "$work/broker.conf" \
  --ports-file "$work/ports" >"$work/standalone.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -s "$work/ports" ] && break; sleep 0.05; done
[ -s "$work/ports" ] || { echo "abuse: standalone did not start"; cat "$work/standalone.log"; exit 1; }
broker=$(awk '$1=="broker"{print $2}' "$work/ports")

echo "standalone up in $SECONDS s"
status=0
"$work/abuse" $short -broker "$broker" -pid "$pid" "$@" || status=$?

echo "broker warnings and errors (count, message):"
grep -oE 'level=(WARN|ERROR) msg="[^"]*"' "$work/standalone.log" | sort | uniq -c | sort -rn | head -20 || true
kill -0 "$pid" 2>/dev/null || { echo "abuse: the broker died"; tail -50 "$work/standalone.log"; exit 1; }
echo "done in $SECONDS s"
exit "$status"
