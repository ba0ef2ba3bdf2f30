package s3api

import (
	"testing"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
)

// BenchmarkAuthorize measures the authorization step of one request as
// the server runs it: the condition keys a GET carries, the cached bucket
// policy and the cached decision. "root" is the common case (no grant to
// evaluate, no Deny applies), "anonymous" a public read pinned to an
// address range.
func BenchmarkAuthorize(b *testing.B) {
	s := NewServer(Options{Layer: newMemLayer(), Logger: testLogger()})
	ml := s.o.Layer.(*memLayer)
	if err := ml.CreateBucket(b.Context(), "bkt", iam.RootAccount, ""); err != nil {
		b.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/public/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
 {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bkt/*"}]}`
	if err := ml.PutBucketPolicy(b.Context(), "bkt", []byte(doc)); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    iam.Principal
	}{
		{"root", iam.Principal{Account: iam.RootAccount, AccessKey: testAK}},
		{"anonymous", iam.Principal{Anonymous: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := iam.Request{Principal: c.p, Action: iam.GetObject, Bucket: "bkt", Key: "public/index.html"}
			b.ReportAllocs()
			for b.Loop() {
				// What policyContext builds for a plain GET.
				pc := make(policy.Context, 12)
				pc.Set("aws:SourceIp", "10.1.2.3")
				pc.Set("aws:SecureTransport", "true")
				pc.Set("aws:UserAgent", "aws-sdk-go-v2/1.30")
				pc.Set("s3:x-amz-content-sha256", "UNSIGNED-PAYLOAD")
				ctx := policy.WithRequestContext(s.base, pc)
				if err := s.o.Authorizer.Authorize(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
