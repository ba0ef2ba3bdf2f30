//go:build ceph

package rados

/*
#cgo LDFLAGS: -lrados
#include <stdlib.h>
#include <rados/librados.h>

// rfs_aio_write submits one asynchronous write (write_full when full != 0) of
// buf to oid at off and returns its completion in *pc. librados copies buf and
// oid into its own buffers before it returns, so the caller may reuse both at
// once; the completion must be waited for and released with rfs_aio_finish.
static int rfs_aio_write(rados_ioctx_t io, const char *oid, const char *buf, size_t len,
		uint64_t off, int full, rados_completion_t *pc) {
	int r = rados_aio_create_completion2(NULL, NULL, pc);
	if (r < 0) {
		return r;
	}
	if (full) {
		r = rados_aio_write_full(io, oid, *pc, buf, len);
	} else {
		r = rados_aio_write(io, oid, *pc, buf, len, off);
	}
	if (r < 0) {
		rados_aio_release(*pc);
	}
	return r;
}

// rfs_aio_finish waits until the write is acknowledged by every replica of
// its placement group (or has failed), releases the completion and returns
// the write's result.
static int rfs_aio_finish(rados_completion_t c) {
	rados_aio_wait_for_complete(c);
	int r = rados_aio_get_return_value(c);
	rados_aio_release(c);
	return r;
}
*/
import "C"

import (
	"unsafe"

	"github.com/ceph/go-ceph/rados"
)

// aioWrite is one asynchronous RADOS write in flight. go-ceph has no
// asynchronous I/O, hence this helper: a shard writer keeps several writes
// in flight per shard instead of waiting a round trip per buffer. Writes to
// one object from one I/O context are applied by the OSD in submission
// order, so a write_full that starts a piece is never overtaken by the
// writes that follow it.
type aioWrite struct {
	c     C.rados_completion_t
	piece int // piece number, for error messages
}

// submitWrite starts writing data to oid at off (the whole object, truncating
// any leftover, when full). data may be reused as soon as it returns.
func submitWrite(io *rados.IOContext, oid string, data []byte, off uint64, full bool, piece int) (aioWrite, error) {
	coid := C.CString(oid)
	defer C.free(unsafe.Pointer(coid))
	f := C.int(0)
	if full {
		f = 1
	}
	var a aioWrite
	a.piece = piece
	r := C.rfs_aio_write(C.rados_ioctx_t(io.Pointer()), coid, bytesPtr(data), C.size_t(len(data)),
		C.uint64_t(off), f, &a.c)
	if r < 0 {
		return aioWrite{}, opError(r)
	}
	return a, nil
}

// wait blocks until the write is acknowledged or failed (bounded by the
// connection's rados_osd_op_timeout) and frees its completion; call it
// exactly once.
func (a aioWrite) wait() error {
	if r := C.rfs_aio_finish(a.c); r < 0 {
		return opError(r)
	}
	return nil
}
