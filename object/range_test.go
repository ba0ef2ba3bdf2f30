package object

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// mpuObject uploads data as a multipart object with the given part sizes.
func mpuObject(t testing.TB, s *Store, bucket, key string, seed uint64, sizes []int, checksum string) ([]byte, ObjectInfo) {
	t.Helper()
	ctx := context.Background()
	up, err := s.CreateMultipartUpload(ctx, bucket, key, ObjectMeta{ContentType: "application/x-test"}, checksum, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	var parts []CompletePart
	for i, n := range sizes {
		data := randBytes(seed+uint64(i), n)
		all = append(all, data...)
		p, err := s.UploadPart(ctx, up.UploadID, i+1, PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(n)})
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		parts = append(parts, CompletePart{PartNumber: i + 1, ETag: `"` + p.ETag + `"`})
	}
	info, err := s.CompleteMultipartUpload(ctx, bucket, key, up.UploadID, parts, CompleteOptions{})
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	return all, info
}

// smallParts lets tests complete uploads with tiny parts.
func smallParts(s *Store) { s.minPart = 1 }

func TestRangeMatrix(t *testing.T) {
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	c := testChunk
	single := randBytes(11, 3*c+77)
	put(t, e.s, "data", "single", single)
	sizes := []int{c + 3, 2*c - 1, 100, c}
	multi, info := mpuObject(t, e.s, "data", "multi", 20, sizes, "")
	if info.PartsCount != len(sizes) || info.Size != int64(len(multi)) {
		t.Fatalf("multipart info %+v", info)
	}
	for _, obj := range []struct {
		key  string
		data []byte
	}{{"single", single}, {"multi", multi}} {
		size := len(obj.data)
		// Interesting offsets: stripe and part boundaries ± 1.
		offs := map[int]bool{0: true, 1: true, size - 1: true}
		edge := 0
		for _, n := range append(sizes, c, c) {
			edge += n
			for _, d := range []int{-1, 0, 1} {
				if o := edge + d; o >= 0 && o < size {
					offs[o] = true
				}
			}
		}
		for o := c; o < size; o += c {
			offs[o-1], offs[o] = true, true
		}
		for off := range offs {
			for _, n := range []int{1, 2, 17, c - 1, c, c + 1, 2*c + 3, size} {
				last := min(off+n, size) - 1
				h := fmt.Sprintf("bytes=%d-%d", off, off+n-1)
				got, o, err := read(t, e.s, GetInput{Bucket: "data", Key: obj.key, RangeHeader: h})
				if err != nil {
					t.Fatalf("%s %s: %v", obj.key, h, err)
				}
				if !o.Partial || o.Range.Start != int64(off) || !bytes.Equal(got, obj.data[off:last+1]) {
					t.Fatalf("%s %s: range %+v, %d bytes", obj.key, h, o.Range, len(got))
				}
			}
		}
		// Open-ended and suffix forms.
		for _, tc := range []struct {
			h    string
			want []byte
		}{
			{fmt.Sprintf("bytes=%d-", c+5), obj.data[c+5:]},
			{"bytes=-1", obj.data[size-1:]},
			{fmt.Sprintf("bytes=-%d", c+200), obj.data[size-c-200:]},
			{fmt.Sprintf("bytes=-%d", 10*size), obj.data},
		} {
			got, _, err := read(t, e.s, GetInput{Bucket: "data", Key: obj.key, RangeHeader: tc.h})
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("%s %s: %v (%d bytes)", obj.key, tc.h, err, len(got))
			}
		}
		_, err := e.s.GetObject(context.Background(), GetInput{Bucket: "data", Key: obj.key, RangeHeader: fmt.Sprintf("bytes=%d-", size)})
		wantErr(t, err, ErrInvalidRange)
		// Multiple ranges are ignored: whole object, not partial.
		got, o, err := read(t, e.s, GetInput{Bucket: "data", Key: obj.key, RangeHeader: "bytes=0-1,4-5"})
		if err != nil || o.Partial || !bytes.Equal(got, obj.data) {
			t.Fatalf("%s multi-range: %v", obj.key, err)
		}
	}
}

func TestRangeEmptyObject(t *testing.T) {
	e := newEnv(t)
	e.bucket("data")
	put(t, e.s, "data", "empty", nil)
	_, err := e.s.GetObject(context.Background(), GetInput{Bucket: "data", Key: "empty", RangeHeader: "bytes=0-"})
	wantErr(t, err, ErrInvalidRange)
	got, o, err := read(t, e.s, GetInput{Bucket: "data", Key: "empty", RangeHeader: "bytes=-5"})
	if err != nil || len(got) != 0 || o.Partial {
		t.Fatalf("suffix on empty: %v %d %v", err, len(got), o.Partial)
	}
}

func TestPartNumber(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	sizes := []int{testChunk + 9, 300, testChunk}
	multi, _ := mpuObject(t, e.s, "data", "multi", 5, sizes, "")
	off := 0
	for i, n := range sizes {
		got, o, err := read(t, e.s, GetInput{Bucket: "data", Key: "multi", PartNumber: i + 1})
		if err != nil || !o.Partial || o.Info.PartsCount != 3 || !bytes.Equal(got, multi[off:off+n]) {
			t.Fatalf("part %d: %v partial=%v count=%d", i+1, err, o != nil && o.Partial, len(got))
		}
		off += n
	}
	_, err := e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "multi", PartNumber: 4})
	wantErr(t, err, ErrInvalidPartNumber)
	_, err = e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "multi", PartNumber: 1, RangeHeader: "bytes=0-1"})
	wantErr(t, err, ErrInvalidArgument)
	_, err = e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "multi", PartNumber: 10001})
	wantErr(t, err, ErrInvalidArgument)
	_, err = e.s.HeadObject(ctx, GetInput{Bucket: "data", Key: "multi", PartNumber: 9})
	wantErr(t, err, ErrInvalidPartNumber)

	single := randBytes(6, 1234)
	put(t, e.s, "data", "single", single)
	got, o, err := read(t, e.s, GetInput{Bucket: "data", Key: "single", PartNumber: 1})
	if err != nil || o.Partial || !bytes.Equal(got, single) {
		t.Fatalf("single part 1: %v", err)
	}
	_, err = e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "single", PartNumber: 2})
	wantErr(t, err, ErrInvalidPartNumber)
}
