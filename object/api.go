// Package object is the S3 object layer: buckets, objects, listings and
// multipart uploads, built on the streaming engine (package dataplane), the
// key envelope (package kdf) and a storage.Backend. It knows S3 semantics but
// nothing about HTTP; package s3api translates requests into calls on Layer.
package object

import (
	"context"
	"errors"
	"io"
	"time"
)

// Sentinel errors. Package s3err maps each to its S3 error code and status;
// wrap them with context, never replace them.
var (
	ErrNoSuchBucket       = errors.New("object: no such bucket")
	ErrBucketExists       = errors.New("object: bucket already exists") // owned by someone else
	ErrBucketAlreadyOwned = errors.New("object: bucket already owned by you")
	ErrBucketNotEmpty     = errors.New("object: bucket not empty")
	ErrInvalidBucketName  = errors.New("object: invalid bucket name")
	ErrNoSuchKey          = errors.New("object: no such key")
	ErrInvalidKey         = errors.New("object: invalid object key")
	ErrInvalidRange       = errors.New("object: range not satisfiable")
	ErrPreconditionFailed = errors.New("object: precondition failed")
	ErrNotModified        = errors.New("object: not modified")
	ErrBadDigest          = errors.New("object: Content-MD5 mismatch")
	ErrChecksumMismatch   = errors.New("object: checksum mismatch")
	ErrSHA256Mismatch     = errors.New("object: x-amz-content-sha256 mismatch")
	ErrIncompleteBody     = errors.New("object: body shorter than declared")
	ErrEntityTooLarge     = errors.New("object: entity too large")
	ErrEntityTooSmall     = errors.New("object: part too small")
	ErrNoSuchUpload       = errors.New("object: no such upload")
	ErrInvalidPart        = errors.New("object: invalid part")
	ErrInvalidPartOrder   = errors.New("object: invalid part order")
	ErrTampered           = errors.New("object: manifest or data failed authentication")
	// ErrDamagedMetadata reports a stored manifest, upload or bucket record
	// that does not decode or verify. It affects that one key or record:
	// listing skips it, DELETE and overwrite still work.
	ErrDamagedMetadata  = errors.New("object: stored metadata is damaged")
	ErrDataUnavailable  = errors.New("object: too many shards lost to reconstruct")
	ErrInvalidArgument  = errors.New("object: invalid argument")
	ErrMetadataTooLarge = errors.New("object: metadata too large")
	// ErrInvalidPartNumber reports a GET/HEAD partNumber the object does
	// not have (S3 InvalidPartNumber, 416).
	ErrInvalidPartNumber = errors.New("object: part number not satisfiable")
	// ErrKeyTooLong reports an object key over 1024 bytes (S3 KeyTooLongError).
	ErrKeyTooLong = errors.New("object: key too long")
	// ErrChecksumAlgorithmMismatch reports a whole-object checksum sent with
	// CompleteMultipartUpload in an algorithm the upload was not created
	// with (S3 InvalidRequest).
	ErrChecksumAlgorithmMismatch = errors.New("object: checksum algorithm does not match the upload")
	// ErrObjectSizeMismatch reports an x-amz-mp-object-size that differs
	// from the completed object's size (S3 InvalidRequest).
	ErrObjectSizeMismatch = errors.New("object: object size does not match x-amz-mp-object-size")
	// ErrMalformedPolicy reports a bucket policy that does not parse or is
	// not valid for the bucket (S3 MalformedPolicy, 400).
	ErrMalformedPolicy = errors.New("object: malformed bucket policy")
	// ErrNoSuchBucketPolicy reports a bucket without a policy (S3
	// NoSuchBucketPolicy, 404).
	ErrNoSuchBucketPolicy = errors.New("object: no bucket policy")
)

// Checksums holds S3 flexible checksums, base64-encoded as on the wire,
// keyed by lower-case algorithm name: "crc32", "crc32c", "crc64nvme",
// "sha1", "sha256". Type is "FULL_OBJECT" or "COMPOSITE" (multipart).
type Checksums struct {
	Values map[string]string
	Type   string
}

