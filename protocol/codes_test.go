package protocol

import "testing"

func TestCodeString(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"code=10", SendMessage.String(), "SEND_MESSAGE"},
		{"code=11", PullMessage.String(), "PULL_MESSAGE"},
		{"code=105", GetRouteInfoByTopic.String(), "GET_ROUTEINFO_BY_TOPIC"},
		{"code=103", RegisterBroker.String(), "REGISTER_BROKER"},
		{"code=219", GetKVListByNamespace.String(), "GET_KVLIST_BY_NAMESPACE"},
		{"code=318", UpdateNamesrvConfig.String(), "UPDATE_NAMESRV_CONFIG"},
		{"code=319", GetNamesrvConfig.String(), "GET_NAMESRV_CONFIG"},
		{"code=327", AddWritePermOfBroker.String(), "ADD_WRITE_PERM_OF_BROKER"},
		{"code=3010", AuthListACL.String(), "AUTH_LIST_ACL"},
		{"code=9999", RequestCode(9999).String(), "RequestCode(9999)"},
		{"resp=0", Success.String(), "SUCCESS"},
		{"resp=1", SystemError.String(), "SYSTEM_ERROR"},
		{"resp=17", TopicNotExist.String(), "TOPIC_NOT_EXIST"},
		{"resp=202", TransactionStateUnknow.String(), "TRANSACTION_STATE_UNKNOW"},
		{"resp=-1006", RPCTimeOut.String(), "RPC_TIME_OUT"},
		{"resp=1500", GoAway.String(), "GO_AWAY"},
		{"resp=777", ResponseCode(777).String(), "ResponseCode(777)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if int(RegisterBroker) != 103 || int(TopicNotExist) != 17 || int(GetNamesrvConfig) != 319 {
		t.Fatal("code values changed")
	}
	if len(requestCodeNames) < 140 || len(responseCodeNames) < 60 {
		t.Fatalf("tables too small: %d request, %d response", len(requestCodeNames), len(responseCodeNames))
	}
}
