package schedule

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mq-project/mq/protocol"
)

// readWrapper reads delayOffset.json (falling back to its .bak copy); false when neither
// exists. Apache's bare numeric keys are accepted.
func readWrapper(path string, w *protocol.DelayOffsetSerializeWrapper) (bool, error) {
	for _, p := range []string{path, path + ".bak"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("schedule: read %s: %w", p, err)
		}
		if err := protocol.DecodeBody(b, w); err != nil {
			if p == path {
				continue // try the backup
			}
			return false, fmt.Errorf("schedule: decode %s: %w", p, err)
		}
		return true, nil
	}
	return false, nil
}
