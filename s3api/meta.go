package s3api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// maxUserMetadata is S3's limit on the x-amz-meta-* names plus values of
// one object: 2 KB.
const maxUserMetadata = 2 << 10

// defaultContentType is what S3 reports for objects stored without one.
const defaultContentType = "binary/octet-stream"

// objectMeta collects the user-visible metadata of an upload from its
// headers. "aws-chunked" is a transfer detail and is removed from
// Content-Encoding before it is stored.
func (r *request) objectMeta() (object.ObjectMeta, error) {
	m := object.ObjectMeta{
		ContentType:        r.hdr.value("content-type"),
		ContentEncoding:    stripAWSChunked(r.hdr.value("content-encoding")),
		ContentDisposition: r.hdr.value("content-disposition"),
		ContentLanguage:    r.hdr.value("content-language"),
		CacheControl:       r.hdr.value("cache-control"),
		Expires:            r.hdr.value("expires"),
	}
	total := 0
	for _, h := range r.hdr.h {
		name, ok := strings.CutPrefix(h.name, "x-amz-meta-")
		if !ok {
			continue
		}
		if name == "" {
			return m, s3err.Newf(s3err.InvalidArgument, "Empty x-amz-meta- header name.")
		}
		if m.User == nil {
			m.User = make(map[string]string)
		}
		if prev, dup := m.User[name]; dup {
			// Repeated headers are joined, as HTTP says they may be.
			m.User[name] = prev + "," + h.value
		} else {
			m.User[name] = h.value
		}
		total += len(name) + len(h.value)
	}
	if total > maxUserMetadata {
		return m, s3err.New(s3err.MetadataTooLarge)
	}
	return m, nil
}

// stripAWSChunked removes the "aws-chunked" coding from a Content-Encoding
// list and keeps everything else byte for byte ("aws-chunked,deflate, gzip"
// is stored as "deflate, gzip", as S3 does).
func stripAWSChunked(v string) string {
	if !strings.Contains(strings.ToLower(v), "aws-chunked") {
		return v
	}
	var keep []string
	for _, c := range strings.Split(v, ",") {
		if t := strings.TrimSpace(c); t != "" && !strings.EqualFold(t, "aws-chunked") {
			keep = append(keep, c)
		}
	}
	return strings.TrimLeft(strings.Join(keep, ","), " \t")
}

// checkWriteHeaders refuses headers asking for features this gateway does
// not implement, instead of storing an object without them: SSE-C and
// SSE-KMS, object lock, website redirects, ACL grants, other storage
// classes and conditional writes. Everything is already encrypted at rest
// with server-managed keys, so "x-amz-server-side-encryption: AES256" is
// accepted as a truthful request.
func (r *request) checkWriteHeaders() error {
	for _, h := range r.hdr.h {
		switch {
		case h.name == "x-amz-server-side-encryption":
			if h.value != "AES256" {
				return s3err.Newf(s3err.NotImplemented, "Server-side encryption %q is not implemented; objects are always encrypted with server-managed keys (AES256).", h.value)
			}
		case strings.HasPrefix(h.name, "x-amz-server-side-encryption-"):
			return s3err.Newf(s3err.NotImplemented, "Customer-provided and KMS encryption keys are not implemented.")
		case strings.HasPrefix(h.name, "x-amz-object-lock-"):
			return s3err.Newf(s3err.NotImplemented, "Object lock is not implemented.")
		case h.name == "x-amz-website-redirect-location":
			return s3err.Newf(s3err.NotImplemented, "Website redirects are not implemented.")
		case strings.HasPrefix(h.name, "x-amz-grant-"):
			return s3err.Newf(s3err.NotImplemented, "ACL grants are not implemented; every object is private to its account.")
		case h.name == "x-amz-acl":
			if h.value != "private" && h.value != "bucket-owner-full-control" {
				return s3err.Newf(s3err.NotImplemented, "Canned ACL %q is not implemented; every object is private to its account.", h.value)
			}
		case h.name == "x-amz-storage-class":
			if h.value != "STANDARD" {
				return s3err.Newf(s3err.InvalidStorageClass, "The storage class %q is not supported; use STANDARD.", h.value)
			}
		case h.name == "x-amz-write-offset-bytes":
			return s3err.Newf(s3err.NotImplemented, "Appending to objects is not implemented.")
		}
	}
	return nil
}

