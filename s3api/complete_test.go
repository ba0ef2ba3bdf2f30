package s3api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"strconv"
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

func (l *slowCompleteLayer) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart, opts object.CompleteOptions) (object.ObjectInfo, error) {
	time.Sleep(l.delay)
	if l.err != nil {
		return object.ObjectInfo{}, l.err
	}
	return l.memLayer.CompleteMultipartUpload(ctx, bucket, key, uploadID, parts, opts)
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

// TestCompleteDeclaredMismatch runs CompleteMultipartUpload with a wrong
// whole-object checksum, checksum type or x-amz-mp-object-size against the
// real object layer: each is answered with S3's error before the commit,
// so the older object stays visible and the upload stays intact, and the
// upload then completes with the right declaration.
func TestCompleteDeclaredMismatch(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Layer = newRealStore(t) })
	e.mkBucket("bkt")
	mustStatus(t, e.put("/bkt/k", []byte("older")), 200, "")
	id := createUpload(t, e, "/bkt/k", [2]string{"x-amz-checksum-algorithm", "CRC32"})
	data := bytes.Repeat([]byte("part-data."), 100)
	partSum := checksumOf("crc32", data)
	up := e.do(req{method: http.MethodPut, path: "/bkt/k", query: "partNumber=1&uploadId=" + id, body: data,
		hdr: [][2]string{{"x-amz-checksum-crc32", partSum}}})
	mustStatus(t, up, 200, "")
	rawPart, err := base64.StdEncoding.DecodeString(partSum)
	if err != nil {
		t.Fatal(err)
	}
	composite := checksumOf("crc32", rawPart) // COMPOSITE: the CRC of the part CRCs
	body := completeXML([2]string{"1", up.hdr.Get("ETag")})
	complete := func(hdr ...[2]string) *resp {
		return e.do(req{method: http.MethodPost, path: "/bkt/k", query: "uploadId=" + id, body: body, hdr: hdr})
	}
	for _, c := range []struct {
		hdr    [2]string
		status int
		code   string
	}{
		{[2]string{"x-amz-checksum-crc32", checksumOf("crc32", []byte("other"))}, 400, "BadDigest"},
		{[2]string{"x-amz-checksum-crc32", composite + "-2"}, 400, "BadDigest"},
		{[2]string{"x-amz-checksum-sha256", checksumOf("sha256", data)}, 400, "InvalidRequest"},
		{[2]string{"x-amz-checksum-type", "FULL_OBJECT"}, 400, "BadDigest"},
		{[2]string{"x-amz-mp-object-size", strconv.Itoa(len(data) - 1)}, 400, "InvalidRequest"},
		{[2]string{"x-amz-checksum-crc32", "not*base64-1"}, 400, "InvalidRequest"},
		{[2]string{"x-amz-checksum-crc32", composite + "-01"}, 400, "InvalidRequest"},
		{[2]string{"x-amz-checksum-type", "PARTIAL"}, 400, "InvalidRequest"},
		{[2]string{"x-amz-mp-object-size", "-1"}, 400, "InvalidArgument"},
	} {
		got := complete(c.hdr)
		if got.status != c.status || got.code() != c.code {
			t.Fatalf("%s: %s: got %d %q, want %d %q\n%s", c.hdr[0], c.hdr[1], got.status, got.code(), c.status, c.code, got.body)
		}
		if old := e.do(req{path: "/bkt/k"}); old.status != 200 || string(old.body) != "older" {
			t.Fatalf("%s: %s: the refused completion replaced the object: %d %q", c.hdr[0], c.hdr[1], old.status, old.body)
		}
		lp := e.do(req{path: "/bkt/k", query: "uploadId=" + id})
		mustStatus(t, lp, 200, "")
		if !strings.Contains(string(lp.body), "<PartNumber>1</PartNumber>") {
			t.Fatalf("%s: %s: upload not intact:\n%s", c.hdr[0], c.hdr[1], lp.body)
		}
	}
	done := complete([2]string{"x-amz-checksum-crc32", composite}, [2]string{"x-amz-checksum-type", "COMPOSITE"},
		[2]string{"x-amz-mp-object-size", strconv.Itoa(len(data))})
	mustStatus(t, done, 200, "")
	var res struct {
		ChecksumCRC32 string
		ChecksumType  string
	}
	if err := xml.Unmarshal(done.body, &res); err != nil || res.ChecksumCRC32 != composite+"-1" || res.ChecksumType != "COMPOSITE" {
		t.Fatalf("complete: %v\n%s", err, done.body)
	}
	if got := e.do(req{path: "/bkt/k"}); !bytes.Equal(got.body, data) {
		t.Fatal("completed object reads back wrong")
	}
	mustStatus(t, e.do(req{path: "/bkt/k", query: "uploadId=" + id}), 404, "NoSuchUpload")
}
