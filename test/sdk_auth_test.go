package test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3Error is the XML error body of an S3 answer.
type s3Error struct {
	Code    string
	Message string
}

// doRaw sends req with the CA-trusting client and returns the status, the
// S3 error code (if the body is an error document) and the body.
func doRaw(t testing.TB, req *http.Request) (int, string, []byte) {
	t.Helper()
	resp, err := fx.ca.httpClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	var e s3Error
	if resp.StatusCode >= 300 && len(body) > 0 {
		if err := xml.Unmarshal(body, &e); err != nil {
			t.Fatalf("%s %s: status %d with a body that is no S3 error: %q", req.Method, req.URL, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, e.Code, body
}

// signedRequest builds a request for gw signed with SigV4 at time at,
// payload hash payloadHash (hex SHA-256 or UNSIGNED-PAYLOAD).
func signedRequest(t testing.TB, gw *gateway, method, path string, body []byte, payloadHash string, ak, sk string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, gw.Endpoint+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	creds := aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, "s3", testRegion, at); err != nil {
		t.Fatal(err)
	}
	return req
}

// signedRequestWith builds a body-less request signed with the root key
// after hdr has set its extra headers; the caller attaches the body.
func signedRequestWith(t testing.TB, gw *gateway, method, path, payloadHash string, at time.Time, hdr func(http.Header)) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, gw.Endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	hdr(req.Header)
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, "s3", testRegion, at); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestSDKAuthFailures sends requests the gateway must refuse and checks
// the S3 error code and that no refused PUT left an object behind.
func TestSDKAuthFailures(t *testing.T) {
	t.Parallel()
	good := fx.gw.sdk()
	bucket := bucketName("sdk-auth")
	createBucket(t, good, bucket)
	put(t, good, bucket, "existing", []byte("existing object"))
	body := []byte("payload that must never be stored")
	sum := sha256Hex(body)

	t.Run("content-md5-mismatch", func(t *testing.T) {
		wrong := md5.Sum([]byte("something else"))
		for _, c := range []*s3.Client{fx.gw.sdk(), fx.gw.sdk(checksumsOff)} {
			_, err := c.PutObject(testCtx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("md5"),
				Body: bytes.NewReader(body), ContentMD5: aws.String(base64.StdEncoding.EncodeToString(wrong[:]))})
			requireCode(t, err, http.StatusBadRequest, "BadDigest")
			requireAbsent(t, good, bucket, "md5")
		}
	})

	t.Run("sha256-mismatch", func(t *testing.T) {
		req := signedRequest(t, fx.gw, http.MethodPut, "/"+bucket+"/sha", body, sha256Hex([]byte("other bytes")), testAccessKey, testSecretKey, time.Now())
		status, code, _ := doRaw(t, req)
		if status != http.StatusBadRequest || code != "XAmzContentSHA256Mismatch" {
			t.Fatalf("got %d %s, want 400 XAmzContentSHA256Mismatch", status, code)
		}
		requireAbsent(t, good, bucket, "sha")
		// The same request with the right hash is accepted: the failure
		// above was the hash and nothing else.
		req = signedRequest(t, fx.gw, http.MethodPut, "/"+bucket+"/sha-ok", body, sum, testAccessKey, testSecretKey, time.Now())
		if status, code, _ := doRaw(t, req); status != http.StatusOK {
			t.Fatalf("signed PUT with the right hash: %d %s", status, code)
		}
	})

	t.Run("wrong-secret", func(t *testing.T) {
		c := fx.gw.sdk(withCreds(testAccessKey, testSecretKey+"x"))
		_, err := c.ListBuckets(testCtx(t), &s3.ListBucketsInput{})
		requireCode(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
		_, err = c.PutObject(testCtx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("badsig"), Body: bytes.NewReader(body)})
		requireCode(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
		requireAbsent(t, good, bucket, "badsig")
		_, err = c.GetObject(testCtx(t), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("existing")})
		requireCode(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
	})

	t.Run("unknown-key", func(t *testing.T) {
		c := fx.gw.sdk(withCreds("AKIAUNKNOWNKEY000000", testSecretKey))
		_, err := c.ListBuckets(testCtx(t), &s3.ListBucketsInput{})
		requireCode(t, err, http.StatusForbidden, "InvalidAccessKeyId")
		_, err = c.PutObject(testCtx(t), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("badkey"), Body: bytes.NewReader(body)})
		requireCode(t, err, http.StatusForbidden, "InvalidAccessKeyId")
		requireAbsent(t, good, bucket, "badkey")
	})

	t.Run("skewed-clock", func(t *testing.T) {
		for _, skew := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
			req := signedRequest(t, fx.gw, http.MethodPut, "/"+bucket+"/skew", body, sum, testAccessKey, testSecretKey, time.Now().Add(skew))
			if status, code, _ := doRaw(t, req); status != http.StatusForbidden || code != "RequestTimeTooSkewed" {
				t.Fatalf("skew %v: got %d %s, want 403 RequestTimeTooSkewed", skew, status, code)
			}
			requireAbsent(t, good, bucket, "skew")
		}
		// Within the allowed skew (a few minutes) the request is fine.
		req := signedRequest(t, fx.gw, http.MethodGet, "/"+bucket+"/existing", nil, sha256Hex(nil), testAccessKey, testSecretKey, time.Now().Add(-2*time.Minute))
		if status, code, _ := doRaw(t, req); status != http.StatusOK {
			t.Fatalf("2 minutes of skew: %d %s", status, code)
		}
	})

	t.Run("tampered", func(t *testing.T) {
		// Signed for one key, sent to another.
		req := signedRequest(t, fx.gw, http.MethodPut, "/"+bucket+"/signed-key", body, sum, testAccessKey, testSecretKey, time.Now())
		req.URL.Path = "/" + bucket + "/other-key"
		if status, code, _ := doRaw(t, req); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
			t.Fatalf("path changed after signing: %d %s, want 403 SignatureDoesNotMatch", status, code)
		}
		requireAbsent(t, good, bucket, "other-key")
		requireAbsent(t, good, bucket, "signed-key")
		// A signed header changed after signing.
		req = signedRequest(t, fx.gw, http.MethodGet, "/"+bucket+"/existing", nil, sha256Hex(nil), testAccessKey, testSecretKey, time.Now())
		req.Header.Set("X-Amz-Date", time.Now().Add(-3*time.Second).UTC().Format("20060102T150405Z"))
		if status, code, _ := doRaw(t, req); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
			t.Fatalf("X-Amz-Date changed after signing: %d %s, want 403 SignatureDoesNotMatch", status, code)
		}
		// A query parameter added after signing.
		req2 := signedRequest(t, fx.gw, http.MethodGet, "/"+bucket+"/existing", nil, sha256Hex(nil), testAccessKey, testSecretKey, time.Now())
		req2.URL.RawQuery = "response-content-type=text%2Fhtml"
		if status, code, _ := doRaw(t, req2); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
			t.Fatalf("query added after signing: %d %s, want 403 SignatureDoesNotMatch", status, code)
		}
		// A flipped signature character.
		req3 := signedRequest(t, fx.gw, http.MethodGet, "/"+bucket+"/existing", nil, sha256Hex(nil), testAccessKey, testSecretKey, time.Now())
		auth := req3.Header.Get("Authorization")
		last := auth[len(auth)-1]
		flip := byte('0')
		if last == '0' {
			flip = '1'
		}
		req3.Header.Set("Authorization", auth[:len(auth)-1]+string(flip))
		if status, code, _ := doRaw(t, req3); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
			t.Fatalf("flipped signature: %d %s, want 403 SignatureDoesNotMatch", status, code)
		}
	})

	t.Run("anonymous", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(testCtx(t), http.MethodGet, fx.gw.Endpoint+"/", nil)
		if status, code, _ := doRaw(t, req); status != http.StatusForbidden || code != "AccessDenied" {
			t.Fatalf("anonymous ListBuckets: %d %s, want 403 AccessDenied", status, code)
		}
		req, _ = http.NewRequestWithContext(testCtx(t), http.MethodGet, fx.gw.Endpoint+"/"+bucket+"/existing", nil)
		if status, code, _ := doRaw(t, req); status != http.StatusForbidden || code != "AccessDenied" {
			t.Fatalf("anonymous GetObject: %d %s, want 403 AccessDenied", status, code)
		}
		req, _ = http.NewRequestWithContext(testCtx(t), http.MethodPut, fx.gw.Endpoint+"/"+bucket+"/anon", bytes.NewReader(body))
		if status, code, _ := doRaw(t, req); status != http.StatusForbidden || code != "AccessDenied" {
			t.Fatalf("anonymous PutObject: %d %s, want 403 AccessDenied", status, code)
		}
		requireAbsent(t, good, bucket, "anon")
	})
}

