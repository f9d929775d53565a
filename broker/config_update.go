package broker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// maxConfigUpdateBody bounds the body of UPDATE_BROKER_CONFIG: a few dozen key=value lines
// are a large update; a body past this is refused before it is parsed.
const maxConfigUpdateBody = 64 << 10

// maxReportedProblems bounds the problems a refused config update lists in its remark.
const maxReportedProblems = 20

// Keys UPDATE_BROKER_CONFIG refuses, whoever asks: Apache's black list (brokerConfigPath,
// rocketmqHome, configBlackList, plus the configured configBlackList), then what a remote
// change must never do here — move files (paths), change who the broker is (identity, role,
// replication mode), redirect it or its clients (addresses, ports, nameservers, HA master),
// reshape an existing store, or switch security off. Each is set in the -c file and takes
// effect at a restart.
var refusedUpdateKeys = func() map[string]string {
	m := map[string]string{}
	add := func(why string, keys string) {
		for _, k := range strings.Fields(keys) {
			m[k] = why
		}
	}
	add("in Apache's black list", "brokerConfigPath rocketmqHome configBlackList")
	add("a path", "storePathRootDir storePathCommitLog storePathConsumeQueue storePathConsumerQueue storePathIndex "+
		"storeCheckpoint abortFile storePathEpochFile storePathBrokerIdentity storePathDLedgerCommitLog authConfigPath "+
		"aclConfigFile kvConfigPath configStorePath")
	add("the broker's identity", "brokerName brokerClusterName brokerId brokerRole enableDLegerCommitLog dLegerGroup "+
		"dLegerPeers dLegerSelfId enableControllerMode controllerAddr")
	add("an address or port: a change would redirect the broker or its clients", "listenPort haListenPort bindAddress "+
		"brokerIP1 brokerIP2 namesrvAddr haMasterAddress fetchNamesrvAddrByAddressServer fetchNameSrvAddrByDnsLookup "+
		"rmqAddressServerDomain rmqAddressServerSubGroup metricsExporterType metricsPromExporterHost metricsPromExporterPort useTLS")
	add("the geometry of the existing store", "mappedFileSizeCommitLog mappedFileSizeConsumeQueue "+
		"mapedFileSizeCommitLog mapedFileSizeConsumeQueue")
	add("a security switch", "aclEnable authenticationEnabled authorizationEnabled")
	for k := range acl.StartOnlyKeys { // ACL, credentials, audit log, TLS: read at start only
		if _, ok := m[k]; !ok {
			m[k] = "a security setting"
		}
	}
	return m
}()

// refusedKeys returns the keys of entries UPDATE_BROKER_CONFIG refuses, each with why, in
// body order, each once.
func refusedKeys(entries []props.Entry, blackList string) []string {
	black := map[string]bool{}
	for _, k := range strings.Split(blackList, ";") {
		if k = strings.TrimSpace(k); k != "" {
			black[k] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Key] {
			continue
		}
		seen[e.Key] = true
		if why, ok := refusedUpdateKeys[e.Key]; ok {
			out = append(out, e.Key+" ("+why+")")
		} else if black[e.Key] {
			out = append(out, e.Key+" (in configBlackList)")
		}
	}
	return out
}

