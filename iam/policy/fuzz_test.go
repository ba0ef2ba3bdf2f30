package policy

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary documents to both parsers: they must never
// panic, must fail only with ErrMalformed, and what they accept must
// evaluate (cached and uncached alike) without panicking.
func FuzzParse(f *testing.F) {
	f.Add([]byte(seedPolicy))
	f.Add([]byte(seedBench))
	f.Add([]byte(cond(`"ForAllValues:StringLikeIfExists":{"s3:prefix":["${aws:username}/*","a?${*}"]},"NumericLessThan":{"s3:max-keys":10}`)))
	f.Add([]byte(doc(`{"Effect":"Deny","NotPrincipal":{"AWS":["123456789012","arn:aws:iam::1:root"]},"NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/p/*"}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := &Evaluator{Now: func() time.Time { return testNow }}
		cached := &Evaluator{Now: ev.Now, Cache: NewCache(8)}
		for _, bucket := range []bool{false, true} {
			var p *Policy
			var err error
			if bucket {
				p, err = ParseBucket("b", data)
			} else {
				p, err = ParseIdentity("f", data)
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error not ErrMalformed: %v", err)
				}
				continue
			}
			IsPublic(p)
			req := &Request{Principal: Principal{ARN: alice}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/alice/k", Context: Context{}}
			req.Context.Set("aws:SourceIp", "10.0.40.7")
			req.Context.Set("s3:prefix", "alice/")
			req.Context.Set("s3:RequestObjectTagKeys", "a", "b")
			var ids []*Policy
			var bp *Policy
			if bucket {
				bp = p
			} else {
				ids = []*Policy{p}
			}
			d1 := ev.Evaluate(req, ids, bp)
			d2 := cached.Evaluate(req, ids, bp)
			d3 := cached.Evaluate(req, ids, bp)
			if d1.Effect != d2.Effect || d2.Effect != d3.Effect {
				t.Fatalf("uncached %v, cached %v then %v", d1.Effect, d2.Effect, d3.Effect)
			}
		}
	})
}

// FuzzEvaluate builds a one-condition policy from fuzzed operator, key
// value, policy value, request value, action and resource, and checks the
// evaluator's invariants: no panic, a Deny only from a Deny statement, the
// negated operator (when the policy value is variable-free and the key is
// present) answering the opposite of its positive form, and the cache
// agreeing with a fresh evaluation.
func FuzzEvaluate(f *testing.F) {
	f.Add("StringEquals", "s3:prefix", "docs/", "docs/", "s3:ListBucket", "arn:aws:s3:::b")
	f.Add("IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8::1", "s3:GetObject", "arn:aws:s3:::b/k")
	f.Add("DateLessThan", "aws:CurrentTime", "2027-01-01T00:00:00Z", "2026-12-05T12:00:00Z", "s3:GetObject", "arn:aws:s3:::b/k")
	f.Add("NumericGreaterThanEquals", "s3:max-keys", "10", "1e3", "s3:ListBucket", "arn:aws:s3:::b")
	f.Add("ForAnyValue:StringLike", "s3:prefix", "${aws:username}/*", "alice/x", "s3:ListBucket", "arn:aws:s3:::b")
	f.Add("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/a*", alice, "s3:GetObject", "arn:aws:s3:::b/k")
	f.Add("Bool", "aws:SecureTransport", "true", "TRUE", "s3:get*", "arn:aws:s3:::b/${*}")
	f.Fuzz(func(t *testing.T, op, key, pval, rval, action, resource string) {
		c, err := json.Marshal(map[string]map[string]string{op: {key: pval}})
		if err != nil {
			return
		}
		for _, effect := range []string{"Allow", "Deny"} {
			stmt, _ := json.Marshal(map[string]any{"Effect": effect, "Action": "s3:*", "Resource": "*", "Condition": json.RawMessage(c)})
			p, err := ParseIdentity("f", []byte(doc(string(stmt))))
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("error not ErrMalformed: %v", err)
				}
				return
			}
			req := &Request{Principal: Principal{ARN: alice}, Action: action, Resource: resource, Context: Context{}}
			req.Context.Set(key, rval)
			ev := &Evaluator{Now: func() time.Time { return testNow }}
			d := ev.Evaluate(req, []*Policy{p}, nil)
			if effect == "Allow" && d.Effect == Deny || effect == "Deny" && d.Effect == Allow {
				t.Fatalf("%s statement gave %v", effect, d.Effect)
			}
			cached := &Evaluator{Now: ev.Now, Cache: NewCache(4)}
			for range 2 {
				if cd := cached.Evaluate(req, []*Policy{p}, nil); cd.Effect != d.Effect {
					t.Fatalf("cached %v, uncached %v", cd.Effect, d.Effect)
				}
			}
			// A negated operator must answer the opposite of its positive form.
			cd := &p.Statements[0].conditions[0]
			if cd.qual == qualNone && !cd.ifExists && cd.op != opNull && len(cd.values) > 0 && !cd.values[0].vars {
				ec := newEvalCtx(req, ev.Now)
				if len(ec.get(cd.key)) > 0 {
					neg := *cd
					neg.negated = !neg.negated
					if cd.eval(&ec) == neg.eval(&ec) {
						t.Fatalf("%s and its negation agree on %q vs %q", op, pval, rval)
					}
				}
			}
		}
	})
}
