package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// uploadPart uploads data as part n and returns its info.
func uploadPart(t testing.TB, s *Store, bucket, key, id string, n int, data []byte) PartInfo {
	t.Helper()
	p, err := s.UploadPart(context.Background(), id, n, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatalf("part %d: %v", n, err)
	}
	return p
}

func TestMultipartLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	put(t, e.s, "data", "obj", []byte("to be overwritten"))
	up, err := e.s.CreateMultipartUpload(ctx, "data", "obj", ObjectMeta{ContentType: "video/mp4", User: map[string]string{"a": "b"}}, "", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if len(up.UploadID) != 64 || up.Owner != "alice" || up.Initiated.IsZero() {
		t.Fatalf("upload %+v", up)
	}
	p1 := randBytes(1, testChunk+5)
	p2old := randBytes(2, 1000)
	p2 := randBytes(3, 2*testChunk)
	p3 := randBytes(4, 77)
	p4 := randBytes(5, 500) // uploaded, never listed
	uploadPart(t, e.s, "data", "obj", up.UploadID, 1, p1)
	uploadPart(t, e.s, "data", "obj", up.UploadID, 2, p2old)
	i2 := uploadPart(t, e.s, "data", "obj", up.UploadID, 2, p2) // replaces
	uploadPart(t, e.s, "data", "obj", up.UploadID, 3, p3)
	uploadPart(t, e.s, "data", "obj", up.UploadID, 4, p4)
	sum2 := md5.Sum(p2)
	if i2.ETag != hex.EncodeToString(sum2[:]) || i2.Size != int64(len(p2)) || i2.PartNumber != 2 {
		t.Fatalf("part 2 info %+v", i2)
	}
	e.wantShards(5 * 6) // the object + 4 live parts; the replaced part 2 is gone

	parts, trunc, _, err := e.s.ListParts(ctx, "data", "obj", up.UploadID, 0, -1)
	if err != nil || trunc || len(parts) != 4 || parts[1].ETag != i2.ETag {
		t.Fatalf("ListParts %+v %v %v", parts, trunc, err)
	}
	var cps []CompletePart
	var md5s []byte
	for _, p := range parts[:3] {
		cps = append(cps, CompletePart{PartNumber: p.PartNumber, ETag: `"` + p.ETag + `"`})
		raw, _ := hex.DecodeString(p.ETag)
		md5s = append(md5s, raw...)
	}
	info, err := e.s.CompleteMultipartUpload(ctx, "data", "obj", up.UploadID, cps, CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(p1, p2, p3)
	wantETag := fmt.Sprintf("%x-3", md5.Sum(md5s))
	if info.ETag != wantETag || info.Size != int64(len(all)) || info.PartsCount != 3 || info.Meta.ContentType != "video/mp4" {
		t.Fatalf("complete info %+v, want ETag %s", info, wantETag)
	}
	if got := mustRead(t, e.s, "data", "obj"); !bytes.Equal(got, all) {
		t.Fatal("multipart object reads back wrong")
	}
	head, err := e.s.HeadObject(ctx, GetInput{Bucket: "data", Key: "obj"})
	if err != nil || head.ETag != wantETag || head.Meta.User["a"] != "b" {
		t.Fatalf("head %+v %v", head, err)
	}
	// The overwritten object and the unlisted part 4 are gone; records too.
	e.wantShards(3 * 6)
	_, _, _, err = e.s.ListParts(ctx, "data", "obj", up.UploadID, 0, -1)
	wantErr(t, err, ErrNoSuchUpload)
	ups, _, _, err := e.s.ListMultipartUploads(ctx, "data", "", "", "", "", -1)
	if err != nil || len(ups) != 0 {
		t.Fatalf("uploads left: %+v %v", ups, err)
	}
	if left, _ := e.s.meta.List(ctx, nsParts(up.UploadID), "", "", 10); len(left) != 0 {
		t.Fatalf("%d part records left", len(left))
	}
	// Completing again with the same parts (a client retry) answers with
	// the committed object; another part list is NoSuchUpload.
	again, err := e.s.CompleteMultipartUpload(ctx, "data", "obj", up.UploadID, cps, CompleteOptions{})
	if err != nil || again.ETag != wantETag {
		t.Fatalf("retried complete: %+v, %v", again, err)
	}
	_, err = e.s.CompleteMultipartUpload(ctx, "data", "obj", up.UploadID, cps[:2], CompleteOptions{})
	wantErr(t, err, ErrNoSuchUpload)
	e.wantShards(3 * 6)
}

func TestMultipartErrors(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t) // real 5 MiB minimum
	e.bucket("data")
	up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	in := func(data []byte) PutInput {
		return PutInput{Bucket: "data", Key: "k", Body: bytes.NewReader(data), Size: int64(len(data))}
	}
	_, err = e.s.UploadPart(ctx, "nosuchupload", 1, in([]byte("x")))
	wantErr(t, err, ErrNoSuchUpload)
	_, err = e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "data", Key: "other", Body: bytes.NewReader(nil)})
	wantErr(t, err, ErrNoSuchUpload)
	for _, n := range []int{0, -1, 10001} {
		_, err = e.s.UploadPart(ctx, up.UploadID, n, in([]byte("x")))
		wantErr(t, err, ErrInvalidArgument)
	}
	huge := in([]byte("x"))
	huge.Size = MaxPartSize + 1
	_, err = e.s.UploadPart(ctx, up.UploadID, 1, huge)
	wantErr(t, err, ErrEntityTooLarge)
	bad := in([]byte("abc"))
	bad.ContentMD5 = make([]byte, 16)
	_, err = e.s.UploadPart(ctx, up.UploadID, 1, bad)
	wantErr(t, err, ErrBadDigest)
	e.wantShards(0)

	small := uploadPart(t, e.s, "data", "k", up.UploadID, 1, []byte("small"))
	last := uploadPart(t, e.s, "data", "k", up.UploadID, 2, []byte("last"))
	cp := func(n int, etag string) CompletePart { return CompletePart{PartNumber: n, ETag: etag} }
	for _, tc := range []struct {
		parts []CompletePart
		want  error
	}{
		{nil, ErrInvalidArgument},
		{[]CompletePart{cp(2, last.ETag), cp(1, small.ETag)}, ErrInvalidPartOrder},
		{[]CompletePart{cp(1, small.ETag), cp(1, small.ETag)}, ErrInvalidPartOrder},
		{[]CompletePart{cp(1, small.ETag), cp(3, last.ETag)}, ErrInvalidPart},
		{[]CompletePart{cp(1, small.ETag), cp(2, small.ETag)}, ErrInvalidPart},
		{[]CompletePart{cp(1, small.ETag), cp(2, last.ETag)}, ErrEntityTooSmall},
		{[]CompletePart{{PartNumber: 2, ETag: last.ETag, Checksums: map[string]string{"crc32": "AAAAAA=="}}}, ErrInvalidPart},
	} {
		_, err := e.s.CompleteMultipartUpload(ctx, "data", "k", up.UploadID, tc.parts, CompleteOptions{})
		wantErr(t, err, tc.want)
	}
	// A failed completion releases its claim: the upload still works.
	if _, err := e.s.CompleteMultipartUpload(ctx, "data", "k", up.UploadID, []CompletePart{cp(2, last.ETag)}, CompleteOptions{}); err != nil {
		t.Fatalf("complete with the last part only: %v", err)
	}
	if got := mustRead(t, e.s, "data", "k"); string(got) != "last" {
		t.Fatalf("object %q", got)
	}
	e.wantShards(6) // part 1 was not listed, so its shards went

	_, err = e.s.CompleteMultipartUpload(ctx, "data", "k", "nosuchupload", []CompletePart{cp(1, small.ETag)}, CompleteOptions{})
	wantErr(t, err, ErrNoSuchUpload)
	wantErr(t, e.s.AbortMultipartUpload(ctx, "data", "k", "nosuchupload"), ErrNoSuchUpload)
	_, err = e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "md5", "alice")
	wantErr(t, err, ErrInvalidArgument)
}

