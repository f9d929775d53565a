package bench

import (
	"bufio"
	"os"
	"sync"

	"github.com/mq-project/mq/message"
)

// keyLog appends UNIQ_KEYs to Options.KeysFile, one a line: the acknowledged sends of a
// produce run, every message pulled by a consume run. Scripts compare the two (chaos.sh
// counts lost and duplicated messages with it). A nil keyLog ignores everything.
type keyLog struct {
	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
}

func openKeyLog(path string) (*keyLog, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &keyLog{f: f, w: bufio.NewWriter(f)}, nil
}

func (k *keyLog) add(key []byte) {
	if k == nil {
		return
	}
	k.mu.Lock()
	k.w.Write(key)
	k.w.WriteByte('\n')
	k.mu.Unlock()
}

// addRecords logs the UNIQ_KEY of every stored record in a pull response body.
func (k *keyLog) addRecords(b []byte) {
	if k == nil {
		return
	}
	for len(b) >= 4 {
		size := int(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		if size <= 0 || size > len(b) {
			return
		}
		if rec, err := message.ParseStored(b[:size]); err == nil {
			if v, ok := message.PropertyValue(rec.Properties(), message.PropertyUniqClientMessageIDKeyIndex); ok {
				k.add(v)
			}
		}
		b = b[size:]
	}
}

func (k *keyLog) close() error {
	if k == nil {
		return nil
	}
	err := k.w.Flush()
	if cerr := k.f.Close(); err == nil {
		err = cerr
	}
	return err
}
