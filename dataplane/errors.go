package dataplane

import "errors"

// Sentinel errors; returned wrapped with context.
var (
	// ErrTooLarge reports a body longer than its declared Size or MaxSize.
	ErrTooLarge = errors.New("dataplane: body exceeds its size limit")
	// ErrShortBody reports a body that ended before its declared Size.
	ErrShortBody = errors.New("dataplane: body shorter than declared size")
	// ErrUnrecoverable reports a stripe with more than m missing or corrupt
	// pieces: the data cannot be rebuilt.
	ErrUnrecoverable = errors.New("dataplane: too many shards lost")
	// ErrWriteQuorum reports a PUT that could not commit WriteQuorum shards.
	ErrWriteQuorum = errors.New("dataplane: write quorum not reached")
	// ErrRange reports a GET range that starts outside the stream.
	ErrRange = errors.New("dataplane: range outside the object")
	// ErrLayout reports a Layout that cannot describe a stream.
	ErrLayout = errors.New("dataplane: invalid layout")
)
