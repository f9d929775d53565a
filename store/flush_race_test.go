package store

import (
	"context"
	"sync"
	"testing"
)

// TestFlushWhileCheckpointing: Store.Flush may run while the background checkpoint loop
// writes the checkpoint; under -race this caught an unguarded shared buffer.
func TestFlushWhileCheckpointing(t *testing.T) {
	cfg := DefaultConfig()
	cfg.StorePathRootDir = t.TempDir()
	cfg.MappedFileSizeCommitLog = 8 << 20
	cfg.MaxMessageSize = 1 << 20
	cfg.FlushIntervalConsumeQueue = 1 // the checkpoint loop's period, ms
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				if _, err := s.Append(context.Background(), newMsg("FlushRace", 0, "x", nil)); err != nil {
					t.Error(err)
					return
				}
				if err := s.Flush(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
