package s3api

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
)

// captureAuthorizer allows everything and keeps what it was asked.
type captureAuthorizer struct {
	mu   sync.Mutex
	ctxs []policy.Context
	reqs []iam.Request
}

func (a *captureAuthorizer) Authorize(ctx context.Context, r iam.Request) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ctxs = append(a.ctxs, policy.RequestContext(ctx))
	a.reqs = append(a.reqs, r)
	return nil
}

func (a *captureAuthorizer) last() (policy.Context, iam.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ctxs[len(a.ctxs)-1], a.reqs[len(a.reqs)-1]
}

// TestPolicyContextKeys: the condition keys the S3 front end hands the
// authorizer, per request form.
func TestPolicyContextKeys(t *testing.T) {
	capt := &captureAuthorizer{}
	e := newTestEnv(t, func(o *Options) {
		o.Authorizer = capt
		o.Now = func() time.Time { return testNow.Add(1500 * time.Millisecond) }
	})
	e.mkBucket("bkt")
	want := func(c policy.Context, key string, vals ...string) {
		t.Helper()
		if got := c[key]; !slices.Equal(got, vals) {
			t.Errorf("%s = %q, want %q", key, got, vals)
		}
	}

	mustStatus(t, e.doFrom("10.0.40.9", req{method: http.MethodPut, path: "/bkt/k", body: []byte("x"),
		hdr: [][2]string{{"User-Agent", "ua/1"}, {"Referer", "https://example.test/"}, {"x-amz-acl", "private"}, {"X-Forwarded-For", "10.9.9.9"}}}), 200, "")
	c, r := capt.last()
	if r.Action != iam.PutObject || r.Bucket != "bkt" || r.Key != "k" {
		t.Fatalf("request: %+v", r)
	}
	want(c, "aws:sourceip", "10.0.40.9")
	want(c, "aws:securetransport", "false")
	want(c, "aws:useragent", "ua/1")
	want(c, "aws:referer", "https://example.test/")
	want(c, "s3:x-amz-acl", "private")
	want(c, "s3:signatureversion", "AWS4-HMAC-SHA256")
	want(c, "s3:authtype", "REST-HEADER")
	want(c, "s3:signatureage", "1500")
	if v := c["s3:x-amz-content-sha256"]; len(v) != 1 || len(v[0]) != 64 {
		t.Errorf("s3:x-amz-content-sha256 = %q", v)
	}

	mustStatus(t, e.do(req{path: "/bkt", query: "list-type=2&prefix=home%2Falice%2F&delimiter=%2F&max-keys=10", auth: authPresign}), 200, "")
	c, r = capt.last()
	if r.Action != iam.ListBucket || r.Key != "" {
		t.Fatalf("request: %+v", r)
	}
	want(c, "s3:authtype", "REST-QUERY-STRING")
	want(c, "s3:prefix", "home/alice/")
	want(c, "s3:delimiter", "/")
	want(c, "s3:max-keys", "10")

	mustStatus(t, e.do(req{path: "/bkt/k", auth: authNone}), 200, "")
	c, r = capt.last()
	if !r.Principal.Anonymous {
		t.Fatalf("request: %+v", r)
	}
	for _, k := range []string{"s3:signatureversion", "s3:authtype", "s3:signatureage", "s3:prefix"} {
		if _, ok := c[k]; ok {
			t.Errorf("anonymous GET carries %s", k)
		}
	}
}
