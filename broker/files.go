package broker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mq-project/mq/store"
)

// writeFileAtomic replaces path with data through the store's atomic writer (write .tmp,
// fsync, keep .bak, rename, fsync the directory), so the broker's metadata files and the
// store's files share one implementation.
func writeFileAtomic(path string, data []byte) error {
	if err := store.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("broker: write %s: %w", path, err)
	}
	return nil
}

// readFileIfExists returns the content of path, or nil and no error when it does not exist.
// A leftover path.tmp from an interrupted write is ignored (the rename never happened).
func readFileIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("broker: read %s: %w", path, err)
	}
	return b, nil
}
