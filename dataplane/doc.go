// Package dataplane is the streaming chunk engine: it turns one object body
// (or multipart part) into encrypted, erasure-coded shards on rack-spread
// OSDs, and reads any byte range back.
//
// # PUT
//
//	reader (caller's goroutine) → N seal+encode workers → reorder → one
//	ordered writer goroutine per OSD
//
// The reader cuts the body into chunks (package chunker) and feeds the
// whole-object digests, which run in their own goroutines. Each worker seals a
// chunk with AES-256-GCM (package aead) into a stripe buffer that holds the
// ciphertext pieces and the parity pieces contiguously, so the Reed-Solomon
// shards (package erasure) are sub-slices of it and nothing is copied. The
// reorder stage restores chunk order and hands every stripe to all shard
// writers; the stripe goes back to its pool when the last writer is done.
//
// Memory is bounded by Options.InFlight: the reader takes a token per stripe
// and the token returns only when every writer has written it, so a PUT holds
// at most InFlight stripes (plus the digesters' queue of plaintext chunks),
// whatever the object size. A slow OSD therefore slows the PUT instead of
// growing memory.
//
// An OSD that fails drops its shard (Layout.OSDs[j] = ""); the PUT fails if
// fewer than WriteQuorum shards commit, and then nothing stays committed.
//
// # GET
//
// A range maps to the stripes that hold it. ReadAhead fetchers read the k data
// pieces of a stripe (one ReadAt per frame), verify each piece's CRC32C, fall
// back to parity and reconstruct when a piece is missing or corrupt, open
// (decrypt and authenticate) the chunk in place, and the caller's goroutine
// writes the trimmed plaintext in order. More than m bad pieces in a stripe is
// ErrUnrecoverable; a chunk that fails authentication is an error. Wrong bytes
// are never written.
//
// The on-disk format is specified in docs/FORMAT.md.
package dataplane
