package s3err

import (
	"context"
	"errors"
	"os"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/erasure"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/manifest"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/sigv4"
	"github.com/tasmaniancloud/rustfs/storage"
)

// sentinel maps one Go sentinel error to its S3 code. message, when set,
// replaces the table's default message for this cause.
type sentinel struct {
	err     error
	code    string
	message string
}

// sentinels is searched in order with errors.Is; more specific causes come
// first because a wrapped chain may match several rows (an object error
// wrapping a storage error, for example).
var sentinels = []sentinel{
	{object.ErrNoSuchBucket, NoSuchBucket, ""},
	{object.ErrBucketExists, BucketAlreadyExists, ""},
	{object.ErrBucketAlreadyOwned, BucketAlreadyOwnedByYou, ""},
	{object.ErrBucketNotEmpty, BucketNotEmpty, ""},
	{object.ErrInvalidBucketName, InvalidBucketName, ""},
	{object.ErrNoSuchKey, NoSuchKey, ""},
	{object.ErrInvalidKey, InvalidArgument, "The specified object key is not valid."},
	{object.ErrInvalidRange, InvalidRange, ""},
	{object.ErrPreconditionFailed, PreconditionFailed, ""},
	{object.ErrNotModified, NotModified, ""},
	{object.ErrBadDigest, BadDigest, "The Content-MD5 you specified did not match what we received."},
	{object.ErrChecksumMismatch, BadDigest, "The checksum you specified did not match the calculated checksum."},
	{object.ErrSHA256Mismatch, XAmzContentSHA256Mismatch, ""},
	{object.ErrIncompleteBody, IncompleteBody, ""},
	{object.ErrEntityTooLarge, EntityTooLarge, ""},
	{object.ErrEntityTooSmall, EntityTooSmall, ""},
	{object.ErrNoSuchUpload, NoSuchUpload, ""},
	{object.ErrInvalidPart, InvalidPart, ""},
	{object.ErrInvalidPartOrder, InvalidPartOrder, ""},
	// Before ErrTampered: a damaged manifest wraps both, and the message must say what to do.
	{object.ErrDamagedMetadata, IntegrityCheckFailed, "The stored metadata of this object or upload is damaged and cannot be read. Delete or overwrite the key."},
	{object.ErrTampered, IntegrityCheckFailed, ""},
	// Before ErrDataUnavailable: a failed write wraps both, and its message must talk about writing.
	{dataplane.ErrWriteQuorum, ServiceUnavailable, "Too few storage devices accepted the write. Please retry."},
	{object.ErrDataUnavailable, ServiceUnavailable, "Too many storage devices are unavailable to read the object. Please retry."},
	{object.ErrInvalidArgument, InvalidArgument, ""},
	{object.ErrMetadataTooLarge, MetadataTooLarge, ""},
	// S3 answers a partNumber the object does not have with 400
	// InvalidPart (the s3-tests suite checks it), not 416.
	{object.ErrInvalidPartNumber, InvalidPart, "The requested part number does not exist in this object."},
	{object.ErrKeyTooLong, KeyTooLongError, ""},
	{object.ErrChecksumAlgorithmMismatch, InvalidRequest, "The checksum algorithm you specified does not match the one the multipart upload was created with."},
	{object.ErrMalformedPolicy, MalformedPolicy, ""},
	{object.ErrNoSuchBucketPolicy, NoSuchBucketPolicy, ""},
	{object.ErrInvalidTag, InvalidTag, ""},
	{object.ErrNoSuchTagSet, NoSuchTagSet, ""},
	{object.ErrObjectSizeMismatch, InvalidRequest, "The provided x-amz-mp-object-size does not match the size of the completed object."},

	{iam.ErrAccessDenied, AccessDenied, ""},

	{kdf.ErrTampered, IntegrityCheckFailed, ""},
	{kdf.ErrUnsupported, InternalError, ""},
	{kdf.ErrClosed, ServiceUnavailable, ""},

	// Engine errors the object layer should have translated; mapped here
	// so a missed wrap still reaches the client with the right meaning.
	{dataplane.ErrTooLarge, EntityTooLarge, ""},
	{dataplane.ErrShortBody, IncompleteBody, ""},
	{dataplane.ErrRange, InvalidRange, ""},
	{dataplane.ErrUnrecoverable, ServiceUnavailable, "Too many storage devices are unavailable to read the object. Please retry."},
	{erasure.ErrTooManyMissing, ServiceUnavailable, "Too many storage devices are unavailable to read the object. Please retry."},
	{aead.ErrOpen, IntegrityCheckFailed, ""},
	{erasure.ErrCorrupt, IntegrityCheckFailed, ""},
	{manifest.ErrMalformed, IntegrityCheckFailed, ""},
	{manifest.ErrUnsupportedVersion, InternalError, ""},
	{storage.ErrPlacement, ServiceUnavailable, "Too few storage devices are available to place the object. Please retry."},

	{storage.ErrCorrupt, IntegrityCheckFailed, "The stored metadata of this key is damaged beyond repair; DELETE or overwrite the key."},
	{storage.ErrUnavailable, ServiceUnavailable, "The storage backend did not answer in time. Please retry."},
	{storage.ErrPrecondition, OperationAborted, ""},
	{storage.ErrInvalid, InvalidArgument, "The request names a key or value the storage backend cannot hold."},
	// A bare storage.ErrNotFound means the object layer failed to translate
	// it: a server bug, not a missing object.
	{storage.ErrNotFound, InternalError, ""},

	{context.DeadlineExceeded, ServiceUnavailable, "The request took too long to complete. Please retry."},
	{context.Canceled, ServiceUnavailable, "The request was cancelled. Please retry."},
	// A socket deadline expired while reading the body or writing the answer.
	{os.ErrDeadlineExceeded, RequestTimeout, ""},
}

// From maps any error to the S3 error the client receives. nil stays nil;
// an *Error is returned as is; anything unrecognised is an InternalError that
// keeps err for the log but never shows it to the client.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		out := New(se.Code)
		if se.Msg != "" {
			out.Message = se.Msg
		}
		out.Err = err
		return out
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			out := Wrap(s.code, err)
			if s.message != "" {
				out.Message = s.message
			}
			return out
		}
	}
	return Wrap(InternalError, err)
}
