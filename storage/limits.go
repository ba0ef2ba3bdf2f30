package storage

import "errors"

// Limits every backend enforces on Meta keys and values.
const (
	// MaxKeyLen is the longest Meta key in bytes (S3 object keys are at most
	// 1024 bytes; longer internal keys must be hashed by the caller).
	MaxKeyLen = 1024
	// MaxValueLen is the largest Meta value in bytes.
	MaxValueLen = 1 << 20
)

// ErrInvalid reports an argument no backend can store: an empty namespace or
// key (an empty key could never be listed, as nothing sorts before it), a key
// or value over its limit, or a malformed shard name.
var ErrInvalid = errors.New("storage: invalid argument")
