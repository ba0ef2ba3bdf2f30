package kdf

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/kem/xwing"
)

// Derivation labels (docs/FORMAT.md, "Key envelope").
const (
	labelCustomer = "rustfs/v1/customer"
	labelKEMSeed  = "rustfs/v1/kem-seed"
)

// customerKeys is a customer's secret CK, its X-Wing seed (the whole private
// key: X-Wing private keys are 32-byte seeds) and the public key. Only the
// seed is kept, never the expanded private key, so wipe really removes it.
type customerKeys struct {
	ck, seed [32]byte
	pk       *xwing.PublicKey
}

// wipe zeroes the secrets of this copy.
func (c *customerKeys) wipe() {
	clear(c.ck[:])
	clear(c.seed[:])
}

// customerMessage is the keyring HMAC input for CK:
// "rustfs/v1/customer" ‖ lp(account) ‖ u32 epoch.
func customerMessage(account string, epoch uint32) []byte {
	msg := make([]byte, 0, len(labelCustomer)+4+len(account)+4)
	msg = append(msg, labelCustomer...)
	msg = appendLP(msg, []byte(account))
	return binary.BigEndian.AppendUint32(msg, epoch)
}

// deriveCustomer computes CK inside the keyring and the KEM key pair from it.
func deriveCustomer(ctx context.Context, kr Keyring, account string, epoch uint32, suite uint8) (customerKeys, error) {
	return deriveCustomerMsg(ctx, kr, customerMessage(account, epoch), suite)
}

// deriveCustomerMsg is deriveCustomer for any keyring HMAC input: the
// account's own key (customerMessage) or a named KMS key (kmsMessage).
func deriveCustomerMsg(ctx context.Context, kr Keyring, msg []byte, suite uint8) (customerKeys, error) {
	var c customerKeys
	ck, err := kr.HMAC(ctx, msg)
	if err != nil {
		return c, fmt.Errorf("kdf: customer key: %w", err)
	}
	c.ck = ck
	clear(ck[:])
	seed, err := hkdf.Key(sha256.New, c.ck[:], nil, labelKEMSeed+string([]byte{suite}), xwing.SeedSize)
	if err != nil {
		c.wipe()
		return c, fmt.Errorf("kdf: kem seed: %w", err)
	}
	copy(c.seed[:], seed)
	clear(seed)
	var sk *xwing.PrivateKey
	sk, c.pk = xwing.DeriveKeyPair(c.seed[:])
	avxReset()
	// Only the seed is kept. Zeroing the struct clears the seed copy, the
	// X25519 scalar and ML-KEM's z; the ML-KEM secret vector sits behind a
	// pointer circl does not expose, so it is left to the garbage collector.
	*sk = xwing.PrivateKey{}
	return c, nil
}

// customer returns the customer keys for (keyring, account, epoch), from the
// cache when possible. The caller must wipe the returned copy.
func (s *Service) customer(ctx context.Context, kr Keyring, account string, epoch uint32) (customerKeys, error) {
	return s.subjectKeys(ctx, kr, keySubject{account: account}, epoch)
}

// subjectKeys returns the customer keys of subj (the account's own key or
// one of its named KMS keys) for (keyring, epoch), from the cache when
// possible. The caller must wipe the returned copy.
func (s *Service) subjectKeys(ctx context.Context, kr Keyring, subj keySubject, epoch uint32) (customerKeys, error) {
	var epochBuf [4]byte
	binary.BigEndian.PutUint32(epochBuf[:], epoch)
	account := subj.account
	id := cacheID(cacheLabelCustomer, appendLP(nil, []byte(kr.ID())), appendLP(nil, []byte(account)), epochBuf[:])
	if subj.kmsName != "" {
		id = cacheID(cacheLabelKMS, appendLP(nil, []byte(kr.ID())), appendLP(nil, []byte(account)), appendLP(nil, []byte(subj.kmsName)), epochBuf[:])
	}
	derive := func() (customerKeys, error) {
		return deriveCustomerMsg(ctx, kr, subj.message(epoch), SuiteXWing)
	}
	if c, ok := s.cache.get(&id, kindCustomer).readCustomer(); ok {
		return c, nil
	}
	var mine customerKeys
	leader := false
	e, err := s.flights.do(id, func() (*cacheEntry, error) {
		leader = true
		c, err := derive()
		if err != nil {
			return nil, err
		}
		mine = c
		e := &cacheEntry{id: id, kind: kindCustomer, pk: c.pk}
		copy(e.secret[:32], c.ck[:])
		copy(e.secret[32:], c.seed[:])
		s.cache.put(e, customerCost)
		return e, nil
	})
	if err != nil {
		if !leader && ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			// The leader's request was cancelled, not ours: derive ourselves.
			return derive()
		}
		return customerKeys{}, err
	}
	if leader {
		return mine, nil
	}
	if c, ok := e.readCustomer(); ok {
		return c, nil
	}
	// The leader's entry was evicted or rejected before we read it.
	return derive()
}

// readCustomer copies the customer keys out of a live entry.
func (e *cacheEntry) readCustomer() (customerKeys, bool) {
	var c customerKeys
	if e == nil {
		return c, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.dead {
		return c, false
	}
	copy(c.ck[:], e.secret[:32])
	copy(c.seed[:], e.secret[32:])
	c.pk = e.pk
	return c, true
}
