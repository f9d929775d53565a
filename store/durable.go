package store

import "sync/atomic"

// durableFunc is told that bytes b at offset off of the file at path (size bytes long) have
// just been made durable (msync, fsync or an atomic replace); size < 0 reports that the
// removal of path was made durable.
type durableFunc func(path string, off int64, b []byte, size int64)

// durableHook is nil outside tests. The power-loss test sets it to copy every range the
// store makes durable into a shadow directory, which then stands for the disk after a power
// cut: what was never synced is not there.
var durableHook atomic.Pointer[durableFunc]

// noteDurable reports a durable range to the test hook, if one is set.
func noteDurable(path string, off int64, b []byte, size int64) {
	if h := durableHook.Load(); h != nil {
		(*h)(path, off, b, size)
	}
}
