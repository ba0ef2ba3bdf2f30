package test

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKObjectRoundTrip puts, heads, gets and deletes objects of sizes
// around the engine's 1 MiB chunk, with user metadata and content headers,
// with the SDK's default checksums (aws-chunked with a trailer) and with
// checksums only when required (a plain signed body).
func TestSDKObjectRoundTrip(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"on", "off"} {
		t.Run("checksums-"+mode, func(t *testing.T) {
			c := fx.gw.sdk()
			if mode == "off" {
				c = fx.gw.sdk(checksumsOff)
			}
			bucket := bucketName("sdk-objects-" + mode)
			createBucket(t, c, bucket)
			testObjectRoundTrip(t, c, bucket)
		})
	}
}

// testObjectRoundTrip is TestSDKObjectRoundTrip for one client.
func testObjectRoundTrip(t *testing.T, c *s3.Client, bucket string) {
	for i, size := range []int{0, 1, 1<<20 - 16, 1 << 20, 1<<20 + 17, 3<<20 + 5} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			ctx := testCtx(t)
			key := fmt.Sprintf("dir/obj ü+%d", size)
			data := randData(uint64(100+i), size)
			// Non-ASCII values travel as RFC 2047 encoded-words (what S3
			// documents) or as raw UTF-8 from clients that send it; both come
			// back byte for byte.
			meta := map[string]string{"color": "blue", "multi-word": "Mixed Case value",
				"encoded": "=?UTF-8?B?aMOpbGxvIHfDtnJsZA==?=", "raw": "héllo wörld"}
			expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			po, err := c.PutObject(ctx, &s3.PutObjectInput{
				Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
				Metadata:           meta,
				ContentType:        aws.String("application/x-test"),
				ContentEncoding:    aws.String("deflate, gzip"),
				CacheControl:       aws.String("max-age=60"),
				ContentDisposition: aws.String(`attachment; filename="a.bin"`),
				ContentLanguage:    aws.String("en-GB"),
				Expires:            aws.Time(expires),
			})
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			if got := unquote(po.ETag); got != md5Hex(data) {
				t.Errorf("PutObject ETag %s, want MD5 %s", got, md5Hex(data))
			}

			ho, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			checkHeaders := func(what string, size int64, etag *string, m map[string]string, ct, ce, cc, cd, cl *string, lm *time.Time) {
				t.Helper()
				if size != int64(len(data)) {
					t.Errorf("%s: ContentLength %d, want %d", what, size, len(data))
				}
				if unquote(etag) != md5Hex(data) {
					t.Errorf("%s: ETag %s, want %s", what, unquote(etag), md5Hex(data))
				}
				if !maps.Equal(m, meta) {
					t.Errorf("%s: Metadata %v, want %v", what, m, meta)
				}
				for _, h := range []struct{ name, got, want string }{
					{"Content-Type", aws.ToString(ct), "application/x-test"},
					{"Content-Encoding", aws.ToString(ce), "deflate, gzip"},
					{"Cache-Control", aws.ToString(cc), "max-age=60"},
					{"Content-Disposition", aws.ToString(cd), `attachment; filename="a.bin"`},
					{"Content-Language", aws.ToString(cl), "en-GB"},
				} {
					if h.got != h.want {
						t.Errorf("%s: %s %q, want %q", what, h.name, h.got, h.want)
					}
				}
				if lm == nil || time.Since(*lm) > time.Hour || time.Until(*lm) > time.Minute {
					t.Errorf("%s: Last-Modified %v is not about now", what, lm)
				}
			}
			checkHeaders("HeadObject", aws.ToInt64(ho.ContentLength), ho.ETag, ho.Metadata, ho.ContentType, ho.ContentEncoding,
				ho.CacheControl, ho.ContentDisposition, ho.ContentLanguage, ho.LastModified)
			if ho.ExpiresString == nil || *ho.ExpiresString == "" {
				t.Errorf("HeadObject: Expires not returned")
			} else if e, err := http.ParseTime(*ho.ExpiresString); err != nil || !e.Equal(expires) {
				t.Errorf("HeadObject: Expires %q, want %v", *ho.ExpiresString, expires)
			}

			gin := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
			gout, body := getBytes(t, c, gin)
			if !bytes.Equal(body, data) {
				t.Fatalf("GetObject: %d bytes differ from the %d put", len(body), len(data))
			}
			checkHeaders("GetObject", aws.ToInt64(gout.ContentLength), gout.ETag, gout.Metadata, gout.ContentType, gout.ContentEncoding,
				gout.CacheControl, gout.ContentDisposition, gout.ContentLanguage, gout.LastModified)

			// Response header overrides of GetObject.
			gin.ResponseContentType = aws.String("text/plain")
			gin.ResponseCacheControl = aws.String("no-store")
			gout, _ = getBytes(t, c, gin)
			if aws.ToString(gout.ContentType) != "text/plain" || aws.ToString(gout.CacheControl) != "no-store" {
				t.Errorf("response-* overrides ignored: Content-Type %q Cache-Control %q",
					aws.ToString(gout.ContentType), aws.ToString(gout.CacheControl))
			}

			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			requireCode(t, err, http.StatusNotFound, "NoSuchKey")
			requireAbsent(t, c, bucket, key)
			// Deleting a missing key succeeds (204), as in S3.
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
				t.Fatalf("DeleteObject of a missing key: %v", err)
			}
		})
	}

	t.Run("overwrite", func(t *testing.T) {
		put(t, c, bucket, "over", []byte("first version"))
		put(t, c, bucket, "over", []byte("second"))
		_, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("over")})
		if string(body) != "second" {
			t.Fatalf("after overwrite got %q", body)
		}
	})
}

