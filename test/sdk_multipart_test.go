package test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// minPart is S3's smallest part other than the last.
const minPart = 5 << 20

// mpu is a multipart upload under test.
type mpu struct {
	t               testing.TB
	c               *s3.Client
	bucket, key, id string
}

// newUpload starts a multipart upload.
func newUpload(t testing.TB, c *s3.Client, bucket, key string, in *s3.CreateMultipartUploadInput) *mpu {
	t.Helper()
	if in == nil {
		in = &s3.CreateMultipartUploadInput{}
	}
	in.Bucket, in.Key = aws.String(bucket), aws.String(key)
	out, err := c.CreateMultipartUpload(testCtx(t), in)
	if err != nil {
		t.Fatalf("CreateMultipartUpload %s: %v", key, err)
	}
	if aws.ToString(out.UploadId) == "" || aws.ToString(out.Key) != key || aws.ToString(out.Bucket) != bucket {
		t.Fatalf("CreateMultipartUpload answered %+v", out)
	}
	return &mpu{t: t, c: c, bucket: bucket, key: key, id: aws.ToString(out.UploadId)}
}

// part uploads one part and returns its ETag (quoted, as sent back).
func (u *mpu) part(n int32, data []byte) string {
	u.t.Helper()
	out, err := u.c.UploadPart(testCtx(u.t), &s3.UploadPartInput{Bucket: aws.String(u.bucket), Key: aws.String(u.key),
		UploadId: aws.String(u.id), PartNumber: aws.Int32(n), Body: bytes.NewReader(data)})
	if err != nil {
		u.t.Fatalf("UploadPart %d: %v", n, err)
	}
	if unquote(out.ETag) != md5Hex(data) {
		u.t.Errorf("UploadPart %d: ETag %s, want MD5 %s", n, unquote(out.ETag), md5Hex(data))
	}
	return aws.ToString(out.ETag)
}

