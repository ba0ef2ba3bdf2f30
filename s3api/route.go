package s3api

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// operation is one routed S3 operation: the permission it needs and the
// handler that serves it.
type operation struct {
	name    string
	action  iam.Action
	handler func(*request) error
}

// The operations, one immutable value each.
var (
	opListBuckets             = &operation{"ListBuckets", iam.ListAllMyBuckets, (*request).listBuckets}
	opGetBucketLocation       = &operation{"GetBucketLocation", iam.GetBucketLocation, (*request).getBucketLocation}
	opGetBucketVersioning     = &operation{"GetBucketVersioning", iam.GetBucketVersioning, (*request).getBucketVersioning}
	opListMultipartUploads    = &operation{"ListMultipartUploads", iam.ListBucketMultipartUploads, (*request).listMultipartUploads}
	opListObjectVersions      = &operation{"ListObjectVersions", iam.ListBucketVersions, (*request).listObjectVersions}
	opGetBucketEncryption     = &operation{"GetBucketEncryption", iam.GetEncryptionConfiguration, (*request).getBucketEncryption}
	opPutBucketEncryption     = &operation{"PutBucketEncryption", iam.PutEncryptionConfiguration, (*request).putBucketEncryption}
	opDeleteBucketEncryption  = &operation{"DeleteBucketEncryption", iam.PutEncryptionConfiguration, (*request).deleteBucketEncryption}
	opListObjectsV2           = &operation{"ListObjectsV2", iam.ListBucket, (*request).listObjectsV2}
	opListObjects             = &operation{"ListObjects", iam.ListBucket, (*request).listObjectsV1}
	opHeadBucket              = &operation{"HeadBucket", iam.ListBucket, (*request).headBucket}
	opCreateBucket            = &operation{"CreateBucket", iam.CreateBucket, (*request).createBucket}
	opDeleteBucket            = &operation{"DeleteBucket", iam.DeleteBucket, (*request).deleteBucket}
	opDeleteObjects           = &operation{"DeleteObjects", iam.DeleteObject, (*request).deleteObjects}
	opListParts               = &operation{"ListParts", iam.ListMultipartUploadParts, (*request).listParts}
	opGetObject               = &operation{"GetObject", iam.GetObject, (*request).getObject}
	opHeadObject              = &operation{"HeadObject", iam.GetObject, (*request).headObject}
	opGetObjectAttributes     = &operation{"GetObjectAttributes", iam.GetObjectAttributes, (*request).getObjectAttributes}
	opUploadPartCopy          = &operation{"UploadPartCopy", iam.PutObject, (*request).uploadPartCopy}
	opUploadPart              = &operation{"UploadPart", iam.PutObject, (*request).uploadPart}
	opCopyObject              = &operation{"CopyObject", iam.PutObject, (*request).copyObject}
	opPutObject               = &operation{"PutObject", iam.PutObject, (*request).putObject}
	opAbortMultipartUpload    = &operation{"AbortMultipartUpload", iam.AbortMultipartUpload, (*request).abortMultipartUpload}
	opDeleteObject            = &operation{"DeleteObject", iam.DeleteObject, (*request).deleteObject}
	opCreateMultipartUpload   = &operation{"CreateMultipartUpload", iam.PutObject, (*request).createMultipartUpload}
	opCompleteMultipartUpload = &operation{"CompleteMultipartUpload", iam.PutObject, (*request).completeMultipartUpload}
	opGetBucketPolicy         = &operation{"GetBucketPolicy", iam.GetBucketPolicy, (*request).getBucketPolicy}
	opPutBucketPolicy         = &operation{"PutBucketPolicy", iam.PutBucketPolicy, (*request).putBucketPolicy}
	opDeleteBucketPolicy      = &operation{"DeleteBucketPolicy", iam.DeleteBucketPolicy, (*request).deleteBucketPolicy}
	opGetBucketPolicyStatus   = &operation{"GetBucketPolicyStatus", iam.GetBucketPolicyStatus, (*request).getBucketPolicyStatus}
	// Versioning and Object Lock (h_versioning.go, h_lock.go). Reading or
	// deleting one version by id needs the *Version permission, as in S3.
	opPutBucketVersioning        = &operation{"PutBucketVersioning", iam.PutBucketVersioning, (*request).putBucketVersioning}
	opGetObjectVersion           = &operation{"GetObject", iam.GetObjectVersion, (*request).getObject}
	opHeadObjectVersion          = &operation{"HeadObject", iam.GetObjectVersion, (*request).headObject}
	opDeleteObjectVersion        = &operation{"DeleteObject", iam.DeleteObjectVersion, (*request).deleteObject}
	opGetObjectVersionAttributes = &operation{"GetObjectAttributes", iam.GetObjectVersionAttributes, (*request).getObjectAttributes}
	opGetObjectVersionTagging    = &operation{"GetObjectTagging", iam.GetObjectVersionTagging, (*request).getObjectTagging}
	opPutObjectVersionTagging    = &operation{"PutObjectTagging", iam.PutObjectVersionTagging, (*request).putObjectTagging}
	opDeleteObjectVersionTagging = &operation{"DeleteObjectTagging", iam.DeleteObjectVersionTagging, (*request).deleteObjectTagging}
	opPutObjectLockConfiguration = &operation{"PutObjectLockConfiguration", iam.PutBucketObjectLockConfiguration, (*request).putObjectLockConfiguration}
	opGetObjectLockConfiguration = &operation{"GetObjectLockConfiguration", iam.GetBucketObjectLockConfiguration, (*request).getObjectLockConfiguration}
	opPutObjectRetention         = &operation{"PutObjectRetention", iam.PutObjectRetention, (*request).putObjectRetention}
	opGetObjectRetention         = &operation{"GetObjectRetention", iam.GetObjectRetention, (*request).getObjectRetention}
	opPutObjectLegalHold         = &operation{"PutObjectLegalHold", iam.PutObjectLegalHold, (*request).putObjectLegalHold}
	opGetObjectLegalHold         = &operation{"GetObjectLegalHold", iam.GetObjectLegalHold, (*request).getObjectLegalHold}
	opGetObjectTagging           = &operation{"GetObjectTagging", iam.GetObjectTagging, (*request).getObjectTagging}
	opPutObjectTagging           = &operation{"PutObjectTagging", iam.PutObjectTagging, (*request).putObjectTagging}
	opDeleteObjectTagging        = &operation{"DeleteObjectTagging", iam.DeleteObjectTagging, (*request).deleteObjectTagging}
	opGetBucketTagging           = &operation{"GetBucketTagging", iam.GetBucketTagging, (*request).getBucketTagging}
	opPutBucketTagging           = &operation{"PutBucketTagging", iam.PutBucketTagging, (*request).putBucketTagging}
	opDeleteBucketTagging        = &operation{"DeleteBucketTagging", iam.PutBucketTagging, (*request).deleteBucketTagging}
)

