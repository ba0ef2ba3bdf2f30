package test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// ssecKey returns an SSE-C key (base64) and its key MD5 for a 32-byte key
// filled with b.
func ssecKey(b byte) (key, sum string) {
	raw := bytes.Repeat([]byte{b}, 32)
	s := md5.Sum(raw)
	return base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(s[:])
}

// emptyVersions deletes every version and marker of bucket (GOVERNANCE
// retention bypassed) and the bucket.
func emptyVersions(t *testing.T, c *s3.Client, bucket string) {
	t.Helper()
	ctx := testCtx(t)
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		return
	}
	for _, v := range out.Versions {
		_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: v.Key, VersionId: v.VersionId, BypassGovernanceRetention: aws.Bool(true)})
	}
	for _, m := range out.DeleteMarkers {
		_, _ = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: m.Key, VersionId: m.VersionId})
	}
	_, _ = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}

// TestSDKSSECRoundTrip: an object put with a customer key (SSE-C) is read
// back only with that key: another key is 403 AccessDenied, none 400
// InvalidRequest; HEAD and a copy to a second customer key behave alike.
func TestSDKSSECRoundTrip(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-ssec")
	createBucket(t, c, bucket)
	k1, m1 := ssecKey(1)
	k2, m2 := ssecKey(2)
	aes := aws.String("AES256")
	body := randData(11, 300<<10)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: bytes.NewReader(body),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(k1), SSECustomerKeyMD5: aws.String(m1)})
	if err != nil || aws.ToString(put.SSECustomerKeyMD5) != m1 {
		t.Fatalf("PUT: %v", err)
	}
	_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(k1), SSECustomerKeyMD5: aws.String(m1)})
	if !bytes.Equal(got, body) {
		t.Fatal("SSE-C object read back different bytes")
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(k2), SSECustomerKeyMD5: aws.String(m2)})
	requireCode(t, err, 403, "AccessDenied")
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	requireCode(t, err, 400, "InvalidRequest")
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(k2), SSECustomerKeyMD5: aws.String(m2)})
	requireCode(t, err, 403, "")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("bad"), Body: bytes.NewReader(body),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(k1), SSECustomerKeyMD5: aws.String(m2)})
	requireCode(t, err, 400, "InvalidArgument")
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"), CopySource: aws.String(bucket + "/k"),
		CopySourceSSECustomerAlgorithm: aes, CopySourceSSECustomerKey: aws.String(k1), CopySourceSSECustomerKeyMD5: aws.String(m1),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(k2), SSECustomerKeyMD5: aws.String(m2)}); err != nil {
		t.Fatalf("copy between customer keys: %v", err)
	}
	_, got = getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"),
		SSECustomerAlgorithm: aes, SSECustomerKey: aws.String(k2), SSECustomerKeyMD5: aws.String(m2)})
	if !bytes.Equal(got, body) {
		t.Fatal("copied SSE-C object read back different bytes")
	}
}

// postForm posts a SigV4-signed browser form (conds plus the signature
// fields) with file to bucket on the test gateway.
func postForm(t *testing.T, bucket string, conds []any, fields [][2]string, file []byte) (int, string) {
	t.Helper()
	now := time.Now()
	creds := sigv4.ClientCredentials{AccessKey: testAccessKey, SecretKey: testSecretKey, Region: testRegion}
	cred, date, _ := sigv4.SignPostPolicy(creds, now, "")
	all := append([]any{map[string]string{"bucket": bucket}, map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred}, map[string]string{"x-amz-date": date}}, conds...)
	doc, err := json.Marshal(map[string]any{"expiration": now.Add(time.Hour).UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": all})
	if err != nil {
		t.Fatal(err)
	}
	pol := base64.StdEncoding.EncodeToString(doc)
	_, _, sig := sigv4.SignPostPolicy(creds, now, pol)
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range append(fields, [2]string{"x-amz-algorithm", "AWS4-HMAC-SHA256"}, [2]string{"x-amz-credential", cred},
		[2]string{"x-amz-date", date}, [2]string{"policy", pol}, [2]string{"x-amz-signature", sig}) {
		_ = w.WriteField(f[0], f[1])
	}
	fw, _ := w.CreateFormFile("file", "f.txt")
	_, _ = fw.Write(file)
	_ = w.Close()
	rq, _ := http.NewRequest(http.MethodPost, fx.gw.Endpoint+"/"+bucket, &b)
	rq.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: fx.ca.clientTLS()}}).Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// TestSDKPostEncryptionFields: a browser POST with SSE-C form fields
// stores an object only its key reads; a wrong key MD5, an unknown
// algorithm and an encryption field the policy does not name are refused
// with PutObject's codes.
func TestSDKPostEncryptionFields(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-postsse")
	createBucket(t, c, bucket)
	key, sum := ssecKey(5)
	_, other := ssecKey(6)
	ssec := []any{[]any{"starts-with", "$key", ""}, []any{"starts-with", "$x-amz-server-side-encryption-customer-algorithm", ""},
		[]any{"starts-with", "$x-amz-server-side-encryption-customer-key", ""}, []any{"starts-with", "$x-amz-server-side-encryption-customer-key-md5", ""}}
	fields := func(name, md5 string) [][2]string {
		return [][2]string{{"key", name}, {"x-amz-server-side-encryption-customer-algorithm", "AES256"},
			{"x-amz-server-side-encryption-customer-key", key}, {"x-amz-server-side-encryption-customer-key-MD5", md5}}
	}
	if status, body := postForm(t, bucket, ssec, fields("c", sum), []byte("posted secret")); status != 204 {
		t.Fatalf("SSE-C POST: %d %s", status, body)
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("c")})
	requireCode(t, err, 400, "InvalidRequest")
	_, got := getBytes(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("c"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(key), SSECustomerKeyMD5: aws.String(sum)})
	if string(got) != "posted secret" {
		t.Fatalf("read back %q", got)
	}
	for _, v := range []struct {
		name   string
		conds  []any
		fields [][2]string
		status int
		code   string
	}{
		{"wrong key MD5", ssec, fields("x", other), 400, "InvalidArgument"},
		{"unknown algorithm", []any{[]any{"starts-with", "$key", ""}, []any{"eq", "$x-amz-server-side-encryption", "ROT13"}},
			[][2]string{{"key", "x"}, {"x-amz-server-side-encryption", "ROT13"}}, 400, "InvalidArgument"},
		{"field outside the policy", []any{[]any{"starts-with", "$key", ""}}, [][2]string{{"key", "x"}, {"x-amz-server-side-encryption", "AES256"}}, 403, "AccessDenied"},
	} {
		status, body := postForm(t, bucket, v.conds, v.fields, []byte("x"))
		if status != v.status || !strings.Contains(body, "<Code>"+v.code+"</Code>") {
			t.Errorf("%s: %d %s, want %d %s", v.name, status, body, v.status, v.code)
		}
	}
	requireAbsent(t, c, bucket, "x")
}

