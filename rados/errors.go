//go:build ceph

package rados

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/tasmaniancloud/rustfs/storage"
)

// errno extracts the (negative) errno of a librados error, 0 when err is not
// one. go-ceph's errors expose it through ErrorCode.
func errno(err error) int {
	var ce interface{ ErrorCode() int }
	if errors.As(err, &ce) {
		return ce.ErrorCode()
	}
	return 0
}

// classify wraps a librados error with the storage sentinel it means, keeping
// the original (and its errno) in the chain:
// ENOENT → storage.ErrNotFound; timeouts and lost connections →
// storage.ErrUnavailable. Other errors are returned unchanged.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch syscall.Errno(-errno(err)) {
	case syscall.ENOENT:
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	case syscall.ETIMEDOUT, syscall.ENOTCONN, syscall.ESHUTDOWN, syscall.ECONNREFUSED,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EAGAIN, syscall.EINTR:
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return err
}

// isErrno reports whether err carries librados errno -e.
func isErrno(err error, e syscall.Errno) bool {
	return errno(err) == -int(e)
}

// Errnos the backend reacts to.
const (
	enoent    = syscall.ENOENT    // missing object
	enodata   = syscall.ENODATA   // missing xattr
	ecanceled = syscall.ECANCELED // lost omap comparison
	erange    = syscall.ERANGE    // lost object-version assertion (newer object); xattr too large
	eoverflow = syscall.EOVERFLOW // lost object-version assertion (older object)
)

// isNotFound reports an error wrapping storage.ErrNotFound.
func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }
