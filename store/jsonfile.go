package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data so that a crash leaves either the old or the new
// content: it writes path.tmp, fsyncs it, copies the old file to path.bak, renames the temp
// file over path and fsyncs the directory.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if old, err := os.ReadFile(path); err == nil {
		_ = os.WriteFile(path+".bak", old, 0o644)
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return err
	}
	noteDurable(path, 0, data, int64(len(data)))
	return nil
}

// WriteJSON marshals v (indented) and writes it with WriteFileAtomic.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b)
}

// ReadJSON unmarshals path into v, falling back to path.bak when path is missing or broken.
// It returns false when neither exists.
func ReadJSON(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if err = json.Unmarshal(b, v); err == nil {
			return true, nil
		}
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("read %s: %w", path, err)
	}
	bak, berr := os.ReadFile(path + ".bak")
	if berr != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	if jerr := json.Unmarshal(bak, v); jerr != nil {
		return false, fmt.Errorf("read %s.bak: %w", path, jerr)
	}
	return true, nil
}
