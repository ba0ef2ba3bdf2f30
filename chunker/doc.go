// Package chunker cuts a byte stream into fixed-size chunks held in pooled,
// reference-counted buffers, computes a CRC32C per chunk, and runs the
// whole-object digests (MD5, SHA-256, S3 flexible checksums) beside the data
// path.
//
// The chunker is the first stage of the PUT pipeline (see package dataplane).
// It reads one byte past every full chunk so that the last chunk of a stream is
// always marked Final, even when the stream length is an exact multiple of the
// chunk size; an empty stream yields exactly one empty Final chunk. Both rules
// are part of the storage format (docs/FORMAT.md): the final flag is sealed
// into every chunk's nonce, which is how truncation is detected on read.
package chunker
