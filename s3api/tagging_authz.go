package s3api

import (
	"errors"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/object"
)

// Tag condition keys, as AWS names them. The policy context lower-cases
// key names, so a tag key matches a condition whatever its case.
const (
	condExistingTag    = "s3:ExistingObjectTag/"
	condRequestTag     = "s3:RequestObjectTag/"
	condRequestTagKeys = "s3:RequestObjectTagKeys"
)

// tagConditions adds the tag condition keys of op to c:
// s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys for the tags a
// write asks for (x-amz-tagging on PutObject, CreateMultipartUpload and a
// REPLACE CopyObject; the body of PutObjectTagging), and
// s3:ExistingObjectTag/<key> for the tags of the object an object read or
// tagging call addresses.
//
// It switches on the operation's name: handlers authorize through here,
// and the operation values refer to the handlers.
func (r *request) tagConditions(c policy.Context, op *operation) {
	if op == nil {
		return
	}
	switch op.name {
	case "PutObject", "CreateMultipartUpload":
		setRequestTags(c, r.headerTagsForPolicy())
	case "CopyObject":
		if r.hdr.value("x-amz-tagging-directive") == "REPLACE" {
			setRequestTags(c, r.headerTagsForPolicy())
		}
	case "PutObjectTagging":
		setRequestTags(c, r.reqTags)
		r.setExistingTags(c)
	case "GetObject", "HeadObject", "GetObjectTagging", "DeleteObjectTagging":
		r.setExistingTags(c)
	}
}

// putObjectTaggingAuth names PutObjectTagging for the authorization its
// handler makes (opPutObjectTagging itself would be an initialization
// cycle: it refers to the handler).
var putObjectTaggingAuth = &operation{name: "PutObjectTagging", action: iam.PutObjectTagging}

// headerTagsForPolicy is x-amz-tagging for the policy context; a header
// that does not parse gives none (the handler refuses it).
func (r *request) headerTagsForPolicy() []object.Tag {
	tags, err := r.requestTags()
	if err != nil {
		return nil
	}
	return tags
}

func setRequestTags(c policy.Context, tags []object.Tag) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = t.Key
		c.Set(condRequestTag+t.Key, t.Value)
	}
	c.Set(condRequestTagKeys, keys...)
}

// setExistingTags adds the stored object's tags. Reading them costs a
// metadata read, so it is done only where a policy could look at them:
// for a principal other than an account's root (users have identity
// policies; anonymous callers and other accounts get in only through a
// bucket policy) and, for root, in a bucket with a bucket policy (its
// Deny statements bind root too). A missing object has no tags; tags or
// a policy that cannot be read refuse the request (r.condErr): a Deny
// conditioned on a tag must not be skipped because a read failed.
func (r *request) setExistingTags(c policy.Context) {
	if r.key == "" {
		return
	}
	if isRoot(r.principal) {
		p, _, err := r.s.policies.lookup(r.cx, r.bucket)
		if err != nil {
			r.condErr = err
			return
		}
		if p == nil {
			return
		}
	}
	tags, err := r.existingTags()
	if err != nil {
		if !errors.Is(err, object.ErrNoSuchKey) && !errors.Is(err, object.ErrNoSuchBucket) &&
			!errors.Is(err, object.ErrNoSuchVersion) && !errors.Is(err, object.ErrMethodNotAllowed) {
			r.condErr = err
		}
		return
	}
	for _, t := range tags {
		c.Set(condExistingTag+t.Key, t.Value)
	}
}

// existingTags reads the tags of the version the request addresses: with
// a versionId query that version's own tags (S3 evaluates
// s3:ExistingObjectTag against the version acted on, not the current
// one), else the current version's. A missing or delete-marker version
// has none; the handler answers its 404/405.
func (r *request) existingTags() ([]object.Tag, error) {
	vid, ok := r.query("versionId")
	if !ok || vid == "" {
		return r.s.o.Layer.GetObjectTagging(r.cx, r.bucket, r.key)
	}
	vt, ok := r.s.o.Layer.(object.VersionTagger)
	if !ok {
		if vid != object.NullVersion {
			return nil, object.ErrNoSuchVersion
		}
		return r.s.o.Layer.GetObjectTagging(r.cx, r.bucket, r.key)
	}
	tags, _, err := vt.GetObjectTaggingVersion(r.cx, r.bucket, r.key, vid)
	return tags, err
}
