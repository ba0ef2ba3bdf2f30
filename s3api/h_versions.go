package s3api

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// listVersionsResult is S3's ListVersionsResult: object versions and
// delete markers in one listing, keys in order and each key's versions
// newest first.
type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	Xmlns               string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              keyText        `xml:"Prefix"`
	KeyMarker           keyText        `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       keyText        `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           keyText        `xml:"Delimiter,omitempty"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	Entries             []versionEntry `xml:",any"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

// versionEntry is a <Version> or a <DeleteMarker>, kept in listing order
// (S3 interleaves them).
type versionEntry struct {
	XMLName           xml.Name
	Key               keyText  `xml:"Key"`
	VersionID         string   `xml:"VersionId"`
	IsLatest          bool     `xml:"IsLatest"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag,omitempty"`
	ChecksumAlgorithm []string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	Size              *int64   `xml:"Size,omitempty"`
	StorageClass      string   `xml:"StorageClass,omitempty"`
	Owner             *owner   `xml:"Owner,omitempty"`
}

// versioner returns the layer's versioning API or NotImplemented.
func (r *request) versioner() (object.Versioner, error) {
	v, ok := r.s.o.Layer.(object.Versioner)
	if !ok {
		return nil, s3err.Newf(s3err.NotImplemented, "Versioning is not implemented by this object layer.")
	}
	return v, nil
}

// listObjectVersions serves GET /bucket?versions.
func (r *request) listObjectVersions() error {
	v, ok := r.s.o.Layer.(object.Versioner)
	if !ok {
		return r.listNullVersions()
	}
	maxKeys, enc, err := listParams(r)
	if err != nil {
		return err
	}
	in := object.VersionListInput{
		Bucket: r.bucket, Prefix: r.queryValue("prefix"), Delimiter: r.queryValue("delimiter"),
		KeyMarker: r.queryValue("key-marker"), VersionIDMarker: r.queryValue("version-id-marker"),
		MaxKeys: maxKeys,
	}
	page, err := v.ListObjectVersions(r.cx, in)
	if err != nil {
		return err
	}
	res := listVersionsResult{
		Xmlns: s3NS, Name: r.bucket,
		Prefix: enc.apply(in.Prefix), KeyMarker: enc.apply(in.KeyMarker), VersionIDMarker: in.VersionIDMarker,
		MaxKeys: maxKeys, Delimiter: enc.apply(in.Delimiter), EncodingType: enc.name,
		IsTruncated:    page.IsTruncated,
		CommonPrefixes: prefixItems(page.CommonPrefixes, enc),
	}
	for _, ver := range page.Versions {
		if ver.DeleteMarker {
			res.Entries = append(res.Entries, versionEntry{
				XMLName: xml.Name{Local: "DeleteMarker"}, Key: enc.apply(ver.Key), VersionID: ver.VersionID,
				IsLatest: ver.IsLatest, LastModified: isoTime(ver.LastModified),
				Owner: &owner{ID: ver.Owner, DisplayName: ver.Owner},
			})
			continue
		}
		it := objectItems([]object.ObjectInfo{ver.ObjectInfo}, enc, true)[0]
		size := it.Size
		res.Entries = append(res.Entries, versionEntry{
			XMLName: xml.Name{Local: "Version"}, Key: it.Key, VersionID: ver.VersionID, IsLatest: ver.IsLatest,
			LastModified: it.LastModified, ETag: it.ETag,
			ChecksumAlgorithm: it.ChecksumAlgorithm, ChecksumType: it.ChecksumType,
			Size: &size, StorageClass: it.StorageClass, Owner: it.Owner,
		})
	}
	if page.IsTruncated {
		res.NextKeyMarker = enc.apply(page.NextKeyMarker)
		res.NextVersionIDMarker = page.NextVersionIDMarker
	}
	return r.writeXML(http.StatusOK, res)
}