// PutInput describes one object (or part) upload. Body yields exactly Size
// bytes of plaintext (Size -1 when unknown); the layer verifies every digest
// given here before anything becomes visible.
type PutInput struct {
	Bucket, Key string
	Body        io.Reader
	Size        int64
	// ContentMD5 is the raw 16-byte digest from Content-MD5, or nil.
	ContentMD5 []byte
	// ContentSHA256 is the raw 32-byte x-amz-content-sha256 payload hash
	// when the client signed one, or nil (UNSIGNED-PAYLOAD, streaming forms).
	ContentSHA256 []byte
	// Checksums the client claims (headers, or trailers resolved by the
	// time Body returns io.EOF: see TrailerChecksums).
	Checksums map[string]string
	// TrailerChecksums, when set, is called after Body hits io.EOF and
	// returns the checksums that arrived as trailers.
	TrailerChecksums func() map[string]string
	// ChecksumAlgorithm names an algorithm the client asked the server to
	// compute and store (x-amz-sdk-checksum-algorithm), or "".
	ChecksumAlgorithm string
	Meta              ObjectMeta
	Owner             string // account id of the writer
	// Cond makes the write conditional on what the key holds now
	// (If-None-Match / If-Match).
	Cond WriteCondition
	// Lock is the Object Lock state requested with the upload
	// (x-amz-object-lock-* headers); zero takes the bucket's default
	// retention, if any.
	Lock LockInput
}

// WriteCondition is a conditional write: PutObject or
// CompleteMultipartUpload with If-None-Match: * or If-Match. It is checked
// before any data is written and again, atomically, at the commit, so of
// two racing create-only writes exactly one succeeds.
type WriteCondition struct {
	// IfNoneMatch writes only if the key holds no object (If-None-Match: *);
	// otherwise ErrPreconditionFailed.
	IfNoneMatch bool
	// IfMatch writes only over an object with this ETag (without quotes;
	// "*" matches any object): a different ETag is ErrPreconditionFailed,
	// no object at all ErrNoSuchKey, as S3 answers.
	IfMatch string
}

// IsZero reports whether c imposes nothing.
func (c WriteCondition) IsZero() bool { return !c.IfNoneMatch && c.IfMatch == "" }

// ObjectMeta is the user-visible metadata stored with an object.
type ObjectMeta struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// User holds x-amz-meta-* entries with lower-case names, without prefix.
	User map[string]string
	// Tags is the tag set (x-amz-tagging) a PutObject or
	// CreateMultipartUpload gives the object it writes. Tags are stored
	// apart from the signed manifest (they change independently), so
	// ObjectInfo.Meta never carries them: see GetObjectTagging.
	Tags []Tag `json:",omitempty"`
	// Lock is the Object Lock state (x-amz-object-lock-* headers) a
	// CreateMultipartUpload asks for: checked when the upload is created,
	// kept with it and applied to the version Complete writes, as PutInput.Lock
	// is on PUT. Like Tags it is never part of ObjectInfo.Meta (the
	// version's state is ObjectInfo.Lock).
	Lock *LockInput `json:",omitempty"`
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Bucket, Key  string
	Size         int64
	ETag         string // without quotes
	LastModified time.Time
	Meta         ObjectMeta
	Checksums    Checksums
	PartsCount   int // 0 for a single PUT
	Owner        string
	// VersionID is the S3 version id: "" in a bucket whose versioning was
	// never configured, "null" for a null version, else an opaque id.
	VersionID string
	// Lock is the version's Object Lock state (signed with its manifest).
	Lock LockState
	// TagCount is the number of tags the object has; set by GetObject
	// and HeadObject only (x-amz-tagging-count).
	TagCount int
	// Encryption is how the object's key was chosen (SSE-S3, KMS, SSE-C).
	Encryption EncryptionInfo
}

// Range is a resolved byte range [Start, Start+Length).
type Range struct {
	Start, Length int64
}

// Conditions are the conditional-request headers of GET/HEAD/COPY.
type Conditions struct {
	IfMatch, IfNoneMatch               string
	IfModifiedSince, IfUnmodifiedSince time.Time
}