// complete finishes the upload with parts (part number, ETag) in order.
func (u *mpu) complete(parts ...types.CompletedPart) (*s3.CompleteMultipartUploadOutput, error) {
	return u.c.CompleteMultipartUpload(testCtx(u.t), &s3.CompleteMultipartUploadInput{Bucket: aws.String(u.bucket),
		Key: aws.String(u.key), UploadId: aws.String(u.id), MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
}

// abort aborts the upload.
func (u *mpu) abort() error {
	_, err := u.c.AbortMultipartUpload(testCtx(u.t), &s3.AbortMultipartUploadInput{Bucket: aws.String(u.bucket),
		Key: aws.String(u.key), UploadId: aws.String(u.id)})
	return err
}

// cp is a CompletedPart.
func cp(n int32, etag string) types.CompletedPart {
	return types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(etag)}
}

// TestSDKMultipart uploads parts in parallel and out of order, replaces a
// part, completes, and reads the object whole, by range across part
// boundaries and by part number.
func TestSDKMultipart(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-mpu")
	createBucket(t, c, bucket)

	parts := [][]byte{randData(41, minPart), randData(42, minPart+1), randData(43, 1<<20+7)}
	u := newUpload(t, c, bucket, "big/object", &s3.CreateMultipartUploadInput{
		Metadata: map[string]string{"kind": "multipart"}, ContentType: aws.String("application/x-mpu"),
	})
	etags := make([]string, 3)
	var wg sync.WaitGroup
	// Parallel and out of order: 3, 1, 2 started together.
	for _, i := range []int{2, 0, 1} {
		wg.Go(func() { etags[i] = u.part(int32(i+1), parts[i]) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Re-uploading part 2 replaces it.
	parts[1] = randData(44, minPart+99)
	etags[1] = u.part(2, parts[1])

	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(u.key), UploadId: aws.String(u.id)})
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(lp.Parts) != 3 {
		t.Fatalf("ListParts: %d parts, want 3", len(lp.Parts))
	}
	for i, p := range lp.Parts {
		if aws.ToInt32(p.PartNumber) != int32(i+1) || aws.ToString(p.ETag) != etags[i] || aws.ToInt64(p.Size) != int64(len(parts[i])) {
			t.Errorf("ListParts[%d] = number %d etag %s size %d; want %d %s %d", i, aws.ToInt32(p.PartNumber),
				aws.ToString(p.ETag), aws.ToInt64(p.Size), i+1, etags[i], len(parts[i]))
		}
	}
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].UploadId) != u.id {
		t.Fatalf("ListMultipartUploads: %v %+v", err, ups)
	}
	// The object does not exist before Complete.
	requireAbsent(t, c, bucket, u.key)

	out, err := u.complete(cp(1, etags[0]), cp(2, etags[1]), cp(3, etags[2]))
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	want := multipartETag(parts...)
	if unquote(out.ETag) != want {
		t.Errorf("Complete ETag %s, want %s", unquote(out.ETag), want)
	}
	whole := slices.Concat(parts...)
	g, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key)})
	if sha256Hex(body) != sha256Hex(whole) {
		t.Fatalf("GetObject: %d bytes differ from the %d uploaded", len(body), len(whole))
	}
	if unquote(g.ETag) != want || g.Metadata["kind"] != "multipart" || aws.ToString(g.ContentType) != "application/x-mpu" {
		t.Errorf("GetObject: ETag %s metadata %v type %q", unquote(g.ETag), g.Metadata, aws.ToString(g.ContentType))
	}
	// The upload is gone once completed.
	ups, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("ListMultipartUploads after Complete: %v %d uploads", err, len(ups.Uploads))
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(u.key), UploadId: aws.String(u.id)})
	requireCode(t, err, http.StatusNotFound, "NoSuchUpload")

	t.Run("ranges", func(t *testing.T) {
		b1 := len(parts[0])
		b2 := b1 + len(parts[1])
		for _, r := range [][2]int{{b1 - 10, b1 + 10}, {b1 - 1, b1}, {b1, b1}, {b2 - 3, b2 + 1<<20}, {0, len(whole) - 1}, {b1 - 100, b2 + 100}} {
			rng := fmt.Sprintf("bytes=%d-%d", r[0], r[1])
			_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key), Range: aws.String(rng)})
			if !bytes.Equal(got, whole[r[0]:r[1]+1]) {
				t.Errorf("%s: %d bytes, not the expected %d", rng, len(got), r[1]+1-r[0])
			}
		}
	})
	t.Run("part-number", func(t *testing.T) {
		for i, p := range parts {
			out, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key), PartNumber: aws.Int32(int32(i + 1))})
			if !bytes.Equal(got, p) {
				t.Errorf("part %d: %d bytes, want %d", i+1, len(got), len(p))
			}
			if aws.ToInt32(out.PartsCount) != 3 {
				t.Errorf("part %d: PartsCount %d, want 3", i+1, aws.ToInt32(out.PartsCount))
			}
		}
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key), PartNumber: aws.Int32(2)})
		if err != nil || aws.ToInt64(h.ContentLength) != int64(len(parts[1])) || aws.ToInt32(h.PartsCount) != 3 {
			t.Errorf("HeadObject part 2: %v length %d parts %d", err, aws.ToInt64(h.ContentLength), aws.ToInt32(h.PartsCount))
		}
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(u.key), PartNumber: aws.Int32(4)})
		requireCode(t, err, http.StatusBadRequest, "InvalidPart")
	})
}

// TestSDKUploadPartCopy builds an object from byte ranges of another.
func TestSDKUploadPartCopy(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("sdk-partcopy")
	createBucket(t, c, bucket)
	src := randData(51, minPart+(1<<20)+3)
	put(t, c, bucket, "source", src)

	u := newUpload(t, c, bucket, "assembled", nil)
	copyPart := func(n int32, rng string) string {
		t.Helper()
		out, err := c.UploadPartCopy(testCtx(t), &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(u.key),
			UploadId: aws.String(u.id), PartNumber: aws.Int32(n), CopySource: aws.String(bucket + "/source"),
			CopySourceRange: aws.String(rng)})
		if err != nil {
			t.Fatalf("UploadPartCopy %d %s: %v", n, rng, err)
		}
		return aws.ToString(out.CopyPartResult.ETag)
	}
	// Part 1 copies the first 5 MiB, part 2 is a regular upload, part 3
	// (the last, so it may be small) copies the rest of the source.
	e1 := copyPart(1, fmt.Sprintf("bytes=0-%d", minPart-1))
	middle := randData(52, minPart)
	e2 := u.part(2, middle)
	e3 := copyPart(3, fmt.Sprintf("bytes=%d-%d", minPart, len(src)-1))
	if unquote(aws.String(e1)) != md5Hex(src[:minPart]) || unquote(aws.String(e3)) != md5Hex(src[minPart:]) {
		t.Errorf("UploadPartCopy ETags %s %s are not the MD5s of the ranges", e1, e3)
	}
	_, err := c.UploadPartCopy(testCtx(t), &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String(u.key),
		UploadId: aws.String(u.id), PartNumber: aws.Int32(4), CopySource: aws.String(bucket + "/source"),
		CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", len(src), len(src)+10))})
	requireCode(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")

	out, err := u.complete(cp(1, e1), cp(2, e2), cp(3, e3))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	want := slices.Concat(src[:minPart], middle, src[minPart:])
	if etag := multipartETag(src[:minPart], middle, src[minPart:]); unquote(out.ETag) != etag {
		t.Errorf("ETag %s, want %s", unquote(out.ETag), etag)
	}
	_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("assembled")})
	if !bytes.Equal(got, want) {
		t.Fatalf("assembled object: %d bytes differ from the %d expected", len(got), len(want))
	}
}

