package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// ssecTriple returns the base64 key and key MD5 of raw.
func ssecTriple(raw []byte) (key, sum string) {
	s := md5.Sum(raw)
	return base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(s[:])
}

func TestParseSSECustomer(t *testing.T) {
	key32 := []byte(strings.Repeat("k", 32))
	k, m := ssecTriple(key32)
	k16, m16 := ssecTriple(key32[:16])
	for _, c := range []struct {
		name               string
		alg, key, sum      string
		algOK, keyOK, md5K bool
		code               string
		want               bool
	}{
		{"none", "", "", "", false, false, false, "", false},
		{"ok", "AES256", k, m, true, true, true, "", true},
		{"no algorithm", "", k, m, false, true, true, "InvalidArgument", false},
		{"no key", "AES256", "", m, true, false, true, "InvalidArgument", false},
		{"no md5", "AES256", k, "", true, true, false, "InvalidArgument", false},
		{"bad algorithm", "aws:kms", k, m, true, true, true, "InvalidEncryptionAlgorithmError", false},
		{"lower-case algorithm", "aes256", k, m, true, true, true, "InvalidEncryptionAlgorithmError", false},
		{"short key", "AES256", k16, m16, true, true, true, "InvalidArgument", false},
		{"not base64", "AES256", "!!!!" + k[4:], m, true, true, true, "InvalidArgument", false},
		{"md5 mismatch", "AES256", k, m16, true, true, true, "InvalidArgument", false},
		{"huge key", "AES256", strings.Repeat("A", 4096), m, true, true, true, "InvalidArgument", false},
		{"empty values", "", "", "", true, true, true, "InvalidEncryptionAlgorithmError", false},
	} {
		got, err := parseSSECustomer(c.alg, c.key, c.sum, c.algOK, c.keyOK, c.md5K)
		if codeOf(err) != c.code || (got != nil) != c.want {
			t.Errorf("%s: %+v %v, want code %q", c.name, got, err, c.code)
			continue
		}
		if got != nil && (string(got.key) != string(key32) || got.keyMD5 != m) {
			t.Errorf("%s: wrong key decoded", c.name)
		}
	}
}

func FuzzParseSSECustomer(f *testing.F) {
	k, m := ssecTriple([]byte(strings.Repeat("k", 32)))
	f.Add("AES256", k, m, uint8(7))
	f.Add("AES256", k, "", uint8(3))
	f.Add("x", "", "", uint8(1))
	f.Fuzz(func(t *testing.T, alg, key, sum string, present uint8) {
		got, err := parseSSECustomer(alg, key, sum, present&1 != 0, present&2 != 0, present&4 != 0)
		if err != nil && codeOf(err) == "" {
			t.Fatalf("error without an S3 code: %v", err)
		}
		if got != nil {
			// Accepted only when every check holds.
			if alg != "AES256" || len(got.key) != 32 || got.keyMD5 != sum {
				t.Fatalf("accepted %q %q %q", alg, key, sum)
			}
			s := md5.Sum(got.key)
			if base64.StdEncoding.EncodeToString(s[:]) != sum {
				t.Fatal("md5 not checked")
			}
		}
	})
}

// TestSSEHeadersRefused: what the server does not offer, or offers only
// over TLS, is refused with S3's codes and nothing is stored.
func TestSSEHeadersRefused(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/k", []byte("x"))
	k, m := ssecTriple([]byte(strings.Repeat("k", 32)))
	ssec := [][2]string{{"x-amz-server-side-encryption-customer-algorithm", "AES256"}, {"x-amz-server-side-encryption-customer-key", k}, {"x-amz-server-side-encryption-customer-key-MD5", m}}
	for _, c := range []struct {
		r      req
		status int
		code   string
		msg    string
	}{
		{req{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: ssec}, 400, "InvalidRequest", "secure connection"},
		{req{path: "/bkt/k", hdr: ssec}, 400, "InvalidRequest", "secure connection"},
		{req{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: [][2]string{{"x-amz-server-side-encryption-customer-algorithm", "AES256"}}}, 400, "InvalidArgument", "secret key"},
		{req{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: [][2]string{{"x-amz-server-side-encryption", "aws:kms:dsse"}}}, 400, "InvalidArgument", "not supported"},
		{req{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: [][2]string{{"x-amz-server-side-encryption", "ROT13"}}}, 400, "InvalidArgument", "not supported"},
		{req{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: [][2]string{{"x-amz-server-side-encryption", "aws:kms"}}}, 400, "InvalidArgument", "kms-key-id"},
		{req{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: [][2]string{{"x-amz-server-side-encryption-aws-kms-key-id", "k-0123456789abcdef"}}}, 400, "InvalidArgument", "aws:kms"},
		{req{method: http.MethodPut, path: "/bkt/k2", body: []byte("x"), hdr: [][2]string{{"x-amz-server-side-encryption", "aws:kms"}, {"x-amz-server-side-encryption-aws-kms-key-id", "k-0123456789abcdef"}, {"x-amz-server-side-encryption-context", "e30="}}}, 400, "InvalidArgument", "context"},
		{req{path: "/bkt/k", hdr: [][2]string{{"x-amz-copy-source-server-side-encryption-customer-algorithm", "AES256"}}}, 400, "InvalidArgument", "Copy source"},
	} {
		got := e.do(c.r)
		if got.status != c.status || got.code() != c.code || !strings.Contains(string(got.body), c.msg) {
			t.Errorf("%s %s %v: %d %q %s", c.r.method, c.r.path, c.r.hdr, got.status, got.code(), got.body)
		}
	}
	if e.layer.buckets["bkt"].objects["k2"] != nil {
		t.Fatal("a refused PUT stored an object")
	}
	// AES256 is what every object gets: accepted and echoed.
	got := e.put("/bkt/k3", []byte("x"), [2]string{"x-amz-server-side-encryption", "AES256"})
	if v := got.hdr.Get("x-amz-server-side-encryption"); got.status != 200 || v != "AES256" {
		t.Fatalf("AES256 PUT: %d %q", got.status, v)
	}
}
