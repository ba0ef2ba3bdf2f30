package kdf

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/tasmaniancloud/rustfs/kdf/shamir"
)

// Unsealer collects verified shares of one ceremony until the threshold is
// reached, then rebuilds the root secret in memory. It is safe for
// concurrent use (shares may arrive over several admin requests).
type Unsealer struct {
	c      *Ceremony
	mu     sync.Mutex
	shares map[int][]byte // index → share bytes, verified
	done   Keyring
}

// NewUnsealer starts collecting shares for c.
func NewUnsealer(c *Ceremony) *Unsealer {
	return &Unsealer{c: c, shares: make(map[int][]byte)}
}

// ErrWrongRoot means the shares combined, but not to the root the ceremony
// recorded; every collected share is dropped.
var ErrWrongRoot = errors.New("kdf: the shares combine to a different root than the ceremony recorded")

// Add verifies s and keeps it. It returns how many more distinct shares
// are needed (0 once unsealed). A share that fails verification is
// refused with an error and changes nothing; a repeated index is ignored.
// When the threshold is reached the secret is combined and checked
// against the recorded keyring id; Keyring then returns it.
func (u *Unsealer) Add(s *Share) (need int, err error) {
	if err := u.c.Verify(s); err != nil {
		return u.Need(), err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done != nil {
		return 0, nil
	}
	if _, dup := u.shares[s.Index]; !dup {
		u.shares[s.Index] = slices.Clone(s.Share)
	}
	if len(u.shares) < u.c.Threshold {
		return u.c.Threshold - len(u.shares), nil
	}
	parts := make([][]byte, 0, len(u.shares))
	for _, p := range u.shares {
		parts = append(parts, p)
	}
	secret, err := shamir.Combine(parts)
	u.forget()
	if err != nil {
		return u.c.Threshold, fmt.Errorf("kdf: unseal: %w", err)
	}
	defer clear(secret)
	k := &localKeyring{}
	copy(k.secret[:], secret)
	k.id = rootID(&k.secret)
	if subtle.ConstantTimeCompare([]byte(k.id), []byte(u.c.KeyringID)) != 1 {
		clear(k.secret[:])
		return u.c.Threshold, fmt.Errorf("%w (%s, want %s)", ErrWrongRoot, k.id, u.c.KeyringID)
	}
	u.done = k
	return 0, nil
}

// forget zeroes and drops the collected shares. Callers hold u.mu.
func (u *Unsealer) forget() {
	for i, p := range u.shares {
		clear(p)
		delete(u.shares, i)
	}
}

// Need returns how many more distinct valid shares unseal (0 when done).
func (u *Unsealer) Need() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done != nil {
		return 0
	}
	return u.c.Threshold - len(u.shares)
}

// Keyring returns the rebuilt in-memory keyring, or nil while sealed. The
// keyring behaves exactly like OpenLocal's over the same secret; the
// caller owns it and closes it (which zeroes the secret).
func (u *Unsealer) Keyring() Keyring {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.done
}

// Ceremony returns the record the unsealer checks shares against.
func (u *Unsealer) Ceremony() *Ceremony { return u.c }