// putBucketVersioning serves PUT /bucket?versioning.
func (r *request) putBucketVersioning() error {
	v, err := r.versioner()
	if err != nil {
		return err
	}
	body, err := r.readSmallBody(maxCreateBody)
	if err != nil {
		return err
	}
	var doc struct {
		XMLName   xml.Name `xml:"VersioningConfiguration"`
		Status    string   `xml:"Status"`
		MfaDelete string   `xml:"MfaDelete"`
	}
	if err := decodeStrict(body, &doc); err != nil {
		return err
	}
	switch doc.MfaDelete {
	case "", "Disabled":
	case "Enabled":
		// This server has no MFA devices, so it cannot check the
		// x-amz-mfa a bucket with MFA delete would demand on every
		// versioned delete: refuse rather than report a protection that
		// is not there.
		return s3err.Newf(s3err.NotImplemented, "MFA delete is not implemented: this server has no MFA devices to check x-amz-mfa against. Use Object Lock to protect versions from deletion.")
	default:
		return s3err.Newf(s3err.MalformedXML, "The MfaDelete value must be Enabled or Disabled.")
	}
	if doc.Status != object.VersioningEnabled && doc.Status != object.VersioningSuspended {
		return s3err.Newf(s3err.MalformedXML, "The versioning Status must be Enabled or Suspended.")
	}
	if err := v.PutBucketVersioning(r.cx, r.bucket, doc.Status); err != nil {
		return err
	}
	r.writeEmpty(http.StatusOK)
	return nil
}

// versionQuery returns the versionId query parameter ("" when absent).
// An empty versionId= is refused, as S3 does.
func (r *request) versionQuery() (string, error) {
	v, ok := r.query("versionId")
	if !ok {
		return "", nil
	}
	if v == "" {
		return "", s3err.Newf(s3err.InvalidArgument, "Version id cannot be the empty string.")
	}
	return v, nil
}

// setVersionHeader writes x-amz-version-id for a versioned object.
func (r *request) setVersionHeader(id string) {
	if id != "" {
		r.setHeader("x-amz-version-id", id)
	}
}

// deleteMarkerHeaders sets what S3 sends when a request reached a delete
// marker (GET/HEAD of the latest, or of the marker by id).
func (r *request) deleteMarkerHeaders(err error) {
	var dm *object.DeleteMarkerError
	if errors.As(err, &dm) {
		r.setHeader("x-amz-delete-marker", "true")
		r.setVersionHeader(dm.VersionID)
		if errors.Is(err, object.ErrMethodNotAllowed) {
			r.setHeader("Allow", "DELETE")
		}
	}
}

// bypassGovernance reports x-amz-bypass-governance-retention: true from a
// principal holding s3:BypassGovernanceRetention. The header without the
// permission is AccessDenied, as in S3.
func (r *request) bypassGovernance() (bool, error) {
	if !strings.EqualFold(r.hdr.value("x-amz-bypass-governance-retention"), "true") {
		return false, nil
	}
	if err := r.s.authorizeAction(r, nil, iam.BypassGovernanceRetention, r.bucket, r.key); err != nil {
		return false, err
	}
	return true, nil
}

