package policy

import (
	"strconv"
	"testing"
)

// benchPolicies is a typical request's policy set: a user with two identity
// policies (five statements) and a bucket policy with an IP condition and
// an explicit Deny.
func benchPolicies(b *testing.B) ([]*Policy, *Policy) {
	b.Helper()
	id1, err := ParseIdentity("user/alice/rw", []byte(doc(
		allowAll("s3:ListBucket", "arn:aws:s3:::photos"),
		allowAll("s3:GetObject", "arn:aws:s3:::photos/*"),
		allowAll("s3:PutObject", "arn:aws:s3:::photos/uploads/*"),
		`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}`)))
	if err != nil {
		b.Fatal(err)
	}
	id2, err := ParseIdentity("group/staff", []byte(doc(`{"Effect":"Deny","Action":"s3:PutBucketPolicy","Resource":"*"}`)))
	if err != nil {
		b.Fatal(err)
	}
	bp, err := ParseBucket("photos", []byte(seedBench))
	if err != nil {
		b.Fatal(err)
	}
	return []*Policy{id1, id2}, bp
}

const seedBench = `{"Version":"2012-10-17","Statement":[
 {"Sid":"VPN","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":["s3:GetObject","s3:PutObject"],
  "Resource":"arn:aws:s3:::photos/uploads/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.40.0/22"},"Bool":{"aws:SecureTransport":"true"}}},
 {"Sid":"NoHTTP","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

func BenchmarkEvaluate(b *testing.B) {
	ids, bp := benchPolicies(b)
	req := &Request{Principal: Principal{ARN: alice}, Action: "s3:PutObject", Resource: "arn:aws:s3:::photos/uploads/2026/12/img.jpg", Context: Context{}}
	req.Context.Set("aws:SourceIp", "10.0.41.9")
	req.Context.Set("aws:SecureTransport", "true")
	req.Context.Set("aws:UserAgent", "aws-sdk-go-v2/1.48.0")
	run := func(b *testing.B, ev *Evaluator) {
		b.ReportAllocs()
		for b.Loop() {
			if !ev.Evaluate(req, ids, bp).Allowed() {
				b.Fatal("denied")
			}
		}
	}
	b.Run("uncached", func(b *testing.B) { run(b, &Evaluator{}) })
	b.Run("cached", func(b *testing.B) { run(b, &Evaluator{Cache: NewCache(0)}) })
	b.Run("cached-parallel", func(b *testing.B) {
		ev := &Evaluator{Cache: NewCache(0)}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !ev.Evaluate(req, ids, bp).Allowed() {
					b.Error("denied")
					return
				}
			}
		})
	})
	// A large identity policy (25 statements with conditions), where the
	// cache pays most.
	var stmts []string
	for i := range 25 {
		stmts = append(stmts, `{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::photos/team`+strconv.Itoa(i)+`/*",`+
			`"Condition":{"StringLike":{"aws:UserAgent":"aws-sdk-*"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}}`)
	}
	stmts = append(stmts, allowAll("s3:PutObject", "arn:aws:s3:::photos/uploads/*"))
	big, err := ParseIdentity("user/alice/big", []byte(doc(stmts...)))
	if err != nil {
		b.Fatal(err)
	}
	bigIDs := []*Policy{big, ids[1]}
	runBig := func(b *testing.B, ev *Evaluator) {
		b.ReportAllocs()
		for b.Loop() {
			if !ev.Evaluate(req, bigIDs, bp).Allowed() {
				b.Fatal("denied")
			}
		}
	}
	b.Run("uncached-26stmt", func(b *testing.B) { runBig(b, &Evaluator{}) })
	b.Run("cached-26stmt", func(b *testing.B) { runBig(b, &Evaluator{Cache: NewCache(0)}) })
	// Every request a new object: each one a miss that also fills the cache.
	b.Run("cached-miss", func(b *testing.B) {
		ev := &Evaluator{Cache: NewCache(1 << 12)}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r := *req
			r.Resource = "arn:aws:s3:::photos/uploads/" + strconv.Itoa(i)
			i++
			ev.Evaluate(&r, ids, bp)
		}
	})
}
