package test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestAtRestNoPlaintextMetadata writes objects whose every name and
// attribute carries a marker (bucket, key, x-amz-meta-*, Content-Type,
// Content-Disposition, a tag, body; single PUT, completed and pending multipart
// uploads, a user, a bucket policy), stops the server, then scans every
// byte of every file under the data directory: no marker may appear, raw
// or as the hex or base64 of the body's MD5 or SHA-256 (a digest lets a
// disk holder confirm a guessed plaintext). On the rados backend it also
// scans every object of the gateway's RADOS namespace in every pool: name,
// data, xattrs, omap keys and values.
func TestAtRestNoPlaintextMetadata(t *testing.T) {
	dir := t.TempDir()
	p := startBinary(t, dir)
	c := p.sdk()
	ctx := testCtx(t)

	// Markers: distinct, unlikely strings; the bucket one must be a valid name.
	mBucket := "zqbucketmark-" + fx.runID
	mKey, mMeta, mType, mDisp := "ZQKEYMARK", "ZQMETAMARK", "ZQTYPEMARK", "ZQDISPMARK"
	mUser, mPolicy, mTag := "zqusermark-"+fx.runID, "ZQPOLICYMARK", "ZQTAGMARK"
	body := bytes.Repeat([]byte("ZQBODYMARK-"), 3000)
	mpBody := append(randData(7, minPart), []byte("ZQMPBODYMARK")...)

	// Not createBucket: its cleanup would need the server this test stops.
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(mBucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(mBucket), Key: aws.String("dir/" + mKey + "/one"),
		Body: bytes.NewReader(body), Metadata: map[string]string{"marker": mMeta}, ContentType: aws.String("text/" + mType),
		ContentDisposition: aws.String("attachment; filename=" + mDisp), Tagging: aws.String("zqtag=" + mTag)}); err != nil {
		t.Fatal(err)
	}
	u := newUpload(t, c, mBucket, mKey+"-multipart", &s3.CreateMultipartUploadInput{Metadata: map[string]string{"marker": mMeta},
		ContentType: aws.String("text/" + mType)})
	e1, e2 := u.part(1, mpBody), u.part(2, body)
	if _, err := u.complete(types.CompletedPart{PartNumber: aws.Int32(1), ETag: aws.String(e1)},
		types.CompletedPart{PartNumber: aws.Int32(2), ETag: aws.String(e2)}); err != nil {
		t.Fatal(err)
	}
	pending := newUpload(t, c, mBucket, mKey+"-pending", &s3.CreateMultipartUploadInput{Metadata: map[string]string{"marker": mMeta}})
	pending.part(1, body)
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"` + mPolicy + `","Effect":"Allow","Principal":"*",` +
		`"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + mBucket + `/` + mKey + `*"}]}`
	allowPublicPolicy(t, c, mBucket) // a public policy on a new bucket
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(mBucket), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	addUserCLI(t, p, mUser)

	// The markers read back through the API: sealing hides, it does not lose.
	if got := listAllV2(t, c, mBucket, ""); len(got) != 2 || got[0] != mKey+"-multipart" || got[1] != "dir/"+mKey+"/one" {
		t.Fatalf("listed %q", got)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(mBucket), Key: aws.String("dir/" + mKey + "/one")})
	if err != nil || head.Metadata["marker"] != mMeta || aws.ToString(head.ContentType) != "text/"+mType {
		t.Fatalf("HeadObject: %v %+v", err, head)
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(mBucket), Key: aws.String("dir/" + mKey + "/one")})
	if err != nil || len(tags.TagSet) != 1 || aws.ToString(tags.TagSet[0].Value) != mTag {
		t.Fatalf("GetObjectTagging: %v %+v", err, tags)
	}
	p.stop(t)

	var markers []string
	for _, m := range []string{mBucket, mKey, mMeta, mType, mDisp, mUser, mPolicy, mTag, "ZQBODYMARK", "ZQMPBODYMARK"} {
		markers = append(markers, m)
	}
	for _, b := range [][]byte{body, mpBody} {
		m, s := md5.Sum(b), sha256.Sum256(b)
		for _, d := range [][]byte{m[:], s[:]} {
			markers = append(markers, hex.EncodeToString(d), strings.ToUpper(hex.EncodeToString(d)),
				base64.StdEncoding.EncodeToString(d), string(d))
		}
	}
	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		for _, m := range markers {
			if strings.Contains(path, m) {
				t.Errorf("file name %s holds marker %q", path, m)
			}
		}
		if !d.Type().IsRegular() {
			return nil
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range markers {
			if bytes.Contains(data, []byte(m)) {
				rel, _ := filepath.Rel(dir, path)
				t.Errorf("%s holds marker %q", rel, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fx.backend != backendRados && files < 20 {
		t.Fatalf("scanned only %d files: is the data directory the server's?", files)
	}
	if fx.backend == backendRados {
		objs, err := radosDump(radosNamespace(dir))
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) < 10 {
			t.Fatalf("found only %d RADOS objects in the gateway's namespace", len(objs))
		}
		for name, blob := range objs {
			for _, m := range markers {
				if bytes.Contains(blob, []byte(m)) {
					t.Errorf("RADOS object %s holds marker %q", name, m)
				}
			}
		}
	}
}
