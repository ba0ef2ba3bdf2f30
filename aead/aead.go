package aead

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// KeySize is the length of a data key secret and of every derived subkey.
const KeySize = 32

// Overhead is the number of bytes sealing adds to a chunk (the GCM tag).
const Overhead = 16

// BindingSize is the length of the object-context binding.
const BindingSize = 32

// nonceSize is GCM's standard nonce length.
const nonceSize = 12

// aadSize is the length of the additional data: binding ‖ dataID ‖ part ‖
// chunk ‖ final.
const aadSize = BindingSize + 16 + 4 + 8 + 1

// streamInfo is the HKDF info prefix; the part number follows it.
const streamInfo = "rustfs/v1/stream"

// ErrOpen reports a chunk that failed authentication: wrong key, wrong
// position, wrong stream or object, a flipped bit, or a truncated stream.
var ErrOpen = errors.New("aead: message authentication failed")

// Key is the data key of one object (or one multipart upload). It holds the
// secret in memory only; Destroy zeroes it.
type Key struct {
	mu      sync.RWMutex
	secret  [KeySize]byte
	binding [BindingSize]byte
	dead    bool
}

// NewKey wraps a KeySize-byte secret and the object-context binding (the
// SHA-256 of the context the key was issued for). The secret is copied.
func NewKey(secret []byte, binding [32]byte) (*Key, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("aead: key secret is %d bytes, want %d", len(secret), KeySize)
	}
	k := &Key{binding: binding}
	copy(k.secret[:], secret)
	return k, nil
}

// Binding returns the object-context binding the key was created with.
func (k *Key) Binding() [32]byte { return k.binding }

// Destroy zeroes the secret. Streams already derived keep working (their AES
// key schedule lives inside crypto/aes); new Stream calls fail.
func (k *Key) Destroy() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.secret[:])
	k.dead = true
}

// Stream derives the cipher for one stream (dataID, part). dataID must be
// fresh and random for every stream written: that is what makes the counter
// nonces unique (see docs/FORMAT.md).
func (k *Key) Stream(dataID [16]byte, part uint32) (*Stream, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.dead {
		return nil, errors.New("aead: key destroyed")
	}
	var info [len(streamInfo) + 4]byte
	copy(info[:], streamInfo)
	binary.BigEndian.PutUint32(info[len(streamInfo):], part)
	sub, err := hkdf.Key(sha256.New, k.secret[:], dataID[:], string(info[:]), KeySize)
	if err != nil {
		return nil, fmt.Errorf("aead: derive stream key: %w", err)
	}
	defer clear(sub)
	block, err := aes.NewCipher(sub)
	if err != nil {
		return nil, fmt.Errorf("aead: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("aead: %w", err)
	}
	s := &Stream{gcm: gcm}
	copy(s.prefix[:], k.binding[:])
	copy(s.prefix[BindingSize:], dataID[:])
	binary.BigEndian.PutUint32(s.prefix[BindingSize+16:], part)
	s.scratch.New = func() any { return new(scratch) }
	return s, nil
}

// Stream seals and opens the chunks of one stream. It is safe for concurrent
// use: the pipeline's workers seal different chunks in parallel.
type Stream struct {
	gcm    cipher.AEAD
	prefix [BindingSize + 16 + 4]byte // binding ‖ dataID ‖ part
	// scratch recycles nonce+AAD buffers: slices handed to the cipher.AEAD
	// interface escape, so stack arrays would allocate on every chunk.
	scratch sync.Pool
}

// scratch is one chunk's nonce and additional data.
type scratch struct {
	nonce [nonceSize]byte
	aad   [aadSize]byte
}

// fill writes the nonce and AAD for chunk/final into sc.
func (s *Stream) fill(sc *scratch, chunk uint64, final bool) {
	var f byte
	if final {
		f = 1
	}
	sc.nonce = [nonceSize]byte{}
	binary.BigEndian.PutUint64(sc.nonce[3:11], chunk)
	sc.nonce[11] = f
	copy(sc.aad[:], s.prefix[:])
	binary.BigEndian.PutUint64(sc.aad[len(s.prefix):], chunk)
	sc.aad[aadSize-1] = f
}

// Seal appends the sealed form of plaintext (len(plaintext)+Overhead bytes)
// to dst and returns the result. dst may be plaintext[:0] to seal in place.
func (s *Stream) Seal(dst, plaintext []byte, chunk uint64, final bool) []byte {
	sc := s.scratch.Get().(*scratch)
	s.fill(sc, chunk, final)
	out := s.gcm.Seal(dst, sc.nonce[:], plaintext, sc.aad[:])
	s.scratch.Put(sc)
	return out
}

// Open authenticates and decrypts ciphertext as chunk number chunk (final
// when it must be the stream's last chunk), appending the plaintext to dst.
// Any mismatch returns ErrOpen and no plaintext. dst may be ciphertext[:0].
func (s *Stream) Open(dst, ciphertext []byte, chunk uint64, final bool) ([]byte, error) {
	if len(ciphertext) < Overhead {
		return nil, ErrOpen
	}
	sc := s.scratch.Get().(*scratch)
	s.fill(sc, chunk, final)
	out, err := s.gcm.Open(dst, sc.nonce[:], ciphertext, sc.aad[:])
	s.scratch.Put(sc)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