// updateBrokerConfig handles UPDATE_BROKER_CONFIG: the body is Java properties text, at most
// 64 KiB, parsed in linear time. A refused key (refusedUpdateKeys, configBlackList) is
// answered NO_PERMISSION; every other key must be one mq implements and every value valid,
// and the resulting configuration must pass Validate, else INVALID_PARAMETER names the
// problems. In every refusal nothing changes.
//
// An accepted change replaces the live configuration at once: what request handlers read
// per request takes effect immediately (brokerPermission, autoCreateTopicEnable,
// autoCreateSubscriptionGroup, defaultTopicQueueNums, maxMessageSize, enablePropertyFilter,
// longPollingEnable, shortPollingTimeMills, traceOn, regionId, …); services started with
// the broker (store, flush, pools, intervals) keep their values until a restart, as
// GET_BROKER_CONFIG's listing does not tell apart. A brokerPermission change bumps the topic
// data version and re-registers at once, as Apache does, so the routes show it.
//
// The change is persisted before it is applied, as Apache persists to its -c file: the keys
// are rewritten in place in Config.File (comments, order and other keys kept, new keys
// appended, written atomically), so that they survive a restart; without a file the whole
// configuration is written to <storePathRootDir>/config/broker.properties. When the -c file
// cannot be written (a read-only mount) the change is applied anyway, as Apache does, and the
// SUCCESS answer's remark and a WARN line say it was not persisted.
func (b *Broker) updateBrokerConfig(_ context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	const src = "UPDATE_BROKER_CONFIG"
	if len(req.Body) > maxConfigUpdateBody {
		return errorResponse(req, protocol.InvalidParameter,
			fmt.Sprintf("%s body of %d bytes: at most %d", src, len(req.Body), maxConfigUpdateBody))
	}
	entries, err := props.Parse(src, string(req.Body))
	if err != nil {
		return errorResponse(req, protocol.InvalidParameter, props.Brief(err, maxReportedProblems))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	prev := b.conf()
	if refused := refusedKeys(entries, prev.ConfigBlackList); len(refused) > 0 {
		b.log.Warn("broker config update refused", "remote", c.RemoteAddr(), "keys", strings.Join(refused, ", "))
		return errorResponse(req, protocol.NoPermission, "Can not update config in black list: "+strings.Join(refused, ", ")+
			"; set it in the broker's config file and restart")
	}
	next := *prev
	rep, err := props.Decode(src, string(req.Body), &next, ignorableKeys())
	if len(rep.Ignored) > 0 {
		err = errors.Join(err, fmt.Errorf("%s: %s: Apache RocketMQ keys mq does not implement", src, strings.Join(rep.Ignored, ", ")))
	}
	if err != nil {
		return errorResponse(req, protocol.InvalidParameter, props.Brief(err, maxReportedProblems))
	}
	if err := next.Validate(); err != nil {
		return errorResponse(req, protocol.InvalidParameter, props.Brief(rep.AtLines(err), maxReportedProblems))
	}
	remark := ""
	if err := b.persistConfig(next, entries); err != nil {
		if next.File == "" {
			return errorResponse(req, protocol.SystemError, err.Error())
		}
		// A config file may be read-only (a Kubernetes ConfigMap): apply anyway, as Apache
		// does when its persist fails, and say so in the answer and the log.
		b.log.Warn("broker config update applied but not persisted", "file", next.File, "err", err)
		remark = fmt.Sprintf("applied, but not persisted to %s (lost at a restart): %v", next.File, err)
	}
	b.live.Store(&next)
	nextVersion(&b.configVersion, time.Now())
	b.log.Info("broker config updated", "remote", c.RemoteAddr(), "keys", len(entries))
	if next.BrokerPermission != prev.BrokerPermission {
		if err := b.topics.BumpVersion(); err != nil { // re-registers through the change hook
			b.log.Warn("persist topics after a permission change", "err", err)
		}
	}
	return remoting.NewResponse(req, int16(protocol.Success), remark)
}

// persistConfig writes an accepted update where a restart reads it: the keys rewritten in the
// -c file, or the whole configuration to <storePathRootDir>/config/broker.properties.
func (b *Broker) persistConfig(next Config, entries []props.Entry) error {
	if next.File == "" {
		return store.WriteFileAtomic(filepath.Join(next.ConfigDir(), "broker.properties"), []byte(next.Properties()))
	}
	old, err := os.ReadFile(next.File)
	if err != nil {
		return fmt.Errorf("persist the update to the config file: %w", err)
	}
	return store.WriteFileAtomic(next.File, []byte(props.Rewrite(string(old), entries)))
}

// publishedConfig returns the configuration GET_BROKER_CONFIG reports and its version.
func (b *Broker) publishedConfig() (Config, protocol.DataVersion) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return *b.conf(), b.configVersion
}

func secondsDur(n int) time.Duration { return time.Duration(n) * time.Second }

// runtimeString formats an uptime as Apache does: "[ 0 days, 1 hours, 2 minutes, 3 seconds ]".
func runtimeString(d time.Duration) string {
	s := int64(d.Seconds())
	return fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]", s/86400, s%86400/3600, s%3600/60, s%60)
}
