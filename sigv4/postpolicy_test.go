package sigv4

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifyPostPolicy(t *testing.T) {
	v := newTestVerifier(testTime)
	policy := "eyJleHBpcmF0aW9uIjoiMjAxMy0wNS0yNVQwMDowMDowMFoiLCJjb25kaXRpb25zIjpbXX0="
	cred, date, sig := SignPostPolicy(testCreds, testTime, policy)
	good := PostPolicy{Algorithm: algorithm, Credential: cred, Date: date, Signature: sig, Policy: policy}
	id, err := v.VerifyPostPolicy(good)
	if err != nil || id.AccessKey != testAK || id.Account == "" {
		t.Fatalf("good form: %+v %v", id, err)
	}
	_, _, otherSig := SignPostPolicy(ClientCredentials{AccessKey: testAK, SecretKey: "wrong", Region: testRegion}, testTime, policy)
	flip := []byte(sig)
	flip[0] ^= 1
	for _, c := range []struct {
		name string
		mod  func(p *PostPolicy)
		code string
	}{
		{"other policy", func(p *PostPolicy) { p.Policy += "x" }, CodeSignatureDoesNotMatch},
		{"wrong secret", func(p *PostPolicy) { p.Signature = otherSig }, CodeSignatureDoesNotMatch},
		{"flipped signature", func(p *PostPolicy) { p.Signature = string(flip) }, CodeSignatureDoesNotMatch},
		{"short signature", func(p *PostPolicy) { p.Signature = sig[:10] }, CodeSignatureDoesNotMatch},
		{"sigv2 algorithm", func(p *PostPolicy) { p.Algorithm = "AWS" }, CodeInvalidArgument},
		{"bad credential", func(p *PostPolicy) { p.Credential = "nope" }, CodeInvalidArgument},
		{"other region", func(p *PostPolicy) { p.Credential = strings.Replace(cred, testRegion, "eu-west-9", 1) }, CodeInvalidArgument},
		{"date mismatch", func(p *PostPolicy) { p.Date = testTime.Add(48 * time.Hour).Format(timeFormat) }, CodeInvalidArgument},
		{"bad date", func(p *PostPolicy) { p.Date = "yesterday" }, CodeInvalidArgument},
		{"unknown key", func(p *PostPolicy) { p.Credential = strings.Replace(cred, testAK, "AKIANOBODY", 1) }, CodeInvalidAccessKeyID},
	} {
		p := good
		c.mod(&p)
		_, err := v.VerifyPostPolicy(p)
		var e *Error
		if !errors.As(err, &e) || e.Code != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	// Signed in the future (beyond the skew): not valid yet.
	cred2, date2, sig2 := SignPostPolicy(testCreds, testTime.Add(time.Hour), policy)
	if _, err := v.VerifyPostPolicy(PostPolicy{Algorithm: algorithm, Credential: cred2, Date: date2, Signature: sig2, Policy: policy}); err == nil {
		t.Fatal("future form accepted")
	}
}
