package s3api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// maxListKeys is the most keys one listing page returns; larger max-keys
// values are capped, as S3 does.
const maxListKeys = 1000

// keyEncoding applies encoding-type=url to keys and prefixes in listings.
type keyEncoding struct{ name string }

// apply encodes s when url encoding was requested.
func (e keyEncoding) apply(s string) keyText {
	if e.name == "" {
		return keyText(s)
	}
	return keyText(urlEncodeKey(s))
}

// encodingType reads encoding-type; only "url" exists.
func encodingType(r *request) (keyEncoding, error) {
	v, ok := r.query("encoding-type")
	if !ok || v == "" {
		return keyEncoding{}, nil
	}
	if strings.EqualFold(v, "url") {
		return keyEncoding{name: "url"}, nil
	}
	return keyEncoding{}, s3err.Newf(s3err.InvalidArgument, "Invalid Encoding Method specified in Request")
}

// urlEncodeKey percent-encodes every byte except the unreserved set and
// '/', so keys with control characters or XML-hostile bytes survive the
// document and decode with any URL decoder ('+' becomes %2B, space %20).
func urlEncodeKey(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// intParam reads an integer query parameter within [lo, hi], def when
// absent.
func intParam(r *request, name string, def, lo, hi int) (int, error) {
	v, ok := r.query(name)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, s3err.Newf(s3err.InvalidArgument, "%s must be an integer between %d and %d.", name, lo, hi)
	}
	return n, nil
}

// listPage runs one ListObjects call; maxKeys 0 answers an empty page
// (after checking the bucket exists) without asking the layer for zero
// entries.
func (r *request) listPage(in object.ListInput) (object.ListResult, error) {
	if in.MaxKeys == 0 {
		_, err := r.s.o.Layer.HeadBucket(r.cx, in.Bucket)
		return object.ListResult{}, err
	}
	return r.s.o.Layer.ListObjects(r.cx, in)
}

// objectItems renders listed objects.
func objectItems(objs []object.ObjectInfo, enc keyEncoding, withOwner bool) []objectItem {
	items := make([]objectItem, 0, len(objs))
	for _, o := range objs {
		it := objectItem{
			Key:          enc.apply(o.Key),
			LastModified: isoTime(o.LastModified),
			ETag:         quoteETag(o.ETag),
			Size:         o.Size,
			StorageClass: "STANDARD",
		}
		if len(o.Checksums.Values) > 0 {
			for algo := range o.Checksums.Values {
				it.ChecksumAlgorithm = append(it.ChecksumAlgorithm, upperAlgo(algo))
			}
			sort.Strings(it.ChecksumAlgorithm)
			it.ChecksumType = o.Checksums.Type
		}
		if withOwner {
			it.Owner = &owner{ID: o.Owner, DisplayName: o.Owner}
		}
		items = append(items, it)
	}
	return items
}

// prefixItems renders common prefixes.
func prefixItems(ps []string, enc keyEncoding) []commonPrefix {
	out := make([]commonPrefix, 0, len(ps))
	for _, p := range ps {
		out = append(out, commonPrefix{Prefix: enc.apply(p)})
	}
	return out
}

// listParams reads the max-keys (capped at maxListKeys) and encoding-type
// parameters that both ListObjects versions take.
func listParams(r *request) (maxKeys int, enc keyEncoding, err error) {
	maxKeys, err = intParam(r, "max-keys", maxListKeys, 0, 1<<31-1)
	if err != nil {
		return 0, keyEncoding{}, err
	}
	enc, err = encodingType(r)
	if err != nil {
		return 0, keyEncoding{}, err
	}
	return min(maxKeys, maxListKeys), enc, nil
}

// listObjectsV2 serves GET /bucket?list-type=2.
func (r *request) listObjectsV2() error {
	maxKeys, enc, err := listParams(r)
	if err != nil {
		return err
	}
	in := object.ListInput{
		Bucket: r.bucket, Prefix: r.queryValue("prefix"), Delimiter: r.queryValue("delimiter"), MaxKeys: maxKeys,
	}
	token, hasToken := r.query("continuation-token")
	startAfter := r.queryValue("start-after")
	// An empty token means the start of the listing, as in S3 (SDKs send
	// one when a caller passes ""); it is echoed back all the same.
	if hasToken && token != "" {
		if in.Marker, err = decodeToken(token); err != nil {
			return err
		}
	} else {
		in.Marker = startAfter
	}
	page, err := r.listPage(in)
	if err != nil {
		return err
	}
	res := listBucketResultV2{
		Xmlns: s3NS, Name: r.bucket,
		Prefix: enc.apply(in.Prefix), Delimiter: enc.apply(in.Delimiter),
		MaxKeys: maxKeys, EncodingType: enc.name,
		KeyCount:          len(page.Objects) + len(page.CommonPrefixes),
		IsTruncated:       page.IsTruncated,
		ContinuationToken: echoToken(token, hasToken),
		StartAfter:        enc.apply(startAfter),
		Contents:          objectItems(page.Objects, enc, r.queryValue("fetch-owner") == "true"),
		CommonPrefixes:    prefixItems(page.CommonPrefixes, enc),
	}
	if page.IsTruncated && page.NextMarker != "" {
		res.NextContinuationToken = encodeToken(page.NextMarker)
	}
	return r.writeXML(http.StatusOK, res)
}

// listObjectsV1 serves GET /bucket (ListObjects, version 1).
func (r *request) listObjectsV1() error {
	maxKeys, enc, err := listParams(r)
	if err != nil {
		return err
	}
	in := object.ListInput{
		Bucket: r.bucket, Prefix: r.queryValue("prefix"), Delimiter: r.queryValue("delimiter"),
		Marker: r.queryValue("marker"), MaxKeys: maxKeys,
	}
	page, err := r.listPage(in)
	if err != nil {
		return err
	}
	res := listBucketResultV1{
		Xmlns: s3NS, Name: r.bucket,
		Prefix: enc.apply(in.Prefix), Marker: enc.apply(in.Marker), Delimiter: enc.apply(in.Delimiter),
		MaxKeys: maxKeys, EncodingType: enc.name, IsTruncated: page.IsTruncated,
		Contents:       objectItems(page.Objects, enc, true),
		CommonPrefixes: prefixItems(page.CommonPrefixes, enc),
	}
	// S3 sends NextMarker only with a delimiter; without one, clients
	// continue from the last key.
	if page.IsTruncated && in.Delimiter != "" {
		res.NextMarker = enc.apply(page.NextMarker)
	}
	return r.writeXML(http.StatusOK, res)
}

// echoToken is the ContinuationToken element of a V2 listing: present
// (even empty) exactly when the request carried the parameter.
func echoToken(token string, present bool) *string {
	if !present {
		return nil
	}
	return &token
}
