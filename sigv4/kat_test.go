package sigv4

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// Known-answer tests from the Amazon S3 API reference ("Signature
// Calculations for the Authorization Header" and "… Transferring Payload in
// Multiple Chunks"): example key pair, 20130524T000000Z, us-east-1.

func TestKnownAnswerHeaderExamples(t *testing.T) {
	const emptyHash = emptySHA256Hex
	cases := []struct {
		name, method, path, query, host string
		h                               map[string]string
		signed                          string
		sig                             string
	}{
		{
			name: "GET object", method: "GET", path: "/test.txt", host: "examplebucket.s3.amazonaws.com",
			h:      map[string]string{"range": "bytes=0-9", "x-amz-content-sha256": emptyHash, "x-amz-date": "20130524T000000Z"},
			signed: "host;range;x-amz-content-sha256;x-amz-date",
			sig:    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
		},
		{
			name: "PUT object", method: "PUT", path: "/test%24file.text", host: "examplebucket.s3.amazonaws.com",
			h: map[string]string{
				"date":                 "Fri, 24 May 2013 00:00:00 GMT",
				"x-amz-date":           "20130524T000000Z",
				"x-amz-storage-class":  "REDUCED_REDUNDANCY",
				"x-amz-content-sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
			},
			signed: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			sig:    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
		},
		{
			name: "GET bucket lifecycle", method: "GET", path: "/", query: "lifecycle", host: "examplebucket.s3.amazonaws.com",
			h:      map[string]string{"x-amz-content-sha256": emptyHash, "x-amz-date": "20130524T000000Z"},
			signed: "host;x-amz-content-sha256;x-amz-date",
			sig:    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
		},
		{
			name: "GET bucket list objects", method: "GET", path: "/", query: "max-keys=2&prefix=J", host: "examplebucket.s3.amazonaws.com",
			h:      map[string]string{"x-amz-content-sha256": emptyHash, "x-amz-date": "20130524T000000Z"},
			signed: "host;x-amz-content-sha256;x-amz-date",
			sig:    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
		},
	}
	v := newTestVerifier(testTime)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &treq{method: c.method, path: c.path, query: c.query, host: c.host, h: c.h}
			r.h["authorization"] = "AWS4-HMAC-SHA256 Credential=" + testAK + "/20130524/us-east-1/s3/aws4_request,SignedHeaders=" + c.signed + ",Signature=" + c.sig
			id, err := v.Verify(r.request())
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.AccessKey != testAK || id.Account != "acct-"+testAK || id.Anonymous {
				t.Fatalf("identity = %+v", id)
			}
			// Our client-side Sign must produce the same signature.
			delete(r.h, "authorization")
			_, sig, err := Sign(r.request(), testCreds, testTime, strings.Split(c.signed, ";"), r.h["x-amz-content-sha256"])
			if err != nil || sig != c.sig {
				t.Fatalf("Sign = %s, %v; want %s", sig, err, c.sig)
			}
		})
	}
}

func TestKnownAnswerPresigned(t *testing.T) {
	const q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
	r := &treq{method: "GET", path: "/test.txt", query: q, host: "examplebucket.s3.amazonaws.com", h: map[string]string{}}
	id, err := newTestVerifier(testTime.Add(time.Hour)).Verify(r.request())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !id.Presigned || id.Mode != Presigned {
		t.Fatalf("identity = %+v", id)
	}
	got, err := Presign(&Request{Method: "GET", RawPath: "/test.txt", Host: r.host}, testCreds, testTime, 24*time.Hour, nil)
	if err != nil || got != q {
		t.Fatalf("Presign = %s, %v\nwant %s", got, err, q)
	}
}

// awsChunkedExample is the documented PUT of 66560 bytes of 'a' in a 64 KiB
// and a 1 KiB chunk.
func awsChunkedExample() *treq {
	return &treq{method: "PUT", path: "/examplebucket/chunkObject.txt", host: "s3.amazonaws.com", h: map[string]string{
		"x-amz-date":                   "20130524T000000Z",
		"x-amz-storage-class":          "REDUCED_REDUNDANCY",
		"x-amz-content-sha256":         streamingSigned,
		"content-encoding":             "aws-chunked",
		"x-amz-decoded-content-length": "66560",
		"content-length":               "66824",
		"authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
			"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class," +
			"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
	}}
}

const (
	awsSeedSig   = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	awsChunk1Sig = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
	awsChunk2Sig = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
	awsFinalSig  = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
)

// awsChunkedBody is the example's body, built by hand from the documented
// signatures (not by our encoder).
func awsChunkedBody() []byte {
	var b bytes.Buffer
	b.WriteString("10000;chunk-signature=" + awsChunk1Sig + "\r\n")
	b.Write(bytes.Repeat([]byte{'a'}, 65536))
	b.WriteString("\r\n400;chunk-signature=" + awsChunk2Sig + "\r\n")
	b.Write(bytes.Repeat([]byte{'a'}, 1024))
	b.WriteString("\r\n0;chunk-signature=" + awsFinalSig + "\r\n\r\n")
	return b.Bytes()
}

func TestKnownAnswerChunkedUpload(t *testing.T) {
	v := newTestVerifier(testTime)
	r := awsChunkedExample()
	id, err := v.Verify(r.request())
	if err != nil {
		t.Fatalf("Verify seed: %v", err)
	}
	if id.Mode != StreamingSigned || id.DecodedLength != 66560 {
		t.Fatalf("identity = %+v", id)
	}
	raw := awsChunkedBody()
	if len(raw) != 66824 {
		t.Fatalf("example body is %d bytes, want Content-Length 66824", len(raw))
	}
	body, err := v.Body(id, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte{'a'}, 66560)) {
		t.Fatalf("decoded %d bytes, not the example payload", len(got))
	}

	// Our encoder reproduces the documented chunk signatures.
	var enc bytes.Buffer
	cw, err := NewChunkWriter(&enc, StreamingSigned, testCreds, testTime, awsSeedSig)
	if err != nil {
		t.Fatal(err)
	}
	if err := cw.WriteChunk(got[:65536]); err != nil {
		t.Fatal(err)
	}
	if err := cw.WriteChunk(got[65536:]); err != nil {
		t.Fatal(err)
	}
	if err := cw.Close(nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc.Bytes(), raw) {
		t.Fatal("ChunkWriter output differs from the documented example body")
	}

	// The seed itself: Sign over the example headers.
	delete(r.h, "authorization")
	_, seed, err := Sign(r.request(), testCreds, testTime,
		[]string{"content-encoding", "content-length", "x-amz-content-sha256", "x-amz-date", "x-amz-decoded-content-length", "x-amz-storage-class"},
		streamingSigned)
	if err != nil || seed != awsSeedSig {
		t.Fatalf("seed = %s, %v", seed, err)
	}
}
