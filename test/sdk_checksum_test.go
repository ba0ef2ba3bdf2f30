package test

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/crc64nvme"
)

// recorder is an HTTP client that remembers the headers of every request
// it sends, so a test can prove which wire form the SDK chose.
type recorder struct {
	next aws.HTTPClient
	mu   sync.Mutex
	reqs []http.Header
}

// Do implements aws.HTTPClient.
func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Header.Clone())
	r.mu.Unlock()
	return r.next.Do(req)
}

// last returns the headers of the latest request.
func (r *recorder) last() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reqs[len(r.reqs)-1]
}

// withRecorder routes the client's requests through rec.
func withRecorder(rec *recorder) clientOpt {
	return func(o *s3.Options) {
		rec.next = o.HTTPClient
		o.HTTPClient = rec
	}
}

// checksumB64 returns the base64 S3 checksum of data for algo.
func checksumB64(algo types.ChecksumAlgorithm, data []byte) string {
	var h hash.Hash
	switch algo {
	case types.ChecksumAlgorithmCrc32:
		h = crc32.NewIEEE()
	case types.ChecksumAlgorithmCrc32c:
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case types.ChecksumAlgorithmCrc64nvme:
		h = crc64nvme.New()
	case types.ChecksumAlgorithmSha1:
		h = sha1.New()
	case types.ChecksumAlgorithmSha256:
		h = sha256.New()
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// returnedChecksum picks algo's value from a GetObject/HeadObject answer.
func returnedChecksum(algo types.ChecksumAlgorithm, crc32v, crc32c, crc64, sha1v, sha256v *string) string {
	switch algo {
	case types.ChecksumAlgorithmCrc32:
		return aws.ToString(crc32v)
	case types.ChecksumAlgorithmCrc32c:
		return aws.ToString(crc32c)
	case types.ChecksumAlgorithmCrc64nvme:
		return aws.ToString(crc64)
	case types.ChecksumAlgorithmSha1:
		return aws.ToString(sha1v)
	}
	return aws.ToString(sha256v)
}

// TestSDKChecksums puts with the SDK's default flexible checksums (over
// TLS: aws-chunked with a trailing checksum) and with checksums only when
// required, then reads the stored checksum back with checksum mode ENABLED.
func TestSDKChecksums(t *testing.T) {
	t.Parallel()
	bucket := bucketName("sdk-checksums")
	createBucket(t, fx.gw.sdk(), bucket)
	data := randData(21, 2<<20+333)

	t.Run("default-trailer", func(t *testing.T) {
		rec := &recorder{}
		c := fx.gw.sdk(withRecorder(rec))
		ctx := testCtx(t)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("default"), Body: bytes.NewReader(data)}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		h := rec.last()
		if !strings.Contains(h.Get("Content-Encoding"), "aws-chunked") || !strings.HasPrefix(h.Get("X-Amz-Content-Sha256"), "STREAMING-") ||
			h.Get("X-Amz-Trailer") == "" {
			t.Fatalf("SDK did not send aws-chunked with a trailer: Content-Encoding %q, x-amz-content-sha256 %q, x-amz-trailer %q",
				h.Get("Content-Encoding"), h.Get("X-Amz-Content-Sha256"), h.Get("X-Amz-Trailer"))
		}
		algo := types.ChecksumAlgorithm(strings.ToUpper(strings.TrimPrefix(h.Get("X-Amz-Trailer"), "x-amz-checksum-")))
		out, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("default"), ChecksumMode: types.ChecksumModeEnabled})
		if !bytes.Equal(body, data) {
			t.Fatal("bytes differ")
		}
		if got, want := returnedChecksum(algo, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256),
			checksumB64(algo, data); got != want {
			t.Fatalf("GetObject checksum %s = %q, want %q", algo, got, want)
		}
	})

	for _, algo := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
		t.Run(string(algo), func(t *testing.T) {
			c := fx.gw.sdk()
			ctx := testCtx(t)
			key := "algo-" + string(algo)
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
				Body: bytes.NewReader(data), ChecksumAlgorithm: algo}); err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			want := checksumB64(algo, data)
			ho, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if got := returnedChecksum(algo, ho.ChecksumCRC32, ho.ChecksumCRC32C, ho.ChecksumCRC64NVME, ho.ChecksumSHA1, ho.ChecksumSHA256); got != want {
				t.Fatalf("HeadObject checksum = %q, want %q", got, want)
			}
			// The SDK validates the returned checksum against the body it
			// reads; a wrong value fails GetObject's read.
			out, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if !bytes.Equal(body, data) {
				t.Fatal("bytes differ")
			}
			if got := returnedChecksum(algo, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256); got != want {
				t.Fatalf("GetObject checksum = %q, want %q", got, want)
			}
			// Without checksum mode the checksum headers are not sent. (With
			// validation WhenSupported the SDK asks for them by itself.)
			out, _ = getBytes(t, fx.gw.sdk(checksumsOff), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if got := returnedChecksum(algo, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256); got != "" {
				t.Errorf("GetObject without checksum mode returned %s %q", algo, got)
			}
		})
	}

	t.Run("when-required", func(t *testing.T) {
		rec := &recorder{}
		c := fx.gw.sdk(checksumsOff, withRecorder(rec))
		ctx := testCtx(t)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain"), Body: bytes.NewReader(data)}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		h := rec.last()
		if strings.Contains(h.Get("Content-Encoding"), "aws-chunked") || h.Get("X-Amz-Trailer") != "" {
			t.Fatalf("WhenRequired still streamed aws-chunked: %v", h)
		}
		_, body := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain")})
		if !bytes.Equal(body, data) {
			t.Fatal("bytes differ")
		}
	})

	t.Run("wrong-checksum", func(t *testing.T) {
		c := fx.gw.sdk(checksumsOff)
		var bad [4]byte
		binary.BigEndian.PutUint32(bad[:], crc32.ChecksumIEEE(data)^1)
		_, err := c.PutObject(testCtx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("bad-crc"),
			Body: bytes.NewReader(data), ChecksumCRC32: aws.String(base64.StdEncoding.EncodeToString(bad[:]))})
		requireCode(t, err, http.StatusBadRequest, "BadDigest")
		requireAbsent(t, c, bucket, "bad-crc")
	})
}
