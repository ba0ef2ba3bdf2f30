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

// tagMap turns a TagSet into a map, failing on duplicate keys.
func tagMap(t testing.TB, set []types.Tag) map[string]string {
	t.Helper()
	m := make(map[string]string, len(set))
	for _, tg := range set {
		k := aws.ToString(tg.Key)
		if _, dup := m[k]; dup {
			t.Fatalf("duplicate tag key %q in %+v", k, set)
		}
		m[k] = aws.ToString(tg.Value)
	}
	return m
}

func sdkTags(pairs ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, types.Tag{Key: aws.String(pairs[i]), Value: aws.String(pairs[i+1])})
	}
	return out
}

func numberedTags(n int) []types.Tag {
	var p []string
	for i := range n {
		p = append(p, fmt.Sprintf("k%02d", i), fmt.Sprintf("v%d", i))
	}
	return sdkTags(p...)
}

// TestSDKTagging exercises every tagging call through aws-sdk-go-v2 with
// its default checksums: x-amz-tagging on PutObject, on
// CreateMultipartUpload (applied at Complete) and on CopyObject (COPY and
// REPLACE directives), x-amz-tagging-count on GET/HEAD, Put/Get/Delete
// ObjectTagging and BucketTagging, and S3's limits.
func TestSDKTagging(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	ctx := testCtx(t)
	bucket := bucketName("sdk-tagging")
	createBucket(t, c, bucket)
	obj := func(k string) (*string, *string) { return aws.String(bucket), aws.String(k) }
	getTags := func(key string) map[string]string {
		t.Helper()
		b, k := obj(key)
		out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: k})
		if err != nil {
			t.Fatalf("GetObjectTagging %s: %v", key, err)
		}
		return tagMap(t, out.TagSet)
	}
	count := func(key string) int32 {
		t.Helper()
		b, k := obj(key)
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: k})
		if err != nil {
			t.Fatalf("HeadObject %s: %v", key, err)
		}
		g, data := getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: k})
		if aws.ToInt32(g.TagCount) != aws.ToInt32(h.TagCount) || len(data) == 0 {
			t.Fatalf("%s: GET tag count %d, HEAD %d", key, aws.ToInt32(g.TagCount), aws.ToInt32(h.TagCount))
		}
		return aws.ToInt32(h.TagCount)
	}

	// PutObject with x-amz-tagging (URL-encoded by the SDK's caller).
	b, k := obj("tagged")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("data"),
		Tagging: aws.String("project=blue&owner=J%C3%BCrgen%20K&empty=")})
	if err != nil {
		t.Fatalf("PutObject with tags: %v", err)
	}
	if got := getTags("tagged"); len(got) != 3 || got["project"] != "blue" || got["owner"] != "Jürgen K" || got["empty"] != "" {
		t.Fatalf("tags after PutObject: %v", got)
	}
	if n := count("tagged"); n != 3 {
		t.Fatalf("tag count %d, want 3", n)
	}

	// An untagged object: empty TagSet, no count.
	put(t, c, bucket, "plain", []byte("plain"))
	if got := getTags("plain"); len(got) != 0 {
		t.Fatalf("untagged object has tags %v", got)
	}
	if n := count("plain"); n != 0 {
		t.Fatalf("untagged object's tag count %d", n)
	}

	// PutObjectTagging replaces the set; DeleteObjectTagging removes it.
	b, k = obj("plain")
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: k,
		Tagging: &types.Tagging{TagSet: numberedTags(10)}}); err != nil {
		t.Fatalf("PutObjectTagging 10 tags: %v", err)
	}
	if got := getTags("plain"); len(got) != 10 || got["k09"] != "v9" {
		t.Fatalf("tags after PutObjectTagging: %v", got)
	}
	if n := count("plain"); n != 10 {
		t.Fatalf("tag count %d, want 10", n)
	}
	if _, err := c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: b, Key: k}); err != nil {
		t.Fatalf("DeleteObjectTagging: %v", err)
	}
	if got := getTags("plain"); len(got) != 0 {
		t.Fatalf("tags after DeleteObjectTagging: %v", got)
	}
	_, data := getBytes(t, c, &s3.GetObjectInput{Bucket: b, Key: k})
	if string(data) != "plain" {
		t.Fatalf("object after tag changes: %q", data)
	}

	// Limits: InvalidTag (400) from PutObjectTagging and from the header.
	for name, set := range map[string][]types.Tag{
		"11 tags":       numberedTags(11),
		"duplicate key": sdkTags("a", "1", "a", "2"),
		"aws: prefix":   sdkTags("aws:reserved", "1"),
		"key 129 chars": sdkTags(strings.Repeat("ß", 129), "1"),
		"value 257":     sdkTags("k", strings.Repeat("€", 257)),
	} {
		_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: k, Tagging: &types.Tagging{TagSet: set}})
		if httpStatus(err) != http.StatusBadRequest || errCode(err) != "InvalidTag" {
			t.Errorf("PutObjectTagging %s: %v, want 400 InvalidTag", name, err)
		}
	}
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: k,
		Tagging: &types.Tagging{TagSet: sdkTags(strings.Repeat("ß", 128), strings.Repeat("€", 256))}}); err != nil {
		t.Fatalf("PutObjectTagging at the length limits: %v", err)
	}
	for name, hdr := range map[string]string{
		"duplicate":   "a=1&a=2",
		"aws: prefix": "aws:x=1",
		"11 tags":     "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11",
	} {
		b, k := obj("refused")
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: k, Body: strings.NewReader("x"), Tagging: aws.String(hdr)})
		if httpStatus(err) != http.StatusBadRequest || errCode(err) != "InvalidTag" {
			t.Errorf("PutObject x-amz-tagging %s: %v, want 400 InvalidTag", name, err)
		}
	}
	requireAbsent(t, c, bucket, "refused")
	b, k = obj("missing")
	_, err = c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: k})
	requireCode(t, err, http.StatusNotFound, "NoSuchKey")

	// Multipart: the tags of CreateMultipartUpload reach the object at Complete.
	u := newUpload(t, c, bucket, "mpu", &s3.CreateMultipartUploadInput{Tagging: aws.String("stage=final")})
	etag := u.part(1, []byte("one part"))
	if _, err := u.complete(cp(1, etag)); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if got := getTags("mpu"); len(got) != 1 || got["stage"] != "final" {
		t.Fatalf("tags after Complete: %v", got)
	}

	// CopyObject: COPY (default) keeps the source's tags, REPLACE sets the header's.
	b, k = obj("copy-default")
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: k, CopySource: aws.String(bucket + "/tagged")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if got := getTags("copy-default"); len(got) != 3 || got["project"] != "blue" {
		t.Fatalf("tags after a COPY copy: %v", got)
	}
	b, k = obj("copy-replace")
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: k, CopySource: aws.String(bucket + "/tagged"),
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("new=1")}); err != nil {
		t.Fatalf("CopyObject REPLACE: %v", err)
	}
	if got := getTags("copy-replace"); len(got) != 1 || got["new"] != "1" {
		t.Fatalf("tags after a REPLACE copy: %v", got)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: k, CopySource: aws.String(bucket + "/tagged"),
		TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("aws:no=1")})
	requireCode(t, err, http.StatusBadRequest, "InvalidTag")

	// An overwrite does not inherit the old object's tags.
	put(t, c, bucket, "tagged", []byte("new data"))
	if got := getTags("tagged"); len(got) != 0 {
		t.Fatalf("overwritten object kept tags %v", got)
	}

	// Bucket tagging.
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "NoSuchTagSet")
	if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
		Tagging: &types.Tagging{TagSet: numberedTags(50)}}); err != nil {
		t.Fatalf("PutBucketTagging 50 tags: %v", err)
	}
	bt, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("GetBucketTagging: %v", err)
	}
	if got := tagMap(t, bt.TagSet); len(got) != 50 || got["k49"] != "v49" {
		t.Fatalf("bucket tags %v", got)
	}
	_, err = c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket),
		Tagging: &types.Tagging{TagSet: numberedTags(51)}})
	requireCode(t, err, http.StatusBadRequest, "InvalidTag")
	if _, err := c.DeleteBucketTagging(ctx, &s3.DeleteBucketTaggingInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("DeleteBucketTagging: %v", err)
	}
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	requireCode(t, err, http.StatusNotFound, "NoSuchTagSet")
}

