package s3api

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

const publicReadPolicy = `{"Version":"2012-10-17","Statement":[
 {"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/public/*"},
 {"Sid":"NoDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/keep/*"}]}`

func (e *testEnv) putPolicy(doc string) *resp {
	e.t.Helper()
	return e.do(req{method: http.MethodPut, path: "/bkt", query: "policy", body: []byte(doc)})
}

func TestBucketPolicyRoutes(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	mustStatus(t, e.do(req{path: "/bkt", query: "policy"}), 404, "NoSuchBucketPolicy")
	mustStatus(t, e.do(req{path: "/bkt", query: "policyStatus"}), 404, "NoSuchBucketPolicy")
	mustStatus(t, e.do(req{path: "/nobkt", query: "policy"}), 404, "NoSuchBucket")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/nobkt", query: "policy", body: []byte(publicReadPolicy)}), 404, "NoSuchBucket")

	mustStatus(t, e.putPolicy(publicReadPolicy), 204, "")
	got := e.do(req{path: "/bkt", query: "policy"})
	mustStatus(t, got, 200, "")
	if string(got.body) != publicReadPolicy || got.hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("GetBucketPolicy: %q %q", got.hdr.Get("Content-Type"), got.body)
	}
	st := e.do(req{path: "/bkt", query: "policyStatus"})
	mustStatus(t, st, 200, "")
	var ps struct{ IsPublic bool }
	if err := xml.Unmarshal(st.body, &ps); err != nil || !ps.IsPublic || !bytes.Contains(st.body, []byte("<PolicyStatus")) {
		t.Fatalf("policyStatus: %s %v", st.body, err)
	}
	// Pinned to an address range: not public.
	mustStatus(t, e.putPolicy(strings.Replace(publicReadPolicy, `"Resource":"arn:aws:s3:::bkt/public/*"}`,
		`"Resource":"arn:aws:s3:::bkt/public/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.40.0/22"}}}`, 1)), 204, "")
	st = e.do(req{path: "/bkt", query: "policyStatus"})
	if err := xml.Unmarshal(st.body, &ps); err != nil || ps.IsPublic {
		t.Fatalf("policyStatus of a pinned policy: %s %v", st.body, err)
	}

	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt", query: "policy"}), 204, "")
	mustStatus(t, e.do(req{path: "/bkt", query: "policy"}), 404, "NoSuchBucketPolicy")
	// Deleting again succeeds, as in S3.
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt", query: "policy"}), 204, "")
	if e.layer.buckets["bkt"] == nil {
		t.Fatal("DELETE ?policy deleted the bucket")
	}
}

func TestBucketPolicyMalformedAndLimit(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	mustStatus(t, e.putPolicy(publicReadPolicy), 204, "")
	for _, bad := range []string{
		"",
		"not json",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","Condition":{"IpAddressish":{"aws:SourceIp":"1.2.3.4"}}}]}`,
	} {
		got := e.putPolicy(bad)
		if got.status != 400 || got.code() != "MalformedPolicy" {
			t.Errorf("PUT %q: %d %q", bad, got.status, got.code())
		}
	}
	// 20 KiB is the limit: padding to exactly 20 KiB is accepted, one byte
	// more is not.
	pad := func(n int) string { return publicReadPolicy + strings.Repeat(" ", n-len(publicReadPolicy)) }
	mustStatus(t, e.putPolicy(pad(20<<10)), 204, "")
	mustStatus(t, e.putPolicy(pad(20<<10+1)), 400, "MalformedPolicy")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt", query: "policy", body: []byte(pad(64 << 10)), noLength: true}), 400, "MalformedPolicy")
	if got := string(e.layer.buckets["bkt"].policy); got != pad(20<<10) {
		t.Fatalf("a refused PUT changed the policy: %d bytes", len(got))
	}
	// Content-MD5 is checked when sent.
	body := []byte(publicReadPolicy)
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt", query: "policy", body: body, hdr: [][2]string{md5Header([]byte("other"))}}), 400, "BadDigest")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt", query: "policy", body: body, hdr: [][2]string{md5Header(body)}}), 204, "")
}

