package manifest

import "errors"

// Limits enforced by both Marshal and Unmarshal, so that every manifest one
// accepts the other accepts too, and so that a hostile input cannot make
// Unmarshal allocate much more than its own length.
const (
	MaxString        = 4 << 10 // any string field not listed below
	MaxKey           = 1024    // Bucket, Key and map keys
	MaxParts         = 10_000  // S3's part-count limit
	MaxOSDsPerPart   = 64
	MaxUserMeta      = 2 << 10 // UserMeta keys and values together (S3 allows 2 KiB)
	MaxChecksums     = 16      // entries of a Checksums map
	MaxKEMCiphertext = 4 << 10
	MaxBytes         = 4 << 10 // Salt and Commitment
	MaxSignature     = 8 << 10
)

var (
	// ErrMalformed reports bytes that are not a canonical manifest encoding,
	// or a Manifest whose fields exceed the format's limits.
	ErrMalformed = errors.New("manifest: malformed")
	// ErrUnsupportedVersion reports a manifest written by a newer (or
	// unknown) version of the format.
	ErrUnsupportedVersion = errors.New("manifest: unsupported version")
)

const magic = "RFSM"

// signingDomain prefixes SigningBytes so that a signature over a manifest
// can never be replayed as a signature over anything else, nor the other way
// round (a Marshal encoding starts with the magic instead).
const signingDomain = "rustfs/manifest/signing/v1\x00"
