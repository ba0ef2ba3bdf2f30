package s3api

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// maxListBuckets bounds one ListBuckets page (S3's limit is 10 000).
const maxListBuckets = 10000

// listBuckets serves GET / (ListBuckets), with the optional prefix,
// max-buckets and continuation-token parameters.
func (r *request) listBuckets() error {
	buckets, err := r.s.o.Layer.ListBuckets(r.cx, r.principal.Account)
	if err != nil {
		return err
	}
	prefix := r.queryValue("prefix")
	limit := maxListBuckets
	if v, ok := r.query("max-buckets"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListBuckets {
			return s3err.Newf(s3err.InvalidArgument, "max-buckets must be an integer between 1 and %d.", maxListBuckets)
		}
		limit = n
	}
	after := ""
	if tok, ok := r.query("continuation-token"); ok {
		if after, err = decodeToken(tok); err != nil {
			return err
		}
	}
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	res := listAllMyBucketsResult{
		Xmlns:   s3NS,
		Owner:   owner{ID: r.principal.Account, DisplayName: r.principal.Account},
		Buckets: []bucketItem{},
		Prefix:  prefix,
	}
	for _, b := range buckets {
		if !strings.HasPrefix(b.Name, prefix) || (after != "" && b.Name <= after) {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = encodeToken(res.Buckets[len(res.Buckets)-1].Name)
			break
		}
		region := b.Region
		if region == "" {
			region = r.s.region
		}
		res.Buckets = append(res.Buckets, bucketItem{Name: b.Name, CreationDate: isoTime(b.Created), BucketRegion: region})
	}
	return r.writeXML(http.StatusOK, res)
}

// createBucket serves PUT /bucket. An optional CreateBucketConfiguration
// may only name this server's region (or nothing, or us-east-1 when that is
// our region, as S3's us-east-1 endpoint accepts).
func (r *request) createBucket() error {
	if err := r.checkBucketCreateHeaders(); err != nil {
		return err
	}
	body, err := r.readSmallBody(maxCreateBody)
	if err != nil {
		return err
	}
	loc, err := parseCreateBucketConfiguration(body)
	if err != nil {
		return err
	}
	if loc != "" && loc != r.s.region {
		return s3err.Newf(s3err.IllegalLocationConstraintException,
			"The %s location constraint is incompatible for the region specific endpoint this request was sent to (%s).", loc, r.s.region)
	}
	in := object.CreateBucketInput{Bucket: r.bucket, Owner: r.principal.Account, Region: r.s.region,
		ObjectLock: strings.EqualFold(r.hdr.value("x-amz-bucket-object-lock-enabled"), "true")}
	if v, ok := r.hdr.get(redundancyHeader); ok {
		if in.Redundancy, err = object.ParseRedundancy(v); err != nil {
			return err
		}
	}
	err = r.s.o.Layer.CreateBucketWith(r.cx, in)
	if errors.Is(err, object.ErrBucketAlreadyOwned) && r.s.region == "us-east-1" {
		// S3's us-east-1 answers the owner's re-create with 200 (a legacy
		// it keeps for old clients); every other region with 409.
		err = nil
	}
	if err != nil {
		return err
	}
	if err := r.blockNewBucket(); err != nil {
		return err
	}
	r.s.policies.forget(r.bucket) // drop a cached "no such bucket"
	r.setHeader("Location", "/"+r.bucket)
	r.writeEmpty(http.StatusOK)
	return nil
}

// checkBucketCreateHeaders refuses bucket features that are not
// implemented: object lock, public ACLs, ACL-based ownership.
func (r *request) checkBucketCreateHeaders() error {
	for _, h := range r.hdr.h {
		switch {
		case h.name == "x-amz-bucket-object-lock-enabled":
			if !strings.EqualFold(h.value, "false") && !strings.EqualFold(h.value, "true") {
				return s3err.Newf(s3err.InvalidArgument, "x-amz-bucket-object-lock-enabled must be true or false.")
			}
			if _, ok := r.s.o.Layer.(object.Versioner); !ok && strings.EqualFold(h.value, "true") {
				return s3err.Newf(s3err.NotImplemented, "Object lock is not implemented.")
			}
		case h.name == "x-amz-acl":
			if !ownerOnlyACL(h.value) {
				return s3err.Newf(s3err.NotImplemented, "Canned ACL %q is not implemented; every bucket is private.", h.value)
			}
		case strings.HasPrefix(h.name, "x-amz-grant-"):
			return s3err.Newf(s3err.NotImplemented, "ACL grants are not implemented; every bucket is private.")
		case h.name == "x-amz-object-ownership":
			if h.value != "BucketOwnerEnforced" {
				return s3err.Newf(s3err.NotImplemented, "Object ownership %q is not implemented; buckets are BucketOwnerEnforced.", h.value)
			}
		}
	}
	return nil
}

