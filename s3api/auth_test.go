package s3api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAuthMatrix runs every auth form against every way to get it wrong,
// on an upload (the operation where a bypass would hurt most), and checks
// both the S3 error and that nothing was stored.
func TestAuthMatrix(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 9000) // 144000 B: several chunks
	crc := checksumOf("crc32", body)
	forms := []struct {
		name string
		auth authKind
	}{
		{"header", authHeader},
		{"presigned", authPresign},
		{"streaming-signed", authStreamSigned},
		{"streaming-signed-trailer", authStreamSignedTrailer},
		{"streaming-unsigned-trailer", authStreamUnsignedTrailer},
	}
	type variant struct {
		name   string
		mod    func(*req)
		status int
		code   string
	}
	for _, f := range forms {
		variants := []variant{
			{"valid", func(*req) {}, 200, ""},
			{"forged", func(r *req) { r.forge = true }, 403, "SignatureDoesNotMatch"},
			{"wrong-secret", func(r *req) { r.secret = "another-secret-key-000" }, 403, "SignatureDoesNotMatch"},
			{"unknown-key", func(r *req) { r.accessKey = "AKIAUNKNOWN00000" }, 403, "InvalidAccessKeyId"},
		}
		if f.auth == authPresign {
			variants = append(variants,
				variant{"expired", func(r *req) { r.signTime = testNow.Add(-2 * time.Hour); r.expires = time.Hour }, 403, "AccessDenied"},
				variant{"not-yet-valid", func(r *req) { r.signTime = testNow.Add(time.Hour) }, 403, "AccessDenied"})
		} else {
			variants = append(variants,
				variant{"expired", func(r *req) { r.signTime = testNow.Add(-time.Hour) }, 403, "RequestTimeTooSkewed"},
				variant{"skewed", func(r *req) { r.signTime = testNow.Add(6 * time.Minute) }, 403, "RequestTimeTooSkewed"})
		}
		switch f.auth {
		case authStreamSigned, authStreamSignedTrailer:
			variants = append(variants, variant{"tampered-chunk", func(r *req) { r.tamper = true }, 403, "SignatureDoesNotMatch"})
		case authStreamUnsignedTrailer:
			variants = append(variants, variant{"tampered-chunk", func(r *req) { r.tamper = true }, 400, "BadDigest"})
		case authHeader:
			variants = append(variants, variant{"wrong-payload-hash", func(r *req) { r.payload = strings.Repeat("ab", 32) }, 400, "XAmzContentSHA256Mismatch"})
		}
		for _, v := range variants {
			t.Run(f.name+"/"+v.name, func(t *testing.T) {
				e := newTestEnv(t, nil)
				e.mkBucket("bkt")
				r := req{method: http.MethodPut, path: "/bkt/obj", body: body, auth: f.auth}
				if f.auth == authStreamSignedTrailer || f.auth == authStreamUnsignedTrailer {
					r.trailers = map[string]string{"x-amz-checksum-crc32": crc}
				}
				v.mod(&r)
				got := e.do(r)
				mustStatus(t, got, v.status, v.code)
				if got.hdr.Get("x-amz-request-id") == "" {
					t.Error("no x-amz-request-id")
				}
				stored := e.layer.buckets["bkt"].objects["obj"]
				if v.status == 200 {
					if stored == nil || !bytes.Equal(stored.data, body) {
						t.Fatal("valid upload not stored intact")
					}
					if r.trailers != nil && e.layer.lastTrailers["crc32"] != crc {
						t.Errorf("trailer checksum not passed down: %v", e.layer.lastTrailers)
					}
				} else if stored != nil {
					t.Fatal("refused upload was stored")
				}
			})
		}
	}
}

// TestAnonymousDenied: no credentials, no access; only health probes answer.
func TestAnonymousDenied(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Ready = func(_ context.Context) error { return nil }
	})
	e.mkBucket("bkt")
	e.put("/bkt/k", []byte("x"))
	for _, r := range []req{
		{method: http.MethodGet, path: "/"},
		{method: http.MethodGet, path: "/bkt"},
		{method: http.MethodGet, path: "/bkt/k"},
		{method: http.MethodHead, path: "/bkt/k"},
		{method: http.MethodPut, path: "/bkt/k2", body: []byte("data")},
		{method: http.MethodDelete, path: "/bkt/k"},
		{method: http.MethodGet, path: "/", host: "bkt.s3.test"},
		{method: http.MethodPost, path: "/health/live"},
	} {
		r.auth = authNone
		got := e.do(r)
		want := "AccessDenied"
		if r.method == http.MethodHead {
			want = "" // no body on HEAD
		}
		mustStatus(t, got, 403, want)
	}
	if e.layer.buckets["bkt"].objects["k"] == nil || e.layer.buckets["bkt"].objects["k2"] != nil {
		t.Fatal("anonymous request changed data")
	}
	for _, p := range []string{"/health/live", "/health/ready"} {
		mustStatus(t, e.do(req{path: p, auth: authNone}), 200, "")
		mustStatus(t, e.do(req{method: http.MethodHead, path: p, auth: authNone}), 200, "")
	}
}

