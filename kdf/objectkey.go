package kdf

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/cloudflare/circl/kem/xwing"
	"github.com/tasmaniancloud/rustfs/aead"
)

// Envelope field sizes for SuiteXWing.
const (
	// SaltSize is the length of the random per-object HKDF salt.
	SaltSize = 32
	// CommitmentSize is the length of the stored key commitment.
	CommitmentSize = 32
	// KEMCiphertextSize is the X-Wing ciphertext length.
	KEMCiphertextSize = xwing.CiphertextSize
)

// Object-key derivation labels.
const (
	labelOEK    = "rustfs/v1/oek"
	labelEnc    = "enc"
	labelCommit = "commit"
)

// NewObjectKey creates the data key of a new object (or multipart upload):
// a fresh random salt and a fresh X-Wing encapsulation to the customer's
// current public key. The envelope returned carries only public values.
// The caller owns the key and must Destroy it.
func (s *Service) NewObjectKey(ctx context.Context, c Context) (*aead.Key, Envelope, error) {
	return s.NewObjectKeyWith(ctx, c, KeyChoice{})
}

// NewObjectKeyWith is NewObjectKey under the key kc chooses: a named KMS
// key of c.Account (refused with ErrUnknownKMSKey unless the id is one
// KMSKeyID issued for that account under this keyring), and/or a
// customer-provided key (SSE-C) mixed into the derivation and never stored.
func (s *Service) NewObjectKeyWith(ctx context.Context, c Context, kc KeyChoice) (*aead.Key, Envelope, error) {
	if err := s.live(); err != nil {
		return nil, Envelope{}, err
	}
	if kc.CustomerKey != nil && len(kc.CustomerKey) != CustomerKeySize {
		return nil, Envelope{}, fmt.Errorf("%w: customer key of %d bytes", ErrCustomerKey, len(kc.CustomerKey))
	}
	kr := s.o.Keyring
	epoch := s.o.CustomerEpoch
	subj := keySubject{account: c.Account}
	if kc.KMSKeyID != "" {
		name, err := s.checkKMSKey(ctx, kr, c.Account, kc.KMSKeyID)
		if err != nil {
			return nil, Envelope{}, err
		}
		subj.kmsName = name
	}
	cust, err := s.subjectKeys(ctx, kr, subj, epoch)
	if err != nil {
		return nil, Envelope{}, err
	}
	defer cust.wipe()
	salt := make([]byte, SaltSize)
	var encSeed [xwing.EncapsulationSeedSize]byte
	defer clear(encSeed[:])
	rand.Read(salt) // crypto/rand.Read never fails (it crashes the program instead)
	rand.Read(encSeed[:])
	id := envelopeKeyID{epoch: epoch, kmsKeyID: kc.KMSKeyID, sseC: kc.CustomerKey != nil}
	return s.sealObjectKeyWith(c, kr.ID(), id, &cust, kc.CustomerKey, salt, encSeed[:])
}

// sealObjectKey is NewObjectKey with its randomness (salt, encapsulation
// seed) passed in, so known-answer tests can derandomise it.
func (s *Service) sealObjectKey(c Context, rootID string, epoch uint32, cust *customerKeys, salt, encSeed []byte) (*aead.Key, Envelope, error) {
	return s.sealObjectKeyWith(c, rootID, envelopeKeyID{epoch: epoch}, cust, nil, salt, encSeed)
}

// sealObjectKeyWith seals under cust with an optional SSE-C key mixed in.
// An SSE-C data key is never cached: only a request holding the customer
// key may produce it.
func (s *Service) sealObjectKeyWith(c Context, rootID string, id envelopeKeyID, cust *customerKeys, sseC []byte, salt, encSeed []byte) (*aead.Key, Envelope, error) {
	ct := make([]byte, xwing.CiphertextSize)
	var ss [xwing.SharedKeySize]byte
	defer clear(ss[:])
	cust.pk.EncapsulateTo(ct, ss[:], encSeed)
	avxReset()
	binding := c.Binding()
	kdata, commit, err := deriveObjectSecretsWith(ss[:], &cust.ck, sseC, salt, SuiteXWing, &binding)
	defer clear(kdata[:])
	if err != nil {
		return nil, Envelope{}, err
	}
	env := Envelope{
		Suite:         SuiteXWing,
		RootKeyID:     rootID,
		CustomerKeyID: id.String(),
		KEMCiphertext: ct,
		Salt:          salt,
		Commitment:    commit[:],
	}
	key, err := aead.NewKey(kdata[:], binding)
	if err != nil {
		return nil, Envelope{}, fmt.Errorf("kdf: data key: %w", err)
	}
	if sseC == nil {
		s.cacheDataKey(&binding, &env, &kdata)
	}
	return key, env, nil
}