// TestSDKPresign fetches presigned GET and PUT URLs with plain net/http and
// checks that expired and altered URLs are refused.
func TestSDKPresign(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-presign")
	createBucket(t, c, bucket)
	data := randData(31, 70000)
	put(t, c, bucket, "get me", data)
	pc := s3.NewPresignClient(c, s3.WithPresignExpires(10*time.Minute))

	t.Run("get", func(t *testing.T) {
		p, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("get me")})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, p.Method, p.URL, nil)
		status, code, got := doRaw(t, req)
		if status != http.StatusOK || !bytes.Equal(got, data) {
			t.Fatalf("presigned GET: %d %s, %d bytes (equal %v)", status, code, len(got), bytes.Equal(got, data))
		}
		// The same URL for another key is refused.
		u, _ := url.Parse(p.URL)
		u.Path = "/" + bucket + "/other"
		req, _ = http.NewRequestWithContext(ctx, p.Method, u.String(), nil)
		if status, code, _ := doRaw(t, req); status != http.StatusForbidden || code != "SignatureDoesNotMatch" {
			t.Fatalf("presigned URL used for another key: %d %s", status, code)
		}
	})

	t.Run("put", func(t *testing.T) {
		up := randData(32, 300000)
		p, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("presigned-put")})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, p.Method, p.URL, bytes.NewReader(up))
		for k, vs := range p.SignedHeader {
			if !strings.EqualFold(k, "host") {
				req.Header[k] = vs
			}
		}
		if status, code, b := doRaw(t, req); status != http.StatusOK {
			t.Fatalf("presigned PUT: %d %s %s", status, code, b)
		}
		_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("presigned-put")})
		if !bytes.Equal(got, up) {
			t.Fatal("presigned PUT stored other bytes")
		}
	})

	t.Run("expired", func(t *testing.T) {
		// Signed 10 minutes ago, valid for 60 s.
		for _, method := range []string{http.MethodGet, http.MethodPut} {
			req, _ := http.NewRequestWithContext(ctx, method, fx.gw.Endpoint+"/"+bucket+"/expired?X-Amz-Expires=60", nil)
			if method == http.MethodGet {
				req.URL.Path = "/" + bucket + "/get me"
			}
			creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
			signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "s3", testRegion, time.Now().Add(-10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			r, _ := http.NewRequestWithContext(ctx, method, signed, bytes.NewReader(data))
			if method == http.MethodGet {
				r.Body, r.ContentLength = nil, 0
			}
			status, code, b := doRaw(t, r)
			if status != http.StatusForbidden || code != "AccessDenied" || !bytes.Contains(b, []byte("expired")) {
				t.Fatalf("expired presigned %s: %d %s %s, want 403 AccessDenied (expired)", method, status, code, b)
			}
		}
		requireAbsent(t, c, bucket, "expired")
	})
}
