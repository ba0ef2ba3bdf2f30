package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// OSD states reported by Backend.OSDStates.
const (
	StateUp      = "up"
	StateDown    = "down"
	StateFilling = "replaced-filling"
)

// OSDState describes one OSD for operators (rustfs status, /health/ready).
type OSDState struct {
	ID, Rack, Path string
	// State is StateUp, StateDown or StateFilling (a replacement OSD that
	// serves I/O but has not been refilled yet).
	State string
	// UUID is the identity in <osd>/format ("" when it could not be read).
	UUID string
	// LastError is the error that marked the OSD down ("" when none).
	LastError string
}

var _ storage.Checker = (*OSD)(nil)

// Healthy reports whether the OSD is believed to serve I/O now.
func (o *OSD) Healthy() bool { return !o.down.Load() }

// markDown records err and marks the OSD down until a probe succeeds.
func (o *OSD) markDown(err error) {
	o.mu.Lock()
	o.lastErr = err.Error()
	o.mu.Unlock()
	o.down.Store(true)
	if o.onDown != nil {
		o.onDown()
	}
}

// markUp clears the down mark (the last error stays for operators).
func (o *OSD) markUp() { o.down.Store(false) }

// lastError returns the error that last marked the OSD down.
func (o *OSD) lastError() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lastErr
}

// fatalErr reports errors that mean the disk, not the request, is at
// fault: I/O errors, a full or read-only file system, a vanished mount.
func fatalErr(err error) bool {
	return errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENOSPC) ||
		errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EDQUOT) ||
		errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENXIO) ||
		errors.Is(err, syscall.ESTALE)
}

// check passes err through, marking the OSD down when err is fatal.
func (o *OSD) check(err error) error {
	if err != nil && fatalErr(err) {
		o.markDown(err)
	}
	return err
}

// syncFile fsyncs f; any fsync failure marks the OSD down (after a failed
// fsync the kernel may have dropped dirty pages: nothing written since the
// last good sync can be trusted).
func (o *OSD) syncFile(f *os.File) error {
	err := f.Sync()
	if err == nil {
		err = o.inject("sync")
	}
	if err != nil {
		o.markDown(fmt.Errorf("fsync: %w", err))
	}
	return err
}

// groupSync waits for a sync of o's filesystem that started after the
// call (CommitGroup: o.group, shared by every OSD on the filesystem and
// every caller that arrives while one runs), so everything written on the
// filesystem before the call is durable when it returns nil. A failed
// sync fails every caller that waited for it, and marks each caller's OSD
// down as a failed fsync does: the kernel may have dropped dirty pages
// of any file written since the last good sync.
func (o *OSD) groupSync() error {
	err := o.group.Sync()
	if err == nil {
		err = o.inject("sync")
	}
	if err != nil {
		err = fmt.Errorf("syncfs: %w", err)
		o.markDown(err)
	}
	return err
}

// syncDirOf makes the entries of a directory of the OSD durable, marking
// the OSD down on failure (except for a directory that vanished, which
// callers handle). Concurrent callers for one directory share an fsync
// (dirSyncs): each returns after an fsync that started after its call.
func (o *OSD) syncDirOf(dir string) error {
	err := o.dirs.Sync(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		o.markDown(err)
	}
	return err
}

// inject returns the test hook's error for op ("create", "write", "sync",
// "read", "probe"); production OSDs have no hook.
func (o *OSD) inject(op string) error {
	if o.fault == nil {
		return nil
	}
	return o.fault(op)
}

// unavailable is the error of an operation on an OSD that is down with no
// usable directory (unusable at start, or refused).
func (o *OSD) unavailable() error {
	return fmt.Errorf("local: OSD %s is down (%s): %w", o.id, o.lastError(), storage.ErrUnavailable)
}

// probe checks that the directory works end to end: write, fsync, read
// back and remove a small file in tmp.
func (o *OSD) probe() error {
	if err := o.inject("probe"); err != nil {
		return err
	}
	p := filepath.Join(o.tmpDir(), fmt.Sprintf(".probe-%d", time.Now().UnixNano()))
	want := []byte("rustfs probe\n")
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer os.Remove(p)
	_, err = f.Write(want)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	got, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if string(got) != string(want) {
		return fmt.Errorf("probe file read back wrong")
	}
	return os.Remove(p)
}
