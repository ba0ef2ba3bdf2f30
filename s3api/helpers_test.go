package s3api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/sigv4"
	"github.com/valyala/fasthttp/fasthttputil"
)

const (
	testAK     = "AKIATESTROOT0000"
	testSK     = "test-secret-key-0123456789"
	testRegion = "us-east-1"
	testHost   = "localhost:9000"
)

// testNow is the verifier's clock in every handler test.
var testNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// testEnv is a server on an in-memory listener with the real SigV4
// verifier and a memLayer.
type testEnv struct {
	t      testing.TB
	s      *Server
	ln     *fasthttputil.InmemoryListener
	layer  *memLayer
	region string
}

func newTestEnv(t testing.TB, mod func(*Options)) *testEnv {
	t.Helper()
	layer := newMemLayer()
	o := Options{
		Layer:   layer,
		Domains: []string{"s3.test"},
		Logger:  testLogger(),
		Region:  testRegion,
	}
	if mod != nil {
		mod(&o)
	}
	if o.Verifier == nil {
		o.Verifier = sigv4.NewVerifier(sigv4.Options{
			Region: o.Region,
			Creds:  iam.NewRoot(testAK, testSK),
			Now:    func() time.Time { return testNow },
		})
	}
	s := NewServer(o)
	ln := fasthttputil.NewInmemoryListener()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return &testEnv{t: t, s: s, ln: ln, layer: layer, region: o.Region}
}

// authKind selects how a test request is authenticated.
type authKind int

const (
	authHeader authKind = iota
	authNone
	authPresign
	authStreamSigned
	authStreamSignedTrailer
	authStreamUnsignedTrailer
)

// req describes one raw test request.
type req struct {
	method string
	path   string // raw, percent-encoded
	query  string // raw
	host   string
	hdr    [][2]string
	body   []byte
	auth   authKind
	// payload overrides x-amz-content-sha256 for header auth ("" = hex
	// SHA-256 of body).
	payload   string
	signTime  time.Time
	accessKey string
	secret    string
	// forge flips one hex digit of the signature.
	forge     bool
	trailers  map[string]string
	chunkSize int
	expires   time.Duration
	// noLength omits Content-Length (the body is sent chunked when
	// non-nil).
	noLength bool
	// tamper, for streaming modes, flips a byte of the encoded chunk data
	// after signing.
	tamper bool
}

func (r *req) header(name string) (string, bool) {
	var out []string
	for _, h := range r.hdr {
		if strings.EqualFold(h[0], name) {
			out = append(out, h[1])
		}
	}
	if len(out) == 0 {
		return "", false
	}
	return strings.Join(out, ","), true
}

func (r *req) set(name, value string) { r.hdr = append(r.hdr, [2]string{name, value}) }

func (r *req) names() []string {
	var n []string
	for _, h := range r.hdr {
		n = append(n, strings.ToLower(h[0]))
	}
	return n
}

func flipHex(s string) string {
	b := []byte(s)
	if b[len(b)-1] == '0' {
		b[len(b)-1] = '1'
	} else {
		b[len(b)-1] = '0'
	}
	return string(b)
}

