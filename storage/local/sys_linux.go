//go:build linux

package local

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// directSupported is whether this platform has O_DIRECT at all.
const directSupported = true

// openDirect creates path exclusively with O_DIRECT. It reports ok=false
// (and no error) when the filesystem refuses O_DIRECT, so the caller can
// fall back to a buffered file.
func openDirect(path string) (f *os.File, ok bool, err error) {
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_DIRECT, 0o600)
	if err == nil {
		return f, true, nil
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP) {
		return nil, false, nil
	}
	return nil, false, err
}

// clearDirect turns O_DIRECT off on an open file (the fallback when the
// first aligned write is refused after open accepted the flag).
func clearDirect(f *os.File) error {
	fd := int(f.Fd())
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl&^unix.O_DIRECT)
	return err
}

// directRefused is whether a write error means "this file cannot do
// O_DIRECT" rather than a real I/O failure.
func directRefused(err error) bool {
	return errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP)
}

// syncFS makes everything written to the filesystem holding dir durable:
// file data, inodes and directory entries, in one journal commit.
func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = unix.Syncfs(int(d.Fd()))
	cerr := d.Close()
	if err != nil {
		return err
	}
	return cerr
}

// deviceOf identifies the filesystem holding path, so OSDs that share one
// disk share one commit group.
func deviceOf(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Dev, nil
}
