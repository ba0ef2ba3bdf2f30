package test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKPublicAccessBlock: a new bucket blocks public access as S3's
// does; a public policy is refused while BlockPublicPolicy is on; with
// RestrictPublicBuckets the accepted public policy opens nothing to
// anonymous callers; with the block deleted it does.
func TestSDKPublicAccessBlock(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	anon := fx.gw.sdk(anonymous)
	ctx := testCtx(t)
	bucket := bucketName("sdk-pab")
	createBucket(t, c, bucket)
	put(t, c, bucket, "www/index.html", []byte("<h1>hi</h1>"))
	got, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if pc := got.PublicAccessBlockConfiguration; !aws.ToBool(pc.BlockPublicAcls) || !aws.ToBool(pc.IgnorePublicAcls) ||
		!aws.ToBool(pc.BlockPublicPolicy) || !aws.ToBool(pc.RestrictPublicBuckets) {
		t.Fatalf("new bucket's block: %+v", pc)
	}
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/www/*"}]}`, bucket)
	putPolicy := func() error {
		_, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)})
		return err
	}
	requireCode(t, putPolicy(), http.StatusForbidden, "AccessDenied")
	_, err = c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "NoSuchBucketPolicy")

	setBlock := func(pc types.PublicAccessBlockConfiguration) {
		t.Helper()
		if _, err := c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(bucket), PublicAccessBlockConfiguration: &pc}); err != nil {
			t.Fatal(err)
		}
	}
	setBlock(types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)})
	if err := putPolicy(); err != nil {
		t.Fatalf("public policy with BlockPublicPolicy off: %v", err)
	}
	anonGet := func() error {
		_, err := anon.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("www/index.html")})
		return err
	}
	requireCode(t, anonGet(), http.StatusForbidden, "AccessDenied") // RestrictPublicBuckets
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration")
	if err := anonGet(); err != nil {
		t.Fatalf("anonymous read once the block is gone: %v", err)
	}
	st, err := c.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: aws.String(bucket)})
	if err != nil || !aws.ToBool(st.PolicyStatus.IsPublic) {
		t.Fatalf("policy status %+v %v", st, err)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
}

// TestSDKACLs: Get*Acl answer the owner's FULL_CONTROL; owner-only ACLs
// are accepted, public ones refused with AccessControlListNotSupported and
// nothing is stored.
func TestSDKACLs(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-acl")
	createBucket(t, c, bucket)
	put(t, c, bucket, "k", []byte("data"))
	ba, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	owner := aws.ToString(ba.Owner.ID)
	if owner == "" || len(ba.Grants) != 1 || ba.Grants[0].Permission != types.PermissionFullControl ||
		ba.Grants[0].Grantee.Type != types.TypeCanonicalUser || aws.ToString(ba.Grants[0].Grantee.ID) != owner {
		t.Fatalf("bucket ACL: owner %q grants %+v", owner, ba.Grants)
	}
	oa, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k")})
	if err != nil || aws.ToString(oa.Owner.ID) != owner || len(oa.Grants) != 1 || oa.Grants[0].Permission != types.PermissionFullControl {
		t.Fatalf("object ACL: %+v %v", oa, err)
	}
	_, err = c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("missing")})
	requireCode(t, err, http.StatusNotFound, "NoSuchKey")

	if _, err := c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPrivate}); err != nil {
		t.Fatalf("PutBucketAcl private: %v", err)
	}
	_, err = c.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(bucket), ACL: types.BucketCannedACLPublicRead})
	requireCode(t, err, http.StatusBadRequest, "AccessControlListNotSupported")
	policy := &types.AccessControlPolicy{Owner: &types.Owner{ID: aws.String(owner)}, Grants: []types.Grant{{
		Grantee: &types.Grantee{Type: types.TypeCanonicalUser, ID: aws.String(owner)}, Permission: types.PermissionFullControl}}}
	if _, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), AccessControlPolicy: policy}); err != nil {
		t.Fatalf("PutObjectAcl owner FULL_CONTROL: %v", err)
	}
	policy.Grants = append(policy.Grants, types.Grant{Grantee: &types.Grantee{Type: types.TypeGroup,
		URI: aws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: types.PermissionRead})
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), AccessControlPolicy: policy})
	requireCode(t, err, http.StatusBadRequest, "AccessControlListNotSupported")
	_, err = c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(bucket), Key: aws.String("k"), GrantRead: aws.String("uri=http://acs.amazonaws.com/groups/global/AllUsers")})
	requireCode(t, err, http.StatusBadRequest, "AccessControlListNotSupported")

	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("owned"), Body: strings.NewReader("x"),
		ACL: types.ObjectCannedACLBucketOwnerFullControl}); err != nil {
		t.Fatalf("PutObject bucket-owner-full-control: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("public"), Body: strings.NewReader("x"),
		ACL: types.ObjectCannedACLPublicRead})
	requireCode(t, err, http.StatusBadRequest, "AccessControlListNotSupported")
	requireAbsent(t, c, bucket, "public")
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName("sdk-acl-pub")), ACL: types.BucketCannedACLPublicReadWrite})
	requireCode(t, err, http.StatusBadRequest, "AccessControlListNotSupported")
}

// TestBoto3Access runs clients/boto3_access.py: the public access block
// and ACL calls through boto3.
func TestBoto3Access(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	bucket := bucketName("boto3-access")
	t.Cleanup(func() { removeBucket(t, c, bucket) })
	runBoto3(t, "boto3", "boto3_access.py", bucket)
}

// allowPublicPolicy lifts a new bucket's public access block, as an S3
// user must before putting a public bucket policy.
func allowPublicPolicy(t testing.TB, c *s3.Client, bucket string) {
	t.Helper()
	if _, err := c.DeletePublicAccessBlock(testCtx(t), &s3.DeletePublicAccessBlockInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeletePublicAccessBlock %s: %v", bucket, err)
	}
}