func TestMultipartAbort(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "crc32c", "alice")
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		uploadPart(t, e.s, "data", "k", up.UploadID, n, randBytes(uint64(n), 3000))
	}
	e.wantShards(18)
	if err := e.s.AbortMultipartUpload(ctx, "data", "k", up.UploadID); err != nil {
		t.Fatal(err)
	}
	e.wantShards(0)
	_, _, _, err = e.s.ListParts(ctx, "data", "k", up.UploadID, 0, -1)
	wantErr(t, err, ErrNoSuchUpload)
	_, err = e.s.UploadPart(ctx, up.UploadID, 4, PutInput{Bucket: "data", Key: "k", Body: bytes.NewReader(nil)})
	wantErr(t, err, ErrNoSuchUpload)
	wantErr(t, e.s.AbortMultipartUpload(ctx, "data", "k", up.UploadID), ErrNoSuchUpload)
	if left, _ := e.s.meta.List(ctx, nsParts(up.UploadID), "", "", 10); len(left) != 0 {
		t.Fatalf("%d part records left", len(left))
	}
	// Nothing is left to keep the bucket from being deleted.
	if err := e.s.DeleteBucket(ctx, "data"); err != nil {
		t.Fatal(err)
	}
}

func TestMultipartChecksums(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	sizes := []int{testChunk + 100, 3000, 1}
	for _, spec := range []string{"crc32", "crc32:FULL_OBJECT", "crc32c", "crc32c:FULL_OBJECT", "crc64nvme", "sha1", "sha256"} {
		data, info := mpuObject(t, e.s, "data", "k", 40, sizes, spec)
		algo, typ, _ := parseUploadChecksum(spec)
		got := info.Checksums.Values[algo]
		if info.Checksums.Type != typ {
			t.Fatalf("%s: type %q", spec, info.Checksums.Type)
		}
		if typ == ChecksumFullObject {
			if want := checksumOf(algo, data); got != want {
				t.Fatalf("%s: full-object checksum %q, want %q (single-PUT value)", spec, got, want)
			}
			continue
		}
		var cat []byte
		off := 0
		for _, n := range sizes {
			h := newChecksumHash(algo)
			h.Write(data[off : off+n])
			cat = h.Sum(cat)
			off += n
		}
		if want := checksumOf(algo, cat) + "-3"; got != want {
			t.Fatalf("%s: composite checksum %q, want %q", spec, got, want)
		}
	}

	up, err := e.s.CreateMultipartUpload(ctx, "data", "c", ObjectMeta{}, "crc32", "alice")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("part with checksum")
	in := PutInput{Bucket: "data", Key: "c", Body: bytes.NewReader(data), Size: int64(len(data)),
		Checksums: map[string]string{"crc32": checksumOf("crc32", []byte("something else"))}}
	_, err = e.s.UploadPart(ctx, up.UploadID, 1, in)
	wantErr(t, err, ErrChecksumMismatch)
	in = PutInput{Bucket: "data", Key: "c", Body: bytes.NewReader(data), Size: int64(len(data)),
		Checksums: map[string]string{"crc32c": checksumOf("crc32c", data)}}
	_, err = e.s.UploadPart(ctx, up.UploadID, 1, in)
	wantErr(t, err, ErrInvalidArgument) // not the upload's algorithm
	in.Checksums = map[string]string{"crc32": checksumOf("crc32", data)}
	in.Body = bytes.NewReader(data)
	p, err := e.s.UploadPart(ctx, up.UploadID, 1, in)
	if err != nil || p.Checksums["crc32"] != checksumOf("crc32", data) {
		t.Fatalf("part checksum %+v %v", p, err)
	}
	info, err := e.s.CompleteMultipartUpload(ctx, "data", "c", up.UploadID,
		[]CompletePart{{PartNumber: 1, ETag: p.ETag, Checksums: map[string]string{"CRC32": p.Checksums["crc32"]}}}, CompleteOptions{})
	if err != nil || info.Checksums.Values["crc32"] == "" {
		t.Fatalf("complete with part checksums: %+v %v", info, err)
	}
}

