package s3api

import (
	"context"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// slowCompleteLayer delays CompleteMultipartUpload and can make it fail.
type slowCompleteLayer struct {
	*memLayer
	delay time.Duration
	err   error
}

func (l *slowCompleteLayer) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart) (object.ObjectInfo, error) {
	time.Sleep(l.delay)
	if l.err != nil {
		return object.ObjectInfo{}, l.err
	}
	return l.memLayer.CompleteMultipartUpload(ctx, bucket, key, uploadID, parts)
}

func TestCompleteKeepAlive(t *testing.T) {
	for _, fail := range []bool{false, true} {
		layer := &slowCompleteLayer{memLayer: newMemLayer(), delay: 150 * time.Millisecond}
		if fail {
			layer.err = object.ErrInvalidPart
		}
		e := newTestEnv(t, func(o *Options) { o.Layer = layer; o.CompleteKeepAlive = 10 * time.Millisecond })
		e.mkBucket("bkt")
		id := createUpload(t, e, "/bkt/k")
		up := e.do(req{method: http.MethodPut, path: "/bkt/k", query: "partNumber=1&uploadId=" + id, body: []byte("data")})
		got := e.do(req{method: http.MethodPost, path: "/bkt/k", query: "uploadId=" + id,
			body: completeXML([2]string{"1", up.hdr.Get("ETag")})})
		if got.status != 200 || !strings.EqualFold(got.hdr.Get("Transfer-Encoding"), "chunked") {
			t.Fatalf("fail=%v: want a streamed 200:\n%s%s", fail, got.raw, got.body)
		}
		var doc struct {
			XMLName xml.Name
			Code    string
			ETag    string
		}
		if err := xml.Unmarshal(got.body, &doc); err != nil {
			t.Fatalf("body is not one XML document: %v\n%q", err, got.body)
		}
		if fail && (doc.XMLName.Local != "Error" || doc.Code != "InvalidPart") {
			t.Errorf("200-with-error: %s", got.body)
		}
		if !fail && (doc.XMLName.Local != "CompleteMultipartUploadResult" || doc.ETag == "") {
			t.Errorf("result: %s", got.body)
		}
	}
}

// TestCompleteKeepAliveSDK: the AWS SDK turns a 200 whose body is an
// <Error> into an error, so the streamed failure reaches callers.
func TestCompleteKeepAliveSDK(t *testing.T) {
	layer := &slowCompleteLayer{memLayer: newMemLayer(), delay: 100 * time.Millisecond, err: object.ErrInvalidPartOrder}
	e := newTestEnv(t, func(o *Options) {
		o.Layer = layer
		o.CompleteKeepAlive = 10 * time.Millisecond
		o.Verifier = sigv4.NewVerifier(sigv4.Options{Region: testRegion, Creds: iam.NewRoot(testAK, testSK)})
	})
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return e.ln.Dial() }}
	c := sdkClient("http://localhost:9000", tr)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
		t.Fatal(err)
	}
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("bkt"), Key: aws.String("k"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"x"`)}}},
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidPartOrder" {
		t.Fatalf("SDK saw %v", err)
	}
}