// checkConditionalWrite refuses If-Match/If-None-Match on writes that do
// not take them (CopyObject, CreateMultipartUpload): ignoring them would
// overwrite data the client meant to protect.
func (r *request) checkConditionalWrite() error {
	for _, n := range []string{"if-match", "if-none-match"} {
		if _, ok := r.hdr.get(n); ok {
			return s3err.Newf(s3err.NotImplemented, "Conditional writes (%s) are not implemented for this operation.", n)
		}
	}
	return nil
}

// writeCondition reads If-None-Match and If-Match of PutObject and
// CompleteMultipartUpload. If-None-Match takes only "*", as in S3.
func (r *request) writeCondition() (object.WriteCondition, error) {
	var c object.WriteCondition
	if v, ok := r.hdr.get("if-none-match"); ok {
		if strings.TrimSpace(v) != "*" {
			return c, s3err.Newf(s3err.NotImplemented, "If-None-Match on a write takes only \"*\".")
		}
		c.IfNoneMatch = true
	}
	if v, ok := r.hdr.get("if-match"); ok {
		v = strings.Trim(strings.TrimSpace(v), `"`)
		if v == "" {
			return c, s3err.Newf(s3err.InvalidArgument, "If-Match needs an ETag.")
		}
		c.IfMatch = v
	}
	return c, nil
}

// checkSSEC refuses SSE-C headers on requests that read or upload parts.
func (r *request) checkSSEC() error {
	for _, h := range r.hdr.h {
		if strings.HasPrefix(h.name, "x-amz-server-side-encryption-customer-") ||
			strings.HasPrefix(h.name, "x-amz-copy-source-server-side-encryption-customer-") {
			return s3err.Newf(s3err.NotImplemented, "Customer-provided encryption keys are not implemented.")
		}
	}
	return nil
}

// setObjectHeaders writes the headers that describe a stored object.
func (r *request) setObjectHeaders(info object.ObjectInfo) {
	ct := info.Meta.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	r.ctx.SetContentType(ct)
	r.setHeader("ETag", quoteETag(info.ETag))
	r.setHeader("Last-Modified", httpTime(info.LastModified))
	r.setHeader("Accept-Ranges", "bytes")
	r.setHeader("x-amz-server-side-encryption", "AES256")
	for _, h := range [...]struct{ name, value string }{
		{"Content-Encoding", info.Meta.ContentEncoding},
		{"Content-Disposition", info.Meta.ContentDisposition},
		{"Content-Language", info.Meta.ContentLanguage},
		{"Cache-Control", info.Meta.CacheControl},
		{"Expires", info.Meta.Expires},
	} {
		if h.value != "" {
			r.setHeader(h.name, h.value)
		}
	}
	for name, v := range info.Meta.User {
		r.setHeader("x-amz-meta-"+strings.ToLower(name), v)
	}
	if info.TagCount > 0 {
		r.setHeader("x-amz-tagging-count", strconv.Itoa(info.TagCount))
	}
}

// responseOverrides lists the GetObject/HeadObject query parameters that
// replace a response header, as S3 defines them.
var responseOverrides = [...]struct{ param, header string }{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

// applyResponseOverrides applies response-* query parameters.
func (r *request) applyResponseOverrides() {
	for _, o := range responseOverrides {
		v, ok := r.query(o.param)
		if !ok {
			continue
		}
		if o.header == "Content-Type" {
			r.ctx.SetContentType(v)
		} else {
			r.setHeader(o.header, v)
		}
	}
}

// quoteETag returns the ETag in the quoted form S3 sends.
func quoteETag(etag string) string {
	if strings.HasPrefix(etag, `"`) {
		return etag
	}
	return `"` + etag + `"`
}

// conditions reads the conditional headers of a GET/HEAD (prefix "") or of
// a copy source (prefix "x-amz-copy-source-"). Unparseable dates are
// ignored, as HTTP prescribes.
func (r *request) conditions(prefix string) object.Conditions {
	c := object.Conditions{
		IfMatch:     r.hdr.value(prefix + "if-match"),
		IfNoneMatch: r.hdr.value(prefix + "if-none-match"),
	}
	if v, ok := r.hdr.get(prefix + "if-modified-since"); ok {
		if t, err := http.ParseTime(v); err == nil {
			c.IfModifiedSince = t
		}
	}
	if v, ok := r.hdr.get(prefix + "if-unmodified-since"); ok {
		if t, err := http.ParseTime(v); err == nil {
			c.IfUnmodifiedSince = t
		}
	}
	return c
}

// itoa formats an int64.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
