package iam

import (
	"context"
	"errors"
	"fmt"
)

// Action names an S3 permission in IAM policy syntax ("s3:GetObject"), so
// future policies can be written exactly as AWS users already write them.
type Action string

// Actions the gateway checks. Several S3 operations share one permission,
// as in AWS (HeadObject needs s3:GetObject, UploadPart needs s3:PutObject).
const (
	ListAllMyBuckets           Action = "s3:ListAllMyBuckets"
	CreateBucket               Action = "s3:CreateBucket"
	DeleteBucket               Action = "s3:DeleteBucket"
	ListBucket                 Action = "s3:ListBucket"
	GetBucketLocation          Action = "s3:GetBucketLocation"
	GetBucketVersioning        Action = "s3:GetBucketVersioning"
	ListBucketMultipartUploads Action = "s3:ListBucketMultipartUploads"
	ListBucketVersions         Action = "s3:ListBucketVersions"
	GetObject                  Action = "s3:GetObject"
	GetObjectAttributes        Action = "s3:GetObjectAttributes"
	GetEncryptionConfiguration Action = "s3:GetEncryptionConfiguration"
	PutEncryptionConfiguration Action = "s3:PutEncryptionConfiguration"
	PutObject                  Action = "s3:PutObject"
	DeleteObject               Action = "s3:DeleteObject"
	ListMultipartUploadParts   Action = "s3:ListMultipartUploadParts"
	AbortMultipartUpload       Action = "s3:AbortMultipartUpload"
	// The bucket-policy permissions are their own, as in S3: s3:PutObject
	// on a bucket never lets anyone rewrite who may access it.
	GetBucketPolicy       Action = "s3:GetBucketPolicy"
	PutBucketPolicy       Action = "s3:PutBucketPolicy"
	DeleteBucketPolicy    Action = "s3:DeleteBucketPolicy"
	GetBucketPolicyStatus Action = "s3:GetBucketPolicyStatus"
	// Versioning and Object Lock permissions, as AWS names them: reading
	// or deleting a specific version needs its own permission, and only a
	// holder of s3:BypassGovernanceRetention can override GOVERNANCE.
	PutBucketVersioning              Action = "s3:PutBucketVersioning"
	GetObjectVersion                 Action = "s3:GetObjectVersion"
	DeleteObjectVersion              Action = "s3:DeleteObjectVersion"
	GetObjectVersionAttributes       Action = "s3:GetObjectVersionAttributes"
	PutObjectRetention               Action = "s3:PutObjectRetention"
	GetObjectRetention               Action = "s3:GetObjectRetention"
	PutObjectLegalHold               Action = "s3:PutObjectLegalHold"
	GetObjectLegalHold               Action = "s3:GetObjectLegalHold"
	BypassGovernanceRetention        Action = "s3:BypassGovernanceRetention"
	PutBucketObjectLockConfiguration Action = "s3:PutBucketObjectLockConfiguration"
	GetBucketObjectLockConfiguration Action = "s3:GetBucketObjectLockConfiguration"
	// Tagging has its own permissions, as in S3 (DeleteBucketTagging
	// needs s3:PutBucketTagging there too).
	PutObjectTagging    Action = "s3:PutObjectTagging"
	GetObjectTagging    Action = "s3:GetObjectTagging"
	DeleteObjectTagging Action = "s3:DeleteObjectTagging"
	// The tagging of one version by id needs the *Version permission.
	PutObjectVersionTagging    Action = "s3:PutObjectVersionTagging"
	GetObjectVersionTagging    Action = "s3:GetObjectVersionTagging"
	DeleteObjectVersionTagging Action = "s3:DeleteObjectVersionTagging"
	PutBucketTagging           Action = "s3:PutBucketTagging"
	GetBucketTagging           Action = "s3:GetBucketTagging"
)

// ErrAccessDenied is returned by an Authorizer that refuses a request.
var ErrAccessDenied = errors.New("iam: access denied")

// Principal is who made a request, as authentication established it.
type Principal struct {
	Account string
	// User is the user's name within Account; empty for the account's
	// root credentials.
	User      string
	AccessKey string
	// Anonymous is true for requests that carried no credentials at all.
	Anonymous bool
}

// Request is one authorization question: may Principal do Action on
// Bucket/Key? Bucket and Key are empty for service-level actions.
type Request struct {
	Principal Principal
	Action    Action
	Bucket    string
	Key       string
}

// Authorizer decides whether an authenticated request may proceed. It runs
// once per request, after routing, before any handler touches data. A nil
// error allows; anything else denies (and fails closed: errors other than
// ErrAccessDenied deny too).
type Authorizer interface {
	Authorize(ctx context.Context, r Request) error
}

// RootOnly is the authorizer for a single-tenant server: the root account
// may do everything, anonymous requests and every other account nothing.
// It is the default until users and policies exist.
type RootOnly struct{}

// Authorize implements Authorizer.
func (RootOnly) Authorize(_ context.Context, r Request) error {
	if r.Principal.Anonymous {
		return fmt.Errorf("%w: anonymous %s", ErrAccessDenied, r.Action)
	}
	if r.Principal.Account != RootAccount || r.Principal.User != "" {
		return fmt.Errorf("%w: account %q may not %s", ErrAccessDenied, r.Principal.Account, r.Action)
	}
	return nil
}
