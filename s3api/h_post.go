package s3api

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// opPostObject is a browser form upload: authorized exactly as a PutObject
// by the policy's signer.
var opPostObject = &operation{"PostObject", iam.PutObject, nil}

// postResponse is the 201 answer document.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// isPostObject reports a POST form upload to a bucket: it carries its own
// signature (the policy), so it is served before header authentication.
func (r *request) isPostObject() bool {
	if r.method != http.MethodPost || r.bucket == "" || r.key != "" || r.rawQuery != "" {
		return false
	}
	_, ok := postBoundary(r.hdr.value("content-type"))
	return ok
}

// servePostObject runs a POST form upload through the auth gate.
func (s *Server) servePostObject(r *request) string {
	att, err := s.beginAuth(r)
	if err != nil {
		r.writeError(err)
		return "SlowDown"
	}
	if err := r.postObject(&att); err != nil {
		r.writeError(err)
	}
	return opPostObject.name
}

// postObject reads the form, verifies the policy signature and every
// condition, authorizes a PutObject for the signer, then streams the file
// through the normal PUT path.
func (r *request) postObject(att *authAttempt) error {
	boundary, _ := postBoundary(r.hdr.value("content-type"))
	cl, hasCL := r.contentLength()
	if hasCL && cl < 0 {
		return s3err.Newf(s3err.InvalidArgument, "Content-Length is not a valid length.")
	}
	if hasCL && cl > r.s.o.MaxObjectSize {
		return s3err.New(s3err.EntityTooLarge)
	}
	limit := r.s.o.MaxObjectSize
	if hasCL {
		limit = cl
	}
	form, err := readPostForm(r.s.newBodyReader(r, limit, hasCL), boundary)
	if err != nil {
		att.release()
		return err
	}
	f := form.fields
	if _, v2 := f["awsaccesskeyid"]; v2 {
		att.fail(r, s3err.AccessDenied)
		return s3err.Newf(s3err.AccessDenied, "POST forms signed with Signature Version 2 are not supported; sign the policy with AWS4-HMAC-SHA256.")
	}
	if f["policy"] == "" || f["x-amz-signature"] == "" {
		att.fail(r, s3err.AccessDenied)
		return s3err.Newf(s3err.AccessDenied, "A POST upload needs a signed policy: the policy and x-amz-signature form fields.")
	}
	ident, err := r.s.o.Verifier.VerifyPostPolicy(sigv4.PostPolicy{
		Algorithm: f["x-amz-algorithm"], Credential: f["x-amz-credential"], Date: f["x-amz-date"],
		Signature: f["x-amz-signature"], Policy: f["policy"],
	})
	if err != nil {
		att.fail(r, s3err.From(err).Code)
		return err
	}
	att.succeed(ident.AccessKey)
	r.ident = ident
	acct, user := iam.SplitAccount(ident.Account)
	r.principal = iam.Principal{Account: acct, User: user, AccessKey: ident.AccessKey}

	pol, err := parsePostPolicy(f["policy"])
	if err != nil {
		return err
	}
	key, ok := f["key"]
	if !ok || key == "" {
		return s3err.Newf(s3err.InvalidArgument, "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	key = strings.ReplaceAll(key, "${filename}", form.filename)
	f["key"] = key
	f["bucket"] = r.bucket
	if err := pol.check(time.Now(), f); err != nil {
		return err
	}
	r.key = key
	// The write's own fields are read before authorizing, so a bucket
	// policy sees the form's tags as s3:RequestObjectTag/<key>; fields
	// that do not parse are refused after authorization, as PUT refuses
	// a bad x-amz-tagging header.
	w, werr := parsePostWrite(f)
	pc := r.policyContext(opPostObject)
	pc.Set("s3:authType", "POST") // AWS's value for browser form uploads
	for _, c := range [...]struct{ field, key string }{
		{"acl", "s3:x-amz-acl"},
		{hSSE, "s3:x-amz-server-side-encryption"},
	} {
		// The form's, not a header: a POST's headers set nothing.
		delete(pc, strings.ToLower(c.key))
		if v, ok := f[c.field]; ok {
			pc.Set(c.key, v)
		}
	}
	setRequestTags(pc, w.tags)
	r.authz = policy.WithRequestContext(r.cx, pc)
	if err := r.s.authorizeAction(r, opPostObject, iam.PutObject, r.bucket, key); err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	if err := r.s.authorizeWriteExtras(r, opPostObject, w.tags, w.lock, w.holdSent); err != nil {
		return err
	}
	meta, err := postMeta(f)
	if err != nil {
		return err
	}
	meta.Tags = w.tags
	// Encryption fields are taken as PutObject takes the headers: AES256,
	// aws:kms with a key id (or the bucket's default KMS key), or SSE-C
	// (only over TLS).
	if err := r.applySSEFrom(func(n string) (string, bool) { v, ok := f[n]; return v, ok }, sseCreate); err != nil {
		return err
	}
	status, redirect, err := postSuccess(f)
	if err != nil {
		return err
	}
	if err := r.postLockIntegrity(w); err != nil {
		return err
	}
	fr := &postFileReader{src: form.file, max: r.s.o.MaxObjectSize, pol: pol}
	if pol.hasRange {
		fr.min, fr.max = pol.minLen, min(pol.maxLen, fr.max)
	} else {
		pol.maxLen = fr.max
	}
	info, err := r.s.o.Layer.PutObject(r.cx, object.PutInput{
		Bucket: r.bucket, Key: key, Body: fr, Size: -1, Meta: meta, Owner: r.principal.Account,
		ContentMD5: w.md5, Checksums: w.sums.values, ChecksumAlgorithm: w.sums.algorithm, Lock: w.lock,
	})
	if err != nil {
		return err
	}
	r.setVersionHeader(info.VersionID)
	r.setChecksumHeaders(info.Checksums.Values, info.Checksums.Type)
	etag := quoteETag(info.ETag)
	r.setHeader("ETag", etag)
	r.setEncryptionHeaders(info.Encryption)
	if info.Encryption.CustomerKey {
		r.setHeader(hSSECKeyMD5, f[hSSECKeyMD5]) // the form's, not a header
	}
	loc := r.location()
	r.setHeader("Location", loc)
	if redirect != "" {
		u, _ := url.Parse(redirect) // validated by postSuccess
		q := u.Query()
		q.Set("bucket", r.bucket)
		q.Set("key", key)
		q.Set("etag", etag)
		u.RawQuery = q.Encode()
		r.setHeader("Location", u.String())
		r.writeEmpty(http.StatusSeeOther)
		return nil
	}
	if status == http.StatusCreated {
		return r.writeXML(http.StatusCreated, postResponse{Location: loc, Bucket: r.bucket, Key: key, ETag: etag})
	}
	r.writeEmpty(status)
	return nil
}

// postMeta maps the form's header-like fields to object metadata and
// refuses the ones this server does not implement rather than drop them.
// Tagging, Object Lock, Content-MD5 and checksum fields are
// parsePostWrite's; encryption fields applySSEFrom's.
func postMeta(f map[string]string) (object.ObjectMeta, error) {
	m := object.ObjectMeta{
		ContentType:        f["content-type"],
		CacheControl:       f["cache-control"],
		ContentDisposition: f["content-disposition"],
		ContentEncoding:    f["content-encoding"],
		Expires:            f["expires"],
	}
	total := 0
	for name, v := range f {
		switch {
		case strings.HasPrefix(name, "x-amz-meta-"):
			user := strings.TrimPrefix(name, "x-amz-meta-")
			if user == "" {
				return m, s3err.Newf(s3err.InvalidArgument, "Empty x-amz-meta- field name.")
			}
			if m.User == nil {
				m.User = map[string]string{}
			}
			m.User[user] = v
			total += len(user) + len(v)
		case name == "acl":
			if v != "private" && v != "bucket-owner-full-control" {
				return m, s3err.Newf(s3err.NotImplemented, "Canned ACL %q is not implemented; every object is private to its account.", v)
			}
		case name == "x-amz-storage-class":
			if v != "STANDARD" {
				return m, s3err.Newf(s3err.InvalidStorageClass, "The storage class %q is not supported; use STANDARD.", v)
			}
		case postSSEFields[name]:
			// Checked by applySSEFrom, as the headers of a PUT are.
		case strings.HasPrefix(name, "x-amz-copy-source"):
			return m, s3err.Newf(s3err.InvalidArgument, "The POST form field %s is only valid on CopyObject and UploadPartCopy.", name)
		case strings.HasPrefix(name, "x-amz-object-lock-") && !postLockFields[name]:
			return m, s3err.Newf(s3err.InvalidArgument, "The POST form field %s is not an Object Lock parameter.", name)
		case strings.HasPrefix(name, "x-amz-server-side-encryption-"), name == "x-amz-website-redirect-location",
			strings.HasPrefix(name, "x-amz-grant-"), name == "x-amz-write-offset-bytes":
			return m, s3err.Newf(s3err.NotImplemented, "The POST form field %s is not implemented.", name)
		}
	}
	if total > maxUserMetadata {
		return m, s3err.New(s3err.MetadataTooLarge)
	}
	return m, nil
}

// postLockFields are the Object Lock form fields, PutObject's headers.
var postLockFields = map[string]bool{
	"x-amz-object-lock-mode": true, "x-amz-object-lock-retain-until-date": true, "x-amz-object-lock-legal-hold": true,
}

// postSSEFields are the encryption form fields S3 takes on a POST upload,
// under the names of PutObject's headers.
var postSSEFields = map[string]bool{
	hSSE: true, hSSEKMSKeyID: true, hSSEContext: true, hSSEBucketKey: true,
	hSSECAlgorithm: true, hSSECKey: true, hSSECKeyMD5: true,
}

// postSuccess reads success_action_status (200, 201 or 204; anything else
// is 204, as S3 answers) and success_action_redirect (or redirect).
func postSuccess(f map[string]string) (int, string, error) {
	redirect := f["success_action_redirect"]
	if redirect == "" {
		redirect = f["redirect"]
	}
	if redirect != "" {
		u, err := url.Parse(redirect)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return 0, "", s3err.Newf(s3err.InvalidArgument, "success_action_redirect must be an absolute http(s) URL.")
		}
	}
	switch f["success_action_status"] {
	case "200":
		return http.StatusOK, redirect, nil
	case "201":
		return http.StatusCreated, redirect, nil
	}
	return http.StatusNoContent, redirect, nil
}
