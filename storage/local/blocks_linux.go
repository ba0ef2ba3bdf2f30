//go:build linux

package local

import (
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// writeBlocks writes bufs back to back at off with pwritev(2): one system
// call for blocks the flusher found queued together. Every buffer is a
// whole aligned block except maybe the last, as O_DIRECT needs. f's
// descriptor is used raw (the writer keeps f open until its flusher has
// stopped), and nothing is allocated per call beyond the iovecs, which
// live on the stack for the usual handful of blocks.
func writeBlocks(f *os.File, bufs [][]byte, off int64) error {
	if len(bufs) == 1 {
		_, err := f.WriteAt(bufs[0], off)
		return err
	}
	var small [8]unix.Iovec
	iov := small[:0]
	if len(bufs) > len(small) {
		iov = make([]unix.Iovec, 0, len(bufs))
	}
	for _, b := range bufs {
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	fd := f.Fd()
	for len(iov) > 0 {
		n, _, errno := unix.Syscall6(unix.SYS_PWRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)), uintptr(off), 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return &os.PathError{Op: "pwritev", Path: f.Name(), Err: errno}
		}
		if n == 0 {
			return io.ErrShortWrite
		}
		off += int64(n)
		// Drop the iovecs written; a short write leaves part of one.
		for n > 0 {
			l := uintptr(iov[0].Len)
			if n < l {
				iov[0].Base = (*byte)(unsafe.Add(unsafe.Pointer(iov[0].Base), n))
				iov[0].SetLen(int(l - n))
				break
			}
			n -= l
			iov = iov[1:]
		}
	}
	return nil
}

// flushData is fdatasync(2): f's data and what is needed to read it back
// (its size, its blocks), and the device's write cache.
func flushData(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
