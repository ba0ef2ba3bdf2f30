package s3api

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// seedPolicy is the security model's example bucket policy, verbatim: one copy
// in iam/policy/testdata, shared by the policy, s3api and end-to-end tests.
var seedPolicy = readSecurityModelPolicy("../iam/policy/testdata/security-model-policy.json")

// TestSecurityModelPolicyOnRequests evaluates the security model's example
// policy on signed requests from a user of account 123456789 (the bucket
// owner's account) and from another user of it: PutObject is allowed only
// for "developer", only from the VPN range, only with SSE AES256.
func TestSecurityModelPolicyOnRequests(t *testing.T) {
	const (
		devAK, devSK       = "AKIADEVELOPER000", "developer-secret-0123456789"
		internAK, internSK = "AKIAINTERN000000", "intern-secret-0123456789"
		account            = "123456789"
	)
	creds := iam.NewRoot(testAK, testSK)
	if err := creds.Add(devAK, devSK, account); err != nil {
		t.Fatal(err)
	}
	if err := creds.Add(internAK, internSK, account); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, func(o *Options) {
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: o.Region, Creds: creds, Now: func() time.Time { return testNow }})
	})
	// Users by access key, as the identity store will provide them.
	users := map[string]string{devAK: "developer", internAK: "intern"}
	e.s.o.Authorizer = &policy.Authorizer{
		Evaluator: &policy.Evaluator{Cache: policy.NewCache(0)},
		Bucket:    e.s.policies.lookup,
		Principal: func(p iam.Principal) policy.Principal {
			if p.Account == iam.RootAccount {
				return policy.Principal{ARN: policy.RootARN(p.Account), Account: p.Account}
			}
			return policy.Principal{ARN: policy.UserARN(p.Account, users[p.AccessKey]), Account: p.Account}
		},
	}
	if err := e.layer.CreateBucketWith(t.Context(), object.CreateBucketInput{Bucket: "my-bucket", Owner: account}); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, e.do(req{method: http.MethodPut, path: "/my-bucket", query: "policy", body: []byte(seedPolicy)}), 204, "")

	aes := [2]string{"x-amz-server-side-encryption", "AES256"}
	dev := func(path string, hdr ...[2]string) req {
		return req{method: http.MethodPut, path: path, body: []byte("x"), hdr: hdr, accessKey: devAK, secret: devSK}
	}
	const vpn, outside = "10.0.41.7", "10.0.44.1"
	mustStatus(t, e.doFrom(vpn, dev("/my-bucket/uploads/a", aes)), 200, "")
	for _, c := range []struct {
		name string
		from string
		r    req
	}{
		{"outside the VPN range", outside, dev("/my-bucket/uploads/b", aes)},
		{"without SSE", vpn, dev("/my-bucket/uploads/c")},
		{"outside uploads/", vpn, dev("/my-bucket/other/d", aes)},
		{"another user", vpn, req{method: http.MethodPut, path: "/my-bucket/uploads/e", body: []byte("x"), hdr: [][2]string{aes}, accessKey: internAK, secret: internSK}},
		{"anonymous", vpn, req{method: http.MethodPut, path: "/my-bucket/uploads/f", body: []byte("x"), hdr: [][2]string{aes}, auth: authNone}},
		// Faithful to AWS: a GET carries no SSE header, so the
		// StringEquals condition does not hold and the Allow does not apply.
		{"GET without the SSE key", vpn, req{path: "/my-bucket/uploads/a", accessKey: devAK, secret: devSK}},
		{"policy change by the user", vpn, req{method: http.MethodPut, path: "/my-bucket", query: "policy", body: []byte(seedPolicy), accessKey: devAK, secret: devSK}},
	} {
		if got := e.doFrom(c.from, c.r); got.status != 403 || got.code() != "AccessDenied" {
			t.Errorf("%s: %d %q", c.name, got.status, got.code())
		}
	}
	objs := e.layer.buckets["my-bucket"].objects
	if objs["uploads/a"] == nil || len(objs) != 1 {
		t.Fatalf("objects after the requests: %d, want only uploads/a", len(objs))
	}
}

// readSecurityModelPolicy reads the shared copy of the security model's
// example policy. An unreadable file yields text that is no policy, so
// every test using it fails saying why.
func readSecurityModelPolicy(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unreadable " + path + ": " + err.Error()
	}
	return string(b)
}
