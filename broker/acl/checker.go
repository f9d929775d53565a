package acl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mq-project/mq/remoting"
)

// DefaultPollInterval is how often Checker looks at the accounts file's mtime and size.
const DefaultPollInterval = time.Second

// Checker holds the accounts of one plain_acl.yml, re-read when the file changes. A file
// that fails to parse keeps the last good accounts and is logged with file:line.
type Checker struct {
	path string
	log  *slog.Logger

	table atomic.Pointer[Table]

	mu      sync.Mutex // serialises reloads and writes
	stamp   fileStamp
	lastErr string
}

type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

// Open reads the accounts file at path. A missing or bad file at start is an error: a
// broker asked to check requests must not start open. A nil logger discards logs.
func Open(path string, logger *slog.Logger) (*Checker, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Checker{path: path, log: logger}
	st, data, err := c.read()
	if err != nil {
		return nil, err
	}
	t, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	c.table.Store(t)
	c.stamp = st
	return c, nil
}

// Path is the accounts file.
func (c *Checker) Path() string { return c.path }

// Table is the accounts in force.
func (c *Checker) Table() *Table { return c.table.Load() }

// Check decides req with the accounts in force (see Table.Check). remote is the peer's
// "host:port"; an unparsable one matches no white address.
func (c *Checker) Check(req *remoting.Command, remote string, need Need) (Decision, error) {
	return c.Table().Check(req, RemoteAddr(remote), need)
}

// RemoteAddr parses "host:port" (or a bare address) into an address, or the zero Addr.
func RemoteAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(remote)
	return a.Unmap()
}

func (c *Checker) read() (fileStamp, []byte, error) {
	f, err := os.Open(c.path)
	if err != nil {
		return fileStamp{}, nil, fmt.Errorf("acl: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileStamp{}, nil, fmt.Errorf("acl: %w", err)
	}
	if fi.Size() > maxFileSize {
		return fileStamp{}, nil, fmt.Errorf("%w: %s: larger than %d bytes", ErrConfig, c.path, maxFileSize)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return fileStamp{}, nil, fmt.Errorf("acl: read %s: %w", c.path, err)
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), ok: true}, buf.Bytes(), nil
}

// Reload re-reads the file when its mtime or size changed. It returns whether new
// accounts took effect; on a bad file the old accounts stay and the error is returned
// (and logged once per distinct error).
func (c *Checker) Reload() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reloadLocked(false)
}

func (c *Checker) reloadLocked(force bool) (bool, error) {
	fi, err := os.Stat(c.path)
	if err == nil && !force && c.stamp.ok && fi.ModTime().Equal(c.stamp.mod) && fi.Size() == c.stamp.size {
		return false, nil
	}
	var st fileStamp
	var data []byte
	if err == nil {
		st, data, err = c.read()
	}
	var t *Table
	if err == nil {
		t, err = Parse(c.path, data)
	}
	if err != nil {
		if msg := err.Error(); msg != c.lastErr {
			c.lastErr = msg
			c.log.Error("acl: accounts file not loaded, keeping the last good accounts", "err", err)
		}
		return false, err
	}
	c.lastErr = ""
	c.stamp = st
	c.table.Store(t)
	c.log.Info("acl: accounts loaded", "file", c.path, "accounts", len(t.accounts))
	return true, nil
}

// Run polls the file every interval (DefaultPollInterval when <= 0) until ctx is done.
func (c *Checker) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.Reload() //nolint:errcheck // logged by Reload
		}
	}
}

// ErrNotFound is returned by Delete for an unknown accessKey.
var ErrNotFound = errors.New("acl: no such accessKey")

// Update replaces (or adds) the account with a's accessKey and writes the file
// atomically; the new accounts take effect at once.
func (c *Checker) Update(a Account) error {
	if msgs := CheckAccount(a); len(msgs) > 0 {
		return fmt.Errorf("%w: account %q: %s", ErrConfig, a.AccessKey, msgs[0])
	}
	return c.edit(func(f *File) error {
		for i := range f.Accounts {
			if f.Accounts[i].AccessKey == a.AccessKey {
				f.Accounts[i] = a
				return nil
			}
		}
		f.Accounts = append(f.Accounts, a)
		return nil
	})
}

// Delete removes the account and writes the file atomically.
func (c *Checker) Delete(accessKey string) error {
	return c.edit(func(f *File) error {
		for i := range f.Accounts {
			if f.Accounts[i].AccessKey == accessKey {
				f.Accounts = append(f.Accounts[:i], f.Accounts[i+1:]...)
				return nil
			}
		}
		return fmt.Errorf("%w: %s", ErrNotFound, accessKey)
	})
}

// SetGlobalWhiteAddrs replaces globalWhiteRemoteAddresses and writes the file atomically.
func (c *Checker) SetGlobalWhiteAddrs(addrs []string) error {
	for _, a := range addrs {
		if _, err := compileAddr(a); err != nil {
			return fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	return c.edit(func(f *File) error {
		f.GlobalWhiteRemoteAddresses = append([]string(nil), addrs...)
		return nil
	})
}

// edit applies fn to the file as it is on disk (or, when the disk copy is bad, to the
// accounts in force), then writes it atomically and loads it.
func (c *Checker) edit(fn func(*File) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reloadLocked(false) //nolint:errcheck // a bad disk file: edit the accounts in force
	f := c.Table().File()
	if err := fn(&f); err != nil {
		return err
	}
	t, err := Compile(f)
	if err != nil {
		return err
	}
	data, err := Marshal(f)
	if err != nil {
		return fmt.Errorf("acl: encode: %w", err)
	}
	if err := writeAtomic(c.path, data); err != nil {
		return err
	}
	c.table.Store(t)
	c.reloadLocked(true) //nolint:errcheck // records the new stamp; the file was just checked
	return nil
}

// writeAtomic writes data to a temporary file beside path, syncs it and renames it over
// path.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("acl: write %s: %w", path, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, 0o600)
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("acl: write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
