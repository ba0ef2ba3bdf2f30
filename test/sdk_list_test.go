package test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// listKeys is the bucket content of the listing tests, in S3 (byte) order.
var listKeys = []string{"a/1", "a/2", "a/b/3", "a/b/4", "b/1", "c", "plus+key", "sp ace/x", "z", "ü/y"}

// TestSDKListObjects exercises ListObjectsV2 and V1: prefixes, delimiters,
// page sizes with continuation tokens and markers, start-after and
// encoding-type=url.
func TestSDKListObjects(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("sdk-list")
	createBucket(t, c, bucket)
	for _, k := range listKeys {
		put(t, c, bucket, k, []byte(k))
	}

	type page struct{ keys, prefixes []string }
	v2 := func(t *testing.T, in s3.ListObjectsV2Input) []page {
		t.Helper()
		in.Bucket = aws.String(bucket)
		var pages []page
		for {
			out, err := c.ListObjectsV2(testCtx(t), &in)
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			p := page{objectKeys(out.Contents), prefixList(out.CommonPrefixes)}
			if int(aws.ToInt32(out.KeyCount)) != len(p.keys)+len(p.prefixes) {
				t.Errorf("KeyCount %d, want %d", aws.ToInt32(out.KeyCount), len(p.keys)+len(p.prefixes))
			}
			if in.MaxKeys != nil && len(p.keys)+len(p.prefixes) > int(*in.MaxKeys) {
				t.Fatalf("page of %d entries exceeds max-keys %d", len(p.keys)+len(p.prefixes), *in.MaxKeys)
			}
			pages = append(pages, p)
			if !aws.ToBool(out.IsTruncated) {
				if out.NextContinuationToken != nil {
					t.Errorf("last page has a NextContinuationToken")
				}
				return pages
			}
			if aws.ToString(out.NextContinuationToken) == "" {
				t.Fatalf("truncated page without NextContinuationToken")
			}
			if len(pages) > 50 {
				t.Fatalf("listing does not end")
			}
			in.ContinuationToken = out.NextContinuationToken
			in.StartAfter = nil
		}
	}
	flat := func(pages []page) (keys, prefixes []string) {
		for _, p := range pages {
			keys = append(keys, p.keys...)
			prefixes = append(prefixes, p.prefixes...)
		}
		return keys, prefixes
	}
	check := func(t *testing.T, pages []page, wantKeys, wantPrefixes []string) {
		t.Helper()
		keys, prefixes := flat(pages)
		if !equalStrings(keys, wantKeys) || !equalStrings(prefixes, wantPrefixes) {
			t.Fatalf("got keys %q prefixes %q\nwant keys %q prefixes %q", keys, prefixes, wantKeys, wantPrefixes)
		}
	}

	t.Run("v2-all", func(t *testing.T) {
		check(t, v2(t, s3.ListObjectsV2Input{}), listKeys, nil)
	})
	t.Run("v2-prefix", func(t *testing.T) {
		check(t, v2(t, s3.ListObjectsV2Input{Prefix: aws.String("a/")}), []string{"a/1", "a/2", "a/b/3", "a/b/4"}, nil)
		check(t, v2(t, s3.ListObjectsV2Input{Prefix: aws.String("nothing")}), nil, nil)
	})
	t.Run("v2-delimiter", func(t *testing.T) {
		check(t, v2(t, s3.ListObjectsV2Input{Delimiter: aws.String("/")}),
			[]string{"c", "plus+key", "z"}, []string{"a/", "b/", "sp ace/", "ü/"})
		check(t, v2(t, s3.ListObjectsV2Input{Delimiter: aws.String("/"), Prefix: aws.String("a/")}),
			[]string{"a/1", "a/2"}, []string{"a/b/"})
	})
	t.Run("v2-pages", func(t *testing.T) {
		for _, n := range []int32{1, 2, 3, 7} {
			pages := v2(t, s3.ListObjectsV2Input{MaxKeys: aws.Int32(n)})
			check(t, pages, listKeys, nil)
			if want := (len(listKeys) + int(n) - 1) / int(n); len(pages) != want {
				t.Errorf("max-keys %d: %d pages, want %d", n, len(pages), want)
			}
		}
		// Pages with a delimiter count keys and prefixes together; a prefix
		// is never split across pages.
		pages := v2(t, s3.ListObjectsV2Input{MaxKeys: aws.Int32(2), Delimiter: aws.String("/")})
		check(t, pages, []string{"c", "plus+key", "z"}, []string{"a/", "b/", "sp ace/", "ü/"})
	})
	t.Run("v2-start-after", func(t *testing.T) {
		check(t, v2(t, s3.ListObjectsV2Input{StartAfter: aws.String("b/1")}), []string{"c", "plus+key", "sp ace/x", "z", "ü/y"}, nil)
		check(t, v2(t, s3.ListObjectsV2Input{StartAfter: aws.String("a/b"), Prefix: aws.String("a/"), MaxKeys: aws.Int32(1)}),
			[]string{"a/b/3", "a/b/4"}, nil)
		check(t, v2(t, s3.ListObjectsV2Input{StartAfter: aws.String("a/b/4"), Delimiter: aws.String("/")}),
			[]string{"c", "plus+key", "z"}, []string{"b/", "sp ace/", "ü/"})
	})
	t.Run("v2-max-keys-0", func(t *testing.T) {
		out, err := c.ListObjectsV2(testCtx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(0)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 0 || aws.ToInt32(out.KeyCount) != 0 {
			t.Fatalf("max-keys 0 returned %d keys", len(out.Contents))
		}
	})
	t.Run("v2-object-fields", func(t *testing.T) {
		out, err := c.ListObjectsV2(testCtx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("c"), FetchOwner: aws.Bool(true)})
		if err != nil || len(out.Contents) != 1 {
			t.Fatalf("ListObjectsV2 prefix c: %v %+v", err, out)
		}
		o := out.Contents[0]
		if aws.ToInt64(o.Size) != 1 || unquote(o.ETag) != md5Hex([]byte("c")) || o.LastModified == nil || o.StorageClass == "" {
			t.Errorf("object entry: size %d etag %s modified %v class %q", aws.ToInt64(o.Size), unquote(o.ETag), o.LastModified, o.StorageClass)
		}
		if o.Owner == nil || aws.ToString(o.Owner.ID) == "" {
			t.Errorf("fetch-owner: no owner")
		}
	})
	t.Run("v2-encoding-url", func(t *testing.T) {
		out, err := c.ListObjectsV2(testCtx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl})
		if err != nil {
			t.Fatal(err)
		}
		if out.EncodingType != types.EncodingTypeUrl {
			t.Errorf("EncodingType %q, want url", out.EncodingType)
		}
		var decoded []string
		for _, o := range out.Contents {
			raw := aws.ToString(o.Key)
			if strings.ContainsAny(raw, " ü") {
				t.Errorf("key %q not URL-encoded", raw)
			}
			// Clients decode with form rules (botocore: unquote_plus), so a
			// literal '+' must arrive as %2B.
			k, err := url.QueryUnescape(raw)
			if err != nil {
				t.Fatalf("key %q: %v", raw, err)
			}
			decoded = append(decoded, k)
		}
		if !equalStrings(decoded, listKeys) {
			t.Fatalf("decoded keys %q, want %q", decoded, listKeys)
		}
		out, err = c.ListObjectsV2(testCtx(t), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl,
			Delimiter: aws.String("/"), Prefix: aws.String("sp ace/")})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Contents) != 1 {
			t.Fatalf("prefix 'sp ace/': %d keys", len(out.Contents))
		}
		if k, _ := url.QueryUnescape(aws.ToString(out.Contents[0].Key)); k != "sp ace/x" {
			t.Errorf("prefix 'sp ace/': key %q", aws.ToString(out.Contents[0].Key))
		}
		if p, _ := url.QueryUnescape(aws.ToString(out.Prefix)); p != "sp ace/" || strings.Contains(aws.ToString(out.Prefix), " ") {
			t.Errorf("Prefix echoed as %q, want it URL-encoded", aws.ToString(out.Prefix))
		}
	})

	t.Run("v1", func(t *testing.T) {
		v1 := func(t *testing.T, in s3.ListObjectsInput) (keys, prefixes []string, pages int) {
			t.Helper()
			in.Bucket = aws.String(bucket)
			for {
				out, err := c.ListObjects(testCtx(t), &in)
				if err != nil {
					t.Fatalf("ListObjects: %v", err)
				}
				pages++
				keys = append(keys, objectKeys(out.Contents)...)
				prefixes = append(prefixes, prefixList(out.CommonPrefixes)...)
				if in.MaxKeys != nil && len(out.Contents)+len(out.CommonPrefixes) > int(*in.MaxKeys) {
					t.Fatalf("page exceeds max-keys")
				}
				if !aws.ToBool(out.IsTruncated) {
					return keys, prefixes, pages
				}
				// NextMarker is returned with a delimiter; without one the
				// client continues from the last key (as the S3 docs say).
				next := aws.ToString(out.NextMarker)
				if in.Delimiter != nil && next == "" {
					t.Fatalf("truncated V1 page with a delimiter has no NextMarker")
				}
				if next == "" {
					next = keys[len(keys)-1]
				}
				if pages > 50 {
					t.Fatal("listing does not end")
				}
				in.Marker = aws.String(next)
			}
		}
		if keys, _, _ := v1(t, s3.ListObjectsInput{}); !equalStrings(keys, listKeys) {
			t.Errorf("V1 all: %q", keys)
		}
		keys, prefixes, pages := v1(t, s3.ListObjectsInput{MaxKeys: aws.Int32(3)})
		if !equalStrings(keys, listKeys) || len(prefixes) != 0 || pages != 4 {
			t.Errorf("V1 max-keys 3: %q in %d pages", keys, pages)
		}
		keys, prefixes, _ = v1(t, s3.ListObjectsInput{MaxKeys: aws.Int32(2), Delimiter: aws.String("/")})
		if !equalStrings(keys, []string{"c", "plus+key", "z"}) || !equalStrings(prefixes, []string{"a/", "b/", "sp ace/", "ü/"}) {
			t.Errorf("V1 delimiter pages: keys %q prefixes %q", keys, prefixes)
		}
		if keys, _, _ := v1(t, s3.ListObjectsInput{Marker: aws.String("a/b/3")}); !equalStrings(keys, listKeys[3:]) {
			t.Errorf("V1 marker a/b/3: %q", keys)
		}
		if keys, prefixes, _ := v1(t, s3.ListObjectsInput{Prefix: aws.String("a/"), Delimiter: aws.String("/")}); !equalStrings(keys, []string{"a/1", "a/2"}) ||
			!equalStrings(prefixes, []string{"a/b/"}) {
			t.Errorf("V1 prefix+delimiter: %q %q", keys, prefixes)
		}
		out, err := c.ListObjects(testCtx(t), &s3.ListObjectsInput{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl, Prefix: aws.String("plus")})
		if err != nil || len(out.Contents) != 1 {
			t.Fatalf("V1 encoding-type=url: %v %+v", err, out)
		}
		if raw := aws.ToString(out.Contents[0].Key); raw != "plus%2Bkey" {
			t.Errorf("V1 encoding-type=url: key %q, want plus%%2Bkey", raw)
		}
	})
}
