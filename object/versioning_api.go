package object

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Versioning and Object Lock errors (mapped by package s3err).
var (
	// ErrNoSuchVersion reports a well-formed version id the key does not
	// have (S3 NoSuchVersion, 404).
	ErrNoSuchVersion = errors.New("object: no such version")
	// ErrMethodNotAllowed reports a GET/HEAD of a delete marker by version
	// id (S3 MethodNotAllowed, 405).
	ErrMethodNotAllowed = errors.New("object: method not allowed on a delete marker")
	// ErrObjectLocked reports a delete or retention change that a version's
	// Object Lock retention or legal hold forbids (S3 AccessDenied, 403).
	ErrObjectLocked = errors.New("object: version is protected by Object Lock")
	// ErrInvalidRequest reports a request S3 refuses with InvalidRequest
	// (400), such as lock headers on a bucket without Object Lock.
	ErrInvalidRequest = errors.New("object: invalid request")
	// ErrInvalidBucketState reports a configuration change the bucket's
	// state forbids (S3 InvalidBucketState, 409), such as suspending
	// versioning on an Object Lock bucket.
	ErrInvalidBucketState = errors.New("object: invalid bucket state")
	// ErrNoSuchObjectLockConfiguration reports a version without retention
	// or legal hold, or a bucket without Object Lock, asked for it (404).
	ErrNoSuchObjectLockConfiguration = errors.New("object: no object lock configuration")
	// ErrMalformedXML reports a configuration document with invalid values.
	ErrMalformedXML = errors.New("object: malformed configuration")
)

// DeleteMarkerError reports that the version a request reached is a delete
// marker: GET/HEAD of a key whose latest version is one (Err wraps
// ErrNoSuchKey) or of a marker by version id (ErrMethodNotAllowed). S3
// answers both with x-amz-delete-marker: true and the marker's version id.
type DeleteMarkerError struct {
	VersionID string
	Err       error
}

func (e *DeleteMarkerError) Error() string {
	return fmt.Sprintf("object: delete marker %s: %v", e.VersionID, e.Err)
}

func (e *DeleteMarkerError) Unwrap() error { return e.Err }

// Bucket versioning states (GetBucketVersioning's Status).
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// Object Lock retention modes.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
)

// NullVersion is the version id of the null version.
const NullVersion = "null"

// LockInput is the Object Lock state a PUT asks for. Mode and RetainUntil
// go together; LegalHold is independent.
type LockInput struct {
	Mode        string
	RetainUntil time.Time
	LegalHold   bool
}

// IsZero reports whether the upload asks for no lock state of its own.
func (l LockInput) IsZero() bool { return l.Mode == "" && l.RetainUntil.IsZero() && !l.LegalHold }

// LockState is a version's Object Lock state.
type LockState struct {
	Mode        string    // "", LockGovernance or LockCompliance
	RetainUntil time.Time // zero without retention
	LegalHold   bool
}

// LockConfig is a bucket's Object Lock configuration: Enabled, and an
// optional default retention (Mode with exactly one of Days or Years).
type LockConfig struct {
	Enabled     bool
	Mode        string
	Days, Years int
}

// VersionListInput holds ListObjectVersions parameters (URL-decoded).
type VersionListInput struct {
	Bucket, Prefix, Delimiter  string
	KeyMarker, VersionIDMarker string
	MaxKeys                    int
}

// VersionInfo is one entry of a version listing: an object version or a
// delete marker (DeleteMarker true; only Key, VersionID, IsLatest,
// LastModified and Owner are set).
type VersionInfo struct {
	ObjectInfo
	IsLatest     bool
	DeleteMarker bool
}

// VersionListResult is a page of ListObjectVersions.
type VersionListResult struct {
	Versions       []VersionInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextKeyMarker and NextVersionIDMarker resume the listing when
	// truncated (NextVersionIDMarker is "" after a common prefix).
	NextKeyMarker, NextVersionIDMarker string
}

// DeleteInput is a DeleteObject request.
type DeleteInput struct {
	Bucket, Key string
	// VersionID deletes that version permanently; "" deletes the current
	// object (unversioned) or adds a delete marker (versioned).
	VersionID string
	// BypassGovernance is x-amz-bypass-governance-retention: true from a
	// caller holding s3:BypassGovernanceRetention (the gateway checks it).
	BypassGovernance bool
}

// DeleteResult is what a delete did: the version id it removed or the
// delete marker it added.
type DeleteResult struct {
	VersionID    string
	DeleteMarker bool
}

// RetentionInput is a PutObjectRetention request. An empty Mode with a
// zero RetainUntil removes the retention (GOVERNANCE with bypass only).
type RetentionInput struct {
	Bucket, Key, VersionID string
	Mode                   string
	RetainUntil            time.Time
	BypassGovernance       bool
}

// Versioner is the versioning and Object Lock part of the object layer.
// *Store implements it; the gateway answers NotImplemented for a Layer
// that does not.
type Versioner interface {
	PutBucketVersioning(ctx context.Context, bucket, status string) error
	// GetBucketVersioning returns "" for a bucket whose versioning was
	// never configured, else VersioningEnabled or VersioningSuspended.
	GetBucketVersioning(ctx context.Context, bucket string) (string, error)
	ListObjectVersions(ctx context.Context, in VersionListInput) (VersionListResult, error)
	DeleteObjectVersion(ctx context.Context, in DeleteInput) (DeleteResult, error)

	PutObjectLockConfiguration(ctx context.Context, bucket string, c LockConfig) error
	GetObjectLockConfiguration(ctx context.Context, bucket string) (LockConfig, error)
	PutObjectRetention(ctx context.Context, in RetentionInput) (string, error)
	GetObjectRetention(ctx context.Context, bucket, key, versionID string) (LockState, error)
	PutObjectLegalHold(ctx context.Context, bucket, key, versionID string, on bool) (string, error)
	GetObjectLegalHold(ctx context.Context, bucket, key, versionID string) (bool, error)
}

var _ Versioner = (*Store)(nil)
