package failure

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/tasmaniancloud/rustfs/bench/gateway"
)

// sdkClient returns an aws-sdk-go-v2 client for a running gateway process:
// path style, its root credentials and certificate, no retries (every
// failure reaches the suite), checksums only where required.
func sdkClient(g *gateway.Process) (*s3.Client, error) {
	pem, err := os.ReadFile(g.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", g.CAFile)
	}
	hc := awshttp.NewBuildableClient().WithTimeout(time.Minute).WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
	})
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(g.AccessKey, g.SecretKey, ""),
		HTTPClient:  hc,
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(g.Endpoint)
		o.UsePathStyle = true
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// s3Code returns the S3 error code of err, or "".
func s3Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// sdkGetter reads objects back through the S3 API.
func sdkGetter(c *s3.Client) getter {
	return func(ctx context.Context, bucket, key string) readResult {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			var nsk *types.NoSuchKey
			if errors.As(err, &nsk) || s3Code(err) == "NoSuchKey" {
				return readResult{missing: true}
			}
			return readResult{err: err}
		}
		defer out.Body.Close()
		ch := &countingHash{h: sha256.New()}
		if _, err := io.Copy(ch, out.Body); err != nil {
			return readResult{err: err}
		}
		var r readResult
		copy(r.sum[:], ch.h.Sum(nil))
		r.n = ch.n
		return r
	}
}

// sdkPut stores data under bucket/key.
func sdkPut(ctx context.Context, c *s3.Client, bucket, key string, data []byte) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	return err
}