// build returns the raw bytes of r, signed as asked.
func (e *testEnv) build(r req) []byte {
	e.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	if r.host == "" {
		r.host = testHost
	}
	if r.signTime.IsZero() {
		r.signTime = testNow
	}
	if r.accessKey == "" {
		r.accessKey = testAK
	}
	if r.secret == "" {
		r.secret = testSK
	}
	creds := sigv4.ClientCredentials{AccessKey: r.accessKey, SecretKey: r.secret, Region: e.region}
	hdr := append([][2]string{{"Host", r.host}}, r.hdr...)
	r.hdr = hdr
	sreq := &sigv4.Request{Method: r.method, RawPath: r.path, RawQuery: r.query, Host: r.host, Header: r.header}
	body := r.body
	amzDate := r.signTime.UTC().Format("20060102T150405Z")
	switch r.auth {
	case authHeader:
		payload := r.payload
		if payload == "" {
			sum := sha256.Sum256(r.body)
			payload = hex.EncodeToString(sum[:])
		}
		r.set("x-amz-date", amzDate)
		r.set("x-amz-content-sha256", payload)
		authz, _, err := sigv4.Sign(sreq, creds, r.signTime, r.names(), payload)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.forge {
			authz = flipHex(authz)
		}
		r.set("Authorization", authz)
	case authPresign:
		exp := r.expires
		if exp == 0 {
			exp = time.Hour
		}
		q, err := sigv4.Presign(sreq, creds, r.signTime, exp, r.names())
		if err != nil {
			e.t.Fatal(err)
		}
		if r.forge {
			q = flipHex(q)
		}
		r.query = q
	case authStreamSigned, authStreamSignedTrailer, authStreamUnsignedTrailer:
		mode := map[authKind]sigv4.PayloadMode{
			authStreamSigned:          sigv4.StreamingSigned,
			authStreamSignedTrailer:   sigv4.StreamingSignedTrailer,
			authStreamUnsignedTrailer: sigv4.StreamingUnsignedTrailer,
		}[r.auth]
		payload := map[sigv4.PayloadMode]string{
			sigv4.StreamingSigned:          "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
			sigv4.StreamingSignedTrailer:   "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
			sigv4.StreamingUnsignedTrailer: "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
		}[mode]
		r.set("x-amz-date", amzDate)
		r.set("x-amz-content-sha256", payload)
		r.set("Content-Encoding", "aws-chunked")
		r.set("x-amz-decoded-content-length", strconv.Itoa(len(r.body)))
		if len(r.trailers) > 0 {
			var names []string
			for n := range r.trailers {
				names = append(names, n)
			}
			r.set("x-amz-trailer", strings.Join(names, ","))
		}
		authz, seed, err := sigv4.Sign(sreq, creds, r.signTime, r.names(), payload)
		if err != nil {
			e.t.Fatal(err)
		}
		if r.forge {
			authz = flipHex(authz)
		}
		r.set("Authorization", authz)
		var enc bytes.Buffer
		cw, err := sigv4.NewChunkWriter(&enc, mode, creds, r.signTime, seed)
		if err != nil {
			e.t.Fatal(err)
		}
		cs := r.chunkSize
		if cs == 0 {
			cs = 64 << 10
		}
		for off := 0; off < len(r.body); off += cs {
			if err := cw.WriteChunk(r.body[off:min(off+cs, len(r.body))]); err != nil {
				e.t.Fatal(err)
			}
		}
		if err := cw.Close(r.trailers); err != nil {
			e.t.Fatal(err)
		}
		body = enc.Bytes()
		if r.tamper && len(r.body) > 0 {
			i := bytes.Index(body, []byte("\r\n")) + 2
			body[i] ^= 1
		}
	}
	var b bytes.Buffer
	target := r.path
	if r.query != "" {
		target += "?" + r.query
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", r.method, target)
	for _, h := range r.hdr {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	switch {
	case r.noLength && body != nil:
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		if len(body) > 0 {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", len(body), body)
		}
		b.WriteString("0\r\n\r\n")
		return b.Bytes()
	case r.noLength:
	default:
		if _, has := r.header("content-length"); !has && (body != nil || r.method == http.MethodPut || r.method == http.MethodPost) {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
		}
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// resp is a parsed response with its raw header block.
type resp struct {
	status int
	raw    string // status line and headers exactly as sent
	hdr    http.Header
	body   []byte
}

// code returns the <Code> of an error document.
func (r *resp) code() string {
	var doc struct{ Code string }
	_ = xml.Unmarshal(r.body, &doc)
	return doc.Code
}

// closes reports whether the server announced it will close the connection.
func (r *resp) closes() bool {
	return strings.EqualFold(r.hdr.Get("Connection"), "close")
}

// dial opens a client connection to the in-memory server.
func (e *testEnv) dial() (net.Conn, *bufio.Reader) {
	e.t.Helper()
	c, err := e.ln.Dial()
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c, bufio.NewReader(c)
}

// do sends r on a fresh connection and reads the response.
func (e *testEnv) do(r req) *resp {
	e.t.Helper()
	c, br := e.dial()
	raw := e.build(r)
	go func() { _, _ = c.Write(raw) }()
	return e.read(br, r.method == http.MethodHead)
}

// read parses one response from br, keeping the raw header block.
func (e *testEnv) read(br *bufio.Reader, head bool) *resp {
	e.t.Helper()
	var raw strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			e.t.Fatalf("read response: %v (so far %q)", err, raw.String())
		}
		raw.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	// Parse the header block ourselves and read exactly the body from br:
	// a second bufio.Reader would swallow the next pipelined response.
	tp := textproto.NewReader(bufio.NewReader(strings.NewReader(raw.String())))
	statusLine, err := tp.ReadLine()
	if err != nil {
		e.t.Fatalf("status line: %v", err)
	}
	parts := strings.SplitN(statusLine, " ", 3)
	status, err := strconv.Atoi(parts[1])
	if err != nil {
		e.t.Fatalf("status line %q", statusLine)
	}
	mh, err := tp.ReadMIMEHeader()
	if err != nil {
		e.t.Fatalf("headers: %v", err)
	}
	hdr := http.Header(mh)
	var body []byte
	switch {
	case head || status == 204 || status == 304 || status/100 == 1:
	case strings.EqualFold(hdr.Get("Transfer-Encoding"), "chunked"):
		body, err = io.ReadAll(httputil.NewChunkedReader(br))
		if err == nil {
			_, err = br.ReadString('\n') // trailer end
		}
	case hdr.Get("Content-Length") != "":
		n, _ := strconv.Atoi(hdr.Get("Content-Length"))
		body = make([]byte, n)
		_, err = io.ReadFull(br, body)
	default:
		body, err = io.ReadAll(br)
	}
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return &resp{status: status, raw: raw.String(), hdr: hdr, body: body}
}

// mustStatus fails the test unless r has status (and code, when given).
func mustStatus(t testing.TB, r *resp, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.code() != code) {
		t.Fatalf("got %d %q, want %d %q\n%s%s", r.status, r.code(), status, code, r.raw, r.body)
	}
}

// mkBucket creates a bucket through the API.
func (e *testEnv) mkBucket(name string) {
	e.t.Helper()
	mustStatus(e.t, e.do(req{method: http.MethodPut, path: "/" + name}), 200, "")
}

// put uploads an object through the API.
func (e *testEnv) put(path string, body []byte, hdr ...[2]string) *resp {
	e.t.Helper()
	return e.do(req{method: http.MethodPut, path: path, body: body, hdr: hdr})
}

// testLogger discards logs unless S3API_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("S3API_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
