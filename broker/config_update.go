package broker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
	"github.com/mq-project/mq/store"
)

// updateBrokerConfig handles UPDATE_BROKER_CONFIG: the body is Java properties text. Every
// key must be known and every value valid, and the resulting configuration must pass
// Validate, else INVALID_PARAMETER names the problems and nothing changes.
//
// An accepted change replaces the live configuration at once: what request handlers read
// per request takes effect immediately (brokerPermission, autoCreateTopicEnable,
// autoCreateSubscriptionGroup, defaultTopicQueueNums, maxMessageSize, enablePropertyFilter,
// longPollingEnable, shortPollingTimeMills, traceOn, regionId, …); services started with
// the broker (ports, store, flush, pools, intervals) keep their values until a restart, as
// GET_BROKER_CONFIG's listing does not tell apart. A brokerPermission change bumps the topic
// data version and re-registers at once, as Apache does, so the routes show it. The whole
// configuration is also written to <storePathRootDir>/config/broker.properties, where
// Apache persists it (brokerConfigPath), so an operator can see what was changed.
func (b *Broker) updateBrokerConfig(_ context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
	entries, err := props.Parse("UPDATE_BROKER_CONFIG", string(req.Body))
	if err != nil {
		return errorResponse(req, protocol.InvalidParameter, err.Error())
	}
	for _, e := range entries {
		if acl.StartOnlyKeys[e.Key] {
			return errorResponse(req, protocol.NoPermission, e.Key+" can only be set in broker.properties (read at start)")
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	prev := b.conf()
	next := *prev
	if err := props.Apply("UPDATE_BROKER_CONFIG", entries, &next); err != nil {
		return errorResponse(req, protocol.InvalidParameter, err.Error())
	}
	if err := next.Validate(); err != nil {
		return errorResponse(req, protocol.InvalidParameter, errors.Join(err).Error())
	}
	if err := store.WriteFileAtomic(filepath.Join(next.ConfigDir(), "broker.properties"), []byte(next.Properties())); err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	b.live.Store(&next)
	nextVersion(&b.configVersion, time.Now())
	b.log.Info("broker config updated", "remote", c.RemoteAddr(), "keys", len(entries))
	if next.BrokerPermission != prev.BrokerPermission {
		if err := b.topics.BumpVersion(); err != nil { // re-registers through the change hook
			b.log.Warn("persist topics after a permission change", "err", err)
		}
	}
	return success(req)
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
