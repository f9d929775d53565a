package namesrv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mq-project/mq/broker/acl"
	"github.com/mq-project/mq/internal/props"
	"github.com/mq-project/mq/protocol"
	"github.com/mq-project/mq/remoting"
)

// Request processors (Java's DefaultRequestProcessor and ClientRequestProcessor).

// faqSuffix is FAQUrl.suggestTodo(APPLY_TOPIC_URL), appended to Java's TOPIC_NOT_EXIST remark.
const faqSuffix = "\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details."

func (s *Server) getRouteInfoByTopic(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetRouteInfoRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	route, found := s.routes.route(h.Topic)
	if !found {
		return reply(req, protocol.TopicNotExist, "No topic route info in name server for the topic: "+h.Topic+faqSuffix)
	}
	if s.Config().OrderMessageEnable {
		if conf, ok := s.kv.get(orderTopicConfigNamespace, h.Topic); ok {
			route.OrderTopicConf = conf
		}
	}
	// Always standard JSON: GoC accepts it, and Java clients do too.
	resp := ok(req)
	resp.Body = route.AppendJSON(make([]byte, 0, 256))
	return resp
}

func (s *Server) registerBroker(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.RegisterBrokerRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	if h.BodyCrc32 != 0 && protocol.BodyCRC32(req.Body) != h.BodyCrc32 {
		s.log.Warn("register broker: crc32 not match", "remote", c.RemoteAddr(), "broker", h.BrokerName)
		return reply(req, protocol.SystemError, "crc32 not match")
	}
	body, err := protocol.DecodeRegisterBrokerBody(req.Body, h.Compressed)
	if err != nil {
		return reply(req, protocol.SystemError, "Failed to decode RegisterBrokerBody: "+err.Error())
	}
	cfg := s.Config()
	timeout := time.Duration(h.HeartbeatTimeoutMillis) * time.Millisecond
	if h.HeartbeatTimeoutMillis <= 0 {
		timeout = time.Duration(cfg.BrokerChannelExpiredTime) * time.Millisecond
	}
	res := s.routes.register(registration{
		cluster: h.ClusterName, addr: h.BrokerAddr, name: h.BrokerName, id: h.BrokerID,
		haServerAddr: h.HAServerAddr, zoneName: req.Ext("__ZONE_NAME"), timeout: timeout,
		enableActingMaster: h.EnableActingMaster, topics: body.TopicConfigSerializeWrapper,
		filterServers: body.FilterServerList, connID: c.ID(),
	}, s.now())
	if !res.ok {
		return reply(req, protocol.SystemError, "register broker failed")
	}
	s.log.Debug("broker registered", "broker", h.BrokerName, "addr", h.BrokerAddr, "cluster", h.ClusterName,
		"id", h.BrokerID, "topics", len(body.TopicConfigSerializeWrapper.TopicConfigTable))
	resp := withHeader(ok(req), &protocol.RegisterBrokerResponseHeader{HAServerAddr: res.haServerAddr, MasterAddr: res.masterAddr})
	if cfg.ReturnOrderTopicConfigToBroker {
		if m := s.kv.list(orderTopicConfigNamespace); m != nil {
			resp.Body, _ = protocol.EncodeBody(protocol.KVTable{Table: m})
		}
	}
	return resp
}

func (s *Server) unregisterBroker(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.UnregisterBrokerRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	s.routes.unregister(unregistration{cluster: h.ClusterName, addr: h.BrokerAddr, name: h.BrokerName, id: h.BrokerID})
	s.log.Info("broker unregistered", "broker", h.BrokerName, "addr", h.BrokerAddr, "cluster", h.ClusterName, "id", h.BrokerID)
	return ok(req)
}

func (s *Server) queryDataVersion(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryDataVersionRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	var dv protocol.DataVersion
	if len(req.Body) > 0 {
		if err := protocol.DecodeBody(req.Body, &dv); err != nil {
			return reply(req, protocol.SystemError, err.Error())
		}
	}
	changed, held := s.routes.queryDataVersion(h.ClusterName, h.BrokerAddr, dv, s.now())
	resp := withHeader(ok(req), &protocol.QueryDataVersionResponseHeader{Changed: changed})
	if held != nil {
		resp.Body, _ = protocol.EncodeBody(held)
	}
	return resp
}