// deleteObject serves DELETE /bucket/key[?versionId]: 204 whether or not
// the key (or version) existed, with x-amz-version-id and x-amz-delete-marker when a
// version or marker was involved.
func (r *request) deleteObject() error {
	vid, err := r.versionQuery()
	if err != nil {
		return err
	}
	v, ok := r.s.o.Layer.(object.Versioner)
	if !ok {
		if vid != "" && vid != object.NullVersion {
			return s3err.New(s3err.NoSuchVersion)
		}
		err := r.s.o.Layer.DeleteObject(r.cx, r.bucket, r.key)
		if err != nil && !errors.Is(err, object.ErrNoSuchKey) {
			return err
		}
		r.writeEmpty(http.StatusNoContent)
		return nil
	}
	bypass, err := r.bypassGovernance()
	if err != nil {
		return err
	}
	res, err := v.DeleteObjectVersion(r.cx, object.DeleteInput{Bucket: r.bucket, Key: r.key, VersionID: vid, BypassGovernance: bypass})
	// Deleting a version that is not there succeeds, as in S3: a delete
	// is idempotent, and a cleanup racing another one must not fail.
	if err != nil && !errors.Is(err, object.ErrNoSuchKey) && !errors.Is(err, object.ErrNoSuchVersion) {
		return err
	}
	r.setVersionHeader(res.VersionID)
	if res.DeleteMarker {
		r.setHeader("x-amz-delete-marker", "true")
	}
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// listNullVersions serves GET /bucket?versions for a layer without
// versioning: every object is its key's one null version. Listing resumes
// after key-marker (its only version, null, was returned already); a
// version-id-marker other than null names no version and is refused.
func (r *request) listNullVersions() error {
	maxKeys, enc, err := listParams(r)
	if err != nil {
		return err
	}
	keyMarker := r.queryValue("key-marker")
	vidMarker, hasVID := r.query("version-id-marker")
	if hasVID && (keyMarker == "" || vidMarker != "null" && vidMarker != "") {
		return s3err.Newf(s3err.InvalidArgument, "A version-id-marker needs a key-marker, and objects here have only the null version.")
	}
	in := object.ListInput{
		Bucket: r.bucket, Prefix: r.queryValue("prefix"), Delimiter: r.queryValue("delimiter"),
		Marker: keyMarker, MaxKeys: maxKeys,
	}
	page, err := r.listPage(in)
	if err != nil {
		return err
	}
	res := listVersionsResult{
		Xmlns: s3NS, Name: r.bucket,
		Prefix: enc.apply(in.Prefix), KeyMarker: enc.apply(keyMarker), VersionIDMarker: vidMarker,
		MaxKeys: maxKeys, Delimiter: enc.apply(in.Delimiter), EncodingType: enc.name,
		IsTruncated:    page.IsTruncated,
		CommonPrefixes: prefixItems(page.CommonPrefixes, enc),
	}
	for _, it := range objectItems(page.Objects, enc, true) {
		size := it.Size
		res.Entries = append(res.Entries, versionEntry{
			XMLName: xml.Name{Local: "Version"}, Key: it.Key, VersionID: "null", IsLatest: true,
			LastModified: it.LastModified, ETag: it.ETag,
			ChecksumAlgorithm: it.ChecksumAlgorithm, ChecksumType: it.ChecksumType,
			Size: &size, StorageClass: it.StorageClass, Owner: it.Owner,
		})
	}
	if page.IsTruncated {
		res.NextKeyMarker = enc.apply(page.NextMarker)
		res.NextVersionIDMarker = "null"
	}
	return r.writeXML(http.StatusOK, res)
}

// taggingVersion returns the layer's per-version tagging and the
// versionId of a tagging request. A layer without it serves only the
// current object (versionId absent or null).
func (r *request) taggingVersion() (object.VersionTagger, string, error) {
	vid, err := r.versionQuery()
	if err != nil {
		return nil, "", err
	}
	vt, ok := r.s.o.Layer.(object.VersionTagger)
	if !ok && vid != "" && vid != object.NullVersion {
		return nil, "", s3err.Newf(s3err.NotImplemented, "Object versions are not implemented; only versionId=null exists.")
	}
	return vt, vid, nil
}

// getTagsOfVersion reads the tags of the version a GET ?tagging names.
func (r *request) getTagsOfVersion() ([]object.Tag, error) {
	vt, vid, err := r.taggingVersion()
	if err != nil || vt == nil {
		if err != nil {
			return nil, err
		}
		return r.s.o.Layer.GetObjectTagging(r.cx, r.bucket, r.key)
	}
	tags, id, err := vt.GetObjectTaggingVersion(r.cx, r.bucket, r.key, vid)
	r.setVersionHeader(id)
	return tags, err
}

// putTagsOfVersion replaces the tags of the version a PUT ?tagging names.
func (r *request) putTagsOfVersion(tags []object.Tag) error {
	vt, vid, err := r.taggingVersion()
	if err != nil || vt == nil {
		if err != nil {
			return err
		}
		return r.s.o.Layer.PutObjectTagging(r.cx, r.bucket, r.key, tags)
	}
	id, err := vt.PutObjectTaggingVersion(r.cx, r.bucket, r.key, vid, tags)
	r.setVersionHeader(id)
	return err
}

// deleteTagsOfVersion removes the tags of the version a DELETE ?tagging
// names.
func (r *request) deleteTagsOfVersion() error {
	vt, vid, err := r.taggingVersion()
	if err != nil || vt == nil {
		if err != nil {
			return err
		}
		return r.s.o.Layer.DeleteObjectTagging(r.cx, r.bucket, r.key)
	}
	id, err := vt.DeleteObjectTaggingVersion(r.cx, r.bucket, r.key, vid)
	r.setVersionHeader(id)
	return err
}