// unsupportedSubresources are S3 sub-resources this gateway does not
// implement. A request naming one gets NotImplemented: answering it as the
// plain operation would be a wrong success (GET ?acl returning the object,
// PUT ?retention overwriting it).
var unsupportedSubresources = map[string]bool{
	"accelerate": true, "analytics": true, "intelligent-tiering": true,
	"inventory": true, "lifecycle": true, "logging": true,
	"metadataConfiguration": true, "metadataTable": true, "metrics": true,
	"notification": true, "ownershipControls": true,
	"renameObject": true, "replication": true,
	"requestPayment": true, "restore": true, "select": true,
	"session": true, "torrent": true, "website": true,
}

// unsupportedSubresource returns the first unsupported sub-resource the
// query names, or "".
func (r *request) unsupportedSubresource() string {
	for k := range r.ctx.QueryArgs().All() {
		if unsupportedSubresources[string(k)] {
			return string(k)
		}
	}
	return ""
}

// resolveTarget finds the bucket and key a request addresses: from the Host
// for virtual-hosted-style requests to one of Options.Domains, else from the
// first path segment.
func (s *Server) resolveTarget(r *request) error {
	path, err := url.PathUnescape(r.rawPath)
	if err != nil || !strings.HasPrefix(path, "/") {
		return s3err.New(s3err.InvalidURI)
	}
	if b := s.hostBucket(r.host); b != "" {
		r.bucket, r.key = b, path[1:]
		return nil
	}
	r.bucket, r.key, _ = strings.Cut(path[1:], "/")
	return nil
}

