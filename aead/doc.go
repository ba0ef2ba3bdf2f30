// Package aead seals the chunks of one data stream with AES-256-GCM under a
// per-stream subkey, binding every chunk to its position, its stream and the
// object it belongs to.
//
// Key schedule: an object (or multipart upload) has a 32-byte data key (Key)
// and a 32-byte binding, the SHA-256 of the object context. Each stream (one
// object body or one multipart part, named by a fresh random 16-byte dataID)
// gets its own AES key:
//
//	subkey = HKDF-SHA256(secret, salt = dataID, info = "rustfs/v1/stream" ‖ BE32(part))
//
// Chunk i is sealed with the counter nonce 0x000000 ‖ BE64(i) ‖ final, and the
// additional data binding(32) ‖ dataID(16) ‖ BE32(part) ‖ BE64(i) ‖ final(1).
// docs/FORMAT.md gives the reasoning (nonce uniqueness, what the AAD binds).
package aead