// TestSDKDeleteObjects deletes several keys in one request, with and
// without quiet mode and with SDK checksums on and off (the request needs
// Content-MD5 or a flexible checksum).
func TestSDKDeleteObjects(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"on", "off"} {
		t.Run("checksums-"+mode, func(t *testing.T) {
			c := fx.gw.sdk()
			if mode == "off" {
				c = fx.gw.sdk(checksumsOff)
			}
			ctx := testCtx(t)
			bucket := bucketName("sdk-del-" + mode)
			createBucket(t, c, bucket)
			var ids []types.ObjectIdentifier
			for i := range 5 {
				k := fmt.Sprintf("d/%d", i)
				put(t, c, bucket, k, []byte(k))
				ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
			}
			put(t, c, bucket, "stay", []byte("stay"))
			ids = append(ids, types.ObjectIdentifier{Key: aws.String("never-existed")})

			out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{Objects: ids[:3]}})
			if err != nil {
				t.Fatalf("DeleteObjects: %v", err)
			}
			if len(out.Errors) != 0 || len(out.Deleted) != 3 {
				t.Fatalf("DeleteObjects: %d deleted, errors %+v; want 3 deleted", len(out.Deleted), out.Errors)
			}
			// Quiet mode reports only failures; a missing key is no failure.
			out, err = c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket),
				Delete: &types.Delete{Objects: ids[3:], Quiet: aws.Bool(true)}})
			if err != nil {
				t.Fatalf("DeleteObjects quiet: %v", err)
			}
			if len(out.Errors) != 0 || len(out.Deleted) != 0 {
				t.Fatalf("DeleteObjects quiet: deleted %d errors %+v; want nothing reported", len(out.Deleted), out.Errors)
			}
			if keys := listAllV2(t, c, bucket, ""); !equalStrings(keys, []string{"stay"}) {
				t.Fatalf("after DeleteObjects the bucket holds %v, want [stay]", keys)
			}
		})
	}
}

