package object

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestCompleteOptionsParse(t *testing.T) {
	crc := checksumOf("crc32", []byte("x"))
	sha := checksumOf("sha256", []byte("x"))
	for _, c := range []struct {
		name string
		o    CompleteOptions
		ok   bool
		want completeWant
	}{
		{"zero", CompleteOptions{}, true, completeWant{size: -1}},
		{"full value", CompleteOptions{Checksums: map[string]string{"crc32": crc}}, true, completeWant{algo: "crc32", value: crc, size: -1}},
		{"upper-case algorithm", CompleteOptions{Checksums: map[string]string{"CRC32": crc}}, true, completeWant{algo: "crc32", value: crc, size: -1}},
		{"composite suffix", CompleteOptions{Checksums: map[string]string{"sha256": sha + "-3"}}, true, completeWant{algo: "sha256", value: sha, parts: 3, size: -1}},
		{"type and size", CompleteOptions{ChecksumType: "composite", ObjectSize: 0, CheckObjectSize: true}, true, completeWant{typ: ChecksumComposite, size: 0}},
		{"two algorithms", CompleteOptions{Checksums: map[string]string{"crc32": crc, "sha256": sha}}, false, completeWant{}},
		{"unknown algorithm", CompleteOptions{Checksums: map[string]string{"md5": crc}}, false, completeWant{}},
		{"not base64", CompleteOptions{Checksums: map[string]string{"crc32": "!!!!"}}, false, completeWant{}},
		{"wrong length", CompleteOptions{Checksums: map[string]string{"crc32": sha}}, false, completeWant{}},
		{"zero parts", CompleteOptions{Checksums: map[string]string{"crc32": crc + "-0"}}, false, completeWant{}},
		{"too many parts", CompleteOptions{Checksums: map[string]string{"crc32": crc + "-10001"}}, false, completeWant{}},
		{"padded count", CompleteOptions{Checksums: map[string]string{"crc32": crc + "-02"}}, false, completeWant{}},
		{"signed count", CompleteOptions{Checksums: map[string]string{"crc32": crc + "-+2"}}, false, completeWant{}},
		{"empty count", CompleteOptions{Checksums: map[string]string{"crc32": crc + "-"}}, false, completeWant{}},
		{"two suffixes", CompleteOptions{Checksums: map[string]string{"crc32": crc + "-2-2"}}, false, completeWant{}},
		{"bad type", CompleteOptions{ChecksumType: "PARTIAL"}, false, completeWant{}},
		{"negative size", CompleteOptions{ObjectSize: -1, CheckObjectSize: true}, false, completeWant{}},
	} {
		got, err := c.o.parse()
		if c.ok != (err == nil) {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
			continue
		}
		if !c.ok {
			wantErr(t, err, ErrInvalidArgument)
			continue
		}
		if got != c.want {
			t.Errorf("%s: parsed %+v, want %+v", c.name, got, c.want)
		}
	}
}

func FuzzCompleteOptionsParse(f *testing.F) {
	crc := checksumOf("crc32", []byte("x"))
	f.Add("crc32", crc, "", int64(-1))
	f.Add("sha256", checksumOf("sha256", nil)+"-12", "COMPOSITE", int64(5))
	f.Add("crc64nvme", "AAAAAAAAAAA=", "FULL_OBJECT", int64(0))
	f.Add("CRC32", crc+"-", "x", int64(7))
	f.Fuzz(func(t *testing.T, algo, value, typ string, size int64) {
		o := CompleteOptions{Checksums: map[string]string{algo: value}, ChecksumType: typ, ObjectSize: size, CheckObjectSize: size >= -1}
		w, err := o.parse()
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("parse error %v is not ErrInvalidArgument", err)
			}
			return
		}
		if _, derr := decodeChecksum(w.algo, w.value); derr != nil {
			t.Fatalf("accepted undecodable value %q for %q", w.value, w.algo)
		}
		if w.parts < 0 || w.parts > maxCompleteParts || w.size < -1 {
			t.Fatalf("accepted %+v", w)
		}
	})
}

