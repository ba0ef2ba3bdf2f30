package s3api

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/tasmaniancloud/rustfs/s3err"
)

// Every object is encrypted (AES-256-GCM under a per-object key wrapped by
// the post-quantum envelope), whatever a bucket's configuration says. The
// default-encryption API chooses WHICH key new objects get: SSE-S3
// (AES256, the bucket owner's key) or aws:kms with the id of a KMS key the
// keyring issued for the owner (`rustfs keys kms-create`). Anything else
// (aws:kms:dsse, an unknown id) is refused rather than pretended.

// maxEncryptionBody bounds a PutBucketEncryption document.
const maxEncryptionBody = 16 << 10

type encryptionConfiguration struct {
	XMLName xml.Name         `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string           `xml:"xmlns,attr,omitempty"`
	Rules   []encryptionRule `xml:"Rule"`
}

type encryptionRule struct {
	Default struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	} `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled bool `xml:"BucketKeyEnabled"`
}

// bucketEncrypter is the optional Layer method that stores a bucket's
// default KMS key (object.Store has it).
type bucketEncrypter interface {
	PutBucketEncryption(ctx context.Context, bucket, kmsKeyID string) error
}

// getBucketEncryption serves GET /bucket?encryption.
func (r *request) getBucketEncryption() error {
	bi, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket)
	if err != nil {
		return err
	}
	var rule encryptionRule
	rule.Default.SSEAlgorithm = sseAES256
	if bi.KMSKeyID != "" {
		rule.Default.SSEAlgorithm = sseKMS
		rule.Default.KMSMasterKeyID = bi.KMSKeyID
	}
	return r.writeXML(http.StatusOK, encryptionConfiguration{Xmlns: s3NS, Rules: []encryptionRule{rule}})
}

// putBucketEncryption serves PUT /bucket?encryption.
func (r *request) putBucketEncryption() error {
	if _, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket); err != nil {
		return err
	}
	body, err := r.readSmallBody(maxEncryptionBody)
	if err != nil {
		return err
	}
	keyID, err := parseEncryptionConfig(body)
	if err != nil {
		return err
	}
	if err := r.setBucketKMSKey(keyID); err != nil {
		return err
	}
	r.writeEmpty(http.StatusOK)
	return nil
}

// setBucketKMSKey stores the bucket's default KMS key ("" = SSE-S3).
func (r *request) setBucketKMSKey(keyID string) error {
	be, ok := r.s.o.Layer.(bucketEncrypter)
	if !ok {
		if keyID == "" {
			return nil // SSE-S3 is what every object gets anyway
		}
		return s3err.Newf(s3err.NotImplemented, "This server's object layer cannot use KMS keys.")
	}
	return be.PutBucketEncryption(r.cx, r.bucket, keyID)
}

// parseEncryptionConfig reads a ServerSideEncryptionConfiguration and
// returns the KMS key id it asks for ("" for AES256).
func parseEncryptionConfig(body []byte) (string, error) {
	var cfg encryptionConfiguration
	if err := decodeStrict(body, &cfg); err != nil {
		return "", err
	}
	if len(cfg.Rules) != 1 {
		return "", s3err.Newf(s3err.MalformedXML, "The configuration must hold exactly one Rule.")
	}
	d := cfg.Rules[0].Default
	switch alg := d.SSEAlgorithm; {
	case alg == sseAES256:
		if d.KMSMasterKeyID != "" {
			return "", s3err.Newf(s3err.InvalidArgument, "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms")
		}
		return "", nil
	case alg == sseKMS:
		if d.KMSMasterKeyID == "" {
			return "", s3err.Newf(s3err.InvalidArgument, "aws:kms needs a KMSMasterKeyID here: this server has no AWS-managed key (create one with `rustfs keys kms-create`).")
		}
		return d.KMSMasterKeyID, nil
	case strings.HasPrefix(alg, "aws:kms"):
		return "", s3err.Newf(s3err.InvalidArgument, "SSEAlgorithm %s is not offered: use AES256 or aws:kms.", alg)
	default:
		return "", s3err.Newf(s3err.MalformedXML, "Unknown SSEAlgorithm %q.", alg)
	}
}

// deleteBucketEncryption serves DELETE /bucket?encryption: the default
// returns to SSE-S3.
func (r *request) deleteBucketEncryption() error {
	if _, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket); err != nil {
		return err
	}
	if err := r.setBucketKMSKey(""); err != nil {
		return err
	}
	r.writeEmpty(http.StatusNoContent)
	return nil
}