// OpenObjectKey re-derives the data key of a stored object from its envelope
// and context. A wrong context, a modified envelope field or a swapped
// envelope fails the key-commitment check with ErrTampered; an unknown suite,
// root or epoch fails with ErrUnsupported. Call VerifyManifest first.
func (s *Service) OpenObjectKey(ctx context.Context, c Context, env Envelope) (*aead.Key, error) {
	return s.OpenObjectKeyWith(ctx, c, env, nil)
}

// OpenObjectKeyWith is OpenObjectKey for an envelope that may need a
// customer-provided key (SSE-C). An SSE-C envelope without customerKey is
// ErrCustomerKeyRequired; with a key that does not reproduce the stored
// commitment, ErrCustomerKeyMismatch (the commitment is the only check
// value stored: a salted HKDF output of the key). A customerKey given for
// an envelope that was not sealed with one is ErrCustomerKeyNotApplicable.
func (s *Service) OpenObjectKeyWith(ctx context.Context, c Context, env Envelope, customerKey []byte) (*aead.Key, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	kr, id, err := s.checkEnvelope(&env)
	if err != nil {
		return nil, err
	}
	switch {
	case id.sseC && customerKey == nil:
		return nil, ErrCustomerKeyRequired
	case !id.sseC && customerKey != nil:
		return nil, ErrCustomerKeyNotApplicable
	case customerKey != nil && len(customerKey) != CustomerKeySize:
		return nil, fmt.Errorf("%w: customer key of %d bytes", ErrCustomerKey, len(customerKey))
	}
	binding := c.Binding()
	cacheKey := dataKeyID(&binding, &env)
	if !id.sseC {
		if kdata, ok := s.cache.get(&cacheKey, kindDataKey).readDataKey(); ok {
			defer clear(kdata[:])
			return newAEADKey(kdata[:], binding)
		}
	}
	subj := keySubject{account: c.Account}
	if id.kmsKeyID != "" {
		// The commitment below proves the CK: no id check is needed to read.
		subj.kmsName, _, _ = splitKMSKeyID(id.kmsKeyID)
	}
	cust, err := s.subjectKeys(ctx, kr, subj, id.epoch)
	if err != nil {
		return nil, err
	}
	defer cust.wipe()
	var ss [xwing.SharedKeySize]byte
	defer clear(ss[:])
	sk, _ := xwing.DeriveKeyPair(cust.seed[:]) // expanded per use: only seeds are kept
	sk.DecapsulateTo(ss[:], env.KEMCiphertext)
	avxReset()
	*sk = xwing.PrivateKey{}
	kdata, commit, err := deriveObjectSecretsWith(ss[:], &cust.ck, customerKey, env.Salt, env.Suite, &binding)
	defer clear(kdata[:])
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(commit[:], env.Commitment) != 1 {
		if id.sseC {
			// A wrong customer key is the expected cause; tampering looks
			// the same and fails closed the same way.
			return nil, ErrCustomerKeyMismatch
		}
		s.log.Warn("kdf: key envelope failed its commitment check",
			"root_key", env.RootKeyID, "customer_key", env.CustomerKeyID, "bucket", c.Bucket, "key", c.Key)
		return nil, fmt.Errorf("%w: key commitment mismatch", ErrTampered)
	}
	if !id.sseC {
		s.putDataKey(cacheKey, &kdata)
	}
	return newAEADKey(kdata[:], binding)
}

// newAEADKey wraps aead.NewKey with context.
func newAEADKey(secret []byte, binding [32]byte) (*aead.Key, error) {
	k, err := aead.NewKey(secret, binding)
	if err != nil {
		return nil, fmt.Errorf("kdf: data key: %w", err)
	}
	return k, nil
}

// checkEnvelope validates the envelope's shape and key ids before any
// cryptography runs, and returns the root keyring and customer epoch.
func (s *Service) checkEnvelope(env *Envelope) (Keyring, envelopeKeyID, error) {
	var none envelopeKeyID
	if env.Suite != SuiteXWing {
		return nil, none, fmt.Errorf("%w: envelope suite %d", ErrUnsupported, env.Suite)
	}
	if len(env.KEMCiphertext) != xwing.CiphertextSize || len(env.Salt) != SaltSize || len(env.Commitment) != CommitmentSize {
		return nil, none, fmt.Errorf("%w: envelope field sizes (ct %d, salt %d, commitment %d)",
			ErrTampered, len(env.KEMCiphertext), len(env.Salt), len(env.Commitment))
	}
	kr, err := s.keyring(env.RootKeyID)
	if err != nil {
		return nil, none, err
	}
	id, err := parseEnvelopeKeyID(env.CustomerKeyID)
	if err != nil {
		return nil, none, err
	}
	if id.epoch < s.o.MinCustomerEpoch || id.epoch > s.o.CustomerEpoch {
		return nil, none, fmt.Errorf("%w: customer epoch %d outside accepted %d..%d",
			ErrUnsupported, id.epoch, s.o.MinCustomerEpoch, s.o.CustomerEpoch)
	}
	return kr, id, nil
}

