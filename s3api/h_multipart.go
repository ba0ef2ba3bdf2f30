package s3api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// Listing limits for multipart operations (S3's maxima and defaults).
const (
	maxListParts   = 1000
	maxListUploads = 1000
)

// partParams reads and validates partNumber and uploadId.
func (r *request) partParams() (int, string, error) {
	n, err := strconv.Atoi(r.queryValue("partNumber"))
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, "", s3err.Newf(s3err.InvalidArgument, "Part number must be an integer between 1 and %d, inclusive.", maxPartNumber)
	}
	id := r.queryValue("uploadId")
	if id == "" {
		return 0, "", s3err.New(s3err.NoSuchUpload)
	}
	return n, id, nil
}

// createMultipartUpload serves POST /bucket/key?uploads.
func (r *request) createMultipartUpload() error {
	if err := r.checkWriteHeaders(); err != nil {
		return err
	}
	lock, err := r.lockHeaderValues()
	if err != nil {
		return err
	}
	if err := r.checkConditionalWrite(); err != nil {
		return err
	}
	if err := r.applySSE(sseCreate); err != nil {
		return err
	}
	meta, err := r.objectMeta()
	if err != nil {
		return err
	}
	// The tags are kept with the upload and given to the object at Complete.
	if meta.Tags, err = r.requestTags(); err != nil {
		return err
	}
	if err := r.authorizeHeaderExtras(meta.Tags, lock); err != nil {
		return err
	}
	// So is the Object Lock state asked for (checked now, as on PUT).
	if !lock.IsZero() {
		meta.Lock = &lock
	}
	algo := r.hdr.value("x-amz-checksum-algorithm")
	if algo != "" && !object.ValidChecksumAlgorithm(algo) {
		return s3err.Newf(s3err.InvalidRequest, "Checksum algorithm %q is not supported.", algo)
	}
	spec, err := object.MultipartChecksum(algo, r.hdr.value("x-amz-checksum-type"))
	if err != nil {
		return s3err.Wrap(s3err.InvalidRequest, err)
	}
	up, err := r.s.o.Layer.CreateMultipartUpload(r.cx, r.bucket, r.key, meta, spec, r.principal.Account)
	if err != nil {
		return err
	}
	if up.ChecksumAlgorithm != "" {
		r.setHeader("x-amz-checksum-algorithm", upperAlgo(up.ChecksumAlgorithm))
		if up.ChecksumType != "" {
			r.setHeader("x-amz-checksum-type", up.ChecksumType)
		}
	}
	r.setEncryptionHeaders(up.Encryption)
	return r.writeXML(http.StatusOK, initiateMultipartUploadResult{
		Xmlns: s3NS, Bucket: r.bucket, Key: r.key, UploadID: up.UploadID,
	})
}

// uploadPart serves PUT /bucket/key?partNumber&uploadId.
func (r *request) uploadPart() error {
	part, uploadID, err := r.partParams()
	if err != nil {
		return err
	}
	if err := r.applySSE(0); err != nil {
		return err
	}
	in, err := r.putInput()
	if err != nil {
		return err
	}
	in.Meta = object.ObjectMeta{} // parts carry no metadata of their own
	// A part into a bucket with a default retention needs a checksum; one
	// into an upload created with lock headers too (the layer knows).
	if err := r.lockIntegrity(in, "Put Part", false); err != nil {
		return err
	}
	info, err := r.s.o.Layer.UploadPart(r.cx, uploadID, part, in)
	if errors.Is(err, object.ErrLockChecksumRequired) {
		return s3err.Newf(s3err.InvalidRequest, "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters")
	}
	if err != nil {
		return err
	}
	r.setHeader("ETag", quoteETag(info.ETag))
	r.setPartEncryptionHeaders(info.Encryption)
	r.setChecksumHeaders(info.Checksums, "")
	r.writeEmpty(http.StatusOK)
	return nil
}

// location is the URL of the addressed object, for Location elements.
func (r *request) location() string {
	scheme := "http"
	if r.ctx.IsTLS() {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.host, Path: "/" + r.bucket + "/" + r.key}
	if r.s.hostBucket(r.host) != "" {
		u.Path = "/" + r.key
	}
	return u.String()
}

