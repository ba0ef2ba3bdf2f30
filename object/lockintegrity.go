package object

import "fmt"

// ErrLockChecksumRequired reports an UploadPart without Content-MD5 or a
// flexible checksum into an upload created with Object Lock parameters:
// S3 demands an integrity check on every byte that a retention will keep
// (InvalidRequest, 400). It wraps ErrInvalidRequest.
var ErrLockChecksumRequired = fmt.Errorf("%w: Content-MD5 or an x-amz-checksum- header is required with Object Lock parameters", ErrInvalidRequest)

// hasIntegrity reports whether a PUT or part carries Content-MD5 or a
// flexible checksum (a header value, a trailer or the SDK's declared
// algorithm). The signed payload hash does not count, as in S3.
func (in *PutInput) hasIntegrity() bool {
	return in.ContentMD5 != nil || len(in.Checksums) > 0 || in.ChecksumAlgorithm != "" || in.TrailerChecksums != nil
}

// checkLockedPart refuses a part of an upload that asked for Object Lock
// retention or a legal hold when the part carries no integrity check.
func checkLockedPart(rec *uploadRecord, in *PutInput) error {
	if rec.Meta.Lock == nil || rec.Meta.Lock.IsZero() || in.hasIntegrity() {
		return nil
	}
	return fmt.Errorf("object: upload %s part: %w", rec.UploadID, ErrLockChecksumRequired)
}