// TestSDKCopyObject copies with the metadata directive COPY and REPLACE,
// keys that need escaping, conditions and missing sources.
func TestSDKCopyObject(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-copy")
	other := bucketName("sdk-copy-dst")
	createBucket(t, c, bucket)
	createBucket(t, c, other)

	data := randData(7, 1<<20+300)
	srcKey := "src dir/ü+key?.bin"
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(srcKey), Body: bytes.NewReader(data),
		Metadata: map[string]string{"origin": "src"}, ContentType: aws.String("text/plain"),
		CacheControl: aws.String("max-age=5"),
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	// x-amz-copy-source is URL-encoded; the SDK sends it as given.
	source := bucket + "/" + escapeKey(srcKey)

	t.Run("copy-metadata", func(t *testing.T) {
		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("copy"), CopySource: aws.String(source)})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		if out.CopyObjectResult == nil || unquote(out.CopyObjectResult.ETag) != md5Hex(data) {
			t.Errorf("CopyObject ETag %+v, want %s", out.CopyObjectResult, md5Hex(data))
		}
		g, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(other), Key: aws.String("copy")})
		if !bytes.Equal(body, data) {
			t.Fatalf("copied bytes differ")
		}
		if !maps.Equal(g.Metadata, map[string]string{"origin": "src"}) || aws.ToString(g.ContentType) != "text/plain" ||
			aws.ToString(g.CacheControl) != "max-age=5" {
			t.Errorf("COPY directive: metadata %v type %q cache %q", g.Metadata, aws.ToString(g.ContentType), aws.ToString(g.CacheControl))
		}
	})

	t.Run("replace-metadata", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(bucket), Key: aws.String("replaced"), CopySource: aws.String(source),
			MetadataDirective: types.MetadataDirectiveReplace,
			Metadata:          map[string]string{"fresh": "yes"}, ContentType: aws.String("application/json"),
		})
		if err != nil {
			t.Fatalf("CopyObject REPLACE: %v", err)
		}
		g, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("replaced")})
		if !bytes.Equal(body, data) {
			t.Fatalf("copied bytes differ")
		}
		if !maps.Equal(g.Metadata, map[string]string{"fresh": "yes"}) || aws.ToString(g.ContentType) != "application/json" ||
			aws.ToString(g.CacheControl) != "" {
			t.Errorf("REPLACE directive: metadata %v type %q cache %q", g.Metadata, aws.ToString(g.ContentType), aws.ToString(g.CacheControl))
		}
	})

	t.Run("onto-itself", func(t *testing.T) {
		// Copying an object onto itself is only legal when it changes the
		// metadata.
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(srcKey), CopySource: aws.String(source)})
		requireCode(t, err, http.StatusBadRequest, "InvalidRequest")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(srcKey), CopySource: aws.String(source),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"origin": "updated"},
		})
		if err != nil {
			t.Fatalf("CopyObject onto itself with REPLACE: %v", err)
		}
		g, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(srcKey)})
		if !bytes.Equal(body, data) || g.Metadata["origin"] != "updated" {
			t.Fatalf("in-place metadata update: metadata %v, bytes equal %v", g.Metadata, bytes.Equal(body, data))
		}
	})

	t.Run("conditions", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("cond"),
			CopySource: aws.String(source), CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)})
		requireCode(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		requireAbsent(t, c, other, "cond")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("cond"),
			CopySource: aws.String(source), CopySourceIfNoneMatch: aws.String(`"` + md5Hex(data) + `"`)})
		requireCode(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		requireAbsent(t, c, other, "cond")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("cond"),
			CopySource: aws.String(source), CopySourceIfMatch: aws.String(`"` + md5Hex(data) + `"`)})
		if err != nil {
			t.Fatalf("CopyObject with a matching If-Match: %v", err)
		}
	})

	t.Run("missing-source", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("x"), CopySource: aws.String(bucket + "/nope")})
		requireCode(t, err, http.StatusNotFound, "NoSuchKey")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(other), Key: aws.String("x"), CopySource: aws.String("no-such-bucket-" + fx.runID + "/k")})
		requireCode(t, err, http.StatusNotFound, "NoSuchBucket")
		requireAbsent(t, c, other, "x")
	})
}

// escapeKey URL-encodes an object key for x-amz-copy-source: every byte
// outside the unreserved set and '/' is percent-encoded.
func escapeKey(k string) string {
	var b []byte
	for i := 0; i < len(k); i++ {
		ch := k[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9',
			ch == '-', ch == '_', ch == '.', ch == '~', ch == '/':
			b = append(b, ch)
		default:
			b = append(b, fmt.Sprintf("%%%02X", ch)...)
		}
	}
	return string(b)
}

