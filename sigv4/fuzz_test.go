package sigv4

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func FuzzParseAuthorization(f *testing.F) {
	sig := strings.Repeat("0a", 32)
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
		"AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=" + sig,
		"AWS4-HMAC-SHA256 Signature=" + sig + ",Credential=a/b/c/d/e/f,SignedHeaders=a;b;c",
		"AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
		"AWS4-HMAC-SHA256 ,,,=,==",
		"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
		"AWS4-ECDSA-P256-SHA256 Credential=x",
		"", " ", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request",
	} {
		f.Add(s)
	}
	v := newTestVerifier(testTime)
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAuthorization(s)
		if err == nil {
			// A parsed header re-renders to one that parses identically.
			re := algorithm + " Credential=" + a.cred.accessKey + "/" + a.cred.date + "/" + a.cred.region + "/" +
				a.cred.service + "/" + a.cred.terminal + ", SignedHeaders=" + a.signedHeaders + ", Signature=" + hexString(a.sig[:])
			b, err2 := parseAuthorization(re)
			if err2 != nil || b != a {
				t.Fatalf("re-rendered %q: %+v, %v; was %+v", re, b, err2, a)
			}
		} else if err.Code == "" || err.Msg == "" {
			t.Fatalf("error without code/message: %+v", err)
		}
		r := &treq{method: "GET", path: "/b/k", host: "h", h: map[string]string{
			"authorization": s, "x-amz-date": "20130524T000000Z", "x-amz-content-sha256": emptyHash,
		}}
		id, verr := v.Verify(r.request())
		var e *Error
		if verr == nil {
			t.Fatalf("fuzzed Authorization %q verified: %+v", s, id)
		}
		if !errors.As(verr, &e) {
			t.Fatalf("error is not *Error: %v", verr)
		}
	})
}

func FuzzPresignQuery(f *testing.F) {
	base := &treq{method: "GET", path: "/bucket/key", host: "bucket.s3.example.com", h: map[string]string{}}
	valid, err := Presign(base.request(), testCreds, testTime, time.Hour, nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		valid,
		"versionId=1&" + valid,
		strings.Replace(valid, "X-Amz-Expires=3600", "X-Amz-Expires=604801", 1),
		strings.Replace(valid, "%2F", "/", -1),
		"X-Amz-Algorithm=AWS4-HMAC-SHA256",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Algorithm=x",
		"AWSAccessKeyId=AK&Signature=x&Expires=1",
		"a=%zz", "=&=&", "+=+", "X-Amz-Credential=%2F%2F%2F%2F",
		"",
	} {
		f.Add(s)
	}
	v := newTestVerifier(testTime.Add(time.Minute))
	f.Fuzz(func(t *testing.T, q string) {
		params, ok := parseQuery(nil, q)
		if ok {
			for _, p := range params {
				if k, _ := canonComponent(p.key); k != p.key {
					t.Fatalf("key %q not canonical", p.key)
				}
				if val, _ := canonComponent(p.val); val != p.val {
					t.Fatalf("value %q not canonical", p.val)
				}
			}
		}
		r := *base
		r.query = q
		id, err := v.Verify(r.request())
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		_, nAlg := lookup(params, qAlgorithm)
		if nAlg > 0 && !id.Presigned {
			t.Fatalf("query with X-Amz-Algorithm accepted as non-presigned: %+v", id)
		}
		if id.Presigned && q != valid && !strings.Contains(q, "X-Amz-Signature="+valid[strings.LastIndex(valid, "=")+1:]) {
			t.Fatalf("presigned query %q verified", q)
		}
	})
}

func FuzzChunkedReader(f *testing.F) {
	type setup struct {
		v  *Verifier
		id *Identity
	}
	modes := []PayloadMode{StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer}
	setups := make([]setup, len(modes))
	for i, m := range modes {
		var names []string
		var trailers map[string]string
		if m != StreamingSigned {
			names = []string{"x-amz-checksum-crc32"}
			trailers = map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}
		}
		v, id, seed := streamingSetup(f, m, 300, names...)
		setups[i] = setup{v, id}
		for _, ch := range []int{0, 1, 100, 299} {
			f.Add(byte(i), int64(300), encodeChunks(f, m, seed, pattern(300), ch, trailers))
		}
		f.Add(byte(i), int64(0), encodeChunks(f, m, seed, nil, 0, trailers))
	}
	f.Add(byte(2), int64(5), []byte("5\r\nhello\r\n0\r\n\r\n"))
	f.Add(byte(2), int64(-1), []byte("3\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32:x\r\n\r\n"))
	f.Add(byte(0), int64(1), []byte("1;chunk-signature=zz\r\nx\r\n"))
	f.Add(byte(1), int64(0), []byte("0;chunk-signature="+strings.Repeat("0", 64)+"\r\nx-amz-trailer-signature:00\r\n\r\n"))

	f.Fuzz(func(t *testing.T, which byte, declared int64, raw []byte) {
		s := setups[int(which)%len(setups)]
		id := *s.id
		id.DecodedLength = declared
		if declared < -1 {
			id.DecodedLength = -1
		}
		run := func(r io.Reader) ([]byte, error) {
			b, err := s.v.Body(&id, r)
			if err != nil {
				t.Fatal(err)
			}
			return io.ReadAll(b)
		}
		out1, err1 := run(bytes.NewReader(raw))
		out2, err2 := run(iotest.OneByteReader(bytes.NewReader(raw)))
		// Decoding must not depend on how the input is split.
		if errCode(err1) != errCode(err2) || (err1 == nil && !bytes.Equal(out1, out2)) {
			t.Fatalf("split-dependent result: %v / %v", err1, err2)
		}
		if err1 != nil {
			var e *Error
			if !errors.As(err1, &e) {
				t.Fatalf("error is not *Error: %v", err1)
			}
			return
		}
		if id.DecodedLength >= 0 && int64(len(out1)) != id.DecodedLength {
			t.Fatalf("decoded %d bytes, declared %d", len(out1), id.DecodedLength)
		}
		if len(out1) > len(raw) {
			t.Fatalf("decoded %d bytes from %d", len(out1), len(raw))
		}
	})
}
