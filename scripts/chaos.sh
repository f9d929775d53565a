#!/usr/bin/env bash
# chaos.sh [--rounds N] [--short] [--ha]: kill -9 a broker under load and check that nothing
# acknowledged is lost.
#
# Default: `mq standalone` with SYNC_FLUSH. --ha: a SYNC_MASTER master and its SLAVE (two
# `mq broker` processes and an `mq namesrv`); the master is the one killed. Each round drives
# the broker with `mq bench produce --keys-file` (the UNIQ_KEY of every acknowledged send),
# SIGKILLs the broker in the middle of the run, restarts it on the same store and ports,
# drains the topic with `mq bench consume --keys-file` and compares the keys: every
# acknowledged key must come back (lost = 0); keys that come back more than once are counted
# as duplicates, keys stored but never acknowledged (the kill cut their answer) are counted
# too. Rounds: --rounds N, or 3 with --short (shorter loads), 10 otherwise.
# Everything runs on 127.0.0.1; only processes this script started are signalled.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=10; run=6; ha=false
while [ $# -gt 0 ]; do
  case $1 in
    --short) rounds=3; run=3 ;;
    --rounds) rounds=${2:?--rounds needs a number}; shift ;;
    --ha) ha=true ;;
    *) echo "usage: chaos.sh [--rounds N] [--short] [--ha]" >&2; exit 2 ;;
  esac
  shift
done
case $rounds in ''|*[!0-9]*) echo "chaos: --rounds $rounds: want a number" >&2; exit 2 ;; esac

work=$(mktemp -d)
bin="$work/mq"
go build -o "$bin" ./cmd/mq
pid="" nspid="" slavepid=""
cleanup() {
  for p in $pid $slavepid $nspid; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

waitfile() { # waitfile FILE LOG WHAT
  for _ in $(seq 1 300); do [ -s "$1" ] && return; sleep 0.05; done
  echo "chaos: $3 did not start"; cat "$2"; exit 1
}

# freeport: a port p of 20000..31999 with p-2..p+1 closed (the broker uses p, p+1 for HA and
# p-2 for the VIP channel).
freeport() {
  local p i busy
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000)); busy=false
    for i in -2 -1 0 1; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$((p + i))") 2>/dev/null; then busy=true; break; fi
    done
    [ $busy = false ] && { echo "$p"; return; }
  done
  echo "chaos: no free port" >&2; exit 1
}

if [ $ha = false ]; then
  cat > "$work/broker.conf" <<CONF
brokerName=chaos-a
flushDiskType=SYNC_FLUSH
CONF
  start() {
    rm -f "$work/ports"
    "$bin" standalone --namesrv-port 0 --broker-port 0 --store "$work/store" -c "$work/broker.conf" \
      --ports-file "$work/ports" >>"$work/standalone.log" 2>&1 &
    pid=$!
    waitfile "$work/ports" "$work/standalone.log" standalone
    ns=$(awk '$1=="namesrv"{print $2}' "$work/ports")
  }
  start
else
  "$bin" namesrv --listen 127.0.0.1:0 --ports-file "$work/ns.ports" --log-level warn >>"$work/namesrv.log" 2>&1 &
  nspid=$!
  waitfile "$work/ns.ports" "$work/namesrv.log" namesrv
  ns=$(tr -d '[:space:]' <"$work/ns.ports")
  mport=$(freeport)
  sport=$(freeport)
  for n in m s; do
    if [ $n = m ]; then id=0 role=SYNC_MASTER port=$mport; else id=1 role=SLAVE port=$sport; fi
    cat > "$work/$n.conf" <<CONF
brokerName=chaos-ha
brokerId=$id
brokerRole=$role
brokerIP1=127.0.0.1
listenPort=$port
namesrvAddr=$ns
storePathRootDir=$work/$n
haSendHeartbeatInterval=200
CONF
  done
  startbroker() { # startbroker m|s: prints nothing, sets pid or slavepid
    rm -f "$work/$1.ports"
    "$bin" broker -c "$work/$1.conf" --ports-file "$work/$1.ports" --log-level warn >>"$work/$1.log" 2>&1 &
    if [ "$1" = m ]; then pid=$!; else slavepid=$!; fi
    waitfile "$work/$1.ports" "$work/$1.log" "broker $1"
  }
  start() { startbroker m; }
  startbroker m
  startbroker s
  # The slave must be in sync before the first round, or SYNC_MASTER refuses every send.
  for _ in $(seq 1 100); do
    "$bin" broker ha -n "$ns" -c DefaultCluster 2>/dev/null | grep -q "in sync" && break
    sleep 0.1
  done
fi

json() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"; }

acked_total=0 lost=0 dups=0 unacked=0
for r in $(seq 1 "$rounds"); do
  "$bin" bench produce -n "$ns" -t Chaos --producers 4 --inflight 16 --size 512 -d "${run}s" -q -o json \
    --keys-file "$work/acked" >"$work/produce.json" 2>/dev/null &
  bp=$!
  sleep "$(awk -v s="$RANDOM" "BEGIN{srand(s); print $run*(0.3+0.4*rand())}")"
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  if [ $ha = true ]; then sleep 0.5; fi # the producer hits the dead master for a while
  start
  wait "$bp" || true
  acked=$(json messages <"$work/produce.json")
  acked_total=$((acked_total + acked))
  rm -f "$work/got"
  # The drain stops when every queue answers PULL_NOT_FOUND; -d only bounds a stuck one (its
  # default of 10 s cut a 2 M-message drain short on a loaded machine and read as loss).
  "$bin" bench consume -n "$ns" -t Chaos -q -o json -d 30m --keys-file "$work/got" >"$work/consume.json"
  got=$(json messages <"$work/consume.json")
  if [ "$(json errors <"$work/consume.json")" != 0 ]; then
    echo "chaos: the drain failed (not a loss):" >&2; cat "$work/consume.json" >&2; exit 1
  fi
  touch "$work/got"
  sort -u "$work/acked" >"$work/acked.u"
  sort "$work/got" >"$work/got.s"
  sort -u "$work/got" >"$work/got.u"
  lost=$(comm -23 "$work/acked.u" "$work/got.u" | wc -l)
  dups=$(( $(wc -l <"$work/got.s") - $(wc -l <"$work/got.u") ))
  unacked=$(comm -13 "$work/acked.u" "$work/got.u" | wc -l)
  echo "round $r: acknowledged so far $acked_total ($(wc -l <"$work/acked.u") keys), stored $got," \
    "lost $lost, duplicates $dups, stored but not acknowledged $unacked"
  if [ "$lost" -gt 0 ]; then
    echo "chaos: LOST $lost acknowledged messages, e.g.:" >&2
    comm -23 "$work/acked.u" "$work/got.u" | head -5 >&2 || true
    exit 1
  fi
  if [ "$dups" -gt 0 ]; then
    echo "chaos: duplicated keys:"; uniq -d "$work/got.s" | head -20 || true
  fi
done
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
mode="SYNC_FLUSH standalone"
[ $ha = true ] && mode="SYNC_MASTER+SLAVE, master killed"
echo "chaos: ok ($mode: $rounds rounds, $acked_total acknowledged messages, 0 lost, $dups duplicates, $unacked stored but not acknowledged)"
