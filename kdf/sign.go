package kdf

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/tasmaniancloud/rustfs/manifest"
)

// Signature parameters (docs/FORMAT.md, "Key envelope").
const (
	labelSign = "rustfs/v1/sign"
	// SignatureContext is the FIPS 204 context string of manifest
	// signatures: a signature made for another purpose never verifies here.
	SignatureContext = "rustfs/v1/manifest"
	// SignatureSize is the ML-DSA-65 signature length.
	SignatureSize = mldsa65.SignatureSize
)

// signingKey is one derived ML-DSA-65 key pair. sk is nil for versions kept
// only for verification.
type signingKey struct {
	pk *mldsa65.PublicKey
	sk *mldsa65.PrivateKey
}

// destroy zeroes the private key in place (its fields are fixed-size arrays,
// so overwriting the struct clears the key material).
func (k *signingKey) destroy() {
	if k.sk != nil {
		*k.sk = mldsa65.PrivateKey{}
		k.sk = nil
	}
}

// signingKeyFor derives (once per service) the key pair named by
// (keyring, version): seed = Keyring.HMAC("rustfs/v1/sign" ‖ u32 version).
// The private half is kept only when it is the current signing key.
func (s *Service) signingKeyFor(ctx context.Context, kr Keyring, version uint32) (*signingKey, error) {
	id := sigKeyID(kr.ID(), version)
	s.sigMu.Lock()
	k := s.sigKeys[id]
	s.sigMu.Unlock()
	if k != nil {
		return k, nil
	}
	msg := binary.BigEndian.AppendUint32([]byte(labelSign), version)
	seed, err := kr.HMAC(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("kdf: signing key %s: %w", id, err)
	}
	pk, sk := mldsa65.NewKeyFromSeed(&seed)
	clear(seed[:])
	// circl's public key points into the private key's matrix; re-unpack it
	// into a standalone key so zeroising the private half leaves it intact.
	var packed [mldsa65.PublicKeySize]byte
	pk.Pack(&packed)
	k = &signingKey{pk: new(mldsa65.PublicKey), sk: sk}
	k.pk.Unpack(&packed)
	avxReset()
	if id != s.CurrentSigKeyID() {
		k.destroy()
	}
	s.sigMu.Lock()
	defer s.sigMu.Unlock()
	if prev := s.sigKeys[id]; prev != nil { // lost a race: keep the first
		k.destroy()
		return prev, nil
	}
	s.sigKeys[id] = k
	return k, nil
}

// SignManifest sets m.SigKeyID to the current signing key and m.Signature to
// a hedged (randomized) ML-DSA-65 signature over m.SigningBytes() with the
// context "rustfs/v1/manifest". Every field of m except Signature is signed,
// including the envelope and SigKeyID itself.
func (s *Service) SignManifest(ctx context.Context, m *manifest.Manifest) error {
	if err := s.live(); err != nil {
		return err
	}
	k, err := s.signingKeyFor(ctx, s.o.Keyring, s.o.SigningKeyVersion)
	if err != nil {
		return err
	}
	m.SigKeyID = s.CurrentSigKeyID()
	m.Signature = nil
	msg, err := m.SigningBytes()
	if err != nil {
		return fmt.Errorf("kdf: sign manifest: %w", err)
	}
	sig := make([]byte, mldsa65.SignatureSize)
	err = mldsa65.SignTo(k.sk, msg, []byte(SignatureContext), true, sig)
	avxReset()
	if err != nil {
		return fmt.Errorf("kdf: sign manifest: %w", err)
	}
	m.Signature = sig
	// The writer's own manifest is the likeliest next read: remember it as
	// verified so the first GET skips ML-DSA verification.
	id := verifiedID(msg, sig)
	s.cache.put(&cacheEntry{id: id, kind: kindVerified}, entryCost)
	return nil
}

// VerifyManifest checks m's signature before anything else in m is used. A
// bad signature (or any tampered field) returns ErrTampered and logs a
// warning with the key id; an unknown or out-of-range key id returns
// ErrUnsupported. Successful verifications are cached by digest, so hot GETs
// of the same manifest skip ML-DSA.
func (s *Service) VerifyManifest(ctx context.Context, m *manifest.Manifest) error {
	if err := s.live(); err != nil {
		return err
	}
	krID, version, err := parseSigKeyID(m.SigKeyID)
	if err != nil {
		s.log.Warn("kdf: manifest signature key id rejected", "key_id", m.SigKeyID)
		return err
	}
	kr, err := s.keyring(krID)
	if err != nil {
		s.log.Warn("kdf: manifest signed by an unknown root", "key_id", m.SigKeyID)
		return err
	}
	if version < s.o.MinSigningKeyVersion || version > s.o.SigningKeyVersion {
		s.log.Warn("kdf: manifest signing key version not accepted", "key_id", m.SigKeyID)
		return fmt.Errorf("%w: signing key version %d outside accepted %d..%d",
			ErrUnsupported, version, s.o.MinSigningKeyVersion, s.o.SigningKeyVersion)
	}
	if len(m.Signature) != mldsa65.SignatureSize {
		s.log.Warn("kdf: manifest signature has the wrong length", "key_id", m.SigKeyID, "len", len(m.Signature))
		return fmt.Errorf("%w: signature length %d", ErrTampered, len(m.Signature))
	}
	msg, err := m.SigningBytes()
	if err != nil {
		s.log.Warn("kdf: manifest cannot be encoded for verification", "key_id", m.SigKeyID, "err", err)
		return fmt.Errorf("%w: %v", ErrTampered, err)
	}
	id := verifiedID(msg, m.Signature)
	if s.cache.get(&id, kindVerified).alive() {
		return nil
	}
	k, err := s.signingKeyFor(ctx, kr, version)
	if err != nil {
		return err
	}
	ok := mldsa65.Verify(k.pk, msg, []byte(SignatureContext), m.Signature)
	avxReset()
	if !ok {
		s.log.Warn("kdf: manifest signature verification failed", "key_id", m.SigKeyID)
		return fmt.Errorf("%w: bad manifest signature (key %s)", ErrTampered, m.SigKeyID)
	}
	s.cache.put(&cacheEntry{id: id, kind: kindVerified}, entryCost)
	return nil
}

// verifiedID names a verified manifest: SHA-256 over a label and the full
// manifest (signed bytes, length-prefixed, then the signature). The signed
// bytes include SigKeyID, so the id covers every field.
func verifiedID(signed, sig []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(cacheLabelVerified))
	writeLP(h, signed)
	h.Write(sig)
	var id [32]byte
	h.Sum(id[:0])
	return id
}

// alive reports whether e is a live cache entry.
func (e *cacheEntry) alive() bool {
	if e == nil {
		return false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return !e.dead
}
