#!/usr/bin/env bash
# apachekeys.sh: list the configuration keys Apache RocketMQ's broker or nameserver reads, from a
# git checkout of apache/rocketmq. Apache's MixAll.properties2Object turns each public setter
# setFooBar(..) of the config classes into the key fooBar; this prints the union of those keys
# over the 4.x and 5.x release tags and HEAD, sorted, one a line. The lists in
# broker/config_apache.go and namesrv/config_apache.go were made with it.
#
#   scripts/apachekeys.sh ~/src/rocketmq broker
#   scripts/apachekeys.sh ~/src/rocketmq namesrv
set -euo pipefail
repo=${1:?usage: apachekeys.sh APACHE_ROCKETMQ_CHECKOUT broker|namesrv}
which=${2:?usage: apachekeys.sh APACHE_ROCKETMQ_CHECKOUT broker|namesrv}
c=common/src/main/java/org/apache/rocketmq/common
netty=remoting/src/main/java/org/apache/rocketmq/remoting/netty
case $which in
broker) files="$c/BrokerConfig.java $c/BrokerIdentity.java store/src/main/java/org/apache/rocketmq/store/config/MessageStoreConfig.java
  $netty/NettyServerConfig.java $netty/NettyClientConfig.java auth/src/main/java/org/apache/rocketmq/auth/config/AuthConfig.java" ;;
namesrv) files="$c/namesrv/NamesrvConfig.java $netty/NettyServerConfig.java $netty/NettyClientConfig.java $c/ControllerConfig.java" ;;
*) echo "apachekeys.sh: want broker or namesrv" >&2; exit 2 ;;
esac
cd "$repo"
for t in $(git tag | grep -E '^rocketmq-all-[45]\.[0-9]+\.[0-9]+$') HEAD; do
  for f in $files; do git show "$t:$f" 2>/dev/null || true; done
done | grep -E '^\s*public\s+(synchronized\s+)?(final\s+)?void\s+set[A-Za-z0-9_]+\s*\(' | grep -v static |
  sed -E 's/.*void\s+set([A-Za-z0-9_])([A-Za-z0-9_]*)\s*\(.*/\1 \2/' | awk '{print tolower($1) $2}' | sort -u