// TestSDKObjectLockIntegrity: in an Object Lock bucket a PutObject with
// lock parameters, or any PutObject once a default retention is set, needs
// Content-MD5 or a flexible checksum: the SDK with checksums off is
// refused with S3's 400 InvalidRequest, the SDK's default CRC passes.
// Enabling MFA delete is refused (501); nothing here has MFA devices.
func TestSDKObjectLockIntegrity(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bare := fx.gw.sdk(checksumsOff)
	ctx := testCtx(t)
	bucket := bucketName("sdk-lockmd5")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emptyVersions(t, c, bucket) })
	_, err := bare.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("x"),
		ObjectLockLegalHoldStatus: types.ObjectLockLegalHoldStatusOn})
	requireCode(t, err, 400, "InvalidRequest")
	if !strings.Contains(err.Error(), "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters") {
		t.Fatalf("message: %v", err)
	}
	if _, err := bare.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("plain"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("plain PUT without a default retention: %v", err)
	}
	if _, err := c.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: aws.String(bucket),
		ObjectLockConfiguration: &types.ObjectLockConfiguration{ObjectLockEnabled: types.ObjectLockEnabledEnabled,
			Rule: &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: aws.Int32(1)}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = bare.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("d"), Body: strings.NewReader("x")})
	requireCode(t, err, 400, "InvalidRequest")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("d"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("PUT with the SDK's checksum: %v", err)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("m")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bare.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("m"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	requireCode(t, err, 400, "InvalidRequest")
	_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("m"), UploadId: up.UploadId})

	_, err = c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled, MFADelete: types.MFADeleteEnabled}})
	requireCode(t, err, 501, "NotImplemented")
}

// TestSDKCorsAndRecreate: Put/Get/DeleteBucketCors, a preflight answered
// from the rules (and refused for another origin), and a bucket deleted
// and created again under its name starting with no CORS, tags, policy,
// versioning or Object Lock of the old one.
func TestSDKCorsAndRecreate(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-cors")
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emptyVersions(t, c, bucket) })
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)})
	requireCode(t, err, 404, "NoSuchCORSConfiguration")
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"*"}}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{
		CORSRules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"BREW"}}}}})
	requireCode(t, err, 400, "InvalidRequest")
	preflight := func(origin string) (int, string) {
		rq, _ := http.NewRequest(http.MethodOptions, fx.gw.Endpoint+"/"+bucket+"/k", nil)
		rq.Header.Set("Origin", origin)
		rq.Header.Set("Access-Control-Request-Method", "PUT")
		resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: fx.ca.clientTLS()}}).Do(rq)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin")
	}
	if status, allow := preflight("https://app.example"); status != 200 || allow != "https://app.example" {
		t.Fatalf("preflight: %d %q", status, allow)
	}
	if status, _ := preflight("https://evil.example"); status != 403 {
		t.Fatalf("preflight from another origin: %d", status)
	}
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("env"), Value: aws.String("old")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(bucket)})
	requireCode(t, err, 404, "NoSuchCORSConfiguration")
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	requireCode(t, err, 404, "NoSuchTagSet")
	_, err = c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(bucket)})
	requireCode(t, err, 404, "ObjectLockConfigurationNotFoundError")
	if v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)}); err != nil || v.Status != "" {
		t.Fatalf("versioning of the re-created bucket: %q %v", v.Status, err)
	}
	if status, _ := preflight("https://app.example"); status != 403 {
		t.Fatalf("preflight on the re-created bucket: %d, want 403 (no CORS)", status)
	}
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketCors with none: %v", err)
	}
}

// TestSDKCompatRegressions: issue 14's compatibility bugs not covered
// elsewhere end to end: ListObjectsV2 with an empty continuation token
// lists from the start, and a SigV2-signed request answers 403 with a
// clear message (not 400).
func TestSDKCompatRegressions(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-compat2")
	createBucket(t, c, bucket)
	put(t, c, bucket, "a", []byte("a"))
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: aws.String("")})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a" {
		t.Fatalf("ListObjectsV2 with an empty continuation token: %v %v", out, err)
	}
	rq, _ := http.NewRequest(http.MethodGet, fx.gw.Endpoint+"/"+bucket+"/a", nil)
	rq.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	rq.Header.Set("Authorization", "AWS "+testAccessKey+":c2lnbmF0dXJlLXYyLXN0eWxl")
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: fx.ca.clientTLS()}}).Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(body), "AWS4-HMAC-SHA256") {
		t.Fatalf("SigV2 request: %d %s", resp.StatusCode, body)
	}
}
