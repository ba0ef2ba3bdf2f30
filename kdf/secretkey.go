package kdf

import (
	"context"
	"fmt"
)

// labelSecrets derives the key that seals small secrets kept in Meta (IAM
// users' secret access keys). Its first letter after "rustfs/v1/" is shared
// with no other label, so it is independent of every other derivation.
const labelSecrets = "rustfs/v1/iam-secrets"

// SecretsKey returns the 32-byte key (for AES-256-GCM) that seals small
// secrets stored in Meta, derived from the root named rootID ("" for the
// current root) as Keyring.HMAC("rustfs/v1/iam-secrets"), and the id of that
// root, which the caller records so a rotated root still opens old seals.
func (s *Service) SecretsKey(ctx context.Context, rootID string) (key [32]byte, id string, err error) {
	return s.rootHMACKey(ctx, rootID, labelSecrets, "secrets")
}

// rootHMACKey is Keyring.HMAC(label) under the root named rootID ("" for
// the current root), and that root's id: the keys that seal what the
// gateway keeps in Meta (SecretsKey, MetadataKey).
func (s *Service) rootHMACKey(ctx context.Context, rootID, label, what string) (key [32]byte, id string, err error) {
	if err := s.live(); err != nil {
		return key, "", err
	}
	kr := s.o.Keyring
	if rootID != "" {
		if kr, err = s.keyring(rootID); err != nil {
			return key, "", err
		}
	}
	if key, err = kr.HMAC(ctx, []byte(label)); err != nil {
		return key, "", fmt.Errorf("kdf: %s key under %s: %w", what, kr.ID(), err)
	}
	return key, kr.ID(), nil
}
