package s3api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// countingCreds counts credential lookups: every signature check starts
// with one, so a refusal that costs no lookup did no signature work.
type countingCreds struct {
	sigv4.Credentials
	n atomic.Int64
}

func (c *countingCreds) Lookup(accessKey string) (string, string, bool) {
	c.n.Add(1)
	return c.Credentials.Lookup(accessKey)
}

// warnCounter is a slog handler counting Warn records, to check the
// throttling report comes once per episode.
type warnCounter struct{ n atomic.Int64 }

func (w *warnCounter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "failed-authentication limit") {
		w.n.Add(1)
	}
	return nil
}
func (w *warnCounter) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnCounter) WithGroup(string) slog.Handler      { return w }

// limitEnv is a test server with a small failed-authentication limit on a
// fake clock, and credential lookups counted.
func limitEnv(t *testing.T, burst int) (*testEnv, *fakeClock, *countingCreds, *warnCounter) {
	t.Helper()
	clk := newFakeClock()
	creds := &countingCreds{Credentials: iam.NewRoot(testAK, testSK)}
	warns := &warnCounter{}
	e := newTestEnv(t, func(o *Options) {
		o.AuthFailBurst, o.AuthFailRate, o.Now = burst, 1, clk.now
		o.Logger = slog.New(warns)
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: creds, Now: func() time.Time { return testNow }})
	})
	return e, clk, creds, warns
}

// dialFrom opens a connection whose peer address is ip.
func (e *testEnv) dialFrom(ip string) (net.Conn, *bufio.Reader) {
	e.t.Helper()
	c, err := e.ln.DialWithLocalAddr(&net.TCPAddr{IP: net.ParseIP(ip), Port: 40000})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return c, bufio.NewReader(c)
}

// doOn sends r on an open connection and reads the response.
func (e *testEnv) doOn(c net.Conn, br *bufio.Reader, r req) *resp {
	e.t.Helper()
	raw := e.build(r)
	go func() { _, _ = c.Write(raw) }()
	return e.read(br, r.method == http.MethodHead)
}

// doFrom sends r on a fresh connection from ip.
func (e *testEnv) doFrom(ip string, r req) *resp {
	e.t.Helper()
	c, br := e.dialFrom(ip)
	return e.doOn(c, br, r)
}