// TestSDKTagPolicy: tags as policy conditions. A bucket policy lets
// anonymous callers read objects tagged visibility=public
// (s3:ExistingObjectTag) and upload only objects tagged team=web
// (s3:RequestObjectTag; a tagged upload needs s3:PutObjectTagging besides
// s3:PutObject, as in S3, so the statement grants both); retagging an
// object changes who may read it.
func TestSDKTagPolicy(t *testing.T) {
	t.Parallel()
	c := fx.gw.sdk()
	anon := fx.gw.sdk(anonymous, checksumsOff)
	ctx := testCtx(t)
	bucket := bucketName("sdk-tagpolicy")
	createBucket(t, c, bucket)
	allowPublicPolicy(t, c, bucket) // the policy below is public
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%[1]s/*",
  "Condition":{"StringEquals":{"s3:ExistingObjectTag/visibility":"public"}}},
 {"Effect":"Allow","Principal":"*","Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::%[1]s/*",
  "Condition":{"StringEquals":{"s3:RequestObjectTag/team":"web"}}}]}`, bucket)
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(doc)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	b := aws.String(bucket)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("pub"), Body: strings.NewReader("p"),
		Tagging: aws.String("visibility=public")}); err != nil {
		t.Fatal(err)
	}
	put(t, c, bucket, "priv", []byte("q"))
	if _, data := getBytes(t, anon, &s3.GetObjectInput{Bucket: b, Key: aws.String("pub")}); string(data) != "p" {
		t.Fatalf("anonymous GET of a public-tagged object: %q", data)
	}
	_, err := anon.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("priv")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	if _, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("priv"),
		Tagging: &types.Tagging{TagSet: sdkTags("visibility", "public")}}); err != nil {
		t.Fatal(err)
	}
	if _, data := getBytes(t, anon, &s3.GetObjectInput{Bucket: b, Key: aws.String("priv")}); string(data) != "q" {
		t.Fatalf("anonymous GET after retagging: %q", data)
	}

	_, err = anon.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("up"), Body: strings.NewReader("u"),
		Tagging: aws.String("team=db")})
	requireCode(t, err, http.StatusForbidden, "AccessDenied")
	if _, err := anon.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("up"), Body: strings.NewReader("u"),
		Tagging: aws.String("team=web")}); err != nil {
		t.Fatalf("anonymous PutObject with team=web: %v", err)
	}
	_, _ = c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: b})
}