// bucketRegion returns the region r.bucket lives in: the one it records,
// else the server's.
func (r *request) bucketRegion() (string, error) {
	info, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket)
	if err != nil {
		return "", err
	}
	if info.Region == "" {
		return r.s.region, nil
	}
	return info.Region, nil
}

// redundancyHeader chooses a bucket's data layout at creation ("4+2",
// "3x"; see object.ParseRedundancy) and reports it on HEAD.
const redundancyHeader = "x-rustfs-redundancy"

// headBucket serves HEAD /bucket.
func (r *request) headBucket() error {
	info, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket)
	if err != nil {
		return err
	}
	region := info.Region
	if region == "" {
		region = r.s.region
	}
	r.setHeader("x-amz-bucket-region", region)
	if !info.Redundancy.IsZero() {
		r.setHeader(redundancyHeader, info.Redundancy.String())
	}
	r.writeEmpty(http.StatusOK)
	return nil
}

// deleteBucket serves DELETE /bucket (204 on success).
func (r *request) deleteBucket() error {
	if err := r.s.o.Layer.DeleteBucket(r.cx, r.bucket); err != nil {
		return err
	}
	// The policy went with the bucket; a new bucket of this name must not
	// be judged by it from this gateway's cache.
	r.s.policies.forget(r.bucket)
	// So did its CORS configuration. Its public access block stays in the
	// users store, bound to this bucket's creation time so no later bucket
	// of the name reads it: deleting it here, unconditionally, could strip
	// the block of a bucket re-created meanwhile on another gateway.
	r.s.cors.drop(r.bucket)
	r.writeEmpty(http.StatusNoContent)
	return nil
}

// getBucketLocation serves GET /bucket?location. S3 reports us-east-1 as
// an empty constraint.
func (r *request) getBucketLocation() error {
	region, err := r.bucketRegion()
	if err != nil {
		return err
	}
	if region == "us-east-1" {
		region = ""
	}
	return r.writeXML(http.StatusOK, locationConstraint{Xmlns: s3NS, Region: region})
}

// getBucketVersioning serves GET /bucket?versioning: an empty document for
// a bucket whose versioning was never configured, as S3 answers.
func (r *request) getBucketVersioning() error {
	v, ok := r.s.o.Layer.(object.Versioner)
	if !ok {
		if _, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket); err != nil {
			return err
		}
		return r.writeXML(http.StatusOK, versioningConfiguration{Xmlns: s3NS})
	}
	st, err := v.GetBucketVersioning(r.cx, r.bucket)
	if err != nil {
		return err
	}
	return r.writeXML(http.StatusOK, versioningConfiguration{Xmlns: s3NS, Status: st})
}

// readSmallBody reads a whole request document of at most limit bytes
// through the SigV4 payload verifier.
func (r *request) readSmallBody(limit int64) ([]byte, error) {
	b, err := r.readSmallBodyWithTrailers(limit)
	return b.data, err
}

// readAllLimited reads rd to its end, refusing more than limit bytes. The
// end matters: the SigV4 body reports a bad payload hash only at io.EOF.
func readAllLimited(rd io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, s3err.New(s3err.MaxMessageLengthExceeded)
	}
	return data, nil
}

// encodeToken makes an opaque continuation token from a listing marker.
func encodeToken(marker string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(marker))
}

// decodeToken reverses encodeToken; anything else is InvalidArgument.
func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) == 0 {
		return "", s3err.Newf(s3err.InvalidArgument, "The continuation token provided is incorrect.")
	}
	return string(b), nil
}
