package kdf

import (
	"crypto/sha256"
	"encoding/binary"
)

// Context names what an object key is bound to. It is never stored in the
// envelope (the manifest already locates the object), but it is hashed into
// the key derivation and the AEAD binding, so an envelope copied to another
// account, bucket, key or upload does not open.
type Context struct {
	Account, Bucket, Key, UploadID string
}

// contextLabel domain-separates the canonical context encoding.
const contextLabel = "rustfs/v1/context"

// Binding returns SHA-256 of the canonical encoding of c:
// "rustfs/v1/context" ‖ lp(Account) ‖ lp(Bucket) ‖ lp(Key) ‖ lp(UploadID),
// where lp(s) = u32 big-endian length ‖ s. It is the aead.Key binding and
// part of the OEK derivation info.
func (c Context) Binding() [32]byte {
	h := sha256.New()
	var lenBuf [4]byte
	h.Write([]byte(contextLabel))
	for _, s := range [...]string{c.Account, c.Bucket, c.Key, c.UploadID} {
		binary.BigEndian.PutUint32(lenBuf[:], uint32(len(s)))
		h.Write(lenBuf[:])
		h.Write([]byte(s))
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// appendLP appends u32 big-endian len(b) ‖ b; every variable-length field in
// a derivation input is length-prefixed so that no two inputs share an
// encoding.
func appendLP(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}