// TestAuthFailLimit: a client's failed authentications (forged, unknown
// key, anonymous, refused 100-continue) spend its burst; then every request
// it sends, even a valid one on a new connection, gets 503 SlowDown without
// any signature work, until tokens refill on the injected clock. Other
// clients and health probes are unaffected, and successes cost nothing.
func TestAuthFailLimit(t *testing.T) {
	e, clk, creds, warns := limitEnv(t, 4)
	e.mkBucket("bkt")
	const a, b = "192.0.2.1", "198.51.100.7"

	// Successes never spend the burst.
	for i := 0; i < 10; i++ {
		mustStatus(t, e.doFrom(a, req{path: "/bkt"}), 200, "")
	}
	mustStatus(t, e.doFrom(a, req{path: "/bkt", forge: true}), 403, "SignatureDoesNotMatch")
	mustStatus(t, e.doFrom(a, req{path: "/bkt", accessKey: "AKIAUNKNOWN00000"}), 403, "InvalidAccessKeyId")
	mustStatus(t, e.doFrom(a, req{method: http.MethodHead, path: "/bkt", auth: authNone}), 403, "")
	// A refused 100-continue counts although the handler never runs.
	c, br := e.dialFrom(a)
	raw := e.build(req{method: http.MethodPut, path: "/bkt/k", body: []byte("body"), forge: true, hdr: [][2]string{{"Expect", "100-continue"}}})
	go func() { _, _ = c.Write(raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]) }()
	mustStatus(t, e.read(br, false), 403, "SignatureDoesNotMatch")

	lookups := creds.n.Load()
	for _, r := range []req{
		{path: "/bkt"}, // valid, but nothing proves that before the check
		{path: "/bkt", forge: true},
		{method: http.MethodHead, path: "/bkt", auth: authNone},
		{method: http.MethodPut, path: "/bkt/k", body: []byte("data")},
	} {
		got := e.doFrom(a, r)
		want := "SlowDown"
		if r.method == http.MethodHead {
			want = ""
		}
		mustStatus(t, got, 503, want)
		if got.hdr.Get("Retry-After") != "1" {
			t.Fatalf("Retry-After %q", got.hdr.Get("Retry-After"))
		}
	}
	if e.layer.buckets["bkt"].objects["k"] != nil {
		t.Fatal("a throttled upload was stored")
	}
	// Expect: 100-continue is throttled before the body, too.
	c, br = e.dialFrom(a)
	raw = e.build(req{method: http.MethodPut, path: "/bkt/k", body: []byte("body"), hdr: [][2]string{{"Expect", "100-continue"}}})
	go func() { _, _ = c.Write(raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]) }()
	mustStatus(t, e.read(br, false), 503, "SlowDown")
	if n := creds.n.Load(); n != lookups {
		t.Fatalf("%d signature checks while throttled", n-lookups)
	}

	// Other clients and health probes are not affected.
	mustStatus(t, e.doFrom(b, req{path: "/bkt"}), 200, "")
	mustStatus(t, e.doFrom(b, req{path: "/bkt", forge: true}), 403, "SignatureDoesNotMatch")
	mustStatus(t, e.doFrom(a, req{path: "/health/live", auth: authNone}), 200, "")

	// One token a second comes back: one more guess, then throttled again.
	clk.advance(time.Second)
	mustStatus(t, e.doFrom(a, req{path: "/bkt", forge: true}), 403, "SignatureDoesNotMatch")
	mustStatus(t, e.doFrom(a, req{path: "/bkt"}), 503, "SlowDown")
	clk.advance(time.Second)
	for i := 0; i < 5; i++ { // a success hands its token back
		mustStatus(t, e.doFrom(a, req{path: "/bkt"}), 200, "")
	}
	if n := warns.n.Load(); n != 1 {
		t.Fatalf("throttling reported %d times, want once for the episode", n)
	}
}

// TestAuthFailLimitProvenConnection: a connection that authenticated
// successfully keeps working for that access key while its address is
// throttled; a request naming another key, or a failure on it, is not
// exempt.
func TestAuthFailLimitProvenConnection(t *testing.T) {
	e, _, _, _ := limitEnv(t, 2)
	e.mkBucket("bkt")
	const a = "192.0.2.1"
	c, br := e.dialFrom(a)
	mustStatus(t, e.doOn(c, br, req{path: "/bkt"}), 200, "")
	for i := 0; i < 2; i++ {
		mustStatus(t, e.doFrom(a, req{path: "/bkt", forge: true}), 403, "SignatureDoesNotMatch")
	}
	mustStatus(t, e.doFrom(a, req{path: "/bkt"}), 503, "SlowDown")
	mustStatus(t, e.doOn(c, br, req{path: "/bkt"}), 200, "")
	mustStatus(t, e.doOn(c, br, req{method: http.MethodPut, path: "/bkt/k", body: []byte("v")}), 200, "")
	// Another access key on the proven connection proves nothing.
	mustStatus(t, e.doOn(c, br, req{path: "/bkt", accessKey: "AKIAOTHER0000000"}), 503, "SlowDown")
	mustStatus(t, e.doOn(c, br, req{path: "/bkt", auth: authNone}), 503, "SlowDown")
	// A failure on it is checked and counted, and ends the exemption.
	mustStatus(t, e.doOn(c, br, req{path: "/bkt", forge: true}), 403, "SignatureDoesNotMatch")
	mustStatus(t, e.doOn(c, br, req{path: "/bkt"}), 503, "SlowDown")
}