// GetInput selects what to read.
type GetInput struct {
	Bucket, Key string
	// RangeHeader is the raw Range header value ("" for the whole object).
	RangeHeader string
	PartNumber  int // 0: whole object
	Cond        Conditions
	// HeadOnly resolves metadata, conditions and the range without
	// opening any data (HEAD); WriteTo then opens the data itself.
	HeadOnly bool
	// VersionID selects a version ("" = the current one).
	VersionID string
}

// Object is an opened object ready to stream.
type Object struct {
	Info ObjectInfo
	// Range is the byte range WriteTo will produce.
	Range Range
	// Partial is true when a Range or partNumber was applied (206).
	Partial bool
	// WriteTo streams the selected bytes, verifying and decrypting as it goes.
	WriteTo func(ctx context.Context, w io.Writer) (int64, error)
}

// CopyInput describes CopyObject and UploadPartCopy sources.
type CopyInput struct {
	SrcBucket, SrcKey string
	// SrcVersionID selects a source version ("" = the current one).
	SrcVersionID string
	Cond         Conditions
	// SrcRange is "bytes=a-b" for UploadPartCopy, or "".
	SrcRange string
	// ReplaceMeta selects x-amz-metadata-directive REPLACE (Meta is used).
	ReplaceMeta bool
	Meta        ObjectMeta
	Owner       string
	// Lock is the Object Lock state asked for the copy (CopyObject only);
	// zero takes the destination bucket's default retention.
	Lock LockInput
	// ReplaceTags selects x-amz-tagging-directive REPLACE: the copy gets
	// Tags; otherwise it gets the source's tags. UploadPartCopy ignores both.
	ReplaceTags bool
	Tags        []Tag
}

// ListInput holds ListObjects V1/V2 parameters (already URL-decoded).
type ListInput struct {
	Bucket, Prefix, Delimiter string
	// Marker is V1 marker, V2 start-after or a decoded continuation token.
	Marker  string
	MaxKeys int
}

// ListResult is a page of a listing.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextMarker is the last key or prefix returned when truncated.
	NextMarker string
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
	Owner   string
	Region  string
	// Redundancy is the layout of the bucket's new objects.
	Redundancy Redundancy
	// KMSKeyID is the bucket's default KMS key, "" for SSE-S3.
	KMSKeyID string
}

// CreateBucketInput describes a bucket to create.
type CreateBucketInput struct {
	Bucket, Owner, Region string
	// Redundancy is the bucket's data layout; zero takes the store's
	// default (Options.Redundancy).
	Redundancy Redundancy
	// ObjectLock creates the bucket with Object Lock enabled, which also
	// enables versioning (x-amz-bucket-object-lock-enabled: true).
	ObjectLock bool
}

// Upload describes a multipart upload in progress.
type Upload struct {
	Bucket, Key, UploadID string
	Initiated             time.Time
	Owner                 string
	ChecksumAlgorithm     string
	// ChecksumType is "COMPOSITE" or "FULL_OBJECT" when ChecksumAlgorithm
	// is set (see MultipartChecksum), else "".
	ChecksumType string
	// Encryption is how the upload's key was chosen.
	Encryption EncryptionInfo
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	PartNumber   int
	ETag         string
	Size         int64
	LastModified time.Time
	Checksums    map[string]string
	// Encryption is how the part's upload key was chosen (UploadPart and
	// UploadPartCopy answers only).
	Encryption EncryptionInfo
}

// CompletePart is one entry of a CompleteMultipartUpload request.
type CompletePart struct {
	PartNumber int
	ETag       string
	Checksums  map[string]string
}

