package broker

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/mq-project/mq/protocol"
)

// TestVIPChannel: the broker also serves on listenPort−2 (Apache's fast remoting server)
// with the same handlers; Shutdown closes it.
func TestVIPChannel(t *testing.T) {
	var br *Broker
	var addr string
	for try := 0; br == nil; try++ {
		b, a := startBroker(t, testConfig(t), nil)
		deadline := time.Now().Add(time.Second)
		for b.VIPAddr() == "" && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if b.VIPAddr() != "" {
			br, addr = b, a
		} else if try == 5 {
			t.Skip("listenPort−2 was never free")
		}
	}
	_, mainPort, _ := net.SplitHostPort(addr)
	_, vipPort, _ := net.SplitHostPort(br.VIPAddr())
	mp, _ := strconv.Atoi(mainPort)
	vp, _ := strconv.Atoi(vipPort)
	if vp != mp-2 {
		t.Fatalf("VIP %s, main %s", br.VIPAddr(), addr)
	}
	c := newTestClient(t, nil)
	wantCode(t, call(t, c, br.VIPAddr(), protocol.GetBrokerRuntimeInfo, nil, nil), protocol.Success)
	wantCode(t, call(t, c, br.VIPAddr(), protocol.HeartBeat, nil, heartbeatBody("vip@1", "gVip", "")), protocol.Success)
	if ids := consumerList(t, c, addr, "gVip"); len(ids) != 1 || ids[0] != "vip@1" {
		t.Fatalf("consumer registered on the VIP port not seen on the main port: %v", ids)
	}
}