// TestSDKRange reads byte ranges: closed, open, suffix, across the 1 MiB
// chunk boundary, and unsatisfiable.
func TestSDKRange(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("sdk-range")
	createBucket(t, c, bucket)
	const size = 3<<20 + 11
	data := randData(11, size)
	put(t, c, bucket, "r", data)

	for _, tc := range []struct {
		rng        string
		start, end int // inclusive
	}{
		{"bytes=0-0", 0, 0},
		{"bytes=100-199", 100, 199},
		{"bytes=1048570-1048590", 1048570, 1048590},
		{"bytes=1048576-2097152", 1048576, 2097152},
		{"bytes=0-", 0, size - 1},
		{fmt.Sprintf("bytes=%d-", size-10), size - 10, size - 1},
		{"bytes=-500", size - 500, size - 1},
		{fmt.Sprintf("bytes=%d-%d", size-5, size+100), size - 5, size - 1},
		{fmt.Sprintf("bytes=-%d", size+1000), 0, size - 1},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			out, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String(tc.rng)})
			want := data[tc.start : tc.end+1]
			if !bytes.Equal(body, want) {
				t.Fatalf("got %d bytes, want %d bytes [%d,%d] (equal=%v)", len(body), len(want), tc.start, tc.end, bytes.Equal(body, want))
			}
			if cr := fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end, size); aws.ToString(out.ContentRange) != cr {
				t.Errorf("Content-Range %q, want %q", aws.ToString(out.ContentRange), cr)
			}
			if aws.ToInt64(out.ContentLength) != int64(len(want)) {
				t.Errorf("Content-Length %d, want %d", aws.ToInt64(out.ContentLength), len(want))
			}
		})
	}
	// HEAD with a satisfiable Range reports the Content-Length GET would
	// send (S3 HeadObject documentation), and 416 when unsatisfiable.
	ho, err := c.HeadObject(testCtx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String("bytes=100-199")})
	if err != nil {
		t.Fatalf("HeadObject with Range: %v", err)
	}
	if aws.ToInt64(ho.ContentLength) != 100 {
		t.Errorf("HeadObject with Range bytes=100-199: Content-Length %d, want 100", aws.ToInt64(ho.ContentLength))
	}
	_, err = c.HeadObject(testCtx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String(fmt.Sprintf("bytes=%d-", size))})
	requireCode(t, err, http.StatusRequestedRangeNotSatisfiable, "")
	for _, rng := range []string{fmt.Sprintf("bytes=%d-", size), fmt.Sprintf("bytes=%d-%d", size+10, size+20)} {
		_, err := c.GetObject(testCtx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("r"), Range: aws.String(rng)})
		requireCode(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	}
}

// TestSDKConditionalGet checks If-Match, If-None-Match, If-Modified-Since
// and If-Unmodified-Since on GET and HEAD.
func TestSDKConditionalGet(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-cond")
	createBucket(t, c, bucket)
	data := []byte("conditional body")
	put(t, c, bucket, "k", data)
	ho, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	etag := aws.ToString(ho.ETag)
	lm := aws.ToTime(ho.LastModified)
	// after is a second past Last-Modified, and not in the future: RFC 2616
	// servers ignore an If-Modified-Since later than their clock.
	past, after, future := lm.Add(-time.Hour), lm.Add(time.Second), time.Now().Add(time.Hour)
	time.Sleep(time.Until(after))
	other := `"ffffffffffffffffffffffffffffffff"`

	for _, tc := range []struct {
		name   string
		get    s3.GetObjectInput
		status int // 0 = 200
	}{
		{"if-match", s3.GetObjectInput{IfMatch: aws.String(etag)}, 0},
		{"if-match-star", s3.GetObjectInput{IfMatch: aws.String("*")}, 0},
		{"if-match-other", s3.GetObjectInput{IfMatch: aws.String(other)}, http.StatusPreconditionFailed},
		{"if-none-match", s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, http.StatusNotModified},
		{"if-none-match-other", s3.GetObjectInput{IfNoneMatch: aws.String(other)}, 0},
		{"if-modified-since-past", s3.GetObjectInput{IfModifiedSince: aws.Time(past)}, 0},
		{"if-modified-since-after", s3.GetObjectInput{IfModifiedSince: aws.Time(after)}, http.StatusNotModified},
		{"if-unmodified-since-past", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(past)}, http.StatusPreconditionFailed},
		{"if-unmodified-since-future", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(future)}, 0},
		// If-Match wins over a failing If-Unmodified-Since, and
		// If-None-Match over a passing If-Modified-Since (RFC 7232 order).
		{"match-beats-unmodified", s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: aws.Time(past)}, 0},
		{"nonematch-beats-modified", s3.GetObjectInput{IfNoneMatch: aws.String(etag), IfModifiedSince: aws.Time(past)}, http.StatusNotModified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.get
			in.Bucket, in.Key = aws.String(bucket), aws.String("k")
			out, err := c.GetObject(ctx, &in)
			hin := &s3.HeadObjectInput{Bucket: in.Bucket, Key: in.Key, IfMatch: in.IfMatch, IfNoneMatch: in.IfNoneMatch,
				IfModifiedSince: in.IfModifiedSince, IfUnmodifiedSince: in.IfUnmodifiedSince}
			_, herr := c.HeadObject(ctx, hin)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("GetObject: %v", err)
				}
				out.Body.Close()
				if herr != nil {
					t.Fatalf("HeadObject: %v", herr)
				}
				return
			}
			code := "PreconditionFailed"
			if tc.status == http.StatusNotModified {
				code = "" // 304 carries no body
			}
			requireCode(t, err, tc.status, code)
			requireCode(t, herr, tc.status, "")
		})
	}
}
