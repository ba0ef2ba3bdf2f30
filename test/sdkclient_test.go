package test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// clientOpt adjusts the options of an SDK client.
type clientOpt func(*s3.Options)

// withCreds makes the client sign with another key pair.
func withCreds(ak, sk string) clientOpt {
	return func(o *s3.Options) { o.Credentials = credentials.NewStaticCredentialsProvider(ak, sk, "") }
}

// checksumsOff makes the SDK compute checksums only where an operation
// requires one (no aws-chunked trailer on plain PUTs).
func checksumsOff(o *s3.Options) {
	o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

// sdk returns an aws-sdk-go-v2 S3 client for gw: path-style, root
// credentials, the test CA, SDK default checksums (WhenSupported: over TLS
// a PUT body goes aws-chunked with a CRC trailer) and no retries, so every
// server error reaches the test.
func (g *gateway) sdk(opts ...clientOpt) *s3.Client {
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = fx.ca.clientTLS()
	})
	cfg := aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		HTTPClient:  hc,
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(g.Endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported
		// The SDK logs a warning when a GET response carries no checksum to
		// validate; the tests stay quiet.
		o.DisableLogOutputChecksumValidationSkipped = true
		for _, f := range opts {
			f(o)
		}
	})
}

// errCode returns the S3 error code of an SDK error, or "".
func errCode(err error) string {
	if ae, ok := errorsAs[smithy.APIError](err); ok {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus returns the HTTP status of an SDK error, or 0.
func httpStatus(err error) int {
	if re, ok := errorsAs[*awshttp.ResponseError](err); ok {
		return re.HTTPStatusCode()
	}
	return 0
}

// requireCode fails unless err is an S3 error with code and status.
func requireCode(t testing.TB, err error, status int, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %d %s, got success", status, code)
	}
	if got := httpStatus(err); got != status {
		t.Fatalf("want HTTP %d %s, got %d: %v", status, code, got, err)
	}
	if code != "" && errCode(err) != code {
		t.Fatalf("want %s, got code %q: %v", code, errCode(err), err)
	}
}

// createBucket creates bucket and registers a cleanup that empties and
// removes it (the Ceph cluster outlives the run).
func createBucket(t testing.TB, c *s3.Client, bucket string) {
	t.Helper()
	if _, err := c.CreateBucket(testCtx(t), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket %s: %v", bucket, err)
	}
	t.Cleanup(func() { removeBucket(t, c, bucket) })
}

// removeBucket aborts the bucket's uploads, deletes its objects and the
// bucket; a bucket already gone is fine.
func removeBucket(t testing.TB, c *s3.Client, bucket string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); httpStatus(err) == http.StatusNotFound {
		return
	}
	// A bucket policy may deny the deletes below; root may always remove it.
	_, _ = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err == nil {
		for _, u := range ups.Uploads {
			_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: u.Key, UploadId: u.UploadId})
		}
	}
	// encoding-type=url: keys with control characters (which a plain XML
	// listing carries as &#x1;, unreadable to Go's XML parser) come back
	// percent-encoded; the SDK does not decode them itself.
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), EncodingType: types.EncodingTypeUrl})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Errorf("cleanup: list %s: %v", bucket, err)
			return
		}
		for _, o := range page.Contents {
			key, err := url.PathUnescape(aws.ToString(o.Key))
			if err != nil {
				t.Errorf("cleanup: list %s: key %q: %v", bucket, aws.ToString(o.Key), err)
				continue
			}
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
				t.Errorf("cleanup: delete %s/%s: %v", bucket, aws.ToString(o.Key), err)
			}
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil && errCode(err) != "NoSuchBucket" {
		t.Errorf("cleanup: delete bucket %s: %v", bucket, err)
	}
}

// put stores data under bucket/key with the client's default settings.
func put(t testing.TB, c *s3.Client, bucket, key string, data []byte) *s3.PutObjectOutput {
	t.Helper()
	out, err := c.PutObject(testCtx(t), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

// getBytes reads a whole object (or the selected range).
func getBytes(t testing.TB, c *s3.Client, in *s3.GetObjectInput) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	out, err := c.GetObject(testCtx(t), in)
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", aws.ToString(in.Bucket), aws.ToString(in.Key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("GetObject %s/%s: read body: %v", aws.ToString(in.Bucket), aws.ToString(in.Key), err)
	}
	return out, b
}

// requireAbsent fails unless bucket/key does not exist.
func requireAbsent(t testing.TB, c *s3.Client, bucket, key string) {
	t.Helper()
	_, err := c.HeadObject(testCtx(t), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if httpStatus(err) != http.StatusNotFound {
		t.Fatalf("%s/%s: want 404 after a rejected write, got %v", bucket, key, err)
	}
}

// listAllV2 lists every key under prefix, page by page.
func listAllV2(t testing.TB, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(testCtx(t))
		if err != nil {
			t.Fatalf("ListObjectsV2 %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// objectKeys returns the keys of a listing page.
func objectKeys(objs []types.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = aws.ToString(o.Key)
	}
	return out
}

// prefixList returns the common prefixes of a listing page.
func prefixList(ps []types.CommonPrefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = aws.ToString(p.Prefix)
	}
	return out
}

// equalStrings compares two string lists exactly (order matters).
func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// unquote strips the quotes of an ETag.
func unquote(etag *string) string {
	return strings.Trim(aws.ToString(etag), `"`)
}
