package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Sizes of the sealed value frame: one flags byte, the GCM nonce, the tag.
const (
	nonceLen = 12
	tagLen   = 16
	overhead = 1 + nonceLen + tagLen
	nameLen  = 18 // bytes of HMAC kept in a hashed name (144 bits)
)

// Frame flags (the first byte of every sealed value, authenticated).
const (
	flagInline   = 0x01 // the value follows in full
	flagOverflow = 0x02 // a head; the tail lives in an overflow record
	flagLeaf     = 0x10 // an index leaf block
	flagRoot     = 0x11 // an index root block
	flagGuide    = 0x12 // an index guide block (between the root and leaves)
)

// cipherSet holds the subkeys derived from the metadata key: one for names,
// one AEAD for values and index blocks (domain-separated by their
// additional data and flags).
type cipherSet struct {
	nameKey [32]byte
	aead    cipher.AEAD
	macs    sync.Pool // hash.Hash under nameKey
}

// derive returns HMAC-SHA-256(key, label): independent subkeys of key.
func derive(key [32]byte, label string) (out [32]byte) {
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(label))
	copy(out[:], m.Sum(nil))
	return out
}

func newCipherSet(key [32]byte) (*cipherSet, error) {
	vk := derive(key, "rustfs/meta/v1/values")
	block, err := aes.NewCipher(vk[:])
	if err != nil {
		return nil, fmt.Errorf("sealed: value cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealed: value cipher: %w", err)
	}
	c := &cipherSet{nameKey: derive(key, "rustfs/meta/v1/names"), aead: aead}
	c.macs.New = func() any { return hmac.New(sha256.New, c.nameKey[:]) }
	return c, nil
}

// hashName returns tag + base64url(HMAC(nameKey, domain ‖ lp(a) ‖ b)[:18]).
func (c *cipherSet) hashName(tag, domain byte, a, b string) string {
	m := c.macs.Get().(hash.Hash)
	m.Reset()
	var hdr [5]byte
	hdr[0] = domain
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(a)))
	m.Write(hdr[:])
	m.Write([]byte(a))
	m.Write([]byte(b))
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	c.macs.Put(m)
	out := make([]byte, 0, 1+base64.RawURLEncoding.EncodedLen(nameLen))
	if tag != 0 {
		out = append(out, tag)
	}
	return string(base64.RawURLEncoding.AppendEncode(out, sum[:nameLen]))
}

// recordNS is the stored namespace of ns's records.
func (c *cipherSet) recordNS(ns string) string { return c.hashName('m', 'n', ns, "") }

// indexNS is the stored namespace of ns's index blocks.
func (c *cipherSet) indexNS(ns string) string { return c.hashName('x', 'i', ns, "") }

// recordKey is the stored key of (ns, key).
func (c *cipherSet) recordKey(ns, key string) string { return c.hashName(0, 'k', ns, key) }

// ad builds the additional data binding a frame to what it is: the flags,
// a purpose, the plaintext namespace and name, and an extra id.
func ad(flags byte, ns, name, extra string) []byte {
	b := make([]byte, 0, 16+len(ns)+len(name)+len(extra))
	b = append(b, "rustfs/meta/v1"...)
	b = append(b, 0, flags)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ns)))
	b = append(b, ns...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(name)))
	b = append(b, name...)
	return append(b, extra...)
}

// seal frames plain: flags ‖ nonce ‖ AES-GCM(plain, ad).
func (c *cipherSet) seal(flags byte, plain, adata []byte) []byte {
	out := make([]byte, 1+nonceLen, overhead+len(plain))
	out[0] = flags
	_, _ = rand.Read(out[1 : 1+nonceLen]) // documented never to fail since Go 1.24
	adata[len("rustfs/meta/v1")+1] = flags
	return c.aead.Seal(out, out[1:1+nonceLen], plain, adata)
}

// open checks and opens a frame; any mismatch is storage.ErrCorrupt.
func (c *cipherSet) open(frame, adata []byte) (flags byte, plain []byte, err error) {
	if len(frame) < overhead {
		return 0, nil, fmt.Errorf("sealed: frame of %d bytes: %w", len(frame), storage.ErrCorrupt)
	}
	flags = frame[0]
	adata[len("rustfs/meta/v1")+1] = flags
	plain, err = c.aead.Open(nil, frame[1:1+nonceLen], frame[1+nonceLen:], adata)
	if err != nil {
		return 0, nil, fmt.Errorf("sealed: frame does not authenticate here (tampered, moved or another key): %w", storage.ErrCorrupt)
	}
	return flags, plain, nil
}
