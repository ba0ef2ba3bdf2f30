package storage

import "errors"

// Limits every backend enforces on Meta keys and values.
const (
	// MaxKeyLen is the longest Meta key in bytes: an S3 object key (at most
	// 1024 bytes) plus room for the internal suffixes the object layer adds
	// (a multipart upload is recorded under key + "\x00" + 64-hex id), so
	// every key a PUT accepts can also be uploaded in parts.
	MaxKeyLen = 1024 + 128
	// MaxValueLen is the largest Meta value in bytes.
	MaxValueLen = 1 << 20
)

// ErrInvalid reports an argument no backend can store: an empty namespace or
// key (an empty key could never be listed, as nothing sorts before it), a key
// or value over its limit, or a malformed shard name.
var ErrInvalid = errors.New("storage: invalid argument")
