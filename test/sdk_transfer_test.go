package test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestSDKTransferManager uploads ~24 MiB with the SDK transfer manager (4
// concurrent 5 MiB parts) and downloads it with the Downloader.
func TestSDKTransferManager(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-transfer")
	createBucket(t, c, bucket)
	data := randData(71, 24<<20+12345)

	up := manager.NewUploader(c, func(u *manager.Uploader) {
		u.Concurrency = 4
		u.PartSize = 5 << 20
	})
	// A plain io.Reader (not seekable) makes the uploader buffer parts, as
	// it does for pipes.
	res, err := up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("tm/big.bin"),
		Body: struct{ *bytes.Reader }{bytes.NewReader(data)}})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if res.UploadID == "" || !strings.HasSuffix(unquote(res.ETag), "-5") {
		t.Errorf("Upload: upload id %q, ETag %q; want a 5-part multipart upload", res.UploadID, aws.ToString(res.ETag))
	}
	var parts [][]byte
	for off := 0; off < len(data); off += 5 << 20 {
		parts = append(parts, data[off:min(off+5<<20, len(data))])
	}
	if want := multipartETag(parts...); unquote(res.ETag) != want {
		t.Errorf("ETag %s, want %s", unquote(res.ETag), want)
	}

	down := manager.NewDownloader(c, func(d *manager.Downloader) {
		d.Concurrency = 4
		d.PartSize = 5 << 20
	})
	buf := manager.NewWriteAtBuffer(make([]byte, 0, len(data)))
	n, err := down.Download(ctx, buf, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("tm/big.bin")})
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	if n != int64(len(data)) || sha256Hex(buf.Bytes()) != sha256Hex(data) {
		t.Fatalf("Download: %d bytes, SHA-256 %s; want %d bytes, %s", n, sha256Hex(buf.Bytes()), len(data), sha256Hex(data))
	}

	// A small object goes up in one PUT.
	small := randData(72, 1000)
	res, err = up.Upload(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("tm/small.bin"), Body: bytes.NewReader(small)})
	if err != nil || res.UploadID != "" || unquote(res.ETag) != md5Hex(small) {
		t.Fatalf("small Upload: %v, upload id %q, ETag %q", err, res.UploadID, aws.ToString(res.ETag))
	}
}
