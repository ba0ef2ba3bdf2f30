package policy

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestCacheKeysOnEverythingADecisionReads(t *testing.T) {
	bp, err := ParseBucket("b", []byte(doc(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	now := testNow
	ev := &Evaluator{Now: func() time.Time { return now }, Cache: NewCache(100)}
	req := func(ip, res string) *Request {
		r := &Request{Principal: Principal{ARN: alice}, Action: "s3:GetObject", Resource: res, Context: Context{}}
		r.Context.Set("aws:SourceIp", ip)
		r.Context.Set("aws:UserAgent", ip) // read by no policy: must not split entries
		return r
	}
	check := func(r *Request, ids []*Policy, b *Policy, want Effect) {
		t.Helper()
		if d := ev.Evaluate(r, ids, b); d.Effect != want {
			t.Fatalf("got %v, want %v", d.Effect, want)
		}
	}
	check(req("10.1.1.1", "arn:aws:s3:::b/k"), nil, bp, Allow)
	check(req("10.1.1.1", "arn:aws:s3:::b/k"), nil, bp, Allow)
	check(req("192.0.2.1", "arn:aws:s3:::b/k"), nil, bp, ImplicitDeny) // a context value the policy reads
	check(req("10.1.1.1", "arn:aws:s3:::c/k"), nil, bp, ImplicitDeny)  // another resource
	// An edited policy must not answer from the old entry.
	deny, err := ParseBucket("b", []byte(doc(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)))
	if err != nil {
		t.Fatal(err)
	}
	check(req("10.1.1.1", "arn:aws:s3:::b/k"), nil, deny, Deny)
	// An identity policy added in front of the same bucket policy.
	id, err := ParseIdentity("u", []byte(doc(`{"Effect":"Deny","Action":"s3:*","Resource":"*"}`)))
	if err != nil {
		t.Fatal(err)
	}
	check(req("10.1.1.1", "arn:aws:s3:::b/k"), []*Policy{id}, bp, Deny)
	if hits, misses := ev.Cache.Stats(); hits != 1 || misses != 5 {
		t.Fatalf("hits %d misses %d, want 1 and 5", hits, misses)
	}

	// A time condition is keyed on the clock.
	tp, err := ParseIdentity("t", []byte(cond(`"DateLessThan":{"aws:CurrentTime":"2026-12-05T12:00:01Z"}`)))
	if err != nil {
		t.Fatal(err)
	}
	check(req("10.1.1.1", "arn:aws:s3:::b/k"), []*Policy{tp}, nil, Allow)
	now = now.Add(time.Second)
	check(req("10.1.1.1", "arn:aws:s3:::b/k"), []*Policy{tp}, nil, ImplicitDeny)
}

func TestCacheIsBounded(t *testing.T) {
	p, err := ParseIdentity("u", []byte(doc(allowAll("s3:GetObject", "*"))))
	if err != nil {
		t.Fatal(err)
	}
	ev := &Evaluator{Cache: NewCache(100)}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				r := &Request{Principal: Principal{ARN: alice}, Action: "s3:GetObject", Resource: fmt.Sprintf("arn:aws:s3:::b/%d/%d", g, i)}
				if !ev.Evaluate(r, []*Policy{p}, nil).Allowed() {
					t.Error("denied")
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := ev.Cache.Len(); n > 100 || n < 50 {
		t.Fatalf("cache holds %d entries, bound is 100", n)
	}
}