// TestAuthFailLimitDisabled: a negative burst turns the limit off.
func TestAuthFailLimitDisabled(t *testing.T) {
	e, _, _, _ := limitEnv(t, -1)
	for i := 0; i < 50; i++ {
		mustStatus(t, e.doFrom("192.0.2.1", req{path: "/", forge: true}), 403, "SignatureDoesNotMatch")
	}
}

// shape is what a response reveals, minus the request id and the resource
// the caller named itself.
func shape(r *resp) string {
	var names []string
	for k := range r.hdr {
		switch k {
		case "X-Amz-Request-Id", "Date", "Content-Length":
			continue
		}
		names = append(names, k)
	}
	sort.Strings(names)
	var doc struct{ Code, Message string }
	_ = xml.Unmarshal(r.body, &doc)
	return strings.Join([]string{http.StatusText(r.status), doc.Code, doc.Message, strings.Join(names, ",")}, "|")
}

// TestNoBucketExistenceOracle: to an anonymous caller, a caller whose
// signature fails, and an authenticated account without permission, an
// existing bucket (and object) is indistinguishable from a missing one.
func TestNoBucketExistenceOracle(t *testing.T) {
	store := iam.NewRoot(testAK, testSK)
	if err := store.Add("AKIATENANT000000", "tenant-secret-key-000", "tenant"); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) {
		o.AuthFailBurst = -1 // this test is about the answers, not the limit
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: store, Now: func() time.Time { return testNow }})
	})
	e.mkBucket("real-bucket")
	mustStatus(t, e.put("/real-bucket/obj", []byte("x")), 200, "")
	callers := map[string]func(*req){
		"anonymous": func(r *req) { r.auth = authNone },
		"forged":    func(r *req) { r.forge = true },
		"presigned-forged": func(r *req) {
			r.auth, r.forge = authPresign, true
		},
		"unauthorised": func(r *req) { r.accessKey, r.secret = "AKIATENANT000000", "tenant-secret-key-000" },
	}
	for name, as := range callers {
		for _, m := range []string{http.MethodHead, http.MethodGet, http.MethodDelete} {
			for _, target := range []struct{ path, host, query string }{
				{"/%s", "", ""},
				{"/%s/obj", "", ""},
				{"/", "%s.s3.test", ""},
				{"/%s", "", "location"},
				{"/%s", "", "uploads"},
			} {
				var shapes [2]string
				for i, bucket := range []string{"real-bucket", "fake-bucket"} {
					r := req{method: m, path: strings.ReplaceAll(target.path, "%s", bucket), query: target.query}
					if target.host != "" {
						r.host = strings.ReplaceAll(target.host, "%s", bucket)
					}
					as(&r)
					got := e.do(r)
					if got.status == 200 || got.status == 204 || got.status == 404 {
						t.Fatalf("%s %s %s%s?%s: %d\n%s", name, m, r.host, r.path, r.query, got.status, got.body)
					}
					shapes[i] = shape(got)
				}
				if shapes[0] != shapes[1] {
					t.Errorf("%s %s %s %s: existing and missing buckets differ:\n %s\n %s", name, m, target.path, target.host, shapes[0], shapes[1])
				}
			}
		}
	}
	// Unauthenticated and unauthorised callers get AccessDenied on HEAD and GET.
	for _, r := range []req{
		{method: http.MethodHead, path: "/fake-bucket", auth: authNone},
		{method: http.MethodGet, path: "/real-bucket", auth: authNone},
		{method: http.MethodHead, path: "/real-bucket", accessKey: "AKIATENANT000000", secret: "tenant-secret-key-000"},
		{method: http.MethodGet, path: "/fake-bucket", accessKey: "AKIATENANT000000", secret: "tenant-secret-key-000"},
	} {
		want := "AccessDenied"
		if r.method == http.MethodHead {
			want = ""
		}
		mustStatus(t, e.do(r), 403, want)
	}
	if e.layer.buckets["real-bucket"].objects["obj"] == nil {
		t.Fatal("a refused DELETE removed the object")
	}
}