func (s *Server) getBrokerClusterInfo(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return withBody(req, s.routes.clusterInfo())
}

func (s *Server) wipeWritePermOfBroker(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.WipeWritePermOfBrokerRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	n := s.routes.setWritePerm(h.BrokerName, false)
	s.log.Info("wipe write perm of broker", "broker", h.BrokerName, "remote", c.RemoteAddr(), "topics", n)
	return withHeader(ok(req), &protocol.WipeWritePermOfBrokerResponseHeader{WipeTopicCount: int32(n)})
}

func (s *Server) addWritePermOfBroker(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.AddWritePermOfBrokerRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	n := s.routes.setWritePerm(h.BrokerName, true)
	s.log.Info("add write perm of broker", "broker", h.BrokerName, "remote", c.RemoteAddr(), "topics", n)
	return withHeader(ok(req), &protocol.AddWritePermOfBrokerResponseHeader{AddTopicCount: int32(n)})
}

func (s *Server) getAllTopicList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if !s.Config().EnableAllTopicList {
		return reply(req, protocol.SystemError, "disable")
	}
	return withBody(req, protocol.TopicList{TopicList: s.routes.allTopics()})
}

func (s *Server) deleteTopicInNamesrv(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.DeleteTopicFromNamesrvRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	s.routes.deleteTopic(h.Topic, h.ClusterName)
	return ok(req)
}

func (s *Server) registerTopicInNamesrv(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.RegisterTopicRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	if len(req.Body) > 0 {
		var route protocol.TopicRouteData
		if err := protocol.DecodeBody(req.Body, &route); err != nil {
			return reply(req, protocol.SystemError, err.Error())
		}
		s.routes.registerTopic(h.Topic, route.QueueDatas)
	}
	return ok(req)
}

func (s *Server) getTopicsByCluster(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if !s.Config().EnableTopicList {
		return reply(req, protocol.SystemError, "disable")
	}
	var h protocol.GetTopicsByClusterRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	return withBody(req, protocol.TopicList{TopicList: s.routes.topicsByCluster(h.Cluster)})
}

func (s *Server) getSystemTopicList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return withBody(req, s.routes.systemTopics())
}

func (s *Server) unitList(req *remoting.Command, keep func(int32) bool) *remoting.Command {
	if !s.Config().EnableTopicList {
		return reply(req, protocol.SystemError, "disable")
	}
	return withBody(req, protocol.TopicList{TopicList: s.routes.topicsWithFlag(keep)})
}

func (s *Server) getUnitTopicList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return s.unitList(req, func(f int32) bool { return f&flagUnit != 0 })
}

func (s *Server) getHasUnitSubTopicList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return s.unitList(req, func(f int32) bool { return f&flagUnitSub != 0 })
}

func (s *Server) getHasUnitSubUnunitTopicList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return s.unitList(req, func(f int32) bool { return f&flagUnit == 0 && f&flagUnitSub != 0 })
}

func (s *Server) putKVConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.PutKVConfigRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return reply(req, protocol.SystemError, "namespace or key is null")
	}
	if err := s.kv.put(h.Namespace, h.Key, h.Value); err != nil {
		s.log.Error("persist kv config", "err", err)
		return reply(req, protocol.SystemError, err.Error())
	}
	return ok(req)
}

func (s *Server) getKVConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetKVConfigRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	v, found := s.kv.get(h.Namespace, h.Key)
	if !found {
		return reply(req, protocol.QueryNotFound, "No config item, Namespace: "+h.Namespace+" Key: "+h.Key)
	}
	return withHeader(ok(req), &protocol.GetKVConfigResponseHeader{Value: v})
}

func (s *Server) deleteKVConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.DeleteKVConfigRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	if err := s.kv.delete(h.Namespace, h.Key); err != nil {
		s.log.Error("persist kv config", "err", err)
		return reply(req, protocol.SystemError, err.Error())
	}
	return ok(req)
}

func (s *Server) getKVListByNamespace(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetKVListByNamespaceRequestHeader
	if r := decode(req, &h); r != nil {
		return r
	}
	m := s.kv.list(h.Namespace)
	if m == nil {
		return reply(req, protocol.QueryNotFound, "No config item, Namespace: "+h.Namespace)
	}
	return withBody(req, protocol.KVTable{Table: m})
}

