package policy

import (
	"context"
	"errors"
	"testing"

	"github.com/tasmaniancloud/rustfs/iam"
)

func TestAuthorizer(t *testing.T) {
	bp, err := ParseBucket("b", []byte(doc(
		`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/public/*"}`,
		`{"Sid":"VPNOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	ro, err := ParseIdentity("user/alice/ro", []byte(doc(allowAll("s3:GetObject", "arn:aws:s3:::b/*"), allowAll("s3:ListBucket", "arn:aws:s3:::b"))))
	if err != nil {
		t.Fatal(err)
	}
	lookupErr := errors.New("store down")
	a := &Authorizer{
		Evaluator: &Evaluator{Cache: NewCache(64)},
		Principal: func(p iam.Principal) Principal {
			if p.AccessKey == "AKALICE" {
				return Principal{ARN: alice}
			}
			return Principal{ARN: UserARN(acct, p.AccessKey)}
		},
		Identity: func(_ context.Context, p Principal) ([]*Policy, error) {
			switch p.ARN {
			case alice:
				return []*Policy{ro}, nil
			case UserARN(acct, "AKBROKEN"):
				return nil, lookupErr
			}
			return nil, nil
		},
		Bucket: func(_ context.Context, bucket string) (*Policy, string, error) {
			if bucket == "b" {
				return bp, acct, nil
			}
			return nil, acct, nil
		},
	}
	vpn := Context{}
	vpn.Set("aws:SourceIp", "10.1.2.3")
	outside := Context{}
	outside.Set("aws:SourceIp", "192.0.2.1")
	rootP := iam.Principal{Account: iam.RootAccount, AccessKey: "ROOT"}
	aliceP := iam.Principal{Account: acct, AccessKey: "AKALICE"}
	bobP := iam.Principal{Account: acct, AccessKey: "AKBOB"}
	anon := iam.Principal{Anonymous: true}
	cases := []struct {
		name   string
		p      iam.Principal
		action iam.Action
		bucket string
		key    string
		ctx    Context
		want   error
	}{
		{"root without policies", rootP, iam.CreateBucket, "other", "", nil, nil},
		{"root inside the VPN", rootP, iam.DeleteObject, "b", "k", vpn, nil},
		{"root bound by bucket Deny", rootP, iam.DeleteObject, "b", "k", outside, iam.ErrAccessDenied},
		{"root may always fix the bucket policy", rootP, "s3:PutBucketPolicy", "b", "", outside, nil},
		{"alice reads", aliceP, iam.GetObject, "b", "k", vpn, nil},
		{"alice may not write", aliceP, iam.PutObject, "b", "k", vpn, iam.ErrAccessDenied},
		{"alice outside the VPN", aliceP, iam.GetObject, "b", "k", outside, iam.ErrAccessDenied},
		{"bob has no policy", bobP, iam.GetObject, "b", "k", vpn, iam.ErrAccessDenied},
		{"anonymous public read", anon, iam.GetObject, "b", "public/x", vpn, nil},
		{"anonymous private read", anon, iam.GetObject, "b", "private/x", vpn, iam.ErrAccessDenied},
		{"anonymous ListBuckets", anon, iam.ListAllMyBuckets, "", "", vpn, iam.ErrAccessDenied},
		{"no request context: NotIpAddress denies", aliceP, iam.GetObject, "b", "k", nil, iam.ErrAccessDenied},
		{"lookup error fails closed", iam.Principal{Account: acct, AccessKey: "AKBROKEN"}, iam.GetObject, "b", "k", vpn, lookupErr},
	}
	for _, c := range cases {
		ctx := context.Background()
		if c.ctx != nil {
			ctx = WithRequestContext(ctx, c.ctx)
		}
		err := a.Authorize(ctx, iam.Request{Principal: c.p, Action: c.action, Bucket: c.bucket, Key: c.key})
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: Authorize = %v, want %v", c.name, err, c.want)
		}
	}
	var _ iam.Authorizer = a
}
