package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// updateBrokerConfig handles UPDATE_BROKER_CONFIG: the body is Java properties text. Every
// key must be known and every value valid, and the resulting configuration must pass
// Validate, else INVALID_PARAMETER names the problems and nothing changes. Accepted values
// are what GET_BROKER_CONFIG reports from then on (with a new version); the running
// services keep the values they started with until a restart, and the change is not
// written to any file.
func (b *Broker) updateBrokerConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	entries, err := props.Parse("UPDATE_BROKER_CONFIG", string(req.Body))
	if err != nil {
		return errorResponse(req, protocol.InvalidParameter, err.Error())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	next := b.published
	if err := props.Apply("UPDATE_BROKER_CONFIG", entries, &next); err != nil {
		return errorResponse(req, protocol.InvalidParameter, err.Error())
	}
	if err := next.Validate(); err != nil {
		return errorResponse(req, protocol.InvalidParameter, errors.Join(err).Error())
	}
	b.published = next
	nextVersion(&b.configVersion, time.Now())
	b.log.Info("broker config updated (effective after restart)", "keys", len(entries))
	return success(req)
}

// publishedConfig returns the configuration GET_BROKER_CONFIG reports and its version.
func (b *Broker) publishedConfig() (Config, protocol.DataVersion) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.published, b.configVersion
}

func secondsDur(n int) time.Duration { return time.Duration(n) * time.Second }

// runtimeString formats an uptime as Apache does: "[ 0 days, 1 hours, 2 minutes, 3 seconds ]".
func runtimeString(d time.Duration) string {
	s := int64(d.Seconds())
	return fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]", s/86400, s%86400/3600, s%3600/60, s%60)
}
