package store

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"sync"
)

// checkpoint is the 4 KiB checkpoint file. The first five longs are Java's StoreCheckpoint;
// dispatchedOffset and flushedOffset are ours.
type checkpoint struct {
	physicMsgTimestamp  int64 // 0: store time of the last flushed CommitLog record
	logicsMsgTimestamp  int64 // 8: last flushed ConsumeQueue record
	indexMsgTimestamp   int64 // 16
	masterFlushedOffset int64 // 24
	confirmPhyOffset    int64 // 32
	dispatchedOffset    int64 // 40: CommitLog offset below which CQ and index are flushed
	flushedOffset       int64 // 48: CommitLog offset below which the log is flushed
}

const checkpointSize = 4096

func readCheckpoint(path string) (checkpoint, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return checkpoint{}, false, nil
	}
	if err != nil {
		return checkpoint{}, false, err
	}
	if len(b) < 56 {
		return checkpoint{}, false, nil
	}
	be := binary.BigEndian
	return checkpoint{int64(be.Uint64(b)), int64(be.Uint64(b[8:])), int64(be.Uint64(b[16:])),
		int64(be.Uint64(b[24:])), int64(be.Uint64(b[32:])), int64(be.Uint64(b[40:])), int64(be.Uint64(b[48:]))}, true, nil
}

// checkpointFile keeps the file open and rewrites its first page in place.
type checkpointFile struct {
	mu  sync.Mutex // Store.Flush and the checkpoint loop both write
	f   *os.File
	buf [checkpointSize]byte
}

func openCheckpointFile(path string) (*checkpointFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &checkpointFile{f: f}, nil
}

func (c *checkpointFile) write(cp checkpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	be := binary.BigEndian
	b := c.buf[:]
	be.PutUint64(b, uint64(cp.physicMsgTimestamp))
	be.PutUint64(b[8:], uint64(cp.logicsMsgTimestamp))
	be.PutUint64(b[16:], uint64(cp.indexMsgTimestamp))
	be.PutUint64(b[24:], uint64(cp.masterFlushedOffset))
	be.PutUint64(b[32:], uint64(cp.confirmPhyOffset))
	be.PutUint64(b[40:], uint64(cp.dispatchedOffset))
	be.PutUint64(b[48:], uint64(cp.flushedOffset))
	if _, err := c.f.WriteAt(b, 0); err != nil {
		return err
	}
	if err := c.f.Sync(); err != nil {
		return err
	}
	noteDurable(c.f.Name(), 0, b, checkpointSize)
	return nil
}

func (c *checkpointFile) close() error { return c.f.Close() }
