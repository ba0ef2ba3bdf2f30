package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// getObjectAttributesResponse is S3's GetObjectAttributesResponse; only the
// attributes the request named are filled in.
type getObjectAttributesResponse struct {
	XMLName      xml.Name           `xml:"GetObjectAttributesResponse"`
	Xmlns        string             `xml:"xmlns,attr"`
	ETag         string             `xml:"ETag,omitempty"`
	Checksum     *attributeChecksum `xml:"Checksum,omitempty"`
	ObjectParts  *attributeParts    `xml:"ObjectParts,omitempty"`
	StorageClass string             `xml:"StorageClass,omitempty"`
	ObjectSize   *int64             `xml:"ObjectSize,omitempty"`
}

type attributeChecksum struct {
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type attributeParts struct {
	IsTruncated          bool            `xml:"IsTruncated"`
	MaxParts             int             `xml:"MaxParts"`
	NextPartNumberMarker int             `xml:"NextPartNumberMarker"`
	PartNumberMarker     int             `xml:"PartNumberMarker"`
	Parts                []attributePart `xml:"Part"`
	PartsCount           int             `xml:"PartsCount"`
}

type attributePart struct {
	checksumFields
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
}

// objectAttributeNames are the values x-amz-object-attributes may list.
var objectAttributeNames = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

// getObjectAttributes serves GET /bucket/key?attributes.
func (r *request) getObjectAttributes() error {
	vid, err := r.versionQuery()
	if err != nil {
		return err
	}
	va, versioned := r.s.o.Layer.(object.VersionAttributer)
	if !versioned && vid != "" && vid != object.NullVersion {
		return s3err.Newf(s3err.NotImplemented, "Object versions are not implemented; only versionId=null exists.")
	}
	if err := r.applySSE(0); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, a := range strings.Split(r.hdr.value("x-amz-object-attributes"), ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if !objectAttributeNames[a] {
			return s3err.Newf(s3err.InvalidArgument, "Invalid attribute name specified: %q.", a)
		}
		want[a] = true
	}
	if len(want) == 0 {
		return s3err.Newf(s3err.InvalidArgument, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty.")
	}
	maxParts, err := headerInt(r, "x-amz-max-parts", 1000, 0, 1000)
	if err != nil {
		return err
	}
	marker, err := headerInt(r, "x-amz-part-number-marker", 0, 0, 10000)
	if err != nil {
		return err
	}
	var attrs object.ObjectAttributes
	if versioned {
		attrs, err = va.GetObjectAttributesVersion(r.cx, r.bucket, r.key, vid)
	} else {
		attrs, err = r.s.o.Layer.GetObjectAttributes(r.cx, r.bucket, r.key)
	}
	if err != nil {
		// A delete marker answers 404 (latest) or 405 (by id) with
		// x-amz-delete-marker, as GET does.
		r.deleteMarkerHeaders(err)
		return err
	}
	info := attrs.Info
	r.setVersionHeader(info.VersionID)
	res := getObjectAttributesResponse{Xmlns: s3NS}
	if want["ETag"] {
		res.ETag = info.ETag
	}
	if want["Checksum"] && len(info.Checksums.Values) > 0 {
		res.Checksum = &attributeChecksum{checksumFields: newChecksumFields(info.Checksums.Values), ChecksumType: info.Checksums.Type}
	}
	if want["ObjectParts"] && attrs.Parts != nil {
		op := &attributeParts{MaxParts: maxParts, PartNumberMarker: marker, PartsCount: len(attrs.Parts)}
		for _, p := range attrs.Parts {
			if p.PartNumber <= marker {
				continue
			}
			if len(op.Parts) == maxParts {
				op.IsTruncated = true
				break
			}
			op.Parts = append(op.Parts, attributePart{checksumFields: newChecksumFields(p.Checksums), PartNumber: p.PartNumber, Size: p.Size})
			op.NextPartNumberMarker = p.PartNumber
		}
		res.ObjectParts = op
	}
	if want["StorageClass"] {
		res.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		size := info.Size
		res.ObjectSize = &size
	}
	r.setHeader("Last-Modified", httpTime(info.LastModified))
	return r.writeXML(http.StatusOK, res)
}

// headerInt reads an integer header within [lo, hi], def when absent.
func headerInt(r *request, name string, def, lo, hi int) (int, error) {
	v, ok := r.hdr.get(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, s3err.Newf(s3err.InvalidArgument, "%s must be an integer between %d and %d.", name, lo, hi)
	}
	return n, nil
}
