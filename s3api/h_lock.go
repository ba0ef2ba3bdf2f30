package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// Object Lock documents, as S3 defines them.
type objectLockConfiguration struct {
	XMLName           xml.Name  `xml:"ObjectLockConfiguration"`
	Xmlns             string    `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string    `xml:"ObjectLockEnabled,omitempty"`
	Rule              *lockRule `xml:"Rule,omitempty"`
}

type lockRule struct {
	DefaultRetention struct {
		Mode  string `xml:"Mode,omitempty"`
		Days  int    `xml:"Days,omitempty"`
		Years int    `xml:"Years,omitempty"`
	} `xml:"DefaultRetention"`
}

type retentionDoc struct {
	XMLName         xml.Name `xml:"Retention"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

type legalHoldDoc struct {
	XMLName xml.Name `xml:"LegalHold"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

// maxLockBody bounds the Object Lock request documents.
const maxLockBody = 16 << 10

// parseLockDate parses an ISO 8601 retain-until date.
func parseLockDate(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, s3err.Newf(s3err.InvalidArgument, "The retain until date must be an ISO 8601 date and time.")
	}
	return t, nil
}

// lockHeaders reads the x-amz-object-lock-* headers of a PUT. As S3 does,
// a PUT carrying them, or into a bucket with a default retention, must
// carry an integrity check (Content-MD5 or a flexible checksum).
func (r *request) lockHeaders(in object.PutInput) (object.LockInput, error) {
	l, err := r.lockHeaderValues()
	if err != nil {
		return l, err
	}
	return l, r.lockIntegrity(in, "Put Object", !l.IsZero() || r.hasLockHeaders())
}

// lockIntegrity refuses a PutObject or UploadPart (what names it in S3's
// message) without Content-MD5 or a flexible checksum (header, trailer or
// x-amz-sdk-checksum-algorithm) when it carries Object Lock parameters
// (withLock) or its bucket has a default retention. x-amz-content-sha256
// does not count, as in S3. The bucket's configuration is read only for a
// request without any checksum: the SDKs send one on every upload.
func (r *request) lockIntegrity(in object.PutInput, what string, withLock bool) error {
	if in.ContentMD5 != nil || len(in.Checksums) > 0 || in.ChecksumAlgorithm != "" {
		return nil
	}
	if !withLock {
		def, err := r.bucketDefaultRetention()
		if err != nil || !def {
			return err
		}
	}
	return s3err.Newf(s3err.InvalidRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for %s requests with Object Lock parameters", what)
}

// bucketDefaultRetention reports whether the bucket's Object Lock
// configuration has a default retention. A missing bucket says false: the
// write itself answers NoSuchBucket.
func (r *request) bucketDefaultRetention() (bool, error) {
	v, ok := r.s.o.Layer.(object.Versioner)
	if !ok {
		return false, nil
	}
	c, err := v.GetObjectLockConfiguration(r.cx, r.bucket)
	switch {
	case errors.Is(err, object.ErrNoSuchObjectLockConfiguration), errors.Is(err, object.ErrNoSuchBucket):
		return false, nil
	case err != nil:
		return false, err
	}
	return c.Mode != "", nil
}

// hasLockHeaders reports whether any x-amz-object-lock-* header was sent.
func (r *request) hasLockHeaders() bool {
	for _, h := range r.hdr.h {
		if strings.HasPrefix(h.name, "x-amz-object-lock-") {
			return true
		}
	}
	return false
}

// lockHeaderValues parses the x-amz-object-lock-* headers (PUT, copy).
func (r *request) lockHeaderValues() (object.LockInput, error) {
	return lockValuesFrom(r.hdr.get)
}

// lockValuesFrom parses the x-amz-object-lock-* values get reads: a
// request's headers, or a browser POST form's fields, which S3 takes
// under the same names and checks alike.
func lockValuesFrom(get sseGetter) (object.LockInput, error) {
	var l object.LockInput
	mode, hasMode := get("x-amz-object-lock-mode")
	until, hasUntil := get("x-amz-object-lock-retain-until-date")
	hold, hasHold := get("x-amz-object-lock-legal-hold")
	if !hasMode && !hasUntil && !hasHold {
		return l, nil
	}
	if hasMode != hasUntil {
		return l, s3err.Newf(s3err.InvalidArgument, "x-amz-object-lock-mode and x-amz-object-lock-retain-until-date must both be supplied.")
	}
	if hasMode {
		if mode != object.LockGovernance && mode != object.LockCompliance {
			return l, s3err.Newf(s3err.InvalidArgument, "Unknown wormMode directive.")
		}
		t, err := parseLockDate(until)
		if err != nil {
			return l, err
		}
		l.Mode, l.RetainUntil = mode, t
	}
	if hasHold {
		switch hold {
		case "ON":
			l.LegalHold = true
		case "OFF":
		default:
			return l, s3err.Newf(s3err.InvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'.")
		}
	}
	return l, nil
}

// setLockHeaders writes a version's lock state on GET/HEAD.
func (r *request) setLockHeaders(l object.LockState) {
	if l.Mode != "" {
		r.setHeader("x-amz-object-lock-mode", l.Mode)
		r.setHeader("x-amz-object-lock-retain-until-date", l.RetainUntil.UTC().Format(time.RFC3339))
	}
	if l.LegalHold {
		r.setHeader("x-amz-object-lock-legal-hold", "ON")
	}
}

// putObjectLockConfiguration serves PUT /bucket?object-lock.
func (r *request) putObjectLockConfiguration() error {
	v, err := r.versioner()
	if err != nil {
		return err
	}
	body, err := r.readSmallBody(maxLockBody)
	if err != nil {
		return err
	}
	var doc objectLockConfiguration
	if err := decodeStrict(body, &doc); err != nil {
		return err
	}
	if doc.ObjectLockEnabled != "Enabled" {
		return s3err.Newf(s3err.MalformedXML, "ObjectLockEnabled must be Enabled.")
	}
	c := object.LockConfig{Enabled: true}
	if doc.Rule != nil {
		d := doc.Rule.DefaultRetention
		c.Mode, c.Days, c.Years = d.Mode, d.Days, d.Years
		if c.Mode == "" {
			return s3err.Newf(s3err.MalformedXML, "A default retention rule needs a Mode.")
		}
	}
	if err := v.PutObjectLockConfiguration(r.cx, r.bucket, c); err != nil {
		return err
	}
	r.writeEmpty(http.StatusOK)
	return nil
}

// getObjectLockConfiguration serves GET /bucket?object-lock.
func (r *request) getObjectLockConfiguration() error {
	v, err := r.versioner()
	if err != nil {
		return err
	}
	c, err := v.GetObjectLockConfiguration(r.cx, r.bucket)
	if err != nil {
		if s3err.From(err).Code == s3err.NoSuchObjectLockConfiguration {
			return s3err.New(s3err.ObjectLockConfigurationNotFound)
		}
		return err
	}
	doc := objectLockConfiguration{Xmlns: s3NS, ObjectLockEnabled: "Enabled"}
	if c.Mode != "" {
		doc.Rule = &lockRule{}
		doc.Rule.DefaultRetention.Mode = c.Mode
		doc.Rule.DefaultRetention.Days = c.Days
		doc.Rule.DefaultRetention.Years = c.Years
	}
	return r.writeXML(http.StatusOK, doc)
}

// putObjectRetention serves PUT /bucket/key?retention[&versionId].
func (r *request) putObjectRetention() error {
	v, vid, err := r.versionTarget()
	if err != nil {
		return err
	}
	body, err := r.readSmallBody(maxLockBody)
	if err != nil {
		return err
	}
	var doc retentionDoc
	if err := decodeStrict(body, &doc); err != nil {
		return err
	}
	in := object.RetentionInput{Bucket: r.bucket, Key: r.key, VersionID: vid, Mode: doc.Mode}
	if doc.RetainUntilDate != "" {
		if in.RetainUntil, err = parseLockDate(doc.RetainUntilDate); err != nil {
			return err
		}
	}
	if in.BypassGovernance, err = r.bypassGovernance(); err != nil {
		return err
	}
	id, err := v.PutObjectRetention(r.cx, in)
	if err != nil {
		return err
	}
	r.setVersionHeader(id)
	r.writeEmpty(http.StatusOK)
	return nil
}

// getObjectRetention serves GET /bucket/key?retention[&versionId].
func (r *request) getObjectRetention() error {
	v, vid, err := r.versionTarget()
	if err != nil {
		return err
	}
	st, err := v.GetObjectRetention(r.cx, r.bucket, r.key, vid)
	if err != nil {
		return err
	}
	return r.writeXML(http.StatusOK, retentionDoc{Xmlns: s3NS, Mode: st.Mode, RetainUntilDate: st.RetainUntil.UTC().Format("2006-01-02T15:04:05.000Z")})
}

// putObjectLegalHold serves PUT /bucket/key?legal-hold[&versionId].
func (r *request) putObjectLegalHold() error {
	v, vid, err := r.versionTarget()
	if err != nil {
		return err
	}
	body, err := r.readSmallBody(maxLockBody)
	if err != nil {
		return err
	}
	var doc legalHoldDoc
	if err := decodeStrict(body, &doc); err != nil {
		return err
	}
	if doc.Status != "ON" && doc.Status != "OFF" {
		return s3err.Newf(s3err.MalformedXML, "Legal hold Status must be ON or OFF.")
	}
	id, err := v.PutObjectLegalHold(r.cx, r.bucket, r.key, vid, doc.Status == "ON")
	if err != nil {
		return err
	}
	r.setVersionHeader(id)
	r.writeEmpty(http.StatusOK)
	return nil
}

// getObjectLegalHold serves GET /bucket/key?legal-hold[&versionId].
func (r *request) getObjectLegalHold() error {
	v, vid, err := r.versionTarget()
	if err != nil {
		return err
	}
	on, err := v.GetObjectLegalHold(r.cx, r.bucket, r.key, vid)
	if err != nil {
		return err
	}
	st := "OFF"
	if on {
		st = "ON"
	}
	return r.writeXML(http.StatusOK, legalHoldDoc{Xmlns: s3NS, Status: st})
}

// versionTarget is what every per-version lock call starts with: the
// layer's Versioner and the request's versionId ("" for the latest).
func (r *request) versionTarget() (object.Versioner, string, error) {
	v, err := r.versioner()
	if err != nil {
		return nil, "", err
	}
	vid, err := r.versionQuery()
	return v, vid, err
}