func TestHealthReadyFails(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Ready = func(_ context.Context) error { return errors.New("backend down") }
	})
	mustStatus(t, e.do(req{path: "/health/ready", auth: authNone}), 503, "")
	mustStatus(t, e.do(req{path: "/health/live", auth: authNone}), 200, "")
	// A signed request to the same path is a bucket operation, not a probe.
	mustStatus(t, e.do(req{path: "/health/ready"}), 404, "NoSuchBucket")
}

// TestEarlyAnswerDrains: a refused upload's body is discarded so the next
// pipelined request on the connection is parsed correctly; a body too
// large to drain closes the connection instead.
func TestEarlyAnswerDrains(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	c, br := e.dial()
	bad := e.build(req{method: http.MethodPut, path: "/bkt/a", body: bytes.Repeat([]byte("A"), 10000), forge: true})
	// The body is crafted to look like a request if it were parsed as one.
	smuggle := e.build(req{method: http.MethodPut, path: "/bkt/b", body: []byte("GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"), forge: true})
	good := e.build(req{method: http.MethodGet, path: "/bkt"})
	go func() { _, _ = c.Write(append(append(bad, smuggle...), good...)) }()
	mustStatus(t, e.read(br, false), 403, "SignatureDoesNotMatch")
	r2 := e.read(br, false)
	mustStatus(t, r2, 403, "SignatureDoesNotMatch")
	if r2.closes() {
		t.Fatal("small body should be drained, not close the connection")
	}
	mustStatus(t, e.read(br, false), 200, "")

	// Too much to drain: Connection: close.
	c2, br2 := e.dial()
	big := e.build(req{method: http.MethodPut, path: "/bkt/c", body: bytes.Repeat([]byte("B"), 1<<20), forge: true})
	go func() { _, _ = c2.Write(big) }()
	r3 := e.read(br2, false)
	mustStatus(t, r3, 403, "SignatureDoesNotMatch")
	if !r3.closes() {
		t.Fatalf("undrainable body must close the connection:\n%s", r3.raw)
	}
}

// TestHandlerErrorDrains: a 4xx raised after routing (here NoSuchBucket on
// a PUT whose body was never read) still leaves the connection usable.
func TestHandlerErrorDrains(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	c, br := e.dial()
	r1 := e.build(req{method: http.MethodPut, path: "/bkt/k", query: "retention", body: []byte("<Retention/>")})
	r2 := e.build(req{method: http.MethodPut, path: "/nobucket/k", body: bytes.Repeat([]byte("x"), 3000)})
	r3 := e.build(req{method: http.MethodGet, path: "/bkt"})
	go func() { _, _ = c.Write(append(append(r1, r2...), r3...)) }()
	mustStatus(t, e.read(br, false), 501, "NotImplemented")
	mustStatus(t, e.read(br, false), 404, "NoSuchBucket")
	mustStatus(t, e.read(br, false), 200, "")
}

// TestExpectContinue: bad signatures are refused before the body is sent;
// good ones get 100 Continue.
func TestExpectContinue(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	body := []byte("payload-after-continue")

	c, br := e.dial()
	raw := e.build(req{method: http.MethodPut, path: "/bkt/k", body: body, forge: true, hdr: [][2]string{{"Expect", "100-continue"}}})
	head := raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]
	if _, err := c.Write(head); err != nil {
		t.Fatal(err)
	}
	got := e.read(br, false)
	mustStatus(t, got, 403, "SignatureDoesNotMatch")
	if !got.closes() {
		t.Error("refused 100-continue must close the connection")
	}

	c2, br2 := e.dial()
	raw = e.build(req{method: http.MethodPut, path: "/bkt/k", body: body, hdr: [][2]string{{"Expect", "100-continue"}}})
	split := bytes.Index(raw, []byte("\r\n\r\n")) + 4
	if _, err := c2.Write(raw[:split]); err != nil {
		t.Fatal(err)
	}
	line, err := br2.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("want 100 Continue, got %q %v", line, err)
	}
	if _, err := br2.ReadString('\n'); err != nil { // blank line after 100
		t.Fatal(err)
	}
	if _, err := c2.Write(raw[split:]); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, e.read(br2, false), 200, "")
	if !bytes.Equal(e.layer.buckets["bkt"].objects["k"].data, body) {
		t.Fatal("body not stored")
	}

	// Anonymous and oversized requests are refused before the body too.
	for _, r := range []req{
		{method: http.MethodPut, path: "/bkt/k", body: body, auth: authNone},
		{method: http.MethodPut, path: "/bkt/k", body: body, hdr: [][2]string{{"Content-Length", fmt.Sprint(int64(6) << 30)}}},
	} {
		r.hdr = append(r.hdr, [2]string{"Expect", "100-continue"})
		c, br := e.dial()
		raw := e.build(r)
		if _, err := c.Write(raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]); err != nil {
			t.Fatal(err)
		}
		got := e.read(br, false)
		if got.status < 400 {
			t.Fatalf("expected refusal, got %d", got.status)
		}
	}
}
