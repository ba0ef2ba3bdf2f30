package kdf

import (
	"context"
	"encoding/hex"
)

// Keyring is the root of trust: it computes HMAC-SHA256 under a root secret
// that never leaves it (a file held in memory for development, or a
// non-extractable key inside a PKCS#11 token). Implementations are safe for
// concurrent use.
type Keyring interface {
	// ID is a stable identifier of the root secret, recorded in every
	// envelope and signature key id so that rotated roots stay readable.
	// It contains no '/'.
	ID() string
	// HMAC returns HMAC-SHA256(root, msg).
	HMAC(ctx context.Context, msg []byte) ([32]byte, error)
	// Close forgets the root secret (or releases the token sessions).
	Close() error
}

// keyringIDLabel is the HMAC message whose output fingerprints a root secret.
// It shares no prefix position with the derivation labels ("rustfs/v1/c…",
// "rustfs/v1/s…"), so the published fingerprint reveals nothing about them.
const keyringIDLabel = "rustfs/v1/keyring-id"

// fingerprintID names a root secret by the first 8 bytes of its HMAC over a
// fixed label: the id follows the key material, not slot numbers or labels,
// so a token re-labelled or moved to another slot keeps its id.
func fingerprintID(kind string, mac [32]byte) string {
	return kind + "-" + hex.EncodeToString(mac[:8])
}
