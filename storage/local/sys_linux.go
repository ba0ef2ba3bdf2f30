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

// setDirect turns O_DIRECT on for an open file; filesystems without
// direct I/O refuse it (EINVAL).
func setDirect(f *os.File) error {
	fd := f.Fd()
	fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	_, err = unix.FcntlInt(fd, unix.F_SETFL, fl|unix.O_DIRECT)
	return err
}

// clearDirect turns O_DIRECT off on an open file (the fallback when the
// first aligned write is refused after open accepted the flag).
func clearDirect(f *os.File) error {
	fd := f.Fd()
	fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	_, err = unix.FcntlInt(fd, unix.F_SETFL, fl&^unix.O_DIRECT)
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

// writeData writes f's dirty pages to the device and waits, without a
// journal commit or a cache flush: the parallel part of a group commit
// (each committer pushes its own data; the shared sync then finds little
// left to write).
func writeData(f *os.File) error {
	return unix.SyncFileRange(int(f.Fd()), 0, 0,
		unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
}
