package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/users"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// PublicAccessBlock is S3's four public-access switches (users.PublicAccessBlock).
type PublicAccessBlock = users.PublicAccessBlock

// BlockAllPublicAccess has every switch on: what S3 gives a new bucket
// since April 2023.
var BlockAllPublicAccess = PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}

// PublicAccessStore keeps bucket-level public access blocks, bound to the
// bucket's creation time; *users.Store implements it, and is used when
// Options.PublicAccess is nil.
type PublicAccessStore interface {
	GetPublicAccessBlock(ctx context.Context, bucket string, created time.Time) (PublicAccessBlock, bool, error)
	PutPublicAccessBlock(ctx context.Context, bucket string, created time.Time, b PublicAccessBlock) error
	DeletePublicAccessBlock(ctx context.Context, bucket string) error
}

// The public-access-block permissions (DeletePublicAccessBlock needs
// s3:PutBucketPublicAccessBlock, as in S3).
const (
	actGetPublicAccessBlock iam.Action = "s3:GetBucketPublicAccessBlock"
	actPutPublicAccessBlock iam.Action = "s3:PutBucketPublicAccessBlock"
)

var (
	opGetPublicAccessBlock    = &operation{"GetPublicAccessBlock", actGetPublicAccessBlock, (*request).getPublicAccessBlock}
	opPutPublicAccessBlock    = &operation{"PutPublicAccessBlock", actPutPublicAccessBlock, (*request).putPublicAccessBlock}
	opDeletePublicAccessBlock = &operation{"DeletePublicAccessBlock", actPutPublicAccessBlock, (*request).deletePublicAccessBlock}
)

// maxPABBody bounds a PublicAccessBlockConfiguration document.
const maxPABBody = 4 << 10