// CompleteOptions are what a client declares about the object a
// CompleteMultipartUpload produces. The layer checks them after validating
// the parts and before the manifest commit, so a mismatch leaves the upload
// exactly as it was: it can be completed again correctly, or aborted. The
// zero value declares nothing.
type CompleteOptions struct {
	// Cond makes the completion conditional on what the key holds now.
	Cond WriteCondition
	// Checksums holds x-amz-checksum-<algo> header values by lower-case
	// algorithm (at most one): the base64 whole-object value for a
	// FULL_OBJECT upload, or for a COMPOSITE one the checksum of the part
	// checksums with or without its "-N" part-count suffix. An algorithm
	// other than the upload's is ErrChecksumAlgorithmMismatch; a different
	// value is ErrChecksumMismatch.
	Checksums map[string]string
	// ChecksumType is x-amz-checksum-type ("FULL_OBJECT" or "COMPOSITE"),
	// or "". One that differs from the upload's is ErrChecksumMismatch, as
	// S3 answers BadDigest.
	ChecksumType string
	// ObjectSize is x-amz-mp-object-size, checked when CheckObjectSize is
	// set; a different total size is ErrObjectSizeMismatch.
	ObjectSize      int64
	CheckObjectSize bool
	// VersionID, when set and the bucket's versioning is Enabled, gives
	// the id of the version the completion makes (NewVersionID); it is
	// called once, just before the commit. A gateway whose answer leaves
	// before the commit (a streamed Complete) calls it first to name the
	// version in its headers. Nil mints one at the commit.
	VersionID func() (string, error)
}

// Layer is the object layer the gateway talks to.
type Layer interface {
	ListBuckets(ctx context.Context, owner string) ([]BucketInfo, error)
	CreateBucket(ctx context.Context, bucket, owner, region string) error
	CreateBucketWith(ctx context.Context, in CreateBucketInput) error
	HeadBucket(ctx context.Context, bucket string) (BucketInfo, error)
	DeleteBucket(ctx context.Context, bucket string) error

	// PutBucketPolicy validates and stores a bucket policy document
	// verbatim; GetBucketPolicy returns it (ErrNoSuchBucketPolicy when
	// there is none); DeleteBucketPolicy removes it.
	PutBucketPolicy(ctx context.Context, bucket string, doc []byte) error
	GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error)
	DeleteBucketPolicy(ctx context.Context, bucket string) error

	// PutBucketTagging validates (ErrInvalidTag) and replaces the bucket's
	// tag set; GetBucketTagging returns it (ErrNoSuchTagSet when there is
	// none); DeleteBucketTagging removes it.
	PutBucketTagging(ctx context.Context, bucket string, tags []Tag) error
	GetBucketTagging(ctx context.Context, bucket string) ([]Tag, error)
	DeleteBucketTagging(ctx context.Context, bucket string) error

	// PutObjectTagging validates (ErrInvalidTag) and replaces the tag set
	// of an existing object; GetObjectTagging returns it (empty when it has
	// none); DeleteObjectTagging removes it. A missing object is
	// ErrNoSuchKey.
	PutObjectTagging(ctx context.Context, bucket, key string, tags []Tag) error
	GetObjectTagging(ctx context.Context, bucket, key string) ([]Tag, error)
	DeleteObjectTagging(ctx context.Context, bucket, key string) error

	PutObject(ctx context.Context, in PutInput) (ObjectInfo, error)
	GetObject(ctx context.Context, in GetInput) (*Object, error)
	HeadObject(ctx context.Context, in GetInput) (ObjectInfo, error)
	GetObjectAttributes(ctx context.Context, bucket, key string) (ObjectAttributes, error)
	DeleteObject(ctx context.Context, bucket, key string) error
	CopyObject(ctx context.Context, src CopyInput, dstBucket, dstKey string) (ObjectInfo, error)
	ListObjects(ctx context.Context, in ListInput) (ListResult, error)

	CreateMultipartUpload(ctx context.Context, bucket, key string, meta ObjectMeta, checksumAlgo, owner string) (Upload, error)
	UploadPart(ctx context.Context, uploadID string, partNumber int, in PutInput) (PartInfo, error)
	UploadPartCopy(ctx context.Context, uploadID string, partNumber int, dstBucket, dstKey string, src CopyInput) (PartInfo, error)
	CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, opts CompleteOptions) (ObjectInfo, error)
	AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error
	ListParts(ctx context.Context, bucket, key, uploadID string, marker, maxParts int) (parts []PartInfo, truncated bool, next int, err error)
	ListMultipartUploads(ctx context.Context, bucket, prefix, delimiter, keyMarker, uploadIDMarker string, maxUploads int) (uploads []Upload, prefixes []string, truncated bool, err error)
}