func TestListPartsAndUploads(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 5; n++ {
		uploadPart(t, e.s, "data", "k", up.UploadID, n, []byte{byte(n)})
	}
	var got []int
	marker := 0
	for pages := 0; pages < 10; pages++ {
		parts, trunc, next, err := e.s.ListParts(ctx, "data", "k", up.UploadID, marker, 2)
		if err != nil || len(parts) > 2 {
			t.Fatalf("ListParts: %+v %v", parts, err)
		}
		for _, p := range parts {
			got = append(got, p.PartNumber)
		}
		if !trunc {
			break
		}
		if next != parts[len(parts)-1].PartNumber {
			t.Fatalf("next %d", next)
		}
		marker = next
	}
	if !slices.Equal(got, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("paged parts %v", got)
	}

	// Uploads: several per key, across "folders".
	ids := map[string][]string{"k": {up.UploadID}}
	for _, key := range []string{"a/1", "a/2", "b", "k", "z/y/x"} {
		u, err := e.s.CreateMultipartUpload(ctx, "data", key, ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		ids[key] = append(ids[key], u.UploadID)
	}
	slices.Sort(ids["k"])
	all, prefixes, trunc, err := e.s.ListMultipartUploads(ctx, "data", "", "", "", "", -1)
	if err != nil || trunc || len(prefixes) != 0 || len(all) != 6 {
		t.Fatalf("all uploads: %d %v %v %v", len(all), prefixes, trunc, err)
	}
	var keys []string
	for _, u := range all {
		keys = append(keys, u.Key)
	}
	if !slices.Equal(keys, []string{"a/1", "a/2", "b", "k", "k", "z/y/x"}) {
		t.Fatalf("upload keys %q", keys)
	}
	ups, prefixes, trunc, err := e.s.ListMultipartUploads(ctx, "data", "", "/", "", "", -1)
	if err != nil || trunc || !slices.Equal(prefixes, []string{"a/", "z/"}) || len(ups) != 3 {
		t.Fatalf("delimited: %d %q %v %v", len(ups), prefixes, trunc, err)
	}
	ups, _, _, err = e.s.ListMultipartUploads(ctx, "data", "a/", "", "", "", -1)
	if err != nil || len(ups) != 2 || ups[0].Key != "a/1" {
		t.Fatalf("prefix: %+v %v", ups, err)
	}
	// key-marker alone skips the key's uploads; with upload-id-marker it
	// resumes inside them.
	ups, _, _, err = e.s.ListMultipartUploads(ctx, "data", "", "", "b", "", -1)
	if err != nil || len(ups) != 3 || ups[0].Key != "k" {
		t.Fatalf("key marker: %+v %v", ups, err)
	}
	ups, _, _, err = e.s.ListMultipartUploads(ctx, "data", "", "", "k", ids["k"][0], -1)
	if err != nil || len(ups) != 2 || ups[0].UploadID != ids["k"][1] {
		t.Fatalf("upload-id marker: %+v %v", ups, err)
	}
	ups, _, trunc, err = e.s.ListMultipartUploads(ctx, "data", "", "", "", "", 2)
	if err != nil || len(ups) != 2 || !trunc {
		t.Fatalf("max uploads: %d %v %v", len(ups), trunc, err)
	}
	ups, prefixes, trunc, err = e.s.ListMultipartUploads(ctx, "data", "", "/", "a/", "", 1)
	if err != nil || len(ups) != 1 || ups[0].Key != "b" || len(prefixes) != 0 || !trunc {
		t.Fatalf("marker past a prefix: %+v %q %v %v", ups, prefixes, trunc, err)
	}
}

func TestUploadPartCopy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	src := randBytes(50, 3*testChunk+10)
	put(t, e.s, "data", "src", src)
	up, err := e.s.CreateMultipartUpload(ctx, "data", "dst", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	r1 := fmt.Sprintf("bytes=%d-%d", testChunk-3, 2*testChunk+4)
	p1, err := e.s.UploadPartCopy(ctx, up.UploadID, 1, "data", "dst", CopyInput{SrcBucket: "data", SrcKey: "src", SrcRange: r1})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.s.UploadPartCopy(ctx, up.UploadID, 2, "data", "dst", CopyInput{SrcBucket: "data", SrcKey: "src"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.UploadPartCopy(ctx, up.UploadID, 3, "data", "dst", CopyInput{SrcBucket: "data", SrcKey: "src", SrcRange: "bytes=0-999999999"})
	wantErr(t, err, ErrInvalidRange)
	_, err = e.s.UploadPartCopy(ctx, up.UploadID, 3, "data", "dst", CopyInput{SrcBucket: "data", SrcKey: "src", SrcRange: "bytes=-5"})
	wantErr(t, err, ErrInvalidArgument)
	_, err = e.s.UploadPartCopy(ctx, up.UploadID, 3, "data", "dst", CopyInput{SrcBucket: "data", SrcKey: "src", Cond: Conditions{IfNoneMatch: "*"}})
	wantErr(t, err, ErrPreconditionFailed)
	_, err = e.s.CompleteMultipartUpload(ctx, "data", "dst", up.UploadID, []CompletePart{{1, p1.ETag, nil}, {2, p2.ETag, nil}}, CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Concat(src[testChunk-3:2*testChunk+5], src)
	if got := mustRead(t, e.s, "data", "dst"); !bytes.Equal(got, want) {
		t.Fatal("part-copied object reads back wrong")
	}
}

// TestSharedUploadTwoStores runs one upload through two Stores on the same
// local data directory, as two gateway processes would.
func TestSharedUploadTwoStores(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.s
	b := e.open()
	smallParts(a)
	smallParts(b)
	e.bucket("data")
	up, err := a.CreateMultipartUpload(ctx, "data", "shared", ObjectMeta{}, "crc64nvme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	d1, d2, d3 := randBytes(1, testChunk+1), randBytes(2, 999), randBytes(3, 5)
	p1 := uploadPart(t, b, "data", "shared", up.UploadID, 1, d1)
	p2 := uploadPart(t, a, "data", "shared", up.UploadID, 2, d2)
	p3 := uploadPart(t, b, "data", "shared", up.UploadID, 3, d3)
	parts, _, _, err := b.ListParts(ctx, "data", "shared", up.UploadID, 0, -1)
	if err != nil || len(parts) != 3 {
		t.Fatalf("ListParts via b: %+v %v", parts, err)
	}
	info, err := a.CompleteMultipartUpload(ctx, "data", "shared", up.UploadID, []CompletePart{{1, p1.ETag, nil}, {2, p2.ETag, nil}, {3, p3.ETag, nil}}, CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := slices.Concat(d1, d2, d3)
	if got := mustRead(t, b, "data", "shared"); !bytes.Equal(got, all) {
		t.Fatal("object completed on a reads back wrong on b")
	}
	if info.Checksums.Values["crc64nvme"] != checksumOf("crc64nvme", all) {
		t.Fatal("crc64nvme full-object checksum differs from a single PUT's")
	}
	_, err = b.CompleteMultipartUpload(ctx, "data", "shared", up.UploadID, []CompletePart{{1, p1.ETag, nil}}, CompleteOptions{})
	wantErr(t, err, ErrNoSuchUpload)
}

// TestConcurrentComplete races two completions of one upload on two
// Stores: with the same part list both may answer (a retry is
// idempotent), but they describe one object and leave no extra data.
func TestConcurrentComplete(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	stores := []*Store{e.s, e.open()}
	e.bucket("data")
	for round := 0; round < 4; round++ {
		up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		p := uploadPart(t, e.s, "data", "k", up.UploadID, 1, []byte(fmt.Sprint(round)))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.CompleteMultipartUpload(ctx, "data", "k", up.UploadID, []CompletePart{{1, p.ETag, nil}}, CompleteOptions{})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantErr(t, err, ErrNoSuchUpload)
			}
		}
		if ok == 0 {
			t.Fatalf("round %d: no completion succeeded", round)
		}
		e.wantShards(6)
		if got := mustRead(t, e.s, "data", "k"); string(got) != fmt.Sprint(round) {
			t.Fatalf("round %d: object %q", round, got)
		}
	}
	e.wantShards(6)
}

// clock is a settable time source for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestExpireUploads(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	e := newEnv(t, func(o *Options) { o.Now = clk.now; o.MultipartExpiry = time.Hour })
	e.bucket("one")
	e.bucket("two")
	var old []Upload
	for _, b := range []string{"one", "two"} {
		u, err := e.s.CreateMultipartUpload(ctx, b, "stale", ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatal(err)
		}
		uploadPart(t, e.s, b, "stale", u.UploadID, 1, []byte("stale part"))
		old = append(old, u)
	}
	clk.add(2 * time.Hour)
	fresh, err := e.s.CreateMultipartUpload(ctx, "one", "fresh", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.s.ExpireUploads(ctx, clk.now().Add(-time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("expired %d, %v", n, err)
	}
	e.wantShards(0)
	for _, u := range old {
		_, _, _, err := e.s.ListParts(ctx, u.Bucket, u.Key, u.UploadID, 0, -1)
		wantErr(t, err, ErrNoSuchUpload)
	}
	if _, _, _, err := e.s.ListParts(ctx, "one", "fresh", fresh.UploadID, 0, -1); err != nil {
		t.Fatalf("fresh upload expired: %v", err)
	}
	// RunUploadExpiry stops with its context.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.s.RunUploadExpiry(rctx, time.Millisecond); close(done) }()
	cancel()
	<-done
}

// TestMultipartLongestKey: every key PutObject accepts can be uploaded in
// parts too, up to MaxKeyLength bytes (the upload record's key is longer).
func TestMultipartLongestKey(t *testing.T) {
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("long")
	ctx := context.Background()
	for _, n := range []int{960, 1000, MaxKeyLength} {
		key := strings.Repeat("k", n-4) + "/é" + "x" // n bytes: 'é' is two
		if len(key) != n {
			t.Fatalf("key of %d bytes, want %d", len(key), n)
		}
		up, err := e.s.CreateMultipartUpload(ctx, "long", key, ObjectMeta{}, "", "alice")
		if err != nil {
			t.Fatalf("CreateMultipartUpload with a %d-byte key: %v", n, err)
		}
		data := randBytes(uint64(n), 3000)
		p := uploadPart(t, e.s, "long", key, up.UploadID, 1, data)
		if _, err := e.s.CompleteMultipartUpload(ctx, "long", key, up.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}}, CompleteOptions{}); err != nil {
			t.Fatalf("Complete with a %d-byte key: %v", n, err)
		}
		if got := mustRead(t, e.s, "long", key); !bytes.Equal(got, data) {
			t.Fatalf("%d-byte key reads other bytes", n)
		}
	}
	_, err := e.s.CreateMultipartUpload(ctx, "long", strings.Repeat("k", MaxKeyLength+1), ObjectMeta{}, "", "alice")
	wantErr(t, err, ErrKeyTooLong)
}

// TestPartResendWhileFirstRuns: a client resends part 1 while its first
// upload is still streaming; the resend finishes first, the first upload
// finishes later. The resend (the later-started upload) stays, Complete
// with its ETag succeeds, and the first upload's data is dropped.
func TestPartResendWhileFirstRuns(t *testing.T) {
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("resend")
	ctx := context.Background()
	up, err := e.s.CreateMultipartUpload(ctx, "resend", "k", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	first, resend := randBytes(71, 30_000), randBytes(72, 30_000)
	pr, pw := io.Pipe()
	reading := make(chan struct{})
	var once sync.Once
	body := readFunc(func(p []byte) (int, error) {
		once.Do(func() { close(reading) })
		return pr.Read(p)
	})
	done := make(chan error, 1)
	go func() {
		_, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "resend", Key: "k", Body: body, Size: int64(len(first))})
		done <- err
	}()
	<-reading // the first upload has begun
	time.Sleep(2 * time.Millisecond)
	p2 := uploadPart(t, e.s, "resend", "k", up.UploadID, 1, resend)
	if _, err := pw.Write(first); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("the superseded upload: %v", err)
	}
	if _, err := e.s.CompleteMultipartUpload(ctx, "resend", "k", up.UploadID, []CompletePart{{PartNumber: 1, ETag: p2.ETag}}, CompleteOptions{}); err != nil {
		t.Fatalf("Complete with the resend's ETag: %v", err)
	}
	if got := mustRead(t, e.s, "resend", "k"); !bytes.Equal(got, resend) {
		t.Fatal("the object holds the first upload's bytes")
	}
	e.wantShards(6)
}

// readFunc adapts a function to io.Reader.
type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }
