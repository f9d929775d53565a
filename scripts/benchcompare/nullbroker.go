package main

import (
	"context"
	"flag"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// nullCmd: benchcompare null --listen ADDR. A RocketMQ nameserver and broker in one port,
// built on mq's remoting server, that stores nothing: every topic's route points at itself
// with 4 queues, SEND_MESSAGE(_V2) is answered SUCCESS at once, HEART_BEAT and
// UNREGISTER_CLIENT are answered SUCCESS. It is the load generators' ceiling (what they reach
// when the broker costs nothing but mq's own framing and worker hop).
func nullCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("null", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := newNullBroker(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func newNullBroker(addr string) *remoting.Server {
	srv := remoting.NewServer(remoting.ServerConfig{IdleTimeout: -1})
	ok := remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, int16(protocol.Success), "")
	})
	srv.Handle(int16(protocol.HeartBeat), ok)
	srv.Handle(int16(protocol.UnregisterClient), ok)
	srv.Handle(int16(protocol.GetRouteInfoByTopic), remoting.HandlerFunc(
		func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
			rd := protocol.TopicRouteData{
				BrokerDatas: []protocol.BrokerData{{BrokerName: "null-broker", Cluster: "NullCluster",
					BrokerAddrs: protocol.BrokerAddrs{protocol.MasterID: addr}}},
				QueueDatas: []protocol.QueueData{{BrokerName: "null-broker", ReadQueueNums: 4, WriteQueueNums: 4,
					Perm: 6}},
			}
			resp := remoting.NewResponse(req, int16(protocol.Success), "")
			resp.Body = rd.AppendJSON(nil)
			return resp
		}))
	var offset atomic.Int64
	host, _, _ := net.SplitHostPort(addr)
	storeHost := netip.AddrPortFrom(netip.MustParseAddr(host).Unmap(), 10911)
	send := remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		off := offset.Add(1)
		queueID := req.Ext("queueId")
		if queueID == "" {
			queueID = req.Ext("e") // SEND_MESSAGE_V2's short names: e = queueId
		}
		if queueID == "" {
			queueID = "0"
		}
		return nullSendAnswer(req, storeHost, off, queueID)
	})
	handleSends(srv, send)
	return srv
}

// handleSends registers h for SEND_MESSAGE and SEND_MESSAGE_V2 as mq's broker registers them:
// a pool sized like its send pool (sendMessageThreadPoolNums: min(CPUs, 4)), answered inline
// on the read goroutine while that pool has no backlog, the extFields read as pairs (RawExt:
// no map a request). The ceiling is then mq's remoting path without the store.
func handleSends(srv *remoting.Server, h remoting.Handler) {
	pool := remoting.NewPool("send", min(runtime.NumCPU(), 4), 4096)
	for _, code := range []protocol.RequestCode{protocol.SendMessage, protocol.SendMessageV2} {
		srv.Handle(int16(code), h, remoting.WithPool(pool), remoting.Inline(), remoting.RawExt())
	}
}

// nullSendAnswer is the null broker's answer to a send: the fields a real broker's answer
// carries (Apache's and mq's alike, transactionId only for transactions: an offset message
// id, the queue id and offset, MSG_REGION and TRACE_ON), so a client parses as much per
// answer as it does against either. It is built as mq's broker builds its own, without a
// map: the values are substrings of one string holding them as a JSON header's members, in
// key order, which a JSON header writes as they are. The null broker then costs no more a
// send than the broker it stands in for.
func nullSendAnswer(req *remoting.Command, storeHost netip.AddrPort, off int64, queueID string) *remoting.Command {
	b := make([]byte, 0, 128+len(queueID))
	var ends [5][2]int
	keys := [5]string{"MSG_REGION", "TRACE_ON", "msgId", "queueId", "queueOffset"}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":"`...)
		ends[i][0] = len(b)
		switch i {
		case 0:
			b = append(b, "DefaultRegion"...)
		case 1:
			b = append(b, "true"...)
		case 2:
			b = message.AppendOffsetMsgID(b, storeHost, off*1100)
		case 3:
			b = append(b, queueID...)
		case 4:
			b = strconv.AppendInt(b, off, 10)
		}
		ends[i][1] = len(b)
		b = append(b, '"')
	}
	members := string(b)
	pairs := make([]remoting.ExtPair, len(keys))
	for i, k := range keys {
		pairs[i] = remoting.ExtPair{Key: k, Value: members[ends[i][0]:ends[i][1]]}
	}
	resp := remoting.NewResponse(req, int16(protocol.Success), "")
	if req.Serialize == remoting.JSON && remoting.JSONPlain(queueID) {
		resp.SetExtPairsJSON(pairs, members)
	} else {
		resp.SetExtPairs(pairs) // encoded, and escaped where JSON needs it, as the header is written
	}
	return resp
}