// deriveObjectSecrets computes
//
//	OEK        = HKDF-SHA256(ikm = ss ‖ CK, salt, info = "rustfs/v1/oek" ‖ u8 suite ‖ binding)
//	K_data     = HKDF-Expand(OEK, "enc", 32)
//	commitment = HKDF-Expand(OEK, "commit", 32)
func deriveObjectSecrets(ss []byte, ck *[32]byte, salt []byte, suite uint8, binding *[32]byte) (kdata, commit [32]byte, err error) {
	return deriveObjectSecretsWith(ss, ck, nil, salt, suite, binding)
}

// deriveObjectSecretsWith is deriveObjectSecrets with an optional SSE-C key
// appended to the IKM (ss ‖ CK ‖ customerKey).
func deriveObjectSecretsWith(ss []byte, ck *[32]byte, customerKey, salt []byte, suite uint8, binding *[32]byte) (kdata, commit [32]byte, err error) {
	oek, err := deriveOEKWith(ss, ck, customerKey, salt, suite, binding)
	defer clear(oek)
	if err != nil {
		return kdata, commit, err
	}
	enc, err := hkdf.Expand(sha256.New, oek, labelEnc, 32)
	if err != nil {
		return kdata, commit, fmt.Errorf("kdf: data key: %w", err)
	}
	copy(kdata[:], enc)
	clear(enc)
	com, err := hkdf.Expand(sha256.New, oek, labelCommit, 32)
	if err != nil {
		return kdata, commit, fmt.Errorf("kdf: commitment: %w", err)
	}
	copy(commit[:], com)
	return kdata, commit, nil
}

// deriveOEK computes the object encryption key (the caller clears it).
// CK joins the KEM shared secret in the IKM so that recovering an object key
// needs the root keyring even if X-Wing (both ML-KEM-768 and X25519) were
// broken; without CK the KEM alone would protect the data.
func deriveOEK(ss []byte, ck *[32]byte, salt []byte, suite uint8, binding *[32]byte) ([]byte, error) {
	return deriveOEKWith(ss, ck, nil, salt, suite, binding)
}

// deriveOEKWith is deriveOEK with an SSE-C customer key (32 bytes) joining
// the IKM: the object key then needs the root keyring AND the client's key.
func deriveOEKWith(ss []byte, ck *[32]byte, customerKey, salt []byte, suite uint8, binding *[32]byte) ([]byte, error) {
	var buf [96]byte
	defer clear(buf[:])
	ikm := buf[:64]
	copy(ikm[:32], ss)
	copy(ikm[32:], ck[:])
	if customerKey != nil {
		ikm = buf[:96]
		copy(ikm[64:], customerKey)
	}
	var info [len(labelOEK) + 1 + 32]byte
	copy(info[:], labelOEK)
	info[len(labelOEK)] = suite
	copy(info[len(labelOEK)+1:], binding[:])
	oek, err := hkdf.Key(sha256.New, ikm, salt, string(info[:]), 32)
	if err != nil {
		return nil, fmt.Errorf("kdf: oek: %w", err)
	}
	return oek, nil
}

// dataKeyID is the cache id of a data key: SHA-256 over a label, the context
// binding and every envelope field (length-prefixed), so a hit implies the
// exact envelope already passed its commitment check for this context.
func dataKeyID(binding *[32]byte, env *Envelope) [32]byte {
	h := sha256.New()
	h.Write([]byte(cacheLabelDataKey))
	h.Write(binding[:])
	h.Write([]byte{env.Suite})
	writeLP(h, []byte(env.RootKeyID))
	writeLP(h, []byte(env.CustomerKeyID))
	writeLP(h, env.KEMCiphertext)
	writeLP(h, env.Salt)
	writeLP(h, env.Commitment)
	var id [32]byte
	h.Sum(id[:0])
	return id
}

// writeLP writes u32 big-endian len(b) ‖ b to h.
func writeLP(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// cacheDataKey caches a freshly created data key (read-after-write GETs).
func (s *Service) cacheDataKey(binding *[32]byte, env *Envelope, kdata *[32]byte) {
	if s.cache == nil {
		return
	}
	s.putDataKey(dataKeyID(binding, env), kdata)
}

// putDataKey stores a copy of kdata under id.
func (s *Service) putDataKey(id [32]byte, kdata *[32]byte) {
	if s.cache == nil {
		return
	}
	e := &cacheEntry{id: id, kind: kindDataKey}
	copy(e.secret[:32], kdata[:])
	s.cache.put(e, entryCost)
}

// readDataKey copies the data key out of a live entry.
func (e *cacheEntry) readDataKey() ([32]byte, bool) {
	var k [32]byte
	if e == nil {
		return k, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.dead {
		return k, false
	}
	copy(k[:], e.secret[:32])
	return k, true
}