// TestSDKMultipartErrors checks the failures of Complete, UploadPart and
// Abort, and that a failed Complete leaves no object behind.
func TestSDKMultipartErrors(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-mpu-err")
	createBucket(t, c, bucket)
	big := randData(61, minPart)
	small := []byte("small part")

	u := newUpload(t, c, bucket, "errors", nil)
	e1 := u.part(1, big)
	e2 := u.part(2, small)
	e3 := u.part(3, small)

	_, err := u.complete(cp(1, `"00000000000000000000000000000000"`), cp(2, e2))
	requireCode(t, err, http.StatusBadRequest, "InvalidPart")
	_, err = u.complete(cp(1, e1), cp(5, e2))
	requireCode(t, err, http.StatusBadRequest, "InvalidPart")
	_, err = u.complete(cp(2, e2), cp(1, e1))
	requireCode(t, err, http.StatusBadRequest, "InvalidPartOrder")
	// Part 2 is under 5 MiB and not last.
	_, err = u.complete(cp(1, e1), cp(2, e2), cp(3, e3))
	requireCode(t, err, http.StatusBadRequest, "EntityTooSmall")
	requireAbsent(t, c, bucket, "errors")
	// The upload survives failed Completes: a valid subset succeeds.
	out, err := u.complete(cp(1, e1), cp(3, e3))
	if err != nil {
		t.Fatalf("Complete with parts 1 and 3: %v", err)
	}
	if unquote(out.ETag) != multipartETag(big, small) {
		t.Errorf("ETag %s, want %s", unquote(out.ETag), multipartETag(big, small))
	}
	_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("errors")})
	if !bytes.Equal(got, slices.Concat(big, small)) {
		t.Fatal("object from parts 1 and 3 differs")
	}

	_, err = u.complete(cp(1, e1))
	requireCode(t, err, http.StatusNotFound, "NoSuchUpload")
	bogus := &mpu{t: t, c: c, bucket: bucket, key: "errors", id: "bogus-upload-id"}
	_, err = bogus.complete(cp(1, e1))
	requireCode(t, err, http.StatusNotFound, "NoSuchUpload")
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("errors"),
		UploadId: aws.String("bogus-upload-id"), PartNumber: aws.Int32(1), Body: bytes.NewReader(small)})
	requireCode(t, err, http.StatusNotFound, "NoSuchUpload")
	for _, n := range []int32{0, 10001} {
		u2 := newUpload(t, c, bucket, "bad-number", nil)
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String(u2.key),
			UploadId: aws.String(u2.id), PartNumber: aws.Int32(n), Body: bytes.NewReader(small)})
		requireCode(t, err, http.StatusBadRequest, "InvalidArgument")
		if err := u2.abort(); err != nil {
			t.Fatal(err)
		}
	}

	// Abort: parts and upload disappear, the object never appears.
	a := newUpload(t, c, bucket, "aborted", nil)
	a.part(1, small)
	if err := a.abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String("aborted"), UploadId: aws.String(a.id)})
	requireCode(t, err, http.StatusNotFound, "NoSuchUpload")
	_, err = a.complete(cp(1, md5Hex(small)))
	requireCode(t, err, http.StatusNotFound, "NoSuchUpload")
	requireAbsent(t, c, bucket, "aborted")
	requireCode(t, a.abort(), http.StatusNotFound, "NoSuchUpload")
}

