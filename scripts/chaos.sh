#!/usr/bin/env bash
# chaos.sh [--short]: kill -9 a broker under load and check nothing acknowledged is lost.
#
# Starts `mq standalone` with SYNC_FLUSH, drives it with `mq bench produce`, SIGKILLs the
# process in the middle of the run, restarts it on the same store, drains the topic with
# `mq bench consume` and checks that at least as many messages come back as were acknowledged.
# Repeats ROUNDS times (3 with --short, 10 otherwise). Everything runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=10; run=6
if [ "${1:-}" = "--short" ]; then rounds=3; run=3; fi

work=$(mktemp -d)
bin="$work/mq"
go build -o "$bin" ./cmd/mq
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/broker.conf" <<CONF
brokerName=chaos-a
flushDiskType=SYNC_FLUSH
CONF

start() {
  rm -f "$work/ports"
  "$bin" standalone --namesrv-port 0 --broker-port 0 --store "$work/store" -c "$work/broker.conf" \
    --ports-file "$work/ports" >>"$work/standalone.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do [ -s "$work/ports" ] && break; sleep 0.05; done
  [ -s "$work/ports" ] || { echo "chaos: standalone did not start"; cat "$work/standalone.log"; exit 1; }
  ns=$(awk '$1=="namesrv"{print $2}' "$work/ports")
}

json() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }

acked_total=0
start
for r in $(seq 1 "$rounds"); do
  "$bin" bench produce -n "$ns" -t Chaos --producers 4 --inflight 16 --size 512 -d "${run}s" -q -o json \
    >"$work/produce.json" 2>/dev/null &
  bp=$!
  sleep "$(awk "BEGIN{print $run*(0.3+0.4*rand())}")"
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  wait "$bp" || true
  acked=$(json messages <"$work/produce.json")
  acked_total=$((acked_total + acked))
  start
  got=$("$bin" bench consume -n "$ns" -t Chaos -q -o json | json messages)
  echo "round $r: acknowledged so far $acked_total, stored after restart $got"
  if [ "$got" -lt "$acked_total" ]; then
    echo "chaos: LOST $((acked_total - got)) acknowledged messages" >&2
    exit 1
  fi
done
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "chaos: ok ($rounds rounds, $acked_total acknowledged messages, none lost)"
