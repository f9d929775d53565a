package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

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
	ip := net.ParseIP(host).To4()
	send := remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		off := offset.Add(1)
		// An offset message id as the broker's: 4-byte IP, 4-byte port, 8-byte offset, in hex.
		var id [16]byte
		copy(id[:4], ip)
		binary.BigEndian.PutUint32(id[4:8], 10911)
		binary.BigEndian.PutUint64(id[8:], uint64(off)*1100)
		queueID := req.Ext("queueId")
		if queueID == "" {
			queueID = req.Ext("e") // SEND_MESSAGE_V2's short names: e = queueId
		}
		if queueID == "" {
			queueID = "0"
		}
		// The fields a real broker's answer carries (Apache's and mq's alike, transactionId only
		// for transactions), so a client parses as much per answer as it does against either.
		resp := remoting.NewResponse(req, int16(protocol.Success), "")
		resp.ExtFields = map[string]string{"msgId": fmt.Sprintf("%X", id[:]), "queueId": queueID,
			"queueOffset": strconv.FormatInt(off, 10), "MSG_REGION": "DefaultRegion", "TRACE_ON": "true"}
		return resp
	})
	// Sends are registered as mq's broker registers them: a pool sized like its send pool
	// (sendMessageThreadPoolNums: min(CPUs, 4)), answered inline on the read goroutine while
	// that pool has no backlog. The ceiling is then mq's remoting path without the store.
	pool := remoting.NewPool("send", min(runtime.NumCPU(), 4), 4096)
	srv.Handle(int16(protocol.SendMessage), send, remoting.WithPool(pool), remoting.Inline())
	srv.Handle(int16(protocol.SendMessageV2), send, remoting.WithPool(pool), remoting.Inline())
	return srv
}
