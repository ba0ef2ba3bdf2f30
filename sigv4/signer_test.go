package sigv4

import (
	"net/http"
	"strings"
	"testing"
)

// httpRequest adapts an outgoing *http.Request into the verifier's Request,
// the way s3api does for incoming ones.
func httpRequest(req *http.Request) *Request {
	var names []string
	for k := range req.Header {
		names = append(names, strings.ToLower(k))
	}
	return &Request{
		Method: req.Method, RawPath: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery, Host: req.URL.Host,
		Header: func(n string) (string, bool) {
			if n == "host" {
				return req.URL.Host, true
			}
			v := req.Header.Values(n)
			return strings.Join(v, ","), len(v) > 0
		},
		HeaderNames: names,
	}
}

func TestSignerVerifies(t *testing.T) {
	v := newTestVerifier(testTime)
	s := NewSigner(testCreds)
	cases := []struct{ method, url, payload string }{
		{"PUT", "http://127.0.0.1:9000/bkt/a%20b/c.txt", unsignedPayload},
		{"GET", "http://127.0.0.1:9000/bkt?list-type=2&prefix=x%2Fy&max-keys=10", emptySHA256Hex},
		{"POST", "http://h:1/bkt/k?uploads", unsignedPayload},
		{"PUT", "http://h:1/bkt/k?partNumber=2&uploadId=abc", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
	}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, c.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Amz-Checksum-Crc32c", "AAAAAA==")
		req.Header.Set("Content-Type", "application/octet-stream")
		if strings.HasPrefix(c.payload, "STREAMING") {
			req.Header.Set("X-Amz-Decoded-Content-Length", "5")
		}
		if err := s.Sign(req, c.payload, testTime); err != nil {
			t.Fatalf("%s %s: %v", c.method, c.url, err)
		}
		id, err := v.Verify(httpRequest(req))
		if err != nil {
			t.Fatalf("%s %s: verify: %v (auth %s)", c.method, c.url, err, req.Header.Get("Authorization"))
		}
		if id.AccessKey != testAK {
			t.Fatalf("identity %q", id.AccessKey)
		}
		// A header changed after signing must break the signature.
		req.Header.Set("X-Amz-Checksum-Crc32c", "BBBBBB==")
		if _, err := v.Verify(httpRequest(req)); err == nil {
			t.Fatalf("%s %s: tampered header verified", c.method, c.url)
		}
	}
	bad, _ := http.NewRequest("GET", "http://h/b?a=%zz", nil)
	if err := s.Sign(bad, unsignedPayload, testTime); err == nil {
		t.Fatal("malformed query signed")
	}
}
