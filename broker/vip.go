package broker

import (
	"errors"
	"net"
	"strconv"
	"sync"

	"github.com/mq-project/mq/remoting"
)

// vipServer is the "VIP channel": Apache brokers also listen on listenPort−2 with the same
// handlers (BrokerController's fastRemotingServer; Java clients with vipChannelEnabled use
// it). Apache has no key to turn it off; we open it when listenPort > 2 and the main
// listener is bound to listenPort, on the main listener's IP. A port already in use is
// logged, not fatal.
type vipServer struct {
	mu   sync.Mutex
	addr string // "" until opened
	wg   sync.WaitGroup
}

// serveVIP opens and serves the VIP listener next to main, once.
func (b *Broker) serveVIP(main net.Listener) {
	ta, ok := main.Addr().(*net.TCPAddr)
	port := b.conf().ListenPort
	if !ok || port <= 2 || ta.Port != port {
		return
	}
	b.vip.mu.Lock()
	defer b.vip.mu.Unlock()
	if b.vip.addr != "" {
		return
	}
	addr := net.JoinHostPort(ta.IP.String(), strconv.Itoa(port-2))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		b.log.Warn("VIP channel not opened", "addr", addr, "err", err)
		return
	}
	b.vip.addr = ln.Addr().String()
	b.vip.wg.Go(func() {
		if err := b.server.Serve(ln); err != nil && !errors.Is(err, remoting.ErrServerClosed) {
			b.log.Warn("VIP channel", "addr", addr, "err", err)
		}
	})
	b.log.Info("VIP channel listening", "addr", b.vip.addr)
}

// VIPAddr returns the address of the VIP listener (listenPort−2), or "" when it is not open.
func (b *Broker) VIPAddr() string {
	b.vip.mu.Lock()
	defer b.vip.mu.Unlock()
	return b.vip.addr
}
