package sigv4

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"time"
)

// benchHeaderRequest is a typical SDK PutObject: eight signed headers.
func benchHeaderRequest(b *testing.B) *Request {
	r := signedReq(b, "PUT", "/bucket/photos/2024/img_0001.jpg", "x-id=PutObject", unsignedPayload, map[string]string{
		"content-type":                  "image/jpeg",
		"content-length":                "1048576",
		"x-amz-meta-camera":             "X100V",
		"x-amz-checksum-crc32":          "sOO8/Q==",
		"x-amz-sdk-checksum-algorithm":  "CRC32",
		"amz-sdk-invocation-id":         "d3b4f9a0-0000-4000-8000-000000000000",
		"amz-sdk-request":               "attempt=1; max=3",
		"x-amz-server-side-encryption":  "AES256",
		"x-amz-storage-class":           "STANDARD",
		"x-amz-expected-bucket-owner":   "123456789012",
		"x-amz-object-lock-legal-hold":  "OFF",
		"x-amz-meta-long-description-x": "a value with   several    spaces to collapse",
	})
	return r.request()
}

// BenchmarkVerifyHeader measures one Authorization-header verification
// with the signing key cached (the steady state). Bytes are the request's
// header bytes.
func BenchmarkVerifyHeader(b *testing.B) {
	v := newTestVerifier(testTime)
	r := benchHeaderRequest(b)
	size := len(r.RawPath) + len(r.RawQuery)
	for _, n := range r.HeaderNames {
		h, _ := r.Header(n)
		size += len(n) + len(h) + 4
	}
	if _, err := v.Verify(r); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyPresigned measures a presigned GET.
func BenchmarkVerifyPresigned(b *testing.B) {
	base := &treq{method: "GET", path: "/bucket/key", host: "bucket.s3.example.com", h: map[string]string{}}
	q, err := Presign(base.request(), testCreds, testTime, time.Hour, nil)
	if err != nil {
		b.Fatal(err)
	}
	base.query = q
	r := base.request()
	v := newTestVerifier(testTime)
	b.SetBytes(int64(len(q) + len(r.RawPath)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKeyDerivation is the cost a cache miss adds.
func BenchmarkKeyDerivation(b *testing.B) {
	b.SetBytes(int64(len(testSK)))
	b.ReportAllocs()
	for b.Loop() {
		deriveKey(testSK, "20130524", testRegion)
	}
}

// BenchmarkBody decodes a 64 MiB body in each payload mode, read with 1 MiB
// buffers (the data plane's chunk size).
func BenchmarkBody(b *testing.B) {
	const total = 64 << 20
	data := pattern(total)
	cases := []struct {
		mode  PayloadMode
		chunk int // 0: one chunk
	}{
		{StreamingSigned, 64 << 10},
		{StreamingSigned, 0},
		{StreamingUnsignedTrailer, 64 << 10},
		{StreamingUnsignedTrailer, 0},
		{SignedHex, 0},
		{Unsigned, 0},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%v/chunk=%dKiB", c.mode, c.chunk>>10)
		if c.chunk == 0 {
			name = fmt.Sprintf("%v/single=%dMiB", c.mode, total>>20)
		}
		b.Run(name, func(b *testing.B) {
			var v *Verifier
			var id *Identity
			var raw []byte
			switch c.mode {
			case SignedHex, Unsigned:
				v = newTestVerifier(testTime)
				id = &Identity{Mode: c.mode, DecodedLength: -1}
				if c.mode == SignedHex {
					sum := sha256.Sum256(data)
					id.ContentSHA256 = sum[:]
				}
				raw = data
			default:
				var names []string
				var trailers map[string]string
				if c.mode == StreamingUnsignedTrailer {
					names = []string{"x-amz-checksum-crc32"}
					trailers = map[string]string{"x-amz-checksum-crc32": "AAAAAA=="}
				}
				var seed string
				v, id, seed = streamingSetup(b, c.mode, total, names...)
				raw = encodeChunks(b, c.mode, seed, data, c.chunk, trailers)
			}
			buf := make([]byte, 1<<20)
			br := bytes.NewReader(raw)
			b.SetBytes(total)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				br.Reset(raw)
				body, err := v.Body(id, br)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					k, err := body.Read(buf)
					n += k
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				if n != total {
					b.Fatalf("decoded %d bytes", n)
				}
			}
		})
	}
}
