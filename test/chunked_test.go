package test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// This file builds aws-chunked bodies independently of package sigv4 (the
// AWS SDK for Go does not send signed chunks), so the server's decoder is
// checked against the published format rather than against itself.

// hmacSHA256 returns HMAC-SHA256(key, msg).
func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// signedChunkBody encodes data as STREAMING-AWS4-HMAC-SHA256-PAYLOAD with
// chunkSize chunks chained from seed (the request signature).
func signedChunkBody(data []byte, chunkSize int, seed string, at time.Time) []byte {
	date := at.UTC().Format("20060102T150405Z")
	scope := date[:8] + "/" + testRegion + "/s3/aws4_request"
	key := hmacSHA256([]byte("AWS4"+testSecretKey), date[:8])
	key = hmacSHA256(key, testRegion)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	emptyHash := sha256Hex(nil)
	prev := seed
	var out bytes.Buffer
	for off := 0; ; off += chunkSize {
		chunk := data[min(off, len(data)):min(off+chunkSize, len(data))]
		sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" + prev + "\n" + emptyHash + "\n" + sha256Hex(chunk)
		prev = hex.EncodeToString(hmacSHA256(key, sts))
		fmt.Fprintf(&out, "%x;chunk-signature=%s\r\n", len(chunk), prev)
		out.Write(chunk)
		out.WriteString("\r\n")
		if len(chunk) == 0 {
			return out.Bytes()
		}
	}
}

// chunkedRequest returns a PUT of an aws-chunked body signed with payload
// mode mode; body is produced from the request signature by encode.
func chunkedRequest(t *testing.T, path, mode string, decodedLen int, extra http.Header, encode func(seed string, at time.Time) []byte) *http.Request {
	t.Helper()
	at := time.Now()
	req := signedRequestWith(t, fx.gw, http.MethodPut, path, mode, at, func(h http.Header) {
		h.Set("Content-Encoding", "aws-chunked")
		h.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decodedLen))
		for k, v := range extra {
			h[k] = v
		}
	})
	auth := req.Header.Get("Authorization")
	i := strings.LastIndex(auth, "Signature=")
	if i < 0 {
		t.Fatalf("no signature in %q", auth)
	}
	body := encode(auth[i+len("Signature="):], at)
	req.Body = nopCloser{bytes.NewReader(body)}
	req.ContentLength = int64(len(body))
	return req
}

// nopCloser makes a reader an io.ReadCloser.
type nopCloser struct{ *bytes.Reader }

// Close implements io.Closer.
func (nopCloser) Close() error { return nil }

// TestAWSChunked sends signed-chunk and unsigned-trailer bodies built here,
// valid and tampered, and checks what is stored.
func TestAWSChunked(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("chunked")
	createBucket(t, c, bucket)
	data := randData(91, 200000)

	t.Run("signed-chunks", func(t *testing.T) {
		req := chunkedRequest(t, "/"+bucket+"/signed", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", len(data), nil,
			func(seed string, at time.Time) []byte { return signedChunkBody(data, 65536, seed, at) })
		if status, code, b := doRaw(t, req); status != http.StatusOK {
			t.Fatalf("signed chunks: %d %s %s", status, code, b)
		}
		_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("signed")})
		if !bytes.Equal(got, data) {
			t.Fatal("stored bytes differ")
		}
	})

	t.Run("signed-chunks-tampered-data", func(t *testing.T) {
		req := chunkedRequest(t, "/"+bucket+"/tampered", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", len(data), nil,
			func(seed string, at time.Time) []byte {
				b := signedChunkBody(data, 65536, seed, at)
				// Flip a byte inside the second chunk's data: skip the
				// first header line, its 64 KiB and CRLF, and the second
				// header line.
				second := bytes.Index(b, []byte("\r\n")) + 2 + 65536 + 2
				data2 := second + bytes.Index(b[second:], []byte("\r\n")) + 2
				b[data2+100] ^= 0x40
				return b
			})
		status, code, _ := doRaw(t, req)
		if status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
			t.Fatalf("tampered chunk: %d %s, want 403 SignatureDoesNotMatch", status, code)
		}
		requireAbsent(t, c, bucket, "tampered")
	})

	t.Run("signed-chunks-wrong-seed", func(t *testing.T) {
		req := chunkedRequest(t, "/"+bucket+"/wrong-seed", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", len(data), nil,
			func(_ string, at time.Time) []byte { return signedChunkBody(data, 65536, strings.Repeat("0", 64), at) })
		status, code, _ := doRaw(t, req)
		if status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
			t.Fatalf("chunks chained from the wrong seed: %d %s, want 403 SignatureDoesNotMatch", status, code)
		}
		requireAbsent(t, c, bucket, "wrong-seed")
	})

	t.Run("signed-chunks-truncated", func(t *testing.T) {
		req := chunkedRequest(t, "/"+bucket+"/truncated", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", len(data)+1000, nil,
			func(seed string, at time.Time) []byte { return signedChunkBody(data, 65536, seed, at) })
		status, code, _ := doRaw(t, req)
		if status < 400 || status >= 500 {
			t.Fatalf("body shorter than x-amz-decoded-content-length: %d %s, want a 4xx", status, code)
		}
		requireAbsent(t, c, bucket, "truncated")
	})

	trailerBody := func(data []byte, crc uint32) []byte {
		var out bytes.Buffer
		for off := 0; off < len(data); off += 65536 {
			chunk := data[off:min(off+65536, len(data))]
			fmt.Fprintf(&out, "%x\r\n", len(chunk))
			out.Write(chunk)
			out.WriteString("\r\n")
		}
		var sum [4]byte
		binary.BigEndian.PutUint32(sum[:], crc)
		fmt.Fprintf(&out, "0\r\nx-amz-checksum-crc32:%s\r\n\r\n", base64.StdEncoding.EncodeToString(sum[:]))
		return out.Bytes()
	}
	trailerHdr := http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32"}}

	t.Run("unsigned-trailer", func(t *testing.T) {
		req := chunkedRequest(t, "/"+bucket+"/trailer", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", len(data), trailerHdr,
			func(string, time.Time) []byte { return trailerBody(data, crc32.ChecksumIEEE(data)) })
		if status, code, b := doRaw(t, req); status != http.StatusOK {
			t.Fatalf("unsigned trailer: %d %s %s", status, code, b)
		}
		_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("trailer")})
		if !bytes.Equal(got, data) {
			t.Fatal("stored bytes differ")
		}
	})

	t.Run("unsigned-trailer-bad-crc", func(t *testing.T) {
		req := chunkedRequest(t, "/"+bucket+"/bad-trailer", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", len(data), trailerHdr,
			func(string, time.Time) []byte { return trailerBody(data, crc32.ChecksumIEEE(data)^0xff) })
		status, code, _ := doRaw(t, req)
		if status != http.StatusBadRequest || code != "BadDigest" {
			t.Fatalf("wrong trailing CRC32: %d %s, want 400 BadDigest", status, code)
		}
		requireAbsent(t, c, bucket, "bad-trailer")
	})
}
