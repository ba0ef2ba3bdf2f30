package s3api

import (
	"bytes"
	"crypto/md5"
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// policyStatus is GetBucketPolicyStatus's answer.
type policyStatus struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	Xmlns    string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicy serves GET /bucket?policy: the document exactly as PUT.
func (r *request) getBucketPolicy() error {
	doc, err := r.s.o.Layer.GetBucketPolicy(r.cx, r.bucket)
	if err != nil {
		return err
	}
	r.ctx.SetStatusCode(http.StatusOK)
	r.ctx.SetContentType("application/json")
	r.ctx.SetBody(doc)
	return nil
}

// putBucketPolicy serves PUT /bucket?policy (204). The document is at
// most 20 KiB, checked against Content-MD5 or a flexible checksum when
// one is sent, and validated before anything is stored; a malformed one
// answers MalformedPolicy saying what is wrong, and changes nothing.
func (r *request) putBucketPolicy() error {
	md5sum, err := r.contentMD5()
	if err != nil {
		return err
	}
	sums, err := r.checksumHeaders()
	if err != nil {
		return err
	}
	if n, ok := r.contentLength(); ok && n > object.MaxBucketPolicySize {
		return policyTooLarge()
	}
	body, err := r.readSmallBodyWithTrailers(object.MaxBucketPolicySize)
	var se *s3err.Error
	if errors.As(err, &se) && (se.Code == s3err.MaxMessageLengthExceeded || se.Code == s3err.EntityTooLarge) {
		return policyTooLarge()
	}
	if err != nil {
		return err
	}
	if md5sum != nil {
		if got := md5.Sum(body.data); !bytes.Equal(got[:], md5sum) {
			return s3err.New(s3err.BadDigest)
		}
	}
	if sums.algorithm != "" {
		want := sums.values[sums.algorithm]
		if want == "" {
			want = body.trailers[sums.algorithm]
		}
		if want != "" && checksumOf(sums.algorithm, body.data) != want {
			return s3err.Newf(s3err.BadDigest, "The %s you specified did not match the calculated checksum.", upperAlgo(sums.algorithm))
		}
	}
	// A missing bucket is NoSuchBucket whatever the document says.
	if _, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket); err != nil {
		return err
	}
	p, err := policy.ParseBucket(r.bucket, body.data)
	if err != nil {
		// The policy's own words: the client wrote it and needs to know
		// which statement is wrong. Nothing else is revealed.
		return s3err.Newf(s3err.MalformedPolicy, "%s", malformedDetail(err))
	}
	if err := r.checkPublicPolicy(policy.IsPublic(p)); err != nil {
		return err
	}
	if err := r.s.o.Layer.PutBucketPolicy(r.cx, r.bucket, body.data); err != nil {
		return err
	}
	r.s.policies.forget(r.bucket)
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// deleteBucketPolicy serves DELETE /bucket?policy (204).
func (r *request) deleteBucketPolicy() error {
	if err := r.s.o.Layer.DeleteBucketPolicy(r.cx, r.bucket); err != nil {
		return err
	}
	r.s.policies.forget(r.bucket)
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// getBucketPolicyStatus serves GET /bucket?policyStatus: whether the
// bucket's policy grants everyone access (policy.IsPublic). A bucket with
// no policy answers NoSuchBucketPolicy, as S3 does.
func (r *request) getBucketPolicyStatus() error {
	doc, err := r.s.o.Layer.GetBucketPolicy(r.cx, r.bucket)
	if err != nil {
		return err
	}
	p, err := policy.ParseBucket(r.bucket, doc)
	if err != nil {
		return err // stored but no longer valid: a server-side problem
	}
	return r.writeXML(http.StatusOK, policyStatus{Xmlns: s3NS, IsPublic: policy.IsPublic(p)})
}

func policyTooLarge() error {
	return s3err.Newf(s3err.MalformedPolicy, "Policy exceeds the maximum allowed document size of 20 KiB.")
}

// malformedDetail strips the package prefix from a policy parse error.
func malformedDetail(err error) string {
	msg := err.Error()
	const prefix = "policy: MalformedPolicy: "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		msg = msg[len(prefix):]
	}
	return msg
}