// hostBucket returns the bucket named by a virtual-hosted-style Host, or "".
func (s *Server) hostBucket(host string) string {
	if len(s.o.Domains) == 0 || host == "" {
		return ""
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range s.o.Domains {
		if len(host) > len(d)+1 && strings.HasSuffix(host, d) && host[len(host)-len(d)-1] == '.' {
			return host[:len(host)-len(d)-1]
		}
	}
	return ""
}

// route picks the operation for a request whose target is resolved.
func (s *Server) route(r *request) (*operation, error) {
	if r.bucket == "" {
		if r.method == http.MethodGet {
			return opListBuckets, nil
		}
		return nil, s3err.New(s3err.MethodNotAllowed)
	}
	if name := r.unsupportedSubresource(); name != "" {
		return nil, s3err.Newf(s3err.NotImplemented, "The %s sub-resource is not implemented.", name)
	}
	if op, err := routeAccess(r); op != nil || err != nil {
		return op, err // ?acl and ?publicAccessBlock (acl.go, pab.go)
	}
	if r.key == "" {
		return s.routeBucket(r)
	}
	// Bucket-only sub-resources on an object key must not fall through to
	// the plain object operation (PUT /b/k?policy would overwrite k).
	for _, name := range [...]string{"policy", "policyStatus", "cors"} {
		if _, ok := r.query(name); ok {
			return nil, s3err.Newf(s3err.NotImplemented, "The %s sub-resource is not implemented on objects.", name)
		}
	}
	return s.routeObject(r)
}

// routeBucket selects a bucket-level operation.
func (s *Server) routeBucket(r *request) (*operation, error) {
	_, uploads := r.query("uploads")
	_, pol := r.query("policy")
	if _, ok := r.query("cors"); ok {
		return routeCors(r.method)
	}
	if _, ok := r.query("tagging"); ok {
		switch r.method {
		case http.MethodGet:
			return opGetBucketTagging, nil
		case http.MethodPut:
			return opPutBucketTagging, nil
		case http.MethodDelete:
			return opDeleteBucketTagging, nil
		}
	}
	switch r.method {
	case http.MethodGet:
		if pol {
			return opGetBucketPolicy, nil
		}
		if _, ok := r.query("policyStatus"); ok {
			return opGetBucketPolicyStatus, nil
		}
		if _, ok := r.query("location"); ok {
			return opGetBucketLocation, nil
		}
		if _, ok := r.query("versioning"); ok {
			return opGetBucketVersioning, nil
		}
		if _, ok := r.query("object-lock"); ok {
			return opGetObjectLockConfiguration, nil
		}
		if uploads {
			return opListMultipartUploads, nil
		}
		if _, ok := r.query("versions"); ok {
			return opListObjectVersions, nil
		}
		if _, ok := r.query("encryption"); ok {
			return opGetBucketEncryption, nil
		}
		if lt, ok := r.query("list-type"); ok {
			if lt != "2" {
				return nil, s3err.Newf(s3err.InvalidArgument, "Invalid list-type %q.", lt)
			}
			return opListObjectsV2, nil
		}
		return opListObjects, nil
	case http.MethodHead:
		return opHeadBucket, nil
	case http.MethodPut:
		if pol {
			return opPutBucketPolicy, nil
		}
		if _, ok := r.query("versioning"); ok {
			return opPutBucketVersioning, nil
		}
		if _, ok := r.query("object-lock"); ok {
			return opPutObjectLockConfiguration, nil
		}
		if _, ok := r.query("encryption"); ok {
			return opPutBucketEncryption, nil
		}
		return opCreateBucket, nil
	case http.MethodDelete:
		if pol {
			return opDeleteBucketPolicy, nil
		}
		if _, ok := r.query("encryption"); ok {
			return opDeleteBucketEncryption, nil
		}
		return opDeleteBucket, nil
	case http.MethodPost:
		if _, ok := r.query("delete"); ok {
			return opDeleteObjects, nil
		}
		return nil, s3err.Newf(s3err.NotImplemented, "POST object uploads are not implemented.")
	}
	return nil, s3err.New(s3err.MethodNotAllowed)
}

// routeObject selects an object-level operation.
func (s *Server) routeObject(r *request) (*operation, error) {
	uploadID, hasUploadID := r.query("uploadId")
	_, hasPartNumber := r.query("partNumber")
	_, hasVersion := r.query("versionId")
	_, retention := r.query("retention")
	_, legalHold := r.query("legal-hold")
	_, copySource := r.hdr.get("x-amz-copy-source")
	if _, ok := r.query("tagging"); ok {
		// Tagging one version by id asks for the *VersionTagging
		// permission, as S3 does.
		switch {
		case r.method == http.MethodGet && hasVersion:
			return opGetObjectVersionTagging, nil
		case r.method == http.MethodGet:
			return opGetObjectTagging, nil
		case r.method == http.MethodPut && hasVersion:
			return opPutObjectVersionTagging, nil
		case r.method == http.MethodPut:
			return opPutObjectTagging, nil
		case r.method == http.MethodDelete && hasVersion:
			return opDeleteObjectVersionTagging, nil
		case r.method == http.MethodDelete:
			return opDeleteObjectTagging, nil
		}
	}
	switch r.method {
	case http.MethodGet:
		if hasUploadID {
			return opListParts, nil
		}
		if _, ok := r.query("attributes"); ok {
			if hasVersion {
				return opGetObjectVersionAttributes, nil
			}
			return opGetObjectAttributes, nil
		}
		switch {
		case retention:
			return opGetObjectRetention, nil
		case legalHold:
			return opGetObjectLegalHold, nil
		case hasVersion:
			return opGetObjectVersion, nil
		}
		return opGetObject, nil
	case http.MethodHead:
		if hasVersion {
			return opHeadObjectVersion, nil
		}
		return opHeadObject, nil
	case http.MethodPut:
		if hasUploadID || hasPartNumber {
			if !hasUploadID || !hasPartNumber || uploadID == "" {
				return nil, s3err.Newf(s3err.InvalidRequest, "UploadPart needs both partNumber and uploadId.")
			}
			if copySource {
				return opUploadPartCopy, nil
			}
			return opUploadPart, nil
		}
		switch {
		case retention:
			return opPutObjectRetention, nil
		case legalHold:
			return opPutObjectLegalHold, nil
		case copySource:
			return opCopyObject, nil
		}
		return opPutObject, nil
	case http.MethodDelete:
		if hasUploadID {
			return opAbortMultipartUpload, nil
		}
		if hasVersion {
			return opDeleteObjectVersion, nil
		}
		return opDeleteObject, nil
	case http.MethodPost:
		if _, ok := r.query("uploads"); ok {
			return opCreateMultipartUpload, nil
		}
		if hasUploadID {
			return opCompleteMultipartUpload, nil
		}
		return nil, s3err.Newf(s3err.NotImplemented, "This POST operation is not implemented.")
	}
	return nil, s3err.New(s3err.MethodNotAllowed)
}
