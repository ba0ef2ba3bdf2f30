//go:build ceph

package rados

/*
#cgo LDFLAGS: -lrados
#include <stdlib.h>
#include <rados/librados.h>

// rfs_omap_guarded runs one atomic write op on oid: compare the omap value of
// vk with cv (op cop), then either remove the keys kk and vk (del != 0) or set
// kk = rec and vk = ver. Go's go-ceph has no omap compare, hence this helper;
// every buffer is copied into librados bufferlists before it returns.
static int rfs_omap_guarded(rados_ioctx_t io, const char *oid,
		uint8_t cop, const char *cv, size_t cvl,
		const char *kk, size_t kkl, const char *vk, size_t vkl,
		const char *rec, size_t recl, const char *ver, size_t verl, int del) {
	rados_write_op_t op = rados_create_write_op();
	if (op == NULL) {
		return -12; // ENOMEM
	}
	rados_write_op_omap_cmp2(op, vk, cop, cv, vkl, cvl, NULL);
	const char *keys[2] = {kk, vk};
	size_t klens[2] = {kkl, vkl};
	if (del) {
		rados_write_op_omap_rm_keys2(op, keys, klens, 2);
	} else {
		const char *vals[2] = {rec, ver};
		size_t vlens[2] = {recl, verl};
		rados_write_op_omap_set2(op, keys, vals, klens, vlens, 2);
	}
	int r = rados_write_op_operate2(op, io, oid, NULL, 0);
	rados_release_write_op(op);
	return r;
}
*/
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"

	"github.com/ceph/go-ceph/rados"
)

// Omap comparison operators (LIBRADOS_CMPXATTR_OP_*); the stored value is on
// the left: cmpLT means stored < given. A missing key compares as empty.
const (
	cmpEQ = 1
	cmpGT = 3
	cmpLT = 5
)

// opError is a librados return code from the cgo helper, shaped like
// go-ceph's errors (ErrorCode) so that errno and classify see it.
type opError int

func (e opError) Error() string {
	return fmt.Sprintf("rados: ret=%d, %v", int(e), syscall.Errno(-int(e)))
}

// ErrorCode returns the negative errno.
func (e opError) ErrorCode() int { return int(e) }

// guardedOp describes one atomic omap update of a Meta key.
type guardedOp struct {
	cmp     uint8  // cmpEQ, cmpGT or cmpLT against want
	want    []byte // compared with the stored version text
	dataKey string // dataPrefix + escaped key
	verKey  string // versionPrefix + escaped key
	record  []byte // value record (set only)
	version []byte // version text (set only)
	remove  bool   // remove both entries instead of setting them
}

// bytesPtr returns a C view of b for the duration of a call (nil when empty).
func bytesPtr(b []byte) *C.char {
	if len(b) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(&b[0]))
}

// stringPtr returns a C view of s for the duration of a call.
func stringPtr(s string) *C.char {
	if len(s) == 0 {
		return nil
	}
	return (*C.char)(unsafe.Pointer(unsafe.StringData(s)))
}

// operateGuarded runs g on object oid as one RADOS write op. A lost guard
// fails with ECANCELED and changes nothing.
func operateGuarded(io *rados.IOContext, oid string, g *guardedOp) error {
	coid := C.CString(oid)
	defer C.free(unsafe.Pointer(coid))
	del := C.int(0)
	if g.remove {
		del = 1
	}
	r := C.rfs_omap_guarded(C.rados_ioctx_t(io.Pointer()), coid,
		C.uint8_t(g.cmp), bytesPtr(g.want), C.size_t(len(g.want)),
		stringPtr(g.dataKey), C.size_t(len(g.dataKey)), stringPtr(g.verKey), C.size_t(len(g.verKey)),
		bytesPtr(g.record), C.size_t(len(g.record)), bytesPtr(g.version), C.size_t(len(g.version)), del)
	if r < 0 {
		return opError(r)
	}
	return nil
}
