package s3api

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
)

// slowStore is the real layer with a CompleteMultipartUpload slow enough
// to be answered on the streamed keep-alive path.
type slowStore struct {
	*object.Store
	delay time.Duration
}

func (s *slowStore) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart, opts object.CompleteOptions) (object.ObjectInfo, error) {
	time.Sleep(s.delay)
	return s.Store.CompleteMultipartUpload(ctx, bucket, key, uploadID, parts, opts)
}

// TestStreamedCompleteHeaders: a CompleteMultipartUpload answered on the
// streamed keep-alive path (headers first, whitespace, then the document)
// carries what S3's answer carries: x-amz-version-id naming the version
// the commit made (or "null" in a suspended bucket) and the encryption
// headers of the upload (AES256; aws:kms and its key id; for SSE-C no
// SSE-S3 claim), as read back by the AWS SDK.
func TestStreamedCompleteHeaders(t *testing.T) {
	env := newTLSRealEnv(t, func(o *Options) {
		o.Layer = &slowStore{Store: o.Layer.(*object.Store), delay: 150 * time.Millisecond}
		o.CompleteKeepAlive = 10 * time.Millisecond
	})
	c, ctx := env.c, context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mpv")}); err != nil {
		t.Fatal(err)
	}
	versioning := func(s types.BucketVersioningStatus) {
		t.Helper()
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("mpv"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: s}}); err != nil {
			t.Fatal(err)
		}
	}
	versioning(types.BucketVersioningStatusEnabled)
	key, sum := ssecTriple(bytes.Repeat([]byte{3}, 32))
	kmsID, err := env.keys.KMSKeyID(ctx, iam.RootAccount, "mpu")
	if err != nil {
		t.Fatal(err)
	}
	type sse struct{ ssec, kms bool }
	upload := func(name string, enc sse) *s3.CompleteMultipartUploadOutput {
		t.Helper()
		cin := &s3.CreateMultipartUploadInput{Bucket: aws.String("mpv"), Key: aws.String(name)}
		pin := &s3.UploadPartInput{Bucket: aws.String("mpv"), Key: aws.String(name), PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("streamed part"))}
		fin := &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpv"), Key: aws.String(name)}
		if enc.ssec {
			cin.SSECustomerAlgorithm, cin.SSECustomerKey, cin.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(sum)
			pin.SSECustomerAlgorithm, pin.SSECustomerKey, pin.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(sum)
			fin.SSECustomerAlgorithm, fin.SSECustomerKey, fin.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(sum)
		}
		if enc.kms {
			cin.ServerSideEncryption, cin.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(kmsID)
		}
		up, err := c.CreateMultipartUpload(ctx, cin)
		if err != nil {
			t.Fatal(err)
		}
		pin.UploadId, fin.UploadId = up.UploadId, up.UploadId
		part, err := c.UploadPart(ctx, pin)
		if err != nil {
			t.Fatal(err)
		}
		fin.MultipartUpload = &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: part.ETag}}}
		out, err := c.CompleteMultipartUpload(ctx, fin)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	headVersion := func(name string, enc sse) string {
		t.Helper()
		in := &s3.HeadObjectInput{Bucket: aws.String("mpv"), Key: aws.String(name)}
		if enc.ssec {
			in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(key), aws.String(sum)
		}
		h, err := c.HeadObject(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(h.VersionId)
	}

	out := upload("plain", sse{})
	if v := aws.ToString(out.VersionId); v == "" || v != headVersion("plain", sse{}) || out.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("plain: version %q (HEAD %q), encryption %q", v, headVersion("plain", sse{}), out.ServerSideEncryption)
	}
	out = upload("ssec", sse{ssec: true})
	// The SDK's output has no SSE-C fields (S3 documents none for
	// Complete); the answer must at least not claim SSE-S3 or aws:kms.
	if v := aws.ToString(out.VersionId); v == "" || v != headVersion("ssec", sse{ssec: true}) || out.ServerSideEncryption != "" {
		t.Fatalf("SSE-C: version %q, sse %q", v, out.ServerSideEncryption)
	}
	out = upload("kms", sse{kms: true})
	if v := aws.ToString(out.VersionId); v == "" || v != headVersion("kms", sse{}) ||
		out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(out.SSEKMSKeyId) != kmsID {
		t.Fatalf("aws:kms: version %q, sse %q, key %q", v, out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId))
	}
	// Two completions of one key: two versions, each answered with its own id.
	again := upload("plain", sse{})
	if aws.ToString(again.VersionId) == aws.ToString(upload("plain", sse{}).VersionId) {
		t.Fatal("two completions answered with one version id")
	}
	versioning(types.BucketVersioningStatusSuspended)
	if v := aws.ToString(upload("susp", sse{}).VersionId); v != "null" {
		t.Fatalf("suspended bucket: version %q, want null", v)
	}
}
