package sigv4

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

const emptyHash = emptySHA256Hex

// TestVerifyHeaderErrors covers every refusal of the Authorization-header
// form. Each case starts from a freshly signed valid request and edits it;
// resign re-signs after the edit (so only the rule under test can fail).
func TestVerifyHeaderErrors(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(t *testing.T, r *treq)
		code   string
		verify *Verifier
	}{
		{name: "valid", edit: func(t *testing.T, r *treq) {}},
		{name: "sigv2 header", code: CodeAccessDenied, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = "AWS " + testAK + ":frJIUN8DYpKDtOLCwo//yllqDzg="
		}},
		{name: "sigv4a", code: CodeNotImplemented, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], algorithm, algorithmECDSA, 1)
		}},
		{name: "unknown scheme", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) { r.h["authorization"] = "Bearer abc" }},
		{name: "empty authorization", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) { r.h["authorization"] = "" }},
		{name: "missing component", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			a := r.h["authorization"]
			r.h["authorization"] = a[:strings.Index(a, ", Signature=")]
		}},
		{name: "component without =", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] += ", junk"
		}},
		{name: "unknown component", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] += ", Foo=bar"
		}},
		{name: "duplicate credential", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] += ", Credential=" + testAK + "/20130524/us-east-1/s3/aws4_request"
		}},
		{name: "credential too short", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "/us-east-1/s3/", "/", 1)
		}},
		{name: "credential date not a date", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "/20130524/", "/2013-5-24/", 1)
		}},
		{name: "wrong region", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "/us-east-1/", "/us-west-2/", 1)
		}},
		{name: "wrong service", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "/s3/", "/ec2/", 1)
		}},
		{name: "wrong terminator", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "aws4_request", "aws5_request", 1)
		}},
		{name: "credential date differs", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "/20130524/", "/20130525/", 1)
		}},
		{name: "signature not hex", code: CodeSignatureDoesNotMatch, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = r.h["authorization"][:len(r.h["authorization"])-1] + "z"
		}},
		{name: "signature short", code: CodeSignatureDoesNotMatch, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = r.h["authorization"][:len(r.h["authorization"])-2]
		}},
		{name: "signed headers uppercase", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "SignedHeaders=host", "SignedHeaders=Host", 1)
		}},
		{name: "signed headers duplicate", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "SignedHeaders=host", "SignedHeaders=host;host", 1)
		}},
		{name: "signed headers empty name", code: CodeAuthorizationHeaderMalformed, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "SignedHeaders=host", "SignedHeaders=;host", 1)
		}},
		{name: "no date", code: CodeAccessDenied, edit: func(t *testing.T, r *treq) { delete(r.h, "x-amz-date"); sign(t, r) }},
		{name: "bad x-amz-date", code: CodeAccessDenied, edit: func(t *testing.T, r *treq) { r.h["x-amz-date"] = "2013-05-24T00:00:00Z" }},
		{name: "bad date header", code: CodeAccessDenied, edit: func(t *testing.T, r *treq) {
			delete(r.h, "x-amz-date")
			r.h["date"] = "yesterday"
			sign(t, r)
		}},
		{name: "date header", edit: func(t *testing.T, r *treq) {
			delete(r.h, "x-amz-date")
			r.h["date"] = "Fri, 24 May 2013 00:00:00 GMT"
			sign(t, r)
		}},
		{name: "date header, numeric zone (botocore)", edit: func(t *testing.T, r *treq) {
			delete(r.h, "x-amz-date")
			r.h["date"] = "Fri, 24 May 2013 00:00:00 -0000"
			sign(t, r)
		}},
		{name: "date header, other zone", edit: func(t *testing.T, r *treq) {
			delete(r.h, "x-amz-date")
			r.h["date"] = "Fri, 24 May 2013 02:00:00 +0200"
			sign(t, r)
		}},
		{name: "date header unsigned", code: CodeAccessDenied, edit: func(t *testing.T, r *treq) {
			delete(r.h, "x-amz-date")
			r.h["date"] = "Fri, 24 May 2013 00:00:00 GMT"
			sign(t, r)
			r.h["authorization"] = strings.Replace(r.h["authorization"], "SignedHeaders=date;", "SignedHeaders=", 1)
		}},
		{name: "skew within", verify: newTestVerifier(testTime.Add(DefaultMaxSkew)), edit: func(t *testing.T, r *treq) {}},
		{name: "skew past", code: CodeRequestTimeTooSkewed, verify: newTestVerifier(testTime.Add(DefaultMaxSkew + time.Second)), edit: func(t *testing.T, r *treq) {}},
		{name: "skew future", code: CodeRequestTimeTooSkewed, verify: newTestVerifier(testTime.Add(-DefaultMaxSkew - time.Second)), edit: func(t *testing.T, r *treq) {}},
		{name: "custom skew", code: CodeRequestTimeTooSkewed, verify: NewVerifier(Options{
			Region: testRegion, MaxSkew: time.Minute, Creds: staticCreds{testAK: testSK},
			Now: func() time.Time { return testTime.Add(2 * time.Minute) },
		}), edit: func(t *testing.T, r *treq) {}},
		{name: "no content sha256", code: CodeInvalidRequest, edit: func(t *testing.T, r *treq) {
			delete(r.h, "x-amz-content-sha256")
			sign(t, r)
		}},
		{name: "bad content sha256", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-content-sha256"] = "STREAMING-FOO"
			sign(t, r)
		}},
		{name: "content sha256 short hex", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-content-sha256"] = emptyHash[:63]
			sign(t, r)
		}},
		{name: "ecdsa streaming", code: CodeNotImplemented, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-content-sha256"] = streamingECDSA
			sign(t, r)
		}},
		{name: "content sha256 unsigned", code: CodeAccessDenied, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], ";x-amz-content-sha256", "", 1)
		}},
		{name: "host unsigned", code: CodeAccessDenied, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], "SignedHeaders=host;", "SignedHeaders=", 1)
		}},
		{name: "unsigned x-amz header", code: CodeAccessDenied, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-copy-source"] = "/other/secret"
		}},
		{name: "unsigned plain header is fine", edit: func(t *testing.T, r *treq) { r.h["user-agent"] = "curl" }},
		{name: "unknown access key", code: CodeInvalidAccessKeyID, edit: func(t *testing.T, r *treq) {
			r.h["authorization"] = strings.Replace(r.h["authorization"], testAK, "AKIDUNKNOWN", 1)
		}},
		{name: "no credential store", code: CodeInvalidAccessKeyID, verify: NewVerifier(Options{Region: testRegion, Now: func() time.Time { return testTime }}),
			edit: func(t *testing.T, r *treq) {}},
		{name: "session token unsupported", code: CodeInvalidToken, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-security-token"] = "tok"
			sign(t, r)
		}},
		{name: "session token", verify: NewVerifier(Options{Region: testRegion, Now: func() time.Time { return testTime }, Creds: sessionCreds{}}),
			edit: func(t *testing.T, r *treq) {
				r.h["x-amz-security-token"] = "good-token"
				sign(t, r)
			}},
		{name: "session token wrong", code: CodeInvalidToken, verify: NewVerifier(Options{Region: testRegion, Now: func() time.Time { return testTime }, Creds: sessionCreds{}}),
			edit: func(t *testing.T, r *treq) {
				r.h["x-amz-security-token"] = "bad-token"
				sign(t, r)
			}},
		{name: "streaming without decoded length", code: CodeMissingContentLength, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-content-sha256"] = streamingSigned
			sign(t, r)
		}},
		{name: "decoded length not a number", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-content-sha256"] = streamingSigned
			r.h["x-amz-decoded-content-length"] = "-1"
			sign(t, r)
		}},
		{name: "trailer without trailer mode", code: CodeInvalidRequest, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-trailer"] = "x-amz-checksum-crc32"
			sign(t, r)
		}},
		{name: "unsupported trailer", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-content-sha256"] = streamingUnsignedTrailer
			r.h["x-amz-decoded-content-length"] = "0"
			r.h["x-amz-trailer"] = "x-amz-meta-foo"
			sign(t, r)
		}},
		{name: "duplicate trailer", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) {
			r.h["x-amz-content-sha256"] = streamingUnsignedTrailer
			r.h["x-amz-decoded-content-length"] = "0"
			r.h["x-amz-trailer"] = "x-amz-checksum-crc32, X-Amz-Checksum-CRC32"
			sign(t, r)
		}},
		{name: "header and query auth", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) {
			r.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
		}},
		{name: "header and sigv2 query", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) {
			r.query = "Signature=abc"
		}},
		{name: "bad query encoding", code: CodeInvalidArgument, edit: func(t *testing.T, r *treq) { r.query = "a=%zz" }},
		{name: "signature mismatch", code: CodeSignatureDoesNotMatch, edit: func(t *testing.T, r *treq) { r.h["x-amz-meta-a"] = "changed" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := signedReq(t, "PUT", "/bucket/key", "", emptyHash, map[string]string{"x-amz-meta-a": "1"})
			c.edit(t, r)
			v := c.verify
			if v == nil {
				v = newTestVerifier(testTime)
			}
			id, err := v.Verify(r.request())
			if got := errCode(err); got != c.code {
				t.Fatalf("code = %q (%v), want %q", got, err, c.code)
			}
			if err == nil && (id.AccessKey != testAK || id.Anonymous) {
				t.Fatalf("identity = %+v", id)
			}
			if err != nil && id != nil {
				t.Fatal("identity returned with an error")
			}
		})
	}
}

