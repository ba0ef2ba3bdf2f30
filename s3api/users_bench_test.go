package s3api

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"testing"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/iam/users"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// BenchmarkAuthorizeUser is BenchmarkAuthorize for an IAM user whose
// identity policy grants the read: the principal mapping, the user's
// attached policies from the store's snapshot and the cached decision.
func BenchmarkAuthorizeUser(b *testing.B) {
	be, err := local.Open(local.Options{Dir: b.TempDir(), Fsync: local.FsyncNever, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	keys := func(context.Context, string) ([32]byte, string, error) { return sha256.Sum256([]byte("k")), "r1", nil }
	us, err := users.New(b.Context(), users.Options{Meta: be.Meta(), Keys: keys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	c, err := us.CreateUser(b.Context(), "alice")
	if err != nil {
		b.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}]}`
	if err := us.PutPolicy(b.Context(), "ro", []byte(doc)); err != nil {
		b.Fatal(err)
	}
	if err := us.Attach(b.Context(), "alice", "ro"); err != nil {
		b.Fatal(err)
	}
	s := NewServer(Options{Layer: newMemLayer(), Logger: testLogger(), Users: us})
	if err := s.o.Layer.(*memLayer).CreateBucket(b.Context(), "bkt", iam.RootAccount, ""); err != nil {
		b.Fatal(err)
	}
	req := iam.Request{Principal: iam.Principal{Account: iam.RootAccount, User: "alice", AccessKey: c.AccessKey},
		Action: iam.GetObject, Bucket: "bkt", Key: "public/index.html"}
	b.ReportAllocs()
	for b.Loop() {
		pc := make(policy.Context, 12)
		pc.Set("aws:SourceIp", "10.1.2.3")
		pc.Set("aws:SecureTransport", "true")
		pc.Set("aws:UserAgent", "aws-sdk-go-v2/1.30")
		pc.Set("s3:x-amz-content-sha256", "UNSIGNED-PAYLOAD")
		if err := s.o.Authorizer.Authorize(policy.WithRequestContext(s.base, pc), req); err != nil {
			b.Fatal(err)
		}
	}
}
