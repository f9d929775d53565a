package broker

import (
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/mq-project/mq/broker/ha"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// registerFakeSlave registers cfg's broker (a slave) at 127.0.0.1:1 with the nameserver, as
// a slave on this host would before connecting to its master's HA port.
func registerFakeSlave(t *testing.T, c *remoting.Client, ns string, cfg Config) {
	t.Helper()
	body, err := protocol.EncodeBody(protocol.RegisterBrokerBody{})
	if err != nil {
		t.Fatal(err)
	}
	h := &protocol.RegisterBrokerRequestHeader{BrokerName: cfg.BrokerName, BrokerAddr: "127.0.0.1:1",
		ClusterName: cfg.BrokerClusterName, BrokerID: cfg.BrokerID}
	wantCode(t, call(t, c, ns, protocol.RegisterBroker, h, body), protocol.Success)
}

// TestHAAdmission (issue 12 item 4): the HA port listens on the broker's host only, and a
// peer that is not a registered slave of this broker gets no CommitLog data for its 8-byte
// report: the connection is closed unread.
func TestHAAdmission(t *testing.T) {
	ns := startNamesrv(t)
	c := newTestClient(t, nil)
	mcfg, _ := haConfigs(t, ns, AsyncMaster)
	m, maddr := startMaster(t, c, ns, mcfg)
	srv := m.svc.ha.server.Load()
	if ta, ok := srv.Addr().(*net.TCPAddr); !ok || !ta.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("HA port listens on %v, want 127.0.0.1 like the broker", srv.Addr())
	}
	for i := range 3 {
		wantCode(t, sendOne(t, c, maddr, "HAAdmitT", 0, nil, []byte("secret-"+strconv.Itoa(i))), protocol.Success)
	}
	hc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(m.svc.ha.port))
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	var rep [ha.ReportLen]byte
	ha.PutReport(rep[:], 0)
	if _, err := hc.Write(rep[:]); err != nil {
		t.Fatal(err)
	}
	hc.SetReadDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(hc)
	if len(b) != 0 {
		t.Fatalf("an unregistered peer got %d bytes of the CommitLog", len(b))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection left open: want it closed at once")
	}
	if n := len(srv.Slaves()); n != 0 {
		t.Fatalf("%d slaves counted", n)
	}
}
