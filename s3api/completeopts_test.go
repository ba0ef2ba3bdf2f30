package s3api

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestValidCompleteChecksum(t *testing.T) {
	crc := checksumOf("crc32", []byte("x"))
	sha := checksumOf("sha256", []byte("x"))
	for _, c := range []struct {
		algo, v string
		ok      bool
	}{
		{"crc32", crc, true},
		{"crc32", crc + "-1", true},
		{"crc32", crc + "-10000", true},
		{"sha256", sha + "-7", true},
		{"crc32", crc + "-10001", false},
		{"crc32", crc + "-0", false},
		{"crc32", crc + "-07", false},
		{"crc32", crc + "-+7", false},
		{"crc32", crc + "-", false},
		{"crc32", crc + "-1-1", false},
		{"crc32", "-1", false},
		{"crc32", sha, false},
		{"crc32", "not*base64", false},
		{"crc32", "", false},
		{"crc64nvme", crc, false},
	} {
		if got := validCompleteChecksum(c.algo, c.v); got != c.ok {
			t.Errorf("validCompleteChecksum(%q, %q) = %v, want %v", c.algo, c.v, got, c.ok)
		}
	}
}

func FuzzValidCompleteChecksum(f *testing.F) {
	f.Add("crc32", checksumOf("crc32", []byte("x"))+"-3")
	f.Add("sha1", checksumOf("sha1", nil))
	f.Add("crc64nvme", "AAAAAAAAAAA=-")
	f.Fuzz(func(t *testing.T, algo, v string) {
		if _, known := checksumSizes[algo]; !known || !validCompleteChecksum(algo, v) {
			return
		}
		base, _, _ := strings.Cut(v, "-")
		raw, err := base64.StdEncoding.DecodeString(base)
		if err != nil || len(raw) != checksumSizes[algo] {
			t.Fatalf("accepted %q for %s", v, algo)
		}
	})
}
