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
// An OSD that fails, reports itself unhealthy, or runs past
// Options.ShardTimeout (a watchdog gives up on a hung Write; its goroutine
// aborts the shard when the Write returns) drops its shard
// (Layout.OSDs[j] = ""); the PUT fails if fewer than the stream's write
// quorum commit, and then nothing stays committed. PutRequest.K/M choose
// the stream's redundancy (1+2 is 3x replication).
//
// # GET
//
// A range maps to the stripes that hold it. Open decodes the first stripe
// before returning, so a caller learns that an object is unreadable before it
// sends a byte; Reader.WriteTo streams the rest. ReadAhead fetchers read the
// k data pieces of a stripe (one ReadAt per frame, each under the shard
// deadline, unhealthy or suspect shards last), verify each frame's identity
// tag, fall back to parity and reconstruct when a piece is missing, foreign,
// corrupt or late, open (decrypt and authenticate) the chunk in place, and
// the caller's goroutine writes the trimmed plaintext in order. When a chunk
// fails to open, every other k-subset of the verified pieces is tried. Fewer
// than k verified pieces, or no subset that opens, is ErrUnrecoverable.
// Wrong bytes are never written. Reader.Degraded names the shards found bad,
// for read-repair.
//
// # Scrub and repair
//
// Verify checks shards without keys (presence and size, or every frame's
// tag); Repair rebuilds bad shards stripe by stripe from any k verified ones
// onto RepairTargets' OSDs (repair.go, rebuild.go).
//
// The on-disk format is specified in docs/FORMAT.md.
package dataplane
