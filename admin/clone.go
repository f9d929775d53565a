package admin

import (
	"context"
	"fmt"

	"github.com/mq-project/mq/protocol"
)

// CloneGroupOffset copies srcGroup's committed offsets on topic to destGroup on every master
// that hosts topic (mqadmin cloneGroupOffset, CLONE_GROUP_OFFSET 314). With offline false an
// Apache broker skips topics the source group is online for without subscribing to them;
// offline true copies regardless. The result has one item per master.
func (a *Admin) CloneGroupOffset(ctx context.Context, srcGroup, destGroup, topic string, offline bool) (Results[struct{}], error) {
	rd, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return Results[struct{}]{}, fmt.Errorf("admin: route of %s: %w", topic, err)
	}
	h := &protocol.CloneGroupOffsetRequestHeader{SrcGroup: srcGroup, DestGroup: destGroup, Topic: topic, Offline: offline}
	return ForEachBroker(ctx, a, RouteMasters(rd), func(ctx context.Context, addr string) (struct{}, error) {
		_, err := a.invoke(ctx, addr, protocol.CloneGroupOffset, h, nil)
		return struct{}{}, err
	}), nil
}
