package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// Limits on request documents, as S3 enforces them.
const (
	maxDeleteObjects = 1000
	maxPartNumber    = 10000
	// Request-body ceilings: DeleteObjects documents are at most 2 MiB in
	// S3; CompleteMultipartUpload lists up to 10 000 parts with checksums;
	// CreateBucketConfiguration is tiny.
	maxDeleteBody   = 2 << 20
	maxCompleteBody = 4 << 20
	maxCreateBody   = 64 << 10
)

// deleteRequest is a parsed DeleteObjects document.
type deleteRequest struct {
	Quiet   bool
	Objects []deleteEntry
}

// deleteEntry names one object to delete.
type deleteEntry struct {
	Key       string
	VersionID string
}

// parseDeleteRequest parses <Delete><Quiet/><Object><Key/><VersionId/>
// </Object>...</Delete>. At least one and at most 1000 objects.
func parseDeleteRequest(body []byte) (deleteRequest, error) {
	var doc struct {
		XMLName xml.Name `xml:"Delete"`
		Quiet   bool     `xml:"Quiet"`
		Objects []struct {
			Key       *string `xml:"Key"`
			VersionID string  `xml:"VersionId"`
		} `xml:"Object"`
	}
	body, esc, _ := protect(body)
	if err := decodeStrict(body, &doc); err != nil {
		return deleteRequest{}, err
	}
	if len(doc.Objects) == 0 || len(doc.Objects) > maxDeleteObjects {
		return deleteRequest{}, s3err.Newf(s3err.MalformedXML,
			"The Delete document must name between 1 and %d objects.", maxDeleteObjects)
	}
	out := deleteRequest{Quiet: doc.Quiet, Objects: make([]deleteEntry, len(doc.Objects))}
	for i, o := range doc.Objects {
		if o.Key == nil {
			return deleteRequest{}, s3err.Newf(s3err.MalformedXML, "Object %d has no Key.", i+1)
		}
		out.Objects[i] = deleteEntry{Key: esc.restore(*o.Key), VersionID: esc.restore(o.VersionID)}
	}
	return out, nil
}

// parseCompleteRequest parses <CompleteMultipartUpload><Part><PartNumber/>
// <ETag/><ChecksumCRC32/>...</Part>...</CompleteMultipartUpload>. ETags
// lose their quotes; part order is the object layer's to judge.
func parseCompleteRequest(body []byte) ([]object.CompletePart, error) {
	var doc struct {
		XMLName xml.Name `xml:"CompleteMultipartUpload"`
		Parts   []struct {
			PartNumber *int    `xml:"PartNumber"`
			ETag       *string `xml:"ETag"`
			checksumFields
		} `xml:"Part"`
	}
	if err := decodeStrict(body, &doc); err != nil {
		return nil, err
	}
	if len(doc.Parts) == 0 || len(doc.Parts) > maxPartNumber {
		return nil, s3err.Newf(s3err.MalformedXML,
			"The CompleteMultipartUpload document must list between 1 and %d parts.", maxPartNumber)
	}
	parts := make([]object.CompletePart, len(doc.Parts))
	for i, p := range doc.Parts {
		if p.PartNumber == nil || p.ETag == nil {
			return nil, s3err.Newf(s3err.MalformedXML, "Part %d needs a PartNumber and an ETag.", i+1)
		}
		if *p.PartNumber < 1 || *p.PartNumber > maxPartNumber {
			return nil, s3err.Newf(s3err.InvalidArgument,
				"Part number must be an integer between 1 and %d, inclusive.", maxPartNumber)
		}
		parts[i] = object.CompletePart{
			PartNumber: *p.PartNumber,
			ETag:       trimETag(*p.ETag),
			Checksums:  p.checksumFields.toMap(),
		}
	}
	return parts, nil
}

// parseCreateBucketConfiguration returns the LocationConstraint of an
// optional CreateBucketConfiguration document ("" for an empty body).
func parseCreateBucketConfiguration(body []byte) (string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil
	}
	var doc struct {
		XMLName            xml.Name `xml:"CreateBucketConfiguration"`
		LocationConstraint string   `xml:"LocationConstraint"`
	}
	if err := decodeStrict(body, &doc); err != nil {
		return "", err
	}
	return strings.TrimSpace(doc.LocationConstraint), nil
}

// decodeStrict decodes exactly one root element into v and allows nothing
// after it but whitespace, comments and processing instructions.
// encoding/xml expands no entities beyond the five predefined ones, so
// entity-expansion attacks do not apply.
func decodeStrict(body []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		return s3err.Wrap(s3err.MalformedXML, err)
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return s3err.Wrap(s3err.MalformedXML, err)
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return s3err.New(s3err.MalformedXML)
			}
		default:
			return s3err.New(s3err.MalformedXML)
		}
	}
}

// toMap returns the non-empty checksums keyed by lower-case algorithm.
func (c checksumFields) toMap() map[string]string {
	var m map[string]string
	add := func(name, v string) {
		if v = strings.TrimSpace(v); v != "" {
			if m == nil {
				m = make(map[string]string, 1)
			}
			m[name] = v
		}
	}
	add("crc32", c.ChecksumCRC32)
	add("crc32c", c.ChecksumCRC32C)
	add("crc64nvme", c.ChecksumCRC64NVME)
	add("sha1", c.ChecksumSHA1)
	add("sha256", c.ChecksumSHA256)
	return m
}

// trimETag removes surrounding whitespace and quotes (clients send ETags
// quoted, sometimes as &quot; entities, sometimes bare).
func trimETag(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}
