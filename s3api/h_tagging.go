package s3api

import (
	"bytes"
	"crypto/md5"
	"net/http"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// getObjectTagging serves GET /bucket/key?tagging: the object's tag set,
// an empty TagSet when it has none.
func (r *request) getObjectTagging() error {
	tags, err := r.getTagsOfVersion()
	if err != nil {
		return err
	}
	return r.writeXML(http.StatusOK, newTaggingDoc(tags))
}

// putObjectTagging serves PUT /bucket/key?tagging (200). It is authorized
// here, not before the handler: s3:RequestObjectTag conditions name the
// tags of the body, which must be read (at most maxTaggingBody) first.
func (r *request) putObjectTagging() error {
	body, err := r.readTaggingBody()
	if err != nil {
		return err
	}
	tags, err := parseTagging(body, object.MaxObjectTags)
	if err != nil {
		return err
	}
	r.reqTags, r.authz = tags, nil
	action := putObjectTaggingAuth.action
	if _, ok := r.query("versionId"); ok {
		action = iam.PutObjectVersionTagging
	}
	if err := r.s.authorizeAction(r, putObjectTaggingAuth, action, r.bucket, r.key); err != nil {
		return err
	}
	if err := r.putTagsOfVersion(tags); err != nil {
		return invalidTag(err)
	}
	r.writeEmpty(http.StatusOK)
	return nil
}

// deleteObjectTagging serves DELETE /bucket/key?tagging (204).
func (r *request) deleteObjectTagging() error {
	if err := r.deleteTagsOfVersion(); err != nil {
		return err
	}
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// getBucketTagging serves GET /bucket?tagging; a bucket without tags
// answers NoSuchTagSet (404), as S3 does.
func (r *request) getBucketTagging() error {
	tags, err := r.s.o.Layer.GetBucketTagging(r.cx, r.bucket)
	if err != nil {
		return err
	}
	return r.writeXML(http.StatusOK, newTaggingDoc(tags))
}

// putBucketTagging serves PUT /bucket?tagging (204); an empty TagSet
// removes the bucket's tags.
func (r *request) putBucketTagging() error {
	body, err := r.readTaggingBody()
	if err != nil {
		return err
	}
	tags, err := parseTagging(body, object.MaxBucketTags)
	if err != nil {
		return err
	}
	if err := r.s.o.Layer.PutBucketTagging(r.cx, r.bucket, tags); err != nil {
		return invalidTag(err)
	}
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// deleteBucketTagging serves DELETE /bucket?tagging (204).
func (r *request) deleteBucketTagging() error {
	if err := r.s.o.Layer.DeleteBucketTagging(r.cx, r.bucket); err != nil {
		return err
	}
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// readTaggingBody reads a Tagging document, checked against Content-MD5
// or a flexible checksum when the request carries one (SDKs send one:
// the tagging calls require an integrity check).
func (r *request) readTaggingBody() ([]byte, error) {
	md5sum, err := r.contentMD5()
	if err != nil {
		return nil, err
	}
	sums, err := r.checksumHeaders()
	if err != nil {
		return nil, err
	}
	body, err := r.readSmallBodyWithTrailers(maxTaggingBody)
	if err != nil {
		return nil, err
	}
	if md5sum != nil {
		if got := md5.Sum(body.data); !bytes.Equal(got[:], md5sum) {
			return nil, s3err.New(s3err.BadDigest)
		}
	}
	if sums.algorithm != "" {
		want := sums.values[sums.algorithm]
		if want == "" {
			want = body.trailers[sums.algorithm]
		}
		if want != "" && checksumOf(sums.algorithm, body.data) != want {
			return nil, s3err.Newf(s3err.BadDigest, "The %s you specified did not match the calculated checksum.", upperAlgo(sums.algorithm))
		}
	}
	return body.data, nil
}
