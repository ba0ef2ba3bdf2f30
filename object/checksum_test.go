package object

import (
	"encoding/base64"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"testing"

	"github.com/minio/crc64nvme"
)

func TestValidChecksumAlgorithm(t *testing.T) {
	for _, n := range []string{"crc32", "CRC32", "crc32c", "CRC32C", "crc64nvme", "CRC64NVME", "sha1", "SHA256"} {
		if !ValidChecksumAlgorithm(n) {
			t.Errorf("%s rejected", n)
		}
	}
	for _, n := range []string{"", "md5", "sha512", "xxhash", "crc64"} {
		if ValidChecksumAlgorithm(n) {
			t.Errorf("%s accepted", n)
		}
	}
}

func TestCRCCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 70000)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	c32 := crc32.MakeTable(crc32.Castagnoli)
	for _, split := range []int{0, 1, 7, 64, 4096, 65537, len(buf)} {
		a, b := buf[:split], buf[split:]
		if got, want := crcCombine(polyCRC32, 32, uint64(crc32.ChecksumIEEE(a)), uint64(crc32.ChecksumIEEE(b)), int64(len(b))), uint64(crc32.ChecksumIEEE(buf)); got != want {
			t.Errorf("crc32 split %d: %08x want %08x", split, got, want)
		}
		if got, want := crcCombine(polyCRC32C, 32, uint64(crc32.Checksum(a, c32)), uint64(crc32.Checksum(b, c32)), int64(len(b))), uint64(crc32.Checksum(buf, c32)); got != want {
			t.Errorf("crc32c split %d: %08x want %08x", split, got, want)
		}
		if got, want := crcCombine(polyCRC64NVME, 64, crc64nvme.Checksum(a), crc64nvme.Checksum(b), int64(len(b))), crc64nvme.Checksum(buf); got != want {
			t.Errorf("crc64nvme split %d: %016x want %016x", split, got, want)
		}
	}
}

func TestMultipartChecksum(t *testing.T) {
	parts := [][]byte{[]byte("hello "), []byte("multipart "), []byte("world")}
	whole := []byte("hello multipart world")
	for _, algo := range []string{"crc32", "crc32c", "crc64nvme"} {
		var pcs []partChecksum
		for _, p := range parts {
			h := newChecksumHash(algo)
			h.Write(p)
			pcs = append(pcs, partChecksum{raw: h.Sum(nil), size: int64(len(p))})
		}
		h := newChecksumHash(algo)
		h.Write(whole)
		got, err := multipartChecksum(algo, ChecksumFullObject, pcs)
		if want := base64.StdEncoding.EncodeToString(h.Sum(nil)); err != nil || got != want {
			t.Errorf("%s full object: %q %v, want %q", algo, got, err, want)
		}
	}
	// COMPOSITE: checksum of the concatenated part checksums, "-N".
	var pcs []partChecksum
	cat := []byte{}
	for _, p := range parts {
		h := newChecksumHash("sha256")
		h.Write(p)
		raw := h.Sum(nil)
		cat = append(cat, raw...)
		pcs = append(pcs, partChecksum{raw: raw, size: int64(len(p))})
	}
	h := newChecksumHash("sha256")
	h.Write(cat)
	got, err := multipartChecksum("sha256", ChecksumComposite, pcs)
	if want := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-3"; err != nil || got != want {
		t.Errorf("composite: %q %v, want %q", got, err, want)
	}
	if _, err := multipartChecksum("sha1", ChecksumFullObject, pcs); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("sha1 full object: %v", err)
	}
}

func TestMultipartChecksumSpec(t *testing.T) {
	tests := []struct {
		algo, typ, want string
		err             bool
	}{
		{"", "", "", false},
		{"CRC32", "", "crc32:COMPOSITE", false},
		{"crc32c", "FULL_OBJECT", "crc32c:FULL_OBJECT", false},
		{"crc64nvme", "", "crc64nvme:FULL_OBJECT", false},
		{"crc64nvme", "COMPOSITE", "", true},
		{"sha256", "", "sha256:COMPOSITE", false},
		{"sha1", "FULL_OBJECT", "", true},
		{"", "COMPOSITE", "", true},
		{"md5", "", "", true},
		{"crc32", "BOGUS", "", true},
	}
	for _, tt := range tests {
		got, err := MultipartChecksum(tt.algo, tt.typ)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("MultipartChecksum(%q, %q) = %q, %v", tt.algo, tt.typ, got, err)
		}
		if err == nil {
			a, ty, err := parseUploadChecksum(got)
			if err != nil || (got != "" && a+":"+ty != got) {
				t.Errorf("parseUploadChecksum(%q) = %q %q %v", got, a, ty, err)
			}
		}
	}
	// A bare algorithm (gateway ignoring x-amz-checksum-type) gets defaults.
	if a, ty, err := parseUploadChecksum("CRC64NVME"); err != nil || a != "crc64nvme" || ty != ChecksumFullObject {
		t.Errorf("bare crc64nvme: %q %q %v", a, ty, err)
	}
}

func FuzzMultipartChecksum(f *testing.F) {
	for _, s := range [][2]string{{"CRC32", ""}, {"crc64nvme", "FULL_OBJECT"}, {"sha1", "COMPOSITE"}, {"", "x"}, {"crc32c", "full_object"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, algo, typ string) {
		spec, err := MultipartChecksum(algo, typ)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		a, ty, err := parseUploadChecksum(spec)
		if err != nil || (spec == "") != (a == "") || (a != "" && (!ValidChecksumAlgorithm(a) || a+":"+ty != spec)) {
			t.Fatalf("MultipartChecksum(%q, %q) = %q does not round-trip: %q %q %v", algo, typ, spec, a, ty, err)
		}
	})
}
