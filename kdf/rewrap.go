package kdf

import (
	"context"
	"fmt"

	"github.com/tasmaniancloud/rustfs/manifest"
)

// NeedsResign reports whether m is signed with something other than the
// current signing key (root or version rotated since it was written).
func (s *Service) NeedsResign(m *manifest.Manifest) bool {
	return m.SigKeyID != s.CurrentSigKeyID()
}

// EnvelopeCurrent reports whether env was made under the current root and
// customer epoch. Envelopes that are not current stay readable while their
// root is configured and their epoch is within the accepted range; moving
// them to the current keys requires re-encrypting the object (a copy),
// because the data key is a function of the KEM shared secret and CK.
func (s *Service) EnvelopeCurrent(env Envelope) bool {
	id, err := parseEnvelopeKeyID(env.CustomerKeyID)
	return err == nil && env.Suite == SuiteXWing && env.RootKeyID == s.o.Keyring.ID() &&
		id.epoch == s.o.CustomerEpoch
}

// Rewrap brings m's protection up to date without touching object data:
// it verifies m under the accepted keys, checks that its envelope opens for
// context c (so a tampered or misplaced envelope is never re-blessed), and,
// if m is not signed with the current key, re-signs it. It returns nil with
// m unchanged when m is already current.
//
// Rewrap never re-encapsulates: the data key is HKDF(ss ‖ CK) of the
// original encapsulation, and a new encapsulation (or a new CK epoch or
// root) yields a different key, which would make the stored chunks
// unreadable. Customer-epoch and root rotation therefore apply to new
// objects; old envelopes stay valid while their epoch and root are accepted
// (see EnvelopeCurrent and docs/FORMAT.md).
func (s *Service) Rewrap(ctx context.Context, c Context, m *manifest.Manifest) error {
	if err := s.check(ctx, c, m); err != nil {
		return fmt.Errorf("kdf: rewrap %s/%s: %w", c.Bucket, c.Key, err)
	}
	if !s.NeedsResign(m) {
		return nil
	}
	return s.SignManifest(ctx, m)
}
