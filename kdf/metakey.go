package kdf

import "context"

// labelMetadata derives the key that seals the metadata store at rest
// (names, values and the ordered index of package storage/sealed). Its first
// letter after "rustfs/v1/" is shared with no other HMAC label, so it is
// independent of every other derivation.
const labelMetadata = "rustfs/v1/at-rest-metadata"

// MetadataKey returns the 32-byte key that seals the metadata store, derived
// from the root named rootID ("" for the current root) as
// Keyring.HMAC("rustfs/v1/at-rest-metadata"), and the id of that root. The
// store records the id, so a rotated root keeps opening it while the old
// root stays configured.
func (s *Service) MetadataKey(ctx context.Context, rootID string) (key [32]byte, id string, err error) {
	return s.rootHMACKey(ctx, rootID, labelMetadata, "metadata")
}
