#!/usr/bin/env bash
# local-cluster.sh: a 2-master-2-slave mq cluster on 127.0.0.1, laid out as the deployment
# guides lay it: two nameservers, broker-a and broker-b each with a slave, namesrvAddr
# listing both. For demos, the TUI and failover tests.
#
#   scripts/local-cluster.sh up [--sync] [--acting] [--metrics]
#   scripts/local-cluster.sh status
#   scripts/local-cluster.sh down
#   scripts/local-cluster.sh kill NODE [-9]    stop one node (ns1 ns2 a-m a-s b-m b-s)
#   scripts/local-cluster.sh start NODE        start it again (same store, same ports)
#
#   --sync     masters are SYNC_MASTER (default ASYNC_MASTER)
#   --acting   enableSlaveActingMaster on the brokers, supportActingMaster on the nameservers
#   --metrics  Prometheus endpoints (metricsExporterType=PROM) on port+3 of each node
#
# Environment: MQ_CLUSTER_DIR (default ./.local-cluster) holds configs, stores, logs and pid
# files; MQ_CLUSTER_PORT (default 19876, every port stays below 32768) is the first
# nameserver's port; MQ_BIN is the mq binary (default: built into the cluster dir).
# Only processes whose pid files this script wrote are ever signalled.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${MQ_CLUSTER_DIR:-$PWD/.local-cluster}
base=${MQ_CLUSTER_PORT:-19876}
if (( base < 1024 || base + 1100 >= 32768 )); then
  echo "local-cluster: MQ_CLUSTER_PORT=$base: want 1024..31667 (all ports below 32768)" >&2
  exit 2
fi
ns1=$base ns2=$((base + 1))
# broker listen ports; the HA port is listen+1, metrics listen+3
declare -A port=([a-m]=$((base + 1035)) [a-s]=$((base + 1045)) [b-m]=$((base + 1055)) [b-s]=$((base + 1065)))
nodes=(ns1 ns2 a-m a-s b-m b-s)
namesrv="127.0.0.1:$ns1;127.0.0.1:$ns2"

mqbin() {
  if [ -n "${MQ_BIN:-}" ]; then echo "$MQ_BIN"; return; fi
  echo "$dir/bin/mq"
}

build() {
  mkdir -p "$dir/bin"
  if [ -n "${MQ_BIN:-}" ]; then
    # start, restart and status without MQ_BIN run the binary up was given
    ln -sf "$(cd "$(dirname "$MQ_BIN")" && pwd)/$(basename "$MQ_BIN")" "$dir/bin/mq"
    return
  fi
  go build -o "$dir/bin/mq" ./cmd/mq
}

node_port() {
  case $1 in
    ns1) echo "$ns1" ;;
    ns2) echo "$ns2" ;;
    *) echo "${port[$1]}" ;;
  esac
}

