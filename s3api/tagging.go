package s3api

import (
	"encoding/xml"
	"errors"
	"net/url"
	"strings"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// maxTaggingBody bounds a Tagging document: 50 tags of 128 + 256
// characters of up to 4 bytes each, escaped, fit well within 128 KiB.
const maxTaggingBody = 128 << 10

// taggingDoc is the Tagging document of Get/PutObjectTagging and
// Get/PutBucketTagging. TagSet is always sent, empty when there are no
// tags, as S3 answers GetObjectTagging for an untagged object.
type taggingDoc struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  struct {
		Tags []xmlTag `xml:"Tag"`
	} `xml:"TagSet"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// newTaggingDoc builds the answer document for tags.
func newTaggingDoc(tags []object.Tag) taggingDoc {
	doc := taggingDoc{Xmlns: s3NS}
	doc.TagSet.Tags = make([]xmlTag, len(tags))
	for i, t := range tags {
		doc.TagSet.Tags[i] = xmlTag(t)
	}
	return doc
}

// parseTagging parses a Tagging document and checks the set against S3's
// limits with at most max tags. A document without TagSet, or a Tag
// without Key or Value, is MalformedXML; a set over the limits is
// InvalidTag saying which rule broke.
func parseTagging(body []byte, max int) ([]object.Tag, error) {
	var doc struct {
		XMLName xml.Name `xml:"Tagging"`
		TagSet  *struct {
			Tags []struct {
				Key   *string `xml:"Key"`
				Value *string `xml:"Value"`
			} `xml:"Tag"`
		} `xml:"TagSet"`
	}
	body, esc, _ := protect(body)
	if err := decodeStrict(body, &doc); err != nil {
		return nil, err
	}
	if doc.TagSet == nil {
		return nil, s3err.Newf(s3err.MalformedXML, "The Tagging document must hold a TagSet.")
	}
	if len(doc.TagSet.Tags) > max {
		return nil, s3err.Newf(s3err.InvalidTag, "Object tags cannot be greater than %d.", max)
	}
	tags := make([]object.Tag, len(doc.TagSet.Tags))
	for i, t := range doc.TagSet.Tags {
		if t.Key == nil || t.Value == nil {
			return nil, s3err.Newf(s3err.MalformedXML, "Tag %d needs a Key and a Value.", i+1)
		}
		tags[i] = object.Tag{Key: esc.restore(*t.Key), Value: esc.restore(*t.Value)}
	}
	if err := object.ValidateTags(tags, max); err != nil {
		return nil, invalidTag(err)
	}
	return tags, nil
}

// badTaggingHeader is S3's answer to an x-amz-tagging it cannot decode.
func badTaggingHeader() error {
	return s3err.Newf(s3err.InvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
}

// parseTaggingHeader parses an x-amz-tagging value: URL-query-encoded
// "k1=v1&k2=v2" (a key without "=" has an empty value), checked against
// the object limits. Parsing stops one tag past the limit, so a huge
// header costs no more than a small one.
func parseTaggingHeader(v string) ([]object.Tag, error) {
	var tags []object.Tag
	for pair := range strings.SplitSeq(v, "&") {
		if pair == "" {
			continue
		}
		if len(tags) > object.MaxObjectTags {
			break
		}
		k, val, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, badTaggingHeader()
		}
		value, err := url.QueryUnescape(val)
		if err != nil {
			return nil, badTaggingHeader()
		}
		tags = append(tags, object.Tag{Key: key, Value: value})
	}
	if err := object.ValidateTags(tags, object.MaxObjectTags); err != nil {
		return nil, invalidTag(err)
	}
	return tags, nil
}

// invalidTag turns a failed object.ValidateTags into S3's InvalidTag with
// the rule that broke (the client wrote the tags and needs to know which
// is wrong).
func invalidTag(err error) error {
	if !errors.Is(err, object.ErrInvalidTag) {
		return err
	}
	msg := strings.TrimPrefix(err.Error(), object.ErrInvalidTag.Error())
	msg = strings.TrimPrefix(msg, ": ")
	if msg == "" {
		return s3err.Wrap(s3err.InvalidTag, err)
	}
	e := s3err.Newf(s3err.InvalidTag, "%s%s.", strings.ToUpper(msg[:1]), msg[1:])
	e.Err = err
	return e
}

// requestTags reads the x-amz-tagging header of PutObject,
// CreateMultipartUpload and CopyObject (REPLACE); absent is no tags.
func (r *request) requestTags() ([]object.Tag, error) {
	v, ok := r.hdr.get("x-amz-tagging")
	if !ok {
		return nil, nil
	}
	return parseTaggingHeader(v)
}
