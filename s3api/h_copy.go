package s3api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// parseCopySource splits an x-amz-copy-source value ("/bucket/key" or
// "bucket/key", URL-encoded, optionally "?versionId=…") into bucket, key
// and version id.
func parseCopySource(v string) (bucket, key, versionID string, err error) {
	bad := s3err.Newf(s3err.InvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	// The query part is split off before decoding: an encoded '?' (%3F)
	// belongs to the key.
	path, query, _ := strings.Cut(strings.TrimSpace(v), "?")
	if query != "" {
		q, qerr := url.ParseQuery(query)
		if qerr != nil {
			return "", "", "", bad
		}
		if vs, ok := q["versionId"]; ok {
			if len(vs) != 1 || vs[0] == "" {
				return "", "", "", s3err.Newf(s3err.InvalidArgument, "Invalid version id specified.")
			}
			versionID = vs[0]
		}
	}
	path, uerr := url.PathUnescape(path)
	if uerr != nil {
		return "", "", "", bad
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(path, "/")
	if bucket == "" || key == "" {
		return "", "", "", bad
	}
	return bucket, key, versionID, nil
}

// copyInput builds the source side of CopyObject/UploadPartCopy and checks
// the principal may read the source.
func (r *request) copyInput() (object.CopyInput, error) {
	bucket, key, vid, err := parseCopySource(r.hdr.value("x-amz-copy-source"))
	if err != nil {
		return object.CopyInput{}, err
	}
	action := iam.GetObject
	if vid != "" {
		action = iam.GetObjectVersion
	}
	if err := r.s.authorizeAction(r, nil, action, bucket, key); err != nil {
		return object.CopyInput{}, err
	}
	if err := r.checkExpectedOwner("x-amz-source-expected-bucket-owner", bucket); err != nil {
		return object.CopyInput{}, err
	}
	return object.CopyInput{
		SrcBucket:    bucket,
		SrcKey:       key,
		SrcVersionID: vid,
		Cond:         r.conditions("x-amz-copy-source-"),
		Owner:        r.principal.Account,
	}, nil
}

// copyObject serves PUT /bucket/key with x-amz-copy-source.
func (r *request) copyObject() error {
	if err := r.checkWriteHeaders(); err != nil {
		return err
	}
	if err := r.checkConditionalWrite(); err != nil {
		return err
	}
	if _, ok := r.hdr.get("x-amz-copy-source-range"); ok {
		return s3err.Newf(s3err.InvalidArgument, "x-amz-copy-source-range is only valid for UploadPartCopy.")
	}
	replaceTags, tags, err := r.copyTags()
	if err != nil {
		return err
	}
	if err := r.applySSE(sseCreate | sseCopy); err != nil {
		return err
	}
	src, err := r.copyInput()
	if err != nil {
		return err
	}
	if src.Lock, err = r.lockHeaderValues(); err != nil {
		return err
	}
	if err := r.authorizeHeaderExtras(tags, src.Lock); err != nil {
		return err
	}
	src.ReplaceTags, src.Tags = replaceTags, tags
	switch r.hdr.value("x-amz-metadata-directive") {
	case "", "COPY":
		if src.SrcBucket == r.bucket && src.SrcKey == r.key && src.SrcVersionID == "" && !r.changesEncryption() {
			return s3err.Newf(s3err.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
	case "REPLACE":
		src.ReplaceMeta = true
		if src.Meta, err = r.objectMeta(); err != nil {
			return err
		}
	default:
		return s3err.Newf(s3err.InvalidArgument, "Unknown metadata directive.")
	}
	info, err := r.s.o.Layer.CopyObject(r.cx, src, r.bucket, r.key)
	if err != nil {
		return err
	}
	r.setVersionHeader(info.VersionID)
	if src.SrcVersionID != "" {
		r.setHeader("x-amz-copy-source-version-id", src.SrcVersionID)
	}
	r.setEncryptionHeaders(info.Encryption)
	return r.writeXML(http.StatusOK, copyObjectResult{
		Xmlns:          s3NS,
		ETag:           quoteETag(info.ETag),
		LastModified:   isoTime(info.LastModified),
		checksumFields: newChecksumFields(info.Checksums.Values),
	})
}

// copyTags reads x-amz-tagging-directive: COPY (the default) keeps the
// source's tags; REPLACE gives the copy the tags of x-amz-tagging (none
// when it is absent).
func (r *request) copyTags() (bool, []object.Tag, error) {
	switch r.hdr.value("x-amz-tagging-directive") {
	case "", "COPY":
		return false, nil, nil
	case "REPLACE":
		tags, err := r.requestTags()
		return true, tags, err
	default:
		return false, nil, s3err.Newf(s3err.InvalidArgument, "Unknown tagging directive.")
	}
}

// uploadPartCopy serves PUT /bucket/key?partNumber&uploadId with
// x-amz-copy-source (and optionally x-amz-copy-source-range).
func (r *request) uploadPartCopy() error {
	part, uploadID, err := r.partParams()
	if err != nil {
		return err
	}
	if err := r.applySSE(sseCopy); err != nil {
		return err
	}
	src, err := r.copyInput()
	if err != nil {
		return err
	}
	if v, ok := r.hdr.get("x-amz-copy-source-range"); ok {
		if !validCopyRange(v) {
			return s3err.Newf(s3err.InvalidArgument, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy.")
		}
		src.SrcRange = v
	}
	info, err := r.s.o.Layer.UploadPartCopy(r.cx, uploadID, part, r.bucket, r.key, src)
	if err != nil {
		return err
	}
	r.setPartEncryptionHeaders(info.Encryption)
	return r.writeXML(http.StatusOK, copyPartResult{
		Xmlns:          s3NS,
		ETag:           quoteETag(info.ETag),
		LastModified:   isoTime(info.LastModified),
		checksumFields: newChecksumFields(info.Checksums),
	})
}

// validCopyRange checks "bytes=first-last" with 0 ≤ first ≤ last.
func validCopyRange(v string) bool {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return false
	}
	if !allDigits(a) || !allDigits(b) { // ParseInt alone takes "-0" and "+1"
		return false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	return err1 == nil && err2 == nil && first <= last
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
