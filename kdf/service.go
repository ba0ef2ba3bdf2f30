package kdf

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/tasmaniancloud/rustfs/manifest"
)

// Envelope is the public part of an object key stored in the manifest: suite,
// key ids, KEM ciphertext, salt and key commitment. It holds no secret.
type Envelope = manifest.Envelope

// SuiteXWing is envelope suite 1: X-Wing KEM (ML-KEM-768 + X25519),
// HKDF-SHA256, AES-256-GCM data keys, ML-DSA-65 manifest signatures.
const SuiteXWing uint8 = 1

// Service derives, caches and checks object keys and manifest signatures.
// It is safe for concurrent use.
type Service struct {
	o        Options
	keyrings map[string]Keyring // current and old roots by ID
	cache    *keyCache
	flights  flightGroup
	log      *slog.Logger

	sigMu   sync.Mutex
	sigKeys map[string]*signingKey // by SigKeyID

	closed atomic.Bool
}

// New validates o and returns a Service.
func New(o Options) (*Service, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Service{o: o, keyrings: map[string]Keyring{}, log: o.Logger, sigKeys: map[string]*signingKey{}}
	for _, kr := range append([]Keyring{o.Keyring}, o.OldKeyrings...) {
		if kr == nil {
			return nil, fmt.Errorf("kdf: nil keyring in Options.OldKeyrings")
		}
		id := kr.ID()
		if !validKeyringID(id) {
			return nil, fmt.Errorf("kdf: keyring id %q is not a valid key id", id)
		}
		if _, dup := s.keyrings[id]; dup {
			return nil, fmt.Errorf("kdf: keyring %q configured twice", id)
		}
		s.keyrings[id] = kr
	}
	if s.cache, err = newKeyCache(o.CacheBytes, o.CacheTTL); err != nil {
		return nil, err
	}
	return s, nil
}

// Close zeroes every cached secret and the derived signing keys; later calls
// fail with ErrClosed. Call it after in-flight calls have returned. It does
// not close the keyrings, which the caller owns.
func (s *Service) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cache.close()
	s.sigMu.Lock()
	for id, k := range s.sigKeys {
		k.destroy()
		delete(s.sigKeys, id)
	}
	s.sigMu.Unlock()
	return nil
}

// KeyIDs names the keys a Service writes with.
type KeyIDs struct {
	Root, Customer, Signature string
}

// Current returns the key ids new envelopes and signatures get.
func (s *Service) Current() KeyIDs {
	return KeyIDs{Root: s.o.Keyring.ID(), Customer: customerKeyID(s.o.CustomerEpoch), Signature: s.CurrentSigKeyID()}
}

// CurrentSigKeyID is the SigKeyID SignManifest writes now.
func (s *Service) CurrentSigKeyID() string {
	return sigKeyID(s.o.Keyring.ID(), s.o.SigningKeyVersion)
}

// live returns ErrClosed after Close.
func (s *Service) live() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// keyring returns the root named id, or ErrUnsupported.
func (s *Service) keyring(id string) (Keyring, error) {
	kr, ok := s.keyrings[id]
	if !ok {
		return nil, fmt.Errorf("%w: root key %q is not configured", ErrUnsupported, id)
	}
	return kr, nil
}
