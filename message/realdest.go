package message

import (
	"fmt"
	"strconv"
)

// RealDestination returns where a parked message (delay level, timer, transaction half)
// goes when it is released: REAL_TOPIC and REAL_QID. REAL_QID must be a decimal int32 >= 0.
// The topic is returned as stored: whoever stores the message checks it (store.CheckTopic).
func RealDestination(props map[string]string) (topic string, queueID int32, err error) {
	topic = props[PropertyRealTopic]
	q, qerr := strconv.ParseInt(props[PropertyRealQueueID], 10, 32)
	if topic == "" || qerr != nil || q < 0 {
		return "", 0, fmt.Errorf("%w: REAL_TOPIC=%.200q REAL_QID=%.32q", ErrNoDestination, topic, props[PropertyRealQueueID])
	}
	return topic, int32(q), nil
}
