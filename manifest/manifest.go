// Package manifest is the versioned, canonical binary encoding of object
// manifests: everything needed to find, decrypt and authenticate an object.
// An object becomes visible when its manifest is committed to storage.Meta,
// and the manifest is signed (ML-DSA-65, package kdf) over SigningBytes, so
// the encoding is canonical: one Manifest has exactly one byte string, and
// Unmarshal accepts only byte strings Marshal could have produced.
//
// # Format, version 2
//
// All integers are little-endian and fixed-width unless written uv, which
// is an unsigned LEB128 varint in its shortest form.
//
//	manifest = "RFSM" version:u8=2
//	           bucket:str key:str size:i64 etag:str modified:i64 owner:str
//	           content-type:str content-encoding:str content-disposition:str
//	           content-language:str cache-control:str expires:str
//	           user-meta:map checksums:map checksum-type:str upload-id:str
//	           osd-table:(uv n, str×n) parts:(uv n, part×n)
//	           suite:u8 root-key-id:str customer-key-id:str
//	           kem-ciphertext:bytes salt:bytes commitment:bytes
//	           [version 3 only: version-id:str lock-mode:str retain-until:i64 legal-hold:u8]
//	           sig-key-id:str signature:bytes
//	part     = number:uv data-id:[16]byte size:uv chunk-size:uv k:u8 m:u8
//	           osds:(uv n, uv index×n) etag:tagged sums
//	tagged   = 0:u8 str | 1:u8 [16]byte   (1 iff the etag is 32 lowercase hex digits)
//	sums     = uv n, (str key, 0:u8 str | 1:u8 bytes)×n, keys strictly increasing
//	           (1 iff the value is non-empty canonical std base64; bytes decoded)
//	str      = uv length, bytes          (bytes is the same)
//	map      = uv n, (str key, str value)×n, keys strictly increasing
//
// The OSD table lists each distinct OSD ID once, in order of first use by
// the parts, and parts refer to it by index: a 10,000-part upload would
// otherwise repeat the same six IDs 10,000 times. Version 2 also stores
// part ETags and checksums in binary and part integers as varints, so a
// 10,000-part manifest with SHA-256 part checksums stays under 1 MiB. Nothing may follow the
// signature. Empty maps and slices decode as nil.
package manifest

// Version is the encoding version Marshal writes for a manifest without
// version or lock fields; VersionLocked (3) is written when VersionID,
// LockMode, RetainUntil or LegalHold is set, so every manifest written
// before versioning keeps its exact bytes (and signature). A version-3
// encoding whose new fields are all zero is not canonical and is refused.
const Version = 2

// VersionLocked is the encoding version that carries the version id and
// the Object Lock state.
const VersionLocked = 3

// Object Lock retention modes (Manifest.LockMode).
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
)

// Manifest describes one object: its S3 metadata, where its encrypted,
// erasure-coded parts live, the key envelope that unlocks them, and the
// signature that authenticates all of it.
type Manifest struct {
	Bucket, Key string
	// Size is the plaintext size of the object: the sum of the part sizes.
	Size int64
	ETag string
	// Modified is the commit time in Unix nanoseconds.
	Modified int64
	Owner    string

	ContentType, ContentEncoding, ContentDisposition, ContentLanguage, CacheControl, Expires string

	// UserMeta holds x-amz-meta-* values keyed by lower-case name; at most
	// MaxUserMeta bytes of keys and values together.
	UserMeta map[string]string
	// Checksums holds whole-object S3 checksums (base64, as on the wire).
	Checksums    map[string]string
	ChecksumType string
	// UploadID is "" for an object written by a single PUT.
	UploadID string
	Parts    []Part
	Envelope Envelope
	// VersionID is the S3 version id of this object version; "" is the
	// null version (unversioned and suspended buckets). It is signed, so a
	// manifest cannot be replayed as another version.
	VersionID string
	// LockMode ("", LockGovernance or LockCompliance) and RetainUntil
	// (Unix ns) are the version's Object Lock retention; LegalHold its legal
	// hold. They are signed: editing them in Meta fails verification.
	LockMode    string
	RetainUntil int64
	LegalHold   bool
	// SigKeyID names the signing key; it is itself signed.
	SigKeyID string
	// Signature covers SigningBytes; it is the only field not signed.
	Signature []byte
}

// Part is one independently encrypted and erasure-coded data stream: the
// whole object for a single PUT, one uploaded part for multipart.
type Part struct {
	Number uint32
	// DataID is the random id that names the part's shards and keys its AEAD
	// subkey.
	DataID    [16]byte
	Size      int64
	ChunkSize uint32
	K, M      uint8
	// OSDs holds the OSD ID of shard j at index j; "" marks a shard that was
	// never written.
	OSDs      []string
	ETag      string
	Checksums map[string]string
}

// Envelope carries what is needed to recover the object's data key: the
// key suite, the wrapping keys' IDs, the ML-KEM ciphertext, the salt and the
// key commitment. It holds no secret.
type Envelope struct {
	Suite                    uint8
	RootKeyID, CustomerKeyID string
	KEMCiphertext            []byte
	Salt, Commitment         []byte
}
