package broker

import (
	"context"
	"strconv"

	"github.com/mq-project/mq/message"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// queryMessage answers QUERY_MESSAGE: messages of the topic with the key (KEYS or UNIQ_KEY)
// stored in [beginTimestamp, endTimestamp], through the IndexFile; QUERY_NOT_FOUND when none.
func (b *Broker) queryMessage(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryMessageRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	maxNum := int(h.MaxNum)
	if h.UniqueKeyQuery || maxNum <= 0 {
		maxNum = b.conf().DefaultQueryMaxNum
	}
	// DefaultMessageStore#queryMessage caps every query at maxMsgsNumBatch (64).
	maxNum = min(maxNum, max(b.conf().MaxMsgsNumBatch, 1))
	r, err := b.ms.QueryByKey(h.Topic, h.Key, maxNum, h.BeginTimestamp, h.EndTimestamp)
	if err != nil {
		return errorResponse(req, protocol.SystemError, err.Error())
	}
	ext := protocol.EncodeHeader(&protocol.QueryMessageResponseHeader{
		IndexLastUpdateTimestamp: r.IndexLastUpdateTimestamp, IndexLastUpdatePhyoffset: r.IndexLastUpdatePhyOffset})
	if len(r.Messages) == 0 {
		r.Release()
		resp := errorResponse(req, protocol.QueryNotFound, "can not find message, maybe time range not correct")
		resp.ExtFields = ext
		return resp
	}
	resp := success(req)
	resp.ExtFields = ext
	parts, _ := recordParts(r.Messages)
	resp.SetBodyParts(parts, r.Release) // written from the mapping; r holds it until then
	return resp
}

// recordParts returns records as body parts (no copy) and their total size.
func recordParts(ms []message.Stored) ([][]byte, int) {
	parts := make([][]byte, len(ms))
	n := 0
	for i, m := range ms {
		parts[i] = m
		n += len(m)
	}
	return parts, n
}

// viewMessageByID answers VIEW_MESSAGE_BY_ID: the record at a CommitLog offset.
func (b *Broker) viewMessageByID(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ViewMessageRequestHeader
	if r := decodeHeader(req, &h); r != nil {
		return r
	}
	rec, err := b.ms.ReadAt(h.Offset)
	if err != nil {
		return errorResponse(req, protocol.SystemError, "can not find message by the offset, "+strconv.FormatInt(h.Offset, 10))
	}
	resp := success(req)
	resp.SetBodyParts([][]byte{rec.Stored}, rec.Release) // written from the mapping
	return resp
}