alive() {
  local pidf=$dir/$1.pid
  [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null
}

write_configs() {
  local role=$1 acting=$2 metrics=$3
  mkdir -p "$dir"
  for n in ns1 ns2; do
    local p; p=$(node_port $n)
    mkdir -p "$dir/$n"
    {
      echo "listenPort=$p"
      echo "kvConfigPath=$dir/$n/kvConfig.json"
      echo "configStorePath=$dir/$n/namesrv.properties"
      echo "supportActingMaster=$acting"
      if [ "$metrics" = true ]; then
        echo "metricsExporterType=PROM"
        echo "metricsPromExporterHost=127.0.0.1"
        echo "metricsPromExporterPort=$((p + 100))"
      fi
    } > "$dir/$n.properties"
  done
  for n in a-m a-s b-m b-s; do
    local p=${port[$n]} name=broker-${n%-*} id=0 r=$role
    [ "${n#*-}" = s ] && id=1 r=SLAVE
    {
      echo "brokerClusterName=DefaultCluster"
      echo "brokerName=$name"
      echo "brokerId=$id"
      echo "brokerRole=$r"
      echo "brokerIP1=127.0.0.1"
      echo "namesrvAddr=$namesrv"
      echo "listenPort=$p"
      echo "haListenPort=$((p + 1))"
      echo "storePathRootDir=$dir/$n/store"
      echo "flushDiskType=ASYNC_FLUSH"
      echo "enableSlaveActingMaster=$acting"
      if [ "$metrics" = true ]; then
        echo "metricsExporterType=PROM"
        echo "metricsPromExporterHost=127.0.0.1"
        echo "metricsPromExporterPort=$((p + 3))"
      fi
    } > "$dir/$n.properties"
  done
}

start_node() {
  local n=$1
  if alive "$n"; then echo "local-cluster: $n already running (pid $(cat "$dir/$n.pid"))"; return; fi
  [ -f "$dir/$n.properties" ] || { echo "local-cluster: no $dir/$n.properties; run up first" >&2; exit 1; }
  rm -f "$dir/$n.ports"
  local cmd=broker
  case $n in ns*) cmd=namesrv ;; esac
  nohup "$(mqbin)" "$cmd" -c "$dir/$n.properties" --ports-file "$dir/$n.ports" >> "$dir/$n.log" 2>&1 &
  echo $! > "$dir/$n.pid"
}

wait_ready() {
  local n=$1
  for _ in $(seq 300); do
    [ -s "$dir/$n.ports" ] && return 0
    if ! alive "$n"; then
      echo "local-cluster: $n exited; last log lines:" >&2
      tail -5 "$dir/$n.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "local-cluster: $n not ready after 30 s (see $dir/$n.log)" >&2
  return 1
}

stop_node() {
  local n=$1 sig=${2:-TERM}
  alive "$n" || { rm -f "$dir/$n.pid"; return 0; }
  local pid; pid=$(cat "$dir/$n.pid")
  kill -s "$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -s KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/$n.pid" "$dir/$n.ports"
}

status() {
  printf '%-4s %-22s %-8s %s\n' NODE ADDR PID STATE
  for n in "${nodes[@]}"; do
    local state=down pid=-
    if alive "$n"; then pid=$(cat "$dir/$n.pid"); state=up; fi
    printf '%-4s %-22s %-8s %s\n' "$n" "127.0.0.1:$(node_port "$n")" "$pid" "$state"
  done
  if alive ns1 || alive ns2; then
    echo
    "$(mqbin)" cluster list -n "$namesrv" || true
    echo
    "$(mqbin)" broker ha -n "$namesrv" || true
  fi
}

sub=${1:-}
shift || true
case $sub in
  up)
    role=ASYNC_MASTER acting=false metrics=false
    for a in "$@"; do
      case $a in
        --sync) role=SYNC_MASTER ;;
        --acting) acting=true ;;
        --metrics) metrics=true ;;
        *) echo "local-cluster: unknown flag $a" >&2; exit 2 ;;
      esac
    done
    build
    write_configs "$role" "$acting" "$metrics"
    for n in ns1 ns2; do start_node $n; done
    for n in ns1 ns2; do wait_ready $n; done
    for n in a-m b-m a-s b-s; do start_node $n; done
    for n in a-m b-m a-s b-s; do wait_ready $n; done
    echo "local-cluster: up in $dir (masters $role); NAMESRV_ADDR='$namesrv'"
    ;;
  down)
    for n in a-s b-s a-m b-m ns1 ns2; do stop_node $n; done
    echo "local-cluster: down"
    ;;
  status)
    status
    ;;
  kill)
    n=${1:?usage: local-cluster.sh kill NODE [-9]}
    sig=TERM
    [ "${2:-}" = -9 ] && sig=KILL
    stop_node "$n" "$sig"
    ;;
  start)
    n=${1:?usage: local-cluster.sh start NODE}
    start_node "$n"
    wait_ready "$n"
    ;;
  *)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
