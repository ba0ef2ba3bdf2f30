package s3api

import (
	"encoding/xml"
	"net/http"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// listVersionsResult is S3's ListVersionsResult. Buckets are never
// versioned here, so every object has exactly one version, "null", and
// there are no delete markers: the answer S3 gives for a bucket whose
// versioning was never enabled. Tools that empty a bucket through
// ListObjectVersions (many test harnesses, rclone, restic's cleanup) rely
// on it.
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
	Versions            []versionItem  `xml:"Version"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

type versionItem struct {
	Key               keyText  `xml:"Key"`
	VersionID         string   `xml:"VersionId"`
	IsLatest          bool     `xml:"IsLatest"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag"`
	ChecksumAlgorithm []string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	Size              int64    `xml:"Size"`
	StorageClass      string   `xml:"StorageClass"`
	Owner             *owner   `xml:"Owner,omitempty"`
}

// listObjectVersions serves GET /bucket?versions. The markers work as in
// S3: listing resumes after key-marker (its only version, null, was
// returned already); a version-id-marker other than null names no
// version of this bucket and is refused.
func (r *request) listObjectVersions() error {
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
		res.Versions = append(res.Versions, versionItem{
			Key: it.Key, VersionID: "null", IsLatest: true, LastModified: it.LastModified, ETag: it.ETag,
			ChecksumAlgorithm: it.ChecksumAlgorithm, ChecksumType: it.ChecksumType,
			Size: it.Size, StorageClass: it.StorageClass, Owner: it.Owner,
		})
	}
	if page.IsTruncated {
		res.NextKeyMarker = enc.apply(page.NextMarker)
		res.NextVersionIDMarker = "null"
	}
	return r.writeXML(http.StatusOK, res)
}