// pabXML is the PublicAccessBlockConfiguration document.
type pabXML struct {
	XMLName               xml.Name   `xml:"PublicAccessBlockConfiguration"`
	Xmlns                 string     `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       *string    `xml:"BlockPublicAcls"`
	IgnorePublicAcls      *string    `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     *string    `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets *string    `xml:"RestrictPublicBuckets"`
	Unknown               []xml.Name `xml:",any"`
}

// parsePublicAccessBlock decodes a PutPublicAccessBlock body. Each switch
// is "true" or "false" (absent means false, as in S3); an unknown element
// or any other value is MalformedXML.
func parsePublicAccessBlock(body []byte) (PublicAccessBlock, error) {
	var x pabXML
	if err := decodeStrict(body, &x); err != nil {
		return PublicAccessBlock{}, err
	}
	if len(x.Unknown) > 0 {
		return PublicAccessBlock{}, s3err.Newf(s3err.MalformedXML, "Unknown element %s in PublicAccessBlockConfiguration.", x.Unknown[0].Local)
	}
	var b PublicAccessBlock
	for _, f := range []struct {
		v   *string
		dst *bool
	}{
		{x.BlockPublicAcls, &b.BlockPublicAcls}, {x.IgnorePublicAcls, &b.IgnorePublicAcls},
		{x.BlockPublicPolicy, &b.BlockPublicPolicy}, {x.RestrictPublicBuckets, &b.RestrictPublicBuckets},
	} {
		switch {
		case f.v == nil || *f.v == "false":
		case *f.v == "true":
			*f.dst = true
		default:
			return PublicAccessBlock{}, s3err.Newf(s3err.MalformedXML, "A public access block switch must be true or false, not %q.", *f.v)
		}
	}
	return b, nil
}

// pabOr is the effective block: a switch is on when the server-wide
// floor or the bucket turns it on (AWS combines account and bucket
// settings the same way).
func pabOr(a, b PublicAccessBlock) PublicAccessBlock {
	return PublicAccessBlock{
		BlockPublicAcls:       a.BlockPublicAcls || b.BlockPublicAcls,
		IgnorePublicAcls:      a.IgnorePublicAcls || b.IgnorePublicAcls,
		BlockPublicPolicy:     a.BlockPublicPolicy || b.BlockPublicPolicy,
		RestrictPublicBuckets: a.RestrictPublicBuckets || b.RestrictPublicBuckets,
	}
}

// pabStore returns the public-access store, or nil.
func (s *Server) pabStore() PublicAccessStore {
	if s.o.PublicAccess != nil {
		return s.o.PublicAccess
	}
	if s.o.Users != nil {
		return s.o.Users
	}
	return nil
}

// bucketPAB reads a bucket's own block (not the floor): what
// GetPublicAccessBlock answers.
func (s *Server) bucketPAB(ctx context.Context, bucket string, created time.Time) (PublicAccessBlock, bool, error) {
	st := s.pabStore()
	if st == nil {
		return PublicAccessBlock{}, false, nil
	}
	return st.GetPublicAccessBlock(ctx, bucket, created)
}

// getPublicAccessBlock serves GET /bucket?publicAccessBlock: the bucket's
// own configuration, or NoSuchPublicAccessBlockConfiguration (404).
func (r *request) getPublicAccessBlock() error {
	info, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket)
	if err != nil {
		return err
	}
	b, ok, err := r.s.bucketPAB(r.cx, r.bucket, info.Created)
	if err != nil {
		return err
	}
	if !ok {
		return &s3err.Error{Code: "NoSuchPublicAccessBlockConfiguration", Status: http.StatusNotFound,
			Message: "The public access block configuration was not found"}
	}
	tf := func(v bool) *string {
		s := "false"
		if v {
			s = "true"
		}
		return &s
	}
	return r.writeXML(http.StatusOK, pabXML{Xmlns: s3NS, BlockPublicAcls: tf(b.BlockPublicAcls), IgnorePublicAcls: tf(b.IgnorePublicAcls),
		BlockPublicPolicy: tf(b.BlockPublicPolicy), RestrictPublicBuckets: tf(b.RestrictPublicBuckets)})
}

// putPublicAccessBlock serves PUT /bucket?publicAccessBlock (200).
func (r *request) putPublicAccessBlock() error {
	st := r.s.pabStore()
	if st == nil {
		return s3err.Newf(s3err.NotImplemented, "This server keeps no public access blocks.")
	}
	info, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket)
	if err != nil {
		return err
	}
	body, err := r.readSmallBody(maxPABBody)
	if err != nil {
		return err
	}
	b, err := parsePublicAccessBlock(body)
	if err != nil {
		return err
	}
	if err := st.PutPublicAccessBlock(r.cx, r.bucket, info.Created, b); err != nil {
		return err
	}
	r.s.policies.forget(r.bucket)
	r.writeEmpty(http.StatusOK)
	return nil
}

// deletePublicAccessBlock serves DELETE /bucket?publicAccessBlock (204):
// the bucket is then governed by the server-wide floor alone.
func (r *request) deletePublicAccessBlock() error {
	st := r.s.pabStore()
	if st == nil {
		return s3err.Newf(s3err.NotImplemented, "This server keeps no public access blocks.")
	}
	if _, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket); err != nil {
		return err
	}
	if err := st.DeletePublicAccessBlock(r.cx, r.bucket); err != nil {
		return err
	}
	r.s.policies.forget(r.bucket)
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// blockNewBucket gives a bucket just created the Options.NewBucketPublicAccessBlock
// configuration, as S3 does for every new bucket. A failure is reported:
// the bucket exists, but without the block its creator expects.
func (r *request) blockNewBucket() error {
	b, st := r.s.o.NewBucketPublicAccessBlock, r.s.pabStore()
	if b == nil || st == nil {
		return nil
	}
	info, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket)
	if err != nil {
		return err
	}
	return st.PutPublicAccessBlock(r.cx, r.bucket, info.Created, *b)
}

// checkPublicPolicy refuses a public bucket policy (policy.IsPublic) on a
// bucket whose effective block has BlockPublicPolicy, with AccessDenied as
// S3 does; nothing is stored.
func (r *request) checkPublicPolicy(public bool) error {
	if !public {
		return nil
	}
	eff, err := r.s.policies.pab(r.cx, r.bucket)
	if err != nil {
		return err
	}
	if eff.BlockPublicPolicy {
		return s3err.Newf(s3err.AccessDenied, "The bucket's public access block (BlockPublicPolicy) refuses a public bucket policy.")
	}
	return nil
}
