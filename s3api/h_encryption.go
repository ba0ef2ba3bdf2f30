package s3api

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/tasmaniancloud/rustfs/s3err"
)

// Every object is encrypted (AES-256-GCM under a per-object key wrapped by
// the post-quantum envelope), whatever a bucket's configuration says, so
// the default-encryption API reports SSE-S3 (AES256) — what S3 itself
// applies to every bucket since 2023 — accepts a configuration asking for
// it, and refuses one asking for what this server does not offer (aws:kms
// with a key of the client's choosing) instead of pretending to apply it.

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

// getBucketEncryption serves GET /bucket?encryption.
func (r *request) getBucketEncryption() error {
	if _, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket); err != nil {
		return err
	}
	var rule encryptionRule
	rule.Default.SSEAlgorithm = "AES256"
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
	if err := parseEncryptionConfig(body); err != nil {
		return err
	}
	r.writeEmpty(http.StatusOK)
	return nil
}

// parseEncryptionConfig reads a ServerSideEncryptionConfiguration and
// accepts it only if it asks for what every object gets: AES256.
func parseEncryptionConfig(body []byte) error {
	var cfg encryptionConfiguration
	if err := decodeStrict(body, &cfg); err != nil {
		return err
	}
	if len(cfg.Rules) != 1 {
		return s3err.Newf(s3err.MalformedXML, "The configuration must hold exactly one Rule.")
	}
	switch alg := cfg.Rules[0].Default.SSEAlgorithm; {
	case alg == "AES256":
		return nil
	case strings.HasPrefix(alg, "aws:kms"):
		return s3err.Newf(s3err.NotImplemented, "SSEAlgorithm %s is not offered: every object is already encrypted under a per-object key (AES256).", alg)
	default:
		return s3err.Newf(s3err.MalformedXML, "Unknown SSEAlgorithm %q.", alg)
	}
}

// deleteBucketEncryption serves DELETE /bucket?encryption: the default
// returns to SSE-S3, which is where it always is.
func (r *request) deleteBucketEncryption() error {
	if _, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket); err != nil {
		return err
	}
	r.writeEmpty(http.StatusNoContent)
	return nil
}