// abortMultipartUpload serves DELETE /bucket/key?uploadId (204).
func (r *request) abortMultipartUpload() error {
	uploadID := r.queryValue("uploadId")
	if uploadID == "" {
		return s3err.New(s3err.NoSuchUpload)
	}
	if err := r.s.o.Layer.AbortMultipartUpload(r.cx, r.bucket, r.key, uploadID); err != nil {
		return err
	}
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// listParts serves GET /bucket/key?uploadId.
func (r *request) listParts() error {
	uploadID := r.queryValue("uploadId")
	if uploadID == "" {
		return s3err.New(s3err.NoSuchUpload)
	}
	marker, err := intParam(r, "part-number-marker", 0, 0, maxPartNumber)
	if err != nil {
		return err
	}
	maxParts, err := intParam(r, "max-parts", maxListParts, 0, 1<<31-1)
	if err != nil {
		return err
	}
	maxParts = min(maxParts, maxListParts)
	enc, err := encodingType(r)
	if err != nil {
		return err
	}
	parts, truncated, next, err := r.s.o.Layer.ListParts(r.cx, r.bucket, r.key, uploadID, marker, maxParts)
	if err != nil {
		return err
	}
	who := owner{ID: r.principal.Account, DisplayName: r.principal.Account}
	res := listPartsResult{
		Xmlns: s3NS, Bucket: r.bucket, Key: enc.apply(r.key), UploadID: uploadID,
		Initiator: who, Owner: who, StorageClass: "STANDARD",
		PartNumberMarker: marker, MaxParts: maxParts, IsTruncated: truncated,
		Parts: make([]partItem, 0, len(parts)),
	}
	if truncated {
		res.NextPartNumberMarker = next
	} else if len(parts) > 0 {
		res.NextPartNumberMarker = parts[len(parts)-1].PartNumber
	}
	for _, p := range parts {
		res.Parts = append(res.Parts, partItem{
			PartNumber: p.PartNumber, LastModified: isoTime(p.LastModified),
			ETag: quoteETag(p.ETag), Size: p.Size, checksumFields: newChecksumFields(p.Checksums),
		})
		for algo := range p.Checksums {
			res.ChecksumAlgorithm = upperAlgo(algo)
		}
	}
	return r.writeXML(http.StatusOK, res)
}

// listMultipartUploads serves GET /bucket?uploads.
func (r *request) listMultipartUploads() error {
	maxUploads, err := intParam(r, "max-uploads", maxListUploads, 0, 1<<31-1)
	if err != nil {
		return err
	}
	maxUploads = min(maxUploads, maxListUploads)
	enc, err := encodingType(r)
	if err != nil {
		return err
	}
	prefix, delim := r.queryValue("prefix"), r.queryValue("delimiter")
	keyMarker, idMarker := r.queryValue("key-marker"), r.queryValue("upload-id-marker")
	uploads, prefixes, truncated, err := r.s.o.Layer.ListMultipartUploads(r.cx, r.bucket, prefix, delim, keyMarker, idMarker, maxUploads)
	if err != nil {
		return err
	}
	res := listMultipartUploadsResult{
		Xmlns: s3NS, Bucket: r.bucket,
		KeyMarker: enc.apply(keyMarker), UploadIDMarker: idMarker,
		Delimiter: enc.apply(delim), Prefix: enc.apply(prefix), EncodingType: enc.name,
		MaxUploads: maxUploads, IsTruncated: truncated,
		Uploads: make([]uploadItem, 0, len(uploads)),
	}
	for _, u := range uploads {
		initiator := owner{ID: u.Owner, DisplayName: u.Owner}
		res.Uploads = append(res.Uploads, uploadItem{
			Key: enc.apply(u.Key), UploadID: u.UploadID, Initiator: initiator, Owner: initiator,
			StorageClass: "STANDARD", Initiated: isoTime(u.Initiated),
			ChecksumAlgorithm: upperAlgo(u.ChecksumAlgorithm), ChecksumType: u.ChecksumType,
		})
	}
	for _, p := range prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: enc.apply(p)})
	}
	if truncated && len(uploads) > 0 {
		last := uploads[len(uploads)-1]
		res.NextKeyMarker, res.NextUploadIDMarker = enc.apply(last.Key), last.UploadID
	}
	return r.writeXML(http.StatusOK, res)
}

// upperAlgo renders an algorithm name as S3 XML and headers show it
// ("CRC64NVME").
func upperAlgo(a string) string {
	b := []byte(a)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
