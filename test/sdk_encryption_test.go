package test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKBucketEncryption: the default-encryption API reports SSE-S3
// (every object is encrypted), accepts AES256, refuses aws:kms clearly,
// and DeleteBucketEncryption leaves the bucket (and encryption) in place.
func TestSDKBucketEncryption(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-sse")
	createBucket(t, c, bucket)
	get := func() types.ServerSideEncryption {
		t.Helper()
		out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("GetBucketEncryption: %v", err)
		}
		if out.ServerSideEncryptionConfiguration == nil || len(out.ServerSideEncryptionConfiguration.Rules) != 1 {
			t.Fatalf("GetBucketEncryption: %+v", out.ServerSideEncryptionConfiguration)
		}
		return out.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm
	}
	if alg := get(); alg != types.ServerSideEncryptionAes256 {
		t.Fatalf("default SSEAlgorithm %q", alg)
	}
	put := func(alg types.ServerSideEncryption, keyID *string) error {
		_, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
			ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: alg, KMSMasterKeyID: keyID}}}}})
		return err
	}
	if err := put(types.ServerSideEncryptionAes256, nil); err != nil {
		t.Fatalf("PutBucketEncryption AES256: %v", err)
	}
	// A KMS key id the keyring did not issue is refused (bucket KMS keys: sse_sdk_test in s3api).
	requireCode(t, put(types.ServerSideEncryptionAwsKms, aws.String("arn:aws:kms:us-east-1:1:key/x")), http.StatusBadRequest, "KMS.NotFoundException")
	if alg := get(); alg != types.ServerSideEncryptionAes256 {
		t.Fatalf("a refused aws:kms configuration changed the default to %q", alg)
	}
	if _, err := c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketEncryption: %v", err)
	}
	if alg := get(); alg != types.ServerSideEncryptionAes256 {
		t.Fatalf("after delete SSEAlgorithm %q", alg)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("the bucket is gone after DeleteBucketEncryption: %v", err)
	}
	_, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucketName("sdk-sse-missing"))})
	requireCode(t, err, http.StatusNotFound, "NoSuchBucket")
}
