package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"strings"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// postWrite is what a POST form asks of the write beyond the file and
// its metadata: tags, Object Lock state and integrity checks. The fields
// carry PutObject's header names (the tagging field excepted) and are
// checked as those headers are.
type postWrite struct {
	tags []object.Tag
	lock object.LockInput
	// lockSent: some x-amz-object-lock-* field was sent (legal hold OFF
	// alone included), which makes this a lock write, as on PUT.
	lockSent bool
	// holdSent: x-amz-object-lock-legal-hold was sent.
	holdSent bool
	md5      []byte
	sums     checksumRequest
}

// parsePostWrite reads the tagging, x-amz-object-lock-*, Content-MD5 and
// x-amz-checksum-* fields of a POST form (lower-case names).
//
// tagging is a Tagging XML document, as S3 takes it on POST (PUT's
// x-amz-tagging header is URL-encoded instead); it goes through
// PutObjectTagging's parser, so the same limits give the same
// InvalidTag, and a bad document the same MalformedXML.
func parsePostWrite(f map[string]string) (postWrite, error) {
	var w postWrite
	get := func(n string) (string, bool) { v, ok := f[n]; return v, ok }
	if doc, ok := f["tagging"]; ok {
		tags, err := parseTagging([]byte(doc), object.MaxObjectTags)
		if err != nil {
			return postWrite{}, err
		}
		w.tags = tags
	}
	lock, err := lockValuesFrom(get)
	if err != nil {
		return postWrite{}, err
	}
	w.lock = lock
	for name := range f {
		if strings.HasPrefix(name, "x-amz-object-lock-") {
			w.lockSent = true
		}
	}
	_, w.holdSent = f["x-amz-object-lock-legal-hold"]
	if v, ok := f["content-md5"]; ok {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil || len(raw) != md5.Size {
			return postWrite{}, s3err.New(s3err.InvalidDigest)
		}
		w.md5 = raw
	}
	if w.sums, err = postChecksums(f); err != nil {
		return postWrite{}, err
	}
	return w, nil
}

// postChecksums reads the flexible-checksum fields of a POST form: one
// x-amz-checksum-<algorithm> value (verified against the file by the
// object layer, BadDigest on a mismatch) and x-amz-checksum-algorithm
// (the checksum to compute and store; it must agree with a value field).
// An unknown algorithm or a malformed value is refused, never ignored, as
// on PUT.
func postChecksums(f map[string]string) (checksumRequest, error) {
	var c checksumRequest
	for name, v := range f {
		algo, ok := strings.CutPrefix(name, "x-amz-checksum-")
		if !ok || checksumContextHeaders[name] {
			continue
		}
		size, known := checksumSizes[algo]
		if !known {
			return c, s3err.Newf(s3err.InvalidRequest, "The checksum field %s is not supported.", name)
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(raw) != size {
			return c, s3err.Newf(s3err.InvalidRequest, "Value for %s header is invalid.", name)
		}
		if c.values != nil {
			return c, s3err.Newf(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		c.values, c.algorithm = map[string]string{algo: v}, algo
	}
	if v, ok := f["x-amz-checksum-algorithm"]; ok {
		algo := strings.ToLower(strings.TrimSpace(v))
		if _, known := checksumSizes[algo]; !known || (c.algorithm != "" && c.algorithm != algo) {
			return c, s3err.Newf(s3err.InvalidRequest, "Value for x-amz-checksum-algorithm header is invalid.")
		}
		c.algorithm = algo
	}
	return c, nil
}

// postLockIntegrity applies PutObject's Object Lock checksum rule to a
// POST: a form with lock fields, or any form into a bucket with a default
// retention, must carry a Content-MD5 or an x-amz-checksum-<algorithm>
// field, else 400 InvalidRequest.
//
// Why the rule holds for POST as for PUT: S3 demands an integrity check
// on every write that creates a retained or held version (its message
// names "Content-MD5 OR x-amz-checksum-", not the transport), and a POST
// needs it more than a PUT: its signature covers the policy only, never
// the file, so nothing else proves the locked bytes are the ones sent.
// S3 documents Content-MD5 as a POST form field and takes the checksum
// fields under the header names, so the form has the means. One
// difference from PUT: x-amz-checksum-algorithm alone does not count.
// On PUT the SDK header announces a value in a trailer; a form has no
// trailer, so the algorithm without a value would store a checksum
// nobody checked.
func (r *request) postLockIntegrity(w postWrite) error {
	var in object.PutInput
	in.ContentMD5, in.Checksums = w.md5, w.sums.values
	return r.lockIntegrity(in, "Post Object", !w.lock.IsZero() || w.lockSent)
}

// authorizeHeaderExtras is authorizeWriteExtras for PutObject,
// CreateMultipartUpload and CopyObject, whose tags and lock state come
// from headers. Their operation's own authorization made r.authz, with
// the x-amz-tagging tags as s3:RequestObjectTag/<key>, so no operation
// is named here (the operations refer to these handlers).
func (r *request) authorizeHeaderExtras(tags []object.Tag, lock object.LockInput) error {
	_, holdSent := r.hdr.get("x-amz-object-lock-legal-hold")
	return r.s.authorizeWriteExtras(r, nil, tags, lock, holdSent)
}

// authorizeWriteExtras asks, beyond s3:PutObject, for the permissions of
// what a write sets besides the object, as S3 does for PutObject: tags
// need s3:PutObjectTagging, a retention s3:PutObjectRetention, a legal
// hold s3:PutObjectLegalHold. r.authz already holds the request's
// condition keys (s3:RequestObjectTag/<key> among them), so a bucket
// policy conditioned on the tags decides these as it decides the
// PutObject.
func (s *Server) authorizeWriteExtras(r *request, op *operation, tags []object.Tag, lock object.LockInput, holdSent bool) error {
	if len(tags) > 0 {
		if err := s.authorizeAction(r, op, iam.PutObjectTagging, r.bucket, r.key); err != nil {
			return err
		}
	}
	if lock.Mode != "" {
		if err := s.authorizeAction(r, op, iam.PutObjectRetention, r.bucket, r.key); err != nil {
			return err
		}
	}
	if holdSent {
		if err := s.authorizeAction(r, op, iam.PutObjectLegalHold, r.bucket, r.key); err != nil {
			return err
		}
	}
	return nil
}
