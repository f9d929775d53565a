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

// addStoredLocked logs the UNIQ_KEY of a stored record, if it has one; k.mu is held.
func (k *keyLog) addStoredLocked(rec message.Stored) {
	if v, ok := message.PropertyValue(rec.Properties(), message.PropertyUniqClientMessageIDKeyIndex); ok {
		k.w.Write(v)
		k.w.WriteByte('\n')
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