func (s *Server) getNamesrvConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := ok(req)
	resp.Body = []byte(s.Config().String())
	return resp
}

// maxConfigUpdateBody bounds the body of UPDATE_NAMESRV_CONFIG; a body past it is refused
// before it is parsed.
const maxConfigUpdateBody = 64 << 10

// maxReportedProblems bounds the problems a refused config update lists in its remark.
const maxReportedProblems = 20

// refusedUpdateKeys are keys UPDATE_NAMESRV_CONFIG refuses whatever configBlackList says:
// Apache's default black list, paths, and addresses and ports (a change would move files or
// redirect the nameserver). They are set in the config file and take effect at a restart.
var refusedUpdateKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields("configBlackList configStorePath kvConfigPath rocketmqHome listenPort bindAddress " +
		"controllerStorePath controllerDLegerGroup controllerDLegerPeers controllerDLegerSelfId jRaftAddress " +
		"metricsExporterType metricsPromExporterHost metricsPromExporterPort enableControllerInNamesrv useTLS") {
		m[k] = true
	}
	for k := range acl.StartOnlyKeys { // ACL, audit log, TLS: read at start only
		m[k] = true
	}
	return m
}()

// updateNamesrvConfig applies a properties text (at most 64 KiB, parsed in linear time) to the
// running configuration and persists it to configStorePath. Keys in configBlackList or
// refusedUpdateKeys are refused with NO_PERMISSION, unknown keys, Apache keys mq does not
// implement and bad values with SYSTEM_ERROR (Java ignores unknown keys; we say so instead).
// Nothing is applied unless everything is.
func (s *Server) updateNamesrvConfig(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	const src = "UPDATE_NAMESRV_CONFIG"
	if len(req.Body) == 0 {
		return ok(req)
	}
	if len(req.Body) > maxConfigUpdateBody {
		return reply(req, protocol.SystemError, fmt.Sprintf("%s body of %d bytes: at most %d", src, len(req.Body), maxConfigUpdateBody))
	}
	entries, err := props.Parse(src, string(req.Body))
	if err != nil {
		return reply(req, protocol.SystemError, props.Brief(err, maxReportedProblems))
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	black := map[string]bool{}
	for k := range strings.SplitSeq(s.cfg.ConfigBlackList, ";") {
		if k = strings.TrimSpace(k); k != "" {
			black[k] = true
		}
	}
	var refused []string
	seen := map[string]bool{}
	for _, e := range entries {
		if (black[e.Key] || refusedUpdateKeys[e.Key]) && !seen[e.Key] {
			seen[e.Key] = true
			refused = append(refused, e.Key)
		}
	}
	if len(refused) > 0 {
		s.log.Warn("config update refused", "remote", c.RemoteAddr(), "keys", strings.Join(refused, ", "))
		return reply(req, protocol.NoPermission, "Can not update config in black list: "+strings.Join(refused, ", ")+
			"; set it in the nameserver's config file and restart")
	}
	next := s.cfg
	rep, err := props.Decode(src, string(req.Body), &next, ignorableKeys())
	if len(rep.Ignored) > 0 {
		err = errors.Join(err, fmt.Errorf("%s: %s: Apache RocketMQ keys mq does not implement", src, strings.Join(rep.Ignored, ", ")))
	}
	if err != nil {
		return reply(req, protocol.SystemError, props.Brief(err, maxReportedProblems))
	}
	if err := next.Validate(); err != nil {
		return reply(req, protocol.SystemError, props.Brief(rep.AtLines(err), maxReportedProblems))
	}
	if next.ConfigStorePath != "" {
		if err := writeFileAtomic(next.ConfigStorePath, []byte(next.String())); err != nil {
			s.log.Error("persist config", "err", err)
			return reply(req, protocol.SystemError, err.Error())
		}
	}
	s.cfg = next
	s.routes.mu.Lock()
	s.routes.deleteTopicWithBrokerRegistration = next.DeleteTopicWithBrokerRegistration
	s.routes.supportActingMaster = next.SupportActingMaster
	s.routes.mu.Unlock()
	s.log.Info("config updated", "remote", c.RemoteAddr(), "keys", strconv.Itoa(len(entries)))
	return ok(req)
}
