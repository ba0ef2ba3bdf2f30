//go:build linux

package local

import (
	"errors"
	"fmt"
	"io/fs"
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

// openFile is os.OpenFile without Go's poller. For a regular file or a
// directory os.OpenFile makes the descriptor non-blocking, asks epoll to
// watch it (which the kernel refuses for such files) and makes it blocking
// again: four fcntl calls and a failing epoll_ctl on every open, more than
// the open itself on the shard, metadata and fsync paths. os.NewFile takes
// the descriptor as it is (one fcntl to read its flags).
func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := unix.Open(name, flag|unix.O_CLOEXEC, uint32(perm.Perm()))
		if err == nil {
			return os.NewFile(uintptr(fd), name), nil
		}
		if err != unix.EINTR {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
}

// syncDir makes the entries of dir (a rename or unlink in it) durable:
// open, fsync and close on a bare descriptor (see openFile).
func syncDir(dir string) error {
	var fd int
	var err error
	for {
		fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	for {
		err = unix.Fsync(fd)
		if err != unix.EINTR {
			break
		}
	}
	cerr := unix.Close(fd)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	if cerr != nil {
		return &fs.PathError{Op: "close", Path: dir, Err: cerr}
	}
	return nil
}

// renameFile renames a file (never a directory) over newpath. os.Rename
// first Lstats newpath to refuse replacing a directory, one more system
// call per commit that these paths, which never name a directory, do not
// need (rename(2) itself refuses a file over a directory).
func renameFile(oldpath, newpath string) error {
	if err := unix.Rename(oldpath, newpath); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}