func TestAnonymousAccessByPolicy(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/public/x", []byte("hello"))
	e.put("/bkt/private/y", []byte("secret"))
	anon := func(method, path, query string) *resp {
		return e.do(req{method: method, path: path, query: query, auth: authNone})
	}
	// No policy: nothing anonymous, and the refusal says nothing.
	mustStatus(t, anon("GET", "/bkt/public/x", ""), 403, "AccessDenied")
	mustStatus(t, anon("GET", "/nobkt/public/x", ""), 403, "AccessDenied")

	mustStatus(t, e.putPolicy(publicReadPolicy), 204, "")
	got := anon("GET", "/bkt/public/x", "")
	mustStatus(t, got, 200, "")
	if string(got.body) != "hello" {
		t.Fatalf("anonymous GET: %q", got.body)
	}
	mustStatus(t, anon("HEAD", "/bkt/public/x", ""), 200, "")
	mustStatus(t, anon("GET", "/bkt/public/missing", ""), 404, "NoSuchKey") // granted: S3 answers 404
	for _, c := range []struct{ method, path, query string }{
		{"GET", "/bkt/private/y", ""},
		{"GET", "/bkt/private/missing", ""},
		{"GET", "/bkt", ""},
		{"GET", "/bkt", "list-type=2"},
		{"GET", "/", ""},
		{"PUT", "/bkt2", ""},
		{"PUT", "/bkt/public/x", ""},
		{"DELETE", "/bkt/public/x", ""},
		{"GET", "/bkt", "policy"},
		{"PUT", "/bkt", "policy"},
		{"DELETE", "/bkt", "policy"},
		{"GET", "/bkt/public/x", "acl"}, // unsupported: still only AccessDenied
	} {
		got := anon(c.method, c.path, c.query)
		if got.status != 403 || got.code() != "AccessDenied" {
			t.Errorf("anonymous %s %s?%s: %d %q", c.method, c.path, c.query, got.status, got.code())
		}
	}
	if string(e.layer.buckets["bkt"].objects["public/x"].data) != "hello" || e.layer.buckets["bkt"].policy == nil {
		t.Fatal("a refused anonymous request changed something")
	}
	// Anonymous DeleteObjects with nothing granted: one plain refusal.
	body := deleteDoc(false, "public/x")
	mustStatus(t, e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body, hdr: [][2]string{md5Header(body)}, auth: authNone}), 403, "AccessDenied")
}