// sessionCreds knows one session token for the test key.
type sessionCreds struct{}

func (sessionCreds) Lookup(string) (string, string, bool) { return "", "", false }
func (sessionCreds) LookupSession(ak, tok string) (string, string, bool) {
	return testSK, "session", ak == testAK && tok == "good-token"
}

// presignedReq returns a valid presigned GET for /bucket/key.
func presignedReq(t *testing.T, expires time.Duration, headers map[string]string, signed ...string) *treq {
	t.Helper()
	r := &treq{method: "GET", path: "/bucket/key", query: "versionId=3", host: "bucket.s3.example.com", h: map[string]string{}}
	for k, v := range headers {
		r.h[k] = v
	}
	q, err := Presign(r.request(), testCreds, testTime, expires, signed)
	if err != nil {
		t.Fatal(err)
	}
	r.query = q
	return r
}

func TestVerifyPresignedErrors(t *testing.T) {
	rep := func(old, new string) func(*treq) {
		return func(r *treq) { r.query = strings.Replace(r.query, old, new, 1) }
	}
	cases := []struct {
		name    string
		expires time.Duration
		edit    func(r *treq)
		now     time.Time
		code    string
	}{
		{name: "valid", edit: func(*treq) {}},
		{name: "valid at end", edit: func(*treq) {}, now: testTime.Add(time.Hour)},
		{name: "expired", edit: func(*treq) {}, now: testTime.Add(time.Hour + time.Second), code: CodeAccessDenied},
		{name: "not yet valid", edit: func(*treq) {}, now: testTime.Add(-DefaultMaxSkew - time.Second), code: CodeAccessDenied},
		{name: "week", expires: 604800 * time.Second, edit: func(*treq) {}, now: testTime.Add(604800 * time.Second)},
		{name: "over a week", expires: 604801 * time.Second, edit: func(*treq) {}, code: CodeAuthorizationQueryParametersError},
		{name: "negative expires", edit: rep("X-Amz-Expires=3600", "X-Amz-Expires=-1"), code: CodeAuthorizationQueryParametersError},
		{name: "expires not a number", edit: rep("X-Amz-Expires=3600", "X-Amz-Expires=1h"), code: CodeAuthorizationQueryParametersError},
		{name: "missing expires", edit: rep("&X-Amz-Expires=3600", ""), code: CodeAuthorizationQueryParametersError},
		{name: "missing credential", edit: func(r *treq) {
			i := strings.Index(r.query, "&X-Amz-Credential=")
			j := strings.Index(r.query, "&X-Amz-Date=")
			r.query = r.query[:i] + r.query[j:]
		}, code: CodeAuthorizationQueryParametersError},
		{name: "missing signature", edit: func(r *treq) { r.query = r.query[:strings.Index(r.query, "&X-Amz-Signature=")] }, code: CodeAuthorizationQueryParametersError},
		{name: "missing algorithm", edit: rep("X-Amz-Algorithm=AWS4-HMAC-SHA256&", ""), code: CodeAuthorizationQueryParametersError},
		{name: "duplicate date", edit: func(r *treq) { r.query += "&X-Amz-Date=20130524T000000Z" }, code: CodeAuthorizationQueryParametersError},
		{name: "wrong algorithm", edit: rep("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"), code: CodeAuthorizationQueryParametersError},
		{name: "sigv4a", edit: rep("AWS4-HMAC-SHA256", algorithmECDSA), code: CodeNotImplemented},
		{name: "bad date", edit: rep("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130524"), code: CodeAuthorizationQueryParametersError},
		{name: "credential date differs", edit: rep("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130523T235959Z"), code: CodeAuthorizationQueryParametersError},
		{name: "malformed credential", edit: rep("%2Fus-east-1%2Fs3%2F", "%2F"), code: CodeAuthorizationQueryParametersError},
		{name: "wrong region", edit: rep("%2Fus-east-1%2F", "%2Feu-west-1%2F"), code: CodeAuthorizationQueryParametersError},
		{name: "unknown key", edit: rep(testAK, "AKIDUNKNOWN"), code: CodeInvalidAccessKeyID},
		{name: "signature not hex", edit: func(r *treq) { r.query = r.query[:len(r.query)-1] + "g" }, code: CodeSignatureDoesNotMatch},
		{name: "signature wrong", edit: func(r *treq) { r.query = r.query[:len(r.query)-64] + strings.Repeat("a", 64) }, code: CodeSignatureDoesNotMatch},
		{name: "query param changed", edit: rep("versionId=3", "versionId=4"), code: CodeSignatureDoesNotMatch},
		{name: "unsigned x-amz header", edit: func(r *treq) { r.h["x-amz-acl"] = "public-read" }, code: CodeAccessDenied},
		{name: "host not signed", edit: rep("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-host"), code: CodeAccessDenied},
		{name: "bad signed headers", edit: rep("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=Host"), code: CodeAuthorizationQueryParametersError},
		{name: "session token unsupported", edit: func(r *treq) { r.query += "&X-Amz-Security-Token=abc" }, code: CodeInvalidToken},
		{name: "streaming content sha", edit: func(r *treq) { r.query += "&X-Amz-Content-Sha256=" + streamingSigned }, code: CodeInvalidArgument},
		{name: "garbage content sha", edit: func(r *treq) { r.query += "&X-Amz-Content-Sha256=xyz" }, code: CodeInvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			exp := c.expires
			if exp == 0 {
				exp = time.Hour
			}
			r := presignedReq(t, exp, nil)
			c.edit(r)
			now := c.now
			if now.IsZero() {
				now = testTime.Add(time.Minute)
			}
			id, err := newTestVerifier(now).Verify(r.request())
			if got := errCode(err); got != c.code {
				t.Fatalf("code = %q (%v), want %q\nquery %s", got, err, c.code, r.query)
			}
			if err == nil && (!id.Presigned || id.Mode != Presigned || id.Account != "acct-"+testAK) {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
}

func TestPresignedSignedHeadersAndHash(t *testing.T) {
	r := presignedReq(t, time.Hour, map[string]string{"x-amz-meta-k": "v", "content-type": "a/b"}, "x-amz-meta-k", "content-type")
	v := newTestVerifier(testTime)
	if _, err := v.Verify(r.request()); err != nil {
		t.Fatal(err)
	}
	r.h["x-amz-meta-k"] = "w"
	if _, err := v.Verify(r.request()); errCode(err) != CodeSignatureDoesNotMatch {
		t.Fatalf("changed signed header: %v", err)
	}

	// X-Amz-Content-Sha256 in the query turns the payload into SignedHex.
	sum := "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" // "hello"
	r = &treq{method: "PUT", path: "/bucket/key", query: qContentSHA256 + "=" + sum, host: "h", h: map[string]string{}}
	pr := r.request()
	amzDate := testTime.Format(timeFormat)
	q := pr.RawQuery + "&" + qAlgorithm + "=" + algorithm + "&" + qCredential + "=" + testAK + "%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
		"&" + qDate + "=" + amzDate + "&" + qExpires + "=60&" + qSignedHeaders + "=host"
	pr.RawQuery = q
	sig, err := clientSignature(pr, testCreds, amzDate, []string{"host"}, qSignature, sum)
	if err != nil {
		t.Fatal(err)
	}
	r.query = q + "&" + qSignature + "=" + hexString(sig[:])
	id, err := v.Verify(r.request())
	if err != nil {
		t.Fatal(err)
	}
	if id.Mode != SignedHex || hexString(id.ContentSHA256) != sum || !id.Presigned {
		t.Fatalf("identity = %+v", id)
	}
}

func TestVerifyDispatch(t *testing.T) {
	v := newTestVerifier(testTime)
	cases := []struct {
		name  string
		query string
		h     map[string]string
		code  string
		mode  PayloadMode
	}{
		{name: "anonymous", h: map[string]string{}, mode: Unsigned},
		{name: "anonymous hex", h: map[string]string{"x-amz-content-sha256": emptyHash}, mode: SignedHex},
		{name: "anonymous unsigned trailer", h: map[string]string{"x-amz-content-sha256": streamingUnsignedTrailer, "x-amz-decoded-content-length": "3",
			"x-amz-trailer": "x-amz-checksum-crc32"}, mode: StreamingUnsignedTrailer},
		{name: "anonymous signed streaming", h: map[string]string{"x-amz-content-sha256": streamingSigned, "x-amz-decoded-content-length": "3"}, code: CodeAccessDenied},
		{name: "anonymous bad content sha", h: map[string]string{"x-amz-content-sha256": "nope"}, code: CodeInvalidArgument},
		{name: "sigv2 query", query: "AWSAccessKeyId=" + testAK + "&Expires=1369353600&Signature=abc%3D", h: map[string]string{}, code: CodeAccessDenied},
		{name: "sigv2 query signature only", query: "Signature=abc", h: map[string]string{}, code: CodeAccessDenied},
		{name: "v4 query without algorithm", query: "X-Amz-Credential=x", h: map[string]string{}, code: CodeAuthorizationQueryParametersError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &treq{method: "GET", path: "/b/k", query: c.query, host: "h", h: c.h}
			id, err := v.Verify(r.request())
			if got := errCode(err); got != c.code {
				t.Fatalf("code = %q (%v), want %q", got, err, c.code)
			}
			if err == nil && (!id.Anonymous || id.Mode != c.mode || id.AccessKey != "") {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
}

// TestPathEncodingForms: S3 signs the path as sent; a signature over the
// AWS re-encoding of the same path is accepted as well, but a different
// path never is.
func TestPathEncodingForms(t *testing.T) {
	v := newTestVerifier(testTime)
	mk := func(signedPath, sentPath string) *treq {
		r := signedReq(t, "GET", signedPath, "", emptyHash, nil)
		r.path = sentPath
		return r
	}
	for _, c := range []struct {
		signed, sent string
		ok           bool
	}{
		{"/b/a!b", "/b/a!b", true},
		{"/b/a%21b", "/b/a!b", true},    // client signed the AWS form, sent a literal '!'
		{"/b/a%2a", "/b/a%2a", true},    // as sent, lower-case escape
		{"/b/a%2A", "/b/a%2a", true},    // AWS form of the same
		{"/b/a%20b", "/b/a%20b", true},  // plain
		{"/b/~x", "/b/%7Ex", true},      // over-encoded unreserved char on the wire
		{"/b/%7Ex", "/b/~x", false},     // over-encoding is not the AWS form
		{"/b/a%21b", "/b/a%22b", false}, // different key
		{"/b/a/b", "/b/a%2Fb", true},    // same key, '/' encoded on the wire
		{"/b/ab", "/b/a%2", false},      // invalid escape: no alternative form
		{"/b/a%2Fb", "/b/a/b", false},   // AWS form keeps '/', so a%2F is not it
		{"/b/a b", "/b/a%20b", false},   // a raw space is never a canonical form
		{"/b/%E6%97%A5", "/b/日", true},  // raw UTF-8 on the wire
		{"/b/%e6%97%a5", "/b/日", false}, // lower-case escapes are not the AWS form
	} {
		_, err := v.Verify(mk(c.signed, c.sent).request())
		if (err == nil) != c.ok {
			t.Errorf("signed %q sent %q: err = %v, want ok=%v", c.signed, c.sent, err, c.ok)
		}
	}
}

func TestKeyCacheRotationAndBound(t *testing.T) {
	creds := staticCreds{testAK: testSK}
	v := NewVerifier(Options{Region: testRegion, Now: func() time.Time { return testTime }, Creds: creds, KeyCacheSize: 2})
	r := signedReq(t, "GET", "/b/k", "", emptyHash, nil)
	for i := 0; i < 3; i++ { // cache miss, then hits
		if _, err := v.Verify(r.request()); err != nil {
			t.Fatal(err)
		}
	}
	if v.keys.len() != 1 {
		t.Fatalf("cache holds %d keys", v.keys.len())
	}
	creds[testAK] = "rotated-secret"
	if _, err := v.Verify(r.request()); errCode(err) != CodeSignatureDoesNotMatch {
		t.Fatalf("old signature after rotation: %v", err)
	}
	rot := ClientCredentials{AccessKey: testAK, SecretKey: "rotated-secret", Region: testRegion}
	delete(r.h, "authorization")
	r.h["authorization"], _, _ = Sign(r.request(), rot, testTime, []string{"x-amz-date", "x-amz-content-sha256"}, emptyHash)
	if _, err := v.Verify(r.request()); err != nil {
		t.Fatalf("new secret refused: %v", err)
	}
	for i := 0; i < 5; i++ {
		v.keys.get(keyID{accessKey: "k" + itoa(int64(i)), date: "20130524", region: testRegion}, "s")
	}
	if n := v.keys.len(); n > 2 {
		t.Fatalf("cache grew to %d entries, bound 2", n)
	}
}

func hexString(b []byte) string {
	const d = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, d[c>>4], d[c&15])
	}
	return string(out)
}

// TestConcurrentUse hammers one Verifier from several goroutines (run with
// -race): header and presigned verification, key-cache misses across days
// and keys, and chunked bodies sharing the pooled readers and HMAC states.
func TestConcurrentUse(t *testing.T) {
	v := NewVerifier(Options{Region: testRegion, Creds: staticCreds{testAK: testSK, "OTHERKEY": "othersecret"},
		Now: func() time.Time { return testTime }, KeyCacheSize: 2})
	other := ClientCredentials{AccessKey: "OTHERKEY", SecretKey: "othersecret", Region: testRegion}
	hdr := signedReq(t, "GET", "/b/k", "", emptyHash, nil)
	hdr2 := signedReq(t, "GET", "/b/k2", "", emptyHash, nil)
	delete(hdr2.h, "authorization")
	hdr2.h["authorization"], _, _ = Sign(hdr2.request(), other, testTime, []string{"x-amz-date", "x-amz-content-sha256"}, emptyHash)
	pre := presignedReq(t, time.Hour, nil)
	_, sid, seed := streamingSetup(t, StreamingSigned, 50000)
	raw := encodeChunks(t, StreamingSigned, seed, pattern(50000), 4096, nil)
	done := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				for _, r := range []*treq{hdr, hdr2, pre} {
					if _, err = v.Verify(r.request()); err != nil {
						break
					}
				}
				if err == nil {
					var body *Body
					if body, err = v.Body(sid, bytes.NewReader(raw)); err == nil {
						_, err = io.ReadAll(body)
					}
				}
			}
			done <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpectCheckAndAccessors(t *testing.T) {
	v := newTestVerifier(testTime)
	if v.Region() != testRegion || NewVerifier(Options{}).Region() != "us-east-1" {
		t.Fatal("region defaults")
	}
	good := signedReq(t, "PUT", "/b/k", "", streamingSigned, map[string]string{"x-amz-decoded-content-length": "10"})
	if err := v.ExpectCheck(good.request()); err != nil {
		t.Fatal(err)
	}
	good.h["x-amz-decoded-content-length"] = "11"
	if err := v.ExpectCheck(good.request()); errCode(err) != CodeSignatureDoesNotMatch {
		t.Fatalf("ExpectCheck on a forged header: %v", err)
	}
	// A request without a Header func is simply anonymous.
	id, err := v.Verify(&Request{Method: "GET", RawPath: "/"})
	if err != nil || !id.Anonymous || id.Mode != Unsigned || id.DecodedLength != -1 {
		t.Fatalf("%+v, %v", id, err)
	}
	for m, want := range map[PayloadMode]string{Unsigned: "UNSIGNED-PAYLOAD", SignedHex: "SIGNED-PAYLOAD", Presigned: "PRESIGNED",
		StreamingSigned: streamingSigned, StreamingSignedTrailer: streamingSignedTrailer, StreamingUnsignedTrailer: streamingUnsignedTrailer, 0: "invalid"} {
		if m.String() != want {
			t.Errorf("%d.String() = %q", int(m), m.String())
		}
		if m.Chunked() != strings.HasPrefix(want, "STREAMING-") {
			t.Errorf("%v.Chunked() = %v", m, m.Chunked())
		}
	}
}

// TestIdentityReplayFields: Verify reports the verified signature, the
// signing time and a presigned URL's end, which the server's replay cache
// and policies rely on.
func TestIdentityReplayFields(t *testing.T) {
	v := newTestVerifier(testTime)
	r := signedReq(t, "PUT", "/bucket/key", "", unsignedPayload, nil)
	id, err := v.Verify(r.request())
	if err != nil {
		t.Fatal(err)
	}
	authz := r.h["authorization"]
	want := authz[strings.LastIndex(authz, "Signature=")+len("Signature="):]
	if hexString(id.Signature[:]) != want || !id.SignedAt.Equal(testTime) || !id.Expires.IsZero() {
		t.Fatalf("header identity: sig %x at %v expires %v; want %s at %v", id.Signature, id.SignedAt, id.Expires, want, testTime)
	}
	p := presignedReq(t, 90*time.Second, nil)
	id, err = v.Verify(p.request())
	if err != nil {
		t.Fatal(err)
	}
	if !id.SignedAt.Equal(testTime) || !id.Expires.Equal(testTime.Add(90*time.Second)) || id.Signature == ([32]byte{}) {
		t.Fatalf("presigned identity: %+v", id)
	}
}