// TestCompleteDeclaredMismatch: a whole-object checksum, checksum type or
// size that does not match is refused before the commit, for every
// checksum mode; the upload stays intact (parts listed, shards kept, no
// object visible, an older object at the key untouched) and can then be
// completed correctly, with the declaration, or aborted.
func TestCompleteDeclaredMismatch(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	sizes := []int{testChunk + 100, 3000}
	for i, spec := range []string{"", "crc32", "crc32c:FULL_OBJECT", "crc64nvme", "sha256"} {
		key := "k" + strings.ReplaceAll(spec, ":", "-")
		old := put(t, e.s, "data", key, []byte("previous object"))
		up, err := e.s.CreateMultipartUpload(ctx, "data", key, ObjectMeta{}, spec, "alice")
		if err != nil {
			t.Fatal(err)
		}
		algo, typ, _ := parseUploadChecksum(spec)
		var all []byte
		var cps []CompletePart
		for n, size := range sizes {
			data := randBytes(uint64(100*i+n), size)
			all = append(all, data...)
			p := uploadPart(t, e.s, "data", key, up.UploadID, n+1, data)
			cps = append(cps, CompletePart{PartNumber: n + 1, ETag: p.ETag})
		}
		shards := len(e.shardFiles())

		// The right answers, from a dry run of the same stitching.
		var good string
		if algo != "" {
			var sums []partChecksum
			off := 0
			for _, size := range sizes {
				h := newChecksumHash(algo)
				h.Write(all[off : off+size])
				sums = append(sums, partChecksum{raw: h.Sum(nil), size: int64(size)})
				off += size
			}
			if good, err = multipartChecksum(algo, typ, sums); err != nil {
				t.Fatal(err)
			}
		}
		otherAlgo := "sha1"
		otherType := ChecksumComposite
		if typ == ChecksumComposite {
			otherType = ChecksumFullObject
		}
		wrong := checksumOf("crc32", []byte("not the object"))
		type bad struct {
			name string
			o    CompleteOptions
			want error
		}
		bads := []bad{
			{"size", CompleteOptions{ObjectSize: int64(len(all)) + 1, CheckObjectSize: true}, ErrObjectSizeMismatch},
			{"algorithm", CompleteOptions{Checksums: map[string]string{otherAlgo: checksumOf(otherAlgo, all)}}, ErrChecksumAlgorithmMismatch},
			{"type", CompleteOptions{ChecksumType: otherType}, ErrChecksumMismatch},
		}
		if algo != "" {
			base, _, _ := strings.Cut(good, "-")
			wrongValue := checksumOf(algo, []byte("not the object"))
			bads = append(bads, bad{"value", CompleteOptions{Checksums: map[string]string{algo: wrongValue}}, ErrChecksumMismatch})
			if typ == ChecksumComposite {
				bads = append(bads, bad{"part count", CompleteOptions{Checksums: map[string]string{algo: base + "-3"}}, ErrChecksumMismatch})
			} else {
				bads = append(bads, bad{"suffix on a full-object value", CompleteOptions{Checksums: map[string]string{algo: base + "-2"}}, ErrChecksumMismatch})
			}
		} else {
			bads = append(bads, bad{"any checksum", CompleteOptions{Checksums: map[string]string{"crc32": wrong}}, ErrChecksumAlgorithmMismatch})
		}
		for _, b := range bads {
			_, err := e.s.CompleteMultipartUpload(ctx, "data", key, up.UploadID, cps, b.o)
			if !errors.Is(err, b.want) {
				t.Fatalf("%q %s: error %v, want %v", spec, b.name, err, b.want)
			}
			// Nothing became visible and nothing was lost.
			if got := mustRead(t, e.s, "data", key); !bytes.Equal(got, []byte("previous object")) {
				t.Fatalf("%q %s: the older object was replaced", spec, b.name)
			}
			if head, err := e.s.HeadObject(ctx, GetInput{Bucket: "data", Key: key}); err != nil || head.ETag != old.ETag {
				t.Fatalf("%q %s: head %+v %v", spec, b.name, head, err)
			}
			parts, _, _, err := e.s.ListParts(ctx, "data", key, up.UploadID, 0, -1)
			if err != nil || len(parts) != len(sizes) {
				t.Fatalf("%q %s: upload not intact: %d parts, %v", spec, b.name, len(parts), err)
			}
			if n := len(e.shardFiles()); n != shards {
				t.Fatalf("%q %s: %d shard files, want %d", spec, b.name, n, shards)
			}
		}

		if i%2 == 1 {
			// Abort works after refused completions.
			if err := e.s.AbortMultipartUpload(ctx, "data", key, up.UploadID); err != nil {
				t.Fatalf("%q: abort after refusal: %v", spec, err)
			}
			continue
		}
		ok := CompleteOptions{ObjectSize: int64(len(all)), CheckObjectSize: true, ChecksumType: typ}
		if algo != "" {
			value := good
			if typ == ChecksumComposite {
				value, _, _ = strings.Cut(good, "-") // clients may leave out "-N"
			}
			ok.Checksums = map[string]string{strings.ToUpper(algo): value}
		}
		info, err := e.s.CompleteMultipartUpload(ctx, "data", key, up.UploadID, cps, ok)
		if err != nil {
			t.Fatalf("%q: complete with the right declaration: %v", spec, err)
		}
		if info.Size != int64(len(all)) || (algo != "" && info.Checksums.Values[algo] != good) {
			t.Fatalf("%q: info %+v", spec, info)
		}
		if got := mustRead(t, e.s, "data", key); !bytes.Equal(got, all) {
			t.Fatalf("%q: completed object reads back wrong", spec)
		}
	}
}

// TestCompleteOptionsSyntaxBeforeClaim: a malformed declaration is refused
// without touching the upload record.
func TestCompleteOptionsSyntaxBeforeClaim(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	smallParts(e.s)
	e.bucket("data")
	up, err := e.s.CreateMultipartUpload(ctx, "data", "k", ObjectMeta{}, "crc32", "alice")
	if err != nil {
		t.Fatal(err)
	}
	p := uploadPart(t, e.s, "data", "k", up.UploadID, 1, []byte("data"))
	before, verBefore, err := e.s.meta.Get(ctx, nsUploads("data"), uploadKey("k", up.UploadID))
	if err != nil {
		t.Fatal(err)
	}
	garbage := base64.StdEncoding.EncodeToString([]byte("too long for crc32"))
	_, err = e.s.CompleteMultipartUpload(ctx, "data", "k", up.UploadID, []CompletePart{{PartNumber: 1, ETag: p.ETag}},
		CompleteOptions{Checksums: map[string]string{"crc32": garbage}})
	wantErr(t, err, ErrInvalidArgument)
	after, verAfter, err := e.s.meta.Get(ctx, nsUploads("data"), uploadKey("k", up.UploadID))
	if err != nil || !bytes.Equal(before, after) || verBefore != verAfter {
		t.Fatalf("upload record touched by a malformed declaration: %v", err)
	}
}