func TestExplicitDenyBindsRoot(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/keep/a", []byte("a"))
	e.put("/bkt/other/b", []byte("b"))
	e.put("/bkt/keep/c", []byte("c"))
	mustStatus(t, e.putPolicy(publicReadPolicy), 204, "")

	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt/keep/a"}), 403, "AccessDenied")
	// DeleteObjects: checked per key.
	body := deleteDoc(false, "keep/a", "other/b")
	got := e.do(req{method: http.MethodPost, path: "/bkt", query: "delete", body: body, hdr: [][2]string{md5Header(body)}})
	mustStatus(t, got, 200, "")
	var res deleteDocResult
	if err := xml.Unmarshal(got.body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Deleted) != 1 || res.Deleted[0].Key != "other/b" || len(res.Error) != 1 || res.Error[0].Key != "keep/a" || res.Error[0].Code != "AccessDenied" {
		t.Fatalf("DeleteObjects: %s", got.body)
	}
	objs := e.layer.buckets["bkt"].objects
	if objs["keep/a"] == nil || objs["other/b"] != nil {
		t.Fatal("DeleteObjects deleted the wrong keys")
	}

	// Copy checks s3:GetObject on the source.
	mustStatus(t, e.putPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/keep/*"}]}`), 204, "")
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/bkt/copy", hdr: [][2]string{{"x-amz-copy-source", "/bkt/keep/c"}}}), 403, "AccessDenied")
	if objs["copy"] != nil {
		t.Fatal("a denied copy stored an object")
	}

	// Lock-out: even the policy actions denied, root can still undo it.
	mustStatus(t, e.putPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]}]}`), 204, "")
	mustStatus(t, e.do(req{path: "/bkt/keep/a"}), 403, "AccessDenied")
	mustStatus(t, e.do(req{path: "/bkt", query: "policy"}), 200, "")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt", query: "policy"}), 204, "")
	mustStatus(t, e.do(req{method: http.MethodDelete, path: "/bkt/keep/a"}), 204, "")
}

func TestPolicySourceIPIsThePeer(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/public/x", []byte("hello"))
	mustStatus(t, e.putPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",`+
		`"Resource":"arn:aws:s3:::bkt/public/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.40.0/22"},"Bool":{"aws:SecureTransport":"false"}}}]}`), 204, "")
	r := req{path: "/bkt/public/x", auth: authNone}
	mustStatus(t, e.doFrom("10.0.41.7", r), 200, "")
	mustStatus(t, e.doFrom("10.0.44.1", r), 403, "AccessDenied")
	// A forwarding header is the client's word, not its address.
	r.hdr = [][2]string{{"X-Forwarded-For", "10.0.41.7"}}
	mustStatus(t, e.doFrom("192.0.2.1", r), 403, "AccessDenied")
}

// A policy changed behind this gateway's back (through another gateway)
// applies once the cache entry expires.
func TestBucketPolicyCacheTTL(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newTestEnv(t, func(o *Options) { o.Now = clock; o.BucketPolicyTTL = 2 * time.Second })
	e.mkBucket("bkt")
	e.put("/bkt/public/x", []byte("hello"))
	anon := req{path: "/bkt/public/x", auth: authNone}
	mustStatus(t, e.do(anon), 403, "AccessDenied")
	e.layer.mu.Lock()
	e.layer.buckets["bkt"].policy = []byte(publicReadPolicy)
	e.layer.mu.Unlock()
	mustStatus(t, e.do(anon), 403, "AccessDenied") // cached "no policy"
	mu.Lock()
	now = now.Add(3 * time.Second)
	mu.Unlock()
	mustStatus(t, e.do(anon), 200, "")
}

// TestAnonymousDecisionAuditedAndExpect: the audit log names an anonymous
// request a policy allowed apart from one it refused, and an anonymous
// upload is told before sending its body whether a policy lets it in.
func TestAnonymousDecisionAuditedAndExpect(t *testing.T) {
	sink := &auditSink{}
	e := newTestEnv(t, func(o *Options) { o.Audit = sink })
	e.mkBucket("bkt")
	e.put("/bkt/public/x", []byte("hello"))
	mustStatus(t, e.putPolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bkt/public/*"}]}`), 204, "")
	mustStatus(t, e.do(req{path: "/bkt/public/x", auth: authNone}), 200, "")
	mustStatus(t, e.do(req{path: "/bkt/private/x", auth: authNone}), 403, "AccessDenied")
	var got []string
	for _, rec := range sink.all()[3:] {
		got = append(got, rec.Operation+" "+rec.Decision)
	}
	if strings.Join(got, ",") != "GetObject allow:anonymous,Anonymous deny:anonymous" {
		t.Fatalf("audit decisions: %q", got)
	}

	expect := func(path string) string {
		c, br := e.dial()
		raw := e.build(req{method: http.MethodPut, path: path, body: []byte("up"), auth: authNone, hdr: [][2]string{{"Expect", "100-continue"}}})
		if _, err := c.Write(raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]); err != nil {
			t.Fatal(err)
		}
		line, _ := br.ReadString('\n')
		return line
	}
	if line := expect("/bkt/private/up"); !strings.HasPrefix(line, "HTTP/1.1 403") {
		t.Fatalf("anonymous 100-continue without a grant: %q", line)
	}
	if line := expect("/bkt/public/up"); !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("anonymous 100-continue with a grant: %q", line)
	}
}

// A policy that cannot be read refuses the request (fail closed) with the
// backend's error, not AccessDenied, and never lets an anonymous one in.
func TestBucketPolicyLookupFailureFailsClosed(t *testing.T) {
	e := newTestEnv(t, nil)
	e.mkBucket("bkt")
	e.put("/bkt/public/x", []byte("hello"))
	mustStatus(t, e.putPolicy(publicReadPolicy), 204, "")
	e.s.policies.forget("bkt")
	e.layer.mu.Lock()
	e.layer.fail["HeadBucket"] = fmt.Errorf("mem: %w", storage.ErrUnavailable)
	e.layer.mu.Unlock()
	mustStatus(t, e.do(req{path: "/bkt/public/x", auth: authNone}), 403, "AccessDenied")
	e.layer.mu.Lock()
	e.layer.fail["HeadBucket"] = fmt.Errorf("mem: %w", storage.ErrUnavailable)
	e.layer.mu.Unlock()
	mustStatus(t, e.do(req{path: "/bkt/public/x"}), 503, "ServiceUnavailable")
	mustStatus(t, e.do(req{path: "/bkt/public/x", auth: authNone}), 200, "")
}

// TestBucketPolicyStaleWhileUnavailable: while the metadata store does not
// answer, the last policy read keeps deciding for up to maxPolicyStale past
// its TTL (a dying OSD must not turn every request into a 503); after that,
// and without any earlier read, the lookup fails closed.
func TestBucketPolicyStaleWhileUnavailable(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e := newTestEnv(t, func(o *Options) { o.Now = clock; o.BucketPolicyTTL = 2 * time.Second })
	e.mkBucket("bkt")
	e.put("/bkt/public/x", []byte("hello"))
	mustStatus(t, e.putPolicy(publicReadPolicy), 204, "")
	anon := req{path: "/bkt/public/x", auth: authNone}
	mustStatus(t, e.do(anon), 200, "")
	fail := func() {
		e.layer.mu.Lock()
		e.layer.fail["HeadBucket"] = fmt.Errorf("mem: %w", storage.ErrUnavailable)
		e.layer.mu.Unlock()
	}
	advance(10 * time.Second) // past the TTL
	fail()
	mustStatus(t, e.do(anon), 200, "") // stale policy decides
	advance(maxPolicyStale)
	fail()
	mustStatus(t, e.do(anon), 403, "AccessDenied") // too stale: fail closed
}
