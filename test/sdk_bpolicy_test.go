package test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// anonymous makes the client send unsigned requests.
func anonymous(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} }

// TestSDKBucketPolicy: a bucket policy PUT through the S3 API decides real
// requests: anonymous reads where it grants "*" from the loopback range
// and nowhere else, an explicit Deny binds even root, and root can always
// remove the policy that locks it out.
func TestSDKBucketPolicy(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	anon := fx.gw.sdk(anonymous)
	ctx := testCtx(t)
	bucket := bucketName("sdk-bpolicy")
	createBucket(t, c, bucket)
	put(t, c, bucket, "public/x", []byte("public data"))
	put(t, c, bucket, "private/y", []byte("private data"))

	_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "NoSuchBucketPolicy")
	_, err = anon.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/x")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")

	doc := fmt.Sprintf(`{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "PublicFromLoopback", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::%[1]s/public/*",
     "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
    {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
     "Resource": "arn:aws:s3:::%[1]s/*"}
  ]
}`, bucket)
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)})
	if err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	gp, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil || aws.ToString(gp.Policy) != doc {
		t.Fatalf("GetBucketPolicy = %q, %v", aws.ToString(gp.Policy), err)
	}
	st, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String(bucket)})
	if err != nil || st.PolicyStatus == nil || aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("GetBucketPolicyStatus of an address-pinned grant = %+v, %v; want not public", st, err)
	}

	// Anonymous: the granted prefix only.
	_, data := getBytes(t, anon, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/x")})
	if !bytes.Equal(data, []byte("public data")) {
		t.Fatalf("anonymous GET = %q", data)
	}
	_, err = anon.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("private/y")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	_, err = anon.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	_, err = anon.ListBuckets(ctx, &s3.ListBucketsInput{})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	_, err = anon.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/z"), Body: strings.NewReader("z")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	_, err = anon.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")

	// The explicit Deny wins over root's implicit everything.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/x")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	do, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("private/y")}}}})
	if err != nil || len(do.Errors) != 1 || aws.ToString(do.Errors[0].Code) != "AccessDenied" || len(do.Deleted) != 0 {
		t.Fatalf("DeleteObjects under a Deny = %+v, %v", do, err)
	}
	// A malformed replacement is refused and changes nothing.
	_, err = c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"`)})
	requireCode(t, err, http.StatusBadRequest, "MalformedPolicy")
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/x")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")

	// Root lifts the policy; deletes work and the public read is gone.
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("public/x")}); err != nil {
		t.Fatalf("DeleteObject after the policy is gone: %v", err)
	}
	_, err = anon.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("private/y")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
}

// securityModelPolicy is the security model's example bucket policy, verbatim: one copy
// in iam/policy/testdata, shared by the policy, s3api and end-to-end tests.
var securityModelPolicy = readSecurityModelPolicy("../iam/policy/testdata/security-model-policy.json")

// TestSDKSecurityModelPolicy puts the security model's example policy
// through the S3 API on a bucket of the name it names, and checks it on
// real requests: it grants one user from one VPN range, so it is not
// public, anonymous requests stay refused, and the bucket owner (root,
// which it neither grants nor denies) keeps working.
func TestSDKSecurityModelPolicy(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	anon := fx.gw.sdk(anonymous)
	ctx := testCtx(t)
	const bucket = "my-bucket" // the policy's Resource names it
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil && errCode(err) != "BucketAlreadyOwnedByYou" {
		t.Fatalf("CreateBucket: %v", err)
	}
	t.Cleanup(func() { removeBucket(t, c, bucket) })

	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(securityModelPolicy)}); err != nil {
		t.Fatalf("PutBucketPolicy(security model example): %v", err)
	}
	gp, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil || aws.ToString(gp.Policy) != securityModelPolicy {
		t.Fatalf("GetBucketPolicy = %q, %v", aws.ToString(gp.Policy), err)
	}
	st, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String(bucket)})
	if err != nil || aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("GetBucketPolicyStatus = %+v, %v; want not public", st, err)
	}
	sse := func(in *s3.PutObjectInput) *s3.PutObjectInput {
		in.ServerSideEncryption = types.ServerSideEncryptionAes256
		return in
	}
	if _, err := c.PutObject(ctx, sse(&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/report.csv"), Body: strings.NewReader("a,b\n")})); err != nil {
		t.Fatalf("root PutObject under the example policy: %v", err)
	}
	_, err = anon.PutObject(ctx, sse(&s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/x"), Body: strings.NewReader("x")}))
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	_, err = anon.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/report.csv")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	_, data := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("uploads/report.csv")})
	if string(data) != "a,b\n" {
		t.Fatalf("root GET = %q", data)
	}
}

// policyAcrossGateways: a bucket policy put or deleted through gateway a
// decides requests through gateway b within seconds (b caches a bucket's
// policy for s3api.DefaultBucketPolicyTTL), though b had just cached the
// opposite answer.
func policyAcrossGateways(t *testing.T, a, b *gateway, bucket string) {
	ca := a.sdk()
	anonB := b.sdk(anonymous)
	ctx := testCtx(t)
	put(t, ca, bucket, "www/index.html", []byte("<h1>hi</h1>"))
	get := func() error {
		_, err := anonB.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("www/index.html")})
		return err
	}
	requireCode(t, get(), http.StatusForbidden, "AccessDenied") // b now caches "no policy"
	// A new bucket blocks public policies (S3's default): lift it first.
	if _, err := ca.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeletePublicAccessBlock through A: %v", err)
	}
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/www/*"}]}`, bucket)
	if _, err := ca.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy through A: %v", err)
	}
	waitFor(t, "the policy put through A to open B", func() bool { return get() == nil })
	if _, err := ca.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketPolicy through A: %v", err)
	}
	waitFor(t, "the policy deleted through A to close B", func() bool { return httpStatus(get()) == http.StatusForbidden })
}

// waitFor polls cond for up to 5 s: twice the policy cache's lifetime and
// then some.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("waited 5s for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: %v", what, time.Since(start).Round(10*time.Millisecond))
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