// TestSDKMultipartListings pages through ListParts and ListMultipartUploads
// with markers and max values, prefixes and a delimiter.
func TestSDKMultipartListings(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-mpu-list")
	createBucket(t, c, bucket)

	u := newUpload(t, c, bucket, "parts", nil)
	for n := int32(1); n <= 5; n++ {
		u.part(n, []byte(fmt.Sprintf("part %d", n)))
	}
	var got []int32
	marker := (*string)(nil)
	for pages := 0; ; pages++ {
		out, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(bucket), Key: aws.String(u.key),
			UploadId: aws.String(u.id), MaxParts: aws.Int32(2), PartNumberMarker: marker})
		if err != nil {
			t.Fatalf("ListParts: %v", err)
		}
		if len(out.Parts) > 2 || pages > 5 {
			t.Fatalf("ListParts: page of %d parts (page %d)", len(out.Parts), pages)
		}
		if aws.ToInt32(out.MaxParts) != 2 {
			t.Errorf("ListParts MaxParts %d", aws.ToInt32(out.MaxParts))
		}
		for _, p := range out.Parts {
			got = append(got, aws.ToInt32(p.PartNumber))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if aws.ToString(out.NextPartNumberMarker) != fmt.Sprint(got[len(got)-1]) {
			t.Fatalf("NextPartNumberMarker %q, want %d", aws.ToString(out.NextPartNumberMarker), got[len(got)-1])
		}
		marker = out.NextPartNumberMarker
	}
	if !slices.Equal(got, []int32{1, 2, 3, 4, 5}) {
		t.Fatalf("ListParts pages gave %v", got)
	}

	// Uploads: two on one key, others under prefixes.
	ids := map[string][]string{}
	for _, k := range []string{"k1", "k2", "k2", "dir/k3", "dir/sub/k4"} {
		ids[k] = append(ids[k], newUpload(t, c, bucket, k, nil).id)
	}
	ids["parts"] = []string{u.id}
	type entry struct{ key, id string }
	var all []entry
	var keyMarker, idMarker *string
	for pages := 0; ; pages++ {
		out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket),
			MaxUploads: aws.Int32(2), KeyMarker: keyMarker, UploadIdMarker: idMarker})
		if err != nil {
			t.Fatalf("ListMultipartUploads: %v", err)
		}
		if len(out.Uploads) > 2 || pages > 10 {
			t.Fatalf("ListMultipartUploads: page of %d (page %d)", len(out.Uploads), pages)
		}
		for _, up := range out.Uploads {
			all = append(all, entry{aws.ToString(up.Key), aws.ToString(up.UploadId)})
			if up.Initiated == nil || up.Initiated.IsZero() {
				t.Errorf("upload %s has no Initiated time", aws.ToString(up.Key))
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		keyMarker, idMarker = out.NextKeyMarker, out.NextUploadIdMarker
		if aws.ToString(keyMarker) == "" {
			t.Fatal("truncated ListMultipartUploads without NextKeyMarker")
		}
	}
	var keys []string
	seen := map[string]bool{}
	for _, e := range all {
		keys = append(keys, e.key)
		if seen[e.id] || !slices.Contains(ids[e.key], e.id) {
			t.Errorf("upload %s/%s listed twice or unknown", e.key, e.id)
		}
		seen[e.id] = true
	}
	if want := []string{"dir/k3", "dir/sub/k4", "k1", "k2", "k2", "parts"}; !equalStrings(keys, want) {
		t.Fatalf("uploads listed by key %q, want %q", keys, want)
	}

	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String("dir/")})
	if err != nil || len(out.Uploads) != 2 {
		t.Fatalf("prefix dir/: %v %d uploads", err, len(out.Uploads))
	}
	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var upKeys []string
	for _, up := range out.Uploads {
		upKeys = append(upKeys, aws.ToString(up.Key))
	}
	if !equalStrings(upKeys, []string{"k1", "k2", "k2", "parts"}) || !equalStrings(prefixList(out.CommonPrefixes), []string{"dir/"}) {
		t.Fatalf("delimiter /: uploads %q prefixes %q", upKeys, prefixList(out.CommonPrefixes))
	}
	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), KeyMarker: aws.String("k1")})
	if err != nil {
		t.Fatal(err)
	}
	upKeys = upKeys[:0]
	for _, up := range out.Uploads {
		upKeys = append(upKeys, aws.ToString(up.Key))
	}
	if !equalStrings(upKeys, []string{"k2", "k2", "parts"}) {
		t.Fatalf("key-marker k1: %q", upKeys)
	}
}
