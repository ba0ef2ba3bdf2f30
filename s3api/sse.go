package s3api

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// Server-side encryption request headers (SSE-S3, SSE-KMS, SSE-C). Every
// object is encrypted whatever a client asks; these headers choose the
// key: the bucket owner's (AES256), a named KMS key of the owner (aws:kms),
// or a key the client sends with every request (SSE-C), which is mixed
// into the object key's derivation and never stored (package kdf).

const (
	hSSE             = "x-amz-server-side-encryption"
	hSSEKMSKeyID     = "x-amz-server-side-encryption-aws-kms-key-id"
	hSSEContext      = "x-amz-server-side-encryption-context"
	hSSEBucketKey    = "x-amz-server-side-encryption-bucket-key-enabled"
	hSSECAlgorithm   = "x-amz-server-side-encryption-customer-algorithm"
	hSSECKey         = "x-amz-server-side-encryption-customer-key"
	hSSECKeyMD5      = "x-amz-server-side-encryption-customer-key-md5"
	hCopySSECPrefix  = "x-amz-copy-source-server-side-encryption-customer-"
	sseAES256        = "AES256"
	sseKMS           = "aws:kms"
	sseCKeyBytes     = 32
	maxSSECKeyHeader = 64 // base64 of 32 bytes is 44; anything longer is wrong
)

// sseFlags says which encryption headers an operation takes.
type sseFlags int

const (
	// sseCreate: the operation creates an object or upload, so
	// x-amz-server-side-encryption and its KMS key id apply.
	sseCreate sseFlags = 1 << iota
	// sseCopy: the operation reads a copy source, which may be SSE-C.
	sseCopy
)

// sseCustomer is one validated set of SSE-C headers.
type sseCustomer struct {
	key    []byte
	keyMD5 string // base64, as sent
}

// parseSSECustomer validates an SSE-C header triple as S3 does: all three
// or none; algorithm AES256; the key base64 of exactly 32 bytes; the MD5
// the base64 MD5 of the decoded key. It returns nil when none is present.
func parseSSECustomer(alg, key, keyMD5 string, algOK, keyOK, md5OK bool) (*sseCustomer, error) {
	if !algOK && !keyOK && !md5OK {
		return nil, nil
	}
	if !algOK {
		return nil, s3err.Newf(s3err.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.")
	}
	if alg != sseAES256 {
		return nil, s3err.Newf(s3err.InvalidEncryptionAlgorithmError, "The encryption request you specified is not valid. The valid value is AES256.")
	}
	if !keyOK {
		return nil, s3err.Newf(s3err.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.")
	}
	if !md5OK {
		return nil, s3err.Newf(s3err.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.")
	}
	if len(key) > maxSSECKeyHeader {
		return nil, s3err.Newf(s3err.InvalidArgument, "The secret key was invalid for the specified algorithm.")
	}
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(raw) != sseCKeyBytes {
		return nil, s3err.Newf(s3err.InvalidArgument, "The secret key was invalid for the specified algorithm.")
	}
	sum := md5.Sum(raw)
	want := base64.StdEncoding.EncodeToString(sum[:])
	if subtle.ConstantTimeCompare([]byte(want), []byte(keyMD5)) != 1 {
		return nil, s3err.Newf(s3err.InvalidArgument, "The calculated MD5 hash of the key did not match the hash that was provided.")
	}
	return &sseCustomer{key: raw, keyMD5: keyMD5}, nil
}

// ssecHeaders reads the SSE-C triple whose names start with prefix
// ("x-amz-server-side-encryption-customer-" or the copy-source form).
func ssecHeaders(get sseGetter, prefix string) (*sseCustomer, error) {
	alg, algOK := get(prefix + "algorithm")
	key, keyOK := get(prefix + "key")
	sum, md5OK := get(prefix + "key-md5")
	return parseSSECustomer(alg, key, sum, algOK, keyOK, md5OK)
}

// sseGetter reads one encryption field by lower-case name: a request
// header, or a POST form field.
type sseGetter func(name string) (string, bool)

// applySSE validates the request's encryption headers for an operation
// taking flags and, when they choose a key, makes r.cx carry the choice
// for the object layer (object.WithEncryption).
func (r *request) applySSE(flags sseFlags) error {
	if flags&sseCopy == 0 && r.hasPrefix(hCopySSECPrefix) {
		return s3err.Newf(s3err.InvalidArgument, "Copy source encryption headers are only valid on CopyObject and UploadPartCopy.")
	}
	return r.applySSEFrom(r.hdr.get, flags)
}

// applySSEFrom is applySSE over the fields get reads: the request headers,
// or a browser POST form's fields, which S3 takes under the same names
// and checks alike (SSE-C over plaintext HTTP included).
func (r *request) applySSEFrom(get sseGetter, flags sseFlags) error {
	var enc object.Encryption
	target, err := ssecHeaders(get, "x-amz-server-side-encryption-customer-")
	if err != nil {
		return err
	}
	var source *sseCustomer
	if flags&sseCopy != 0 {
		if source, err = ssecHeaders(get, hCopySSECPrefix); err != nil {
			return err
		}
	}
	if (target != nil || source != nil) && !r.ctx.IsTLS() {
		return s3err.Newf(s3err.InvalidRequest, "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
	}
	if target != nil {
		enc.CustomerKey = target.key
	}
	if source != nil {
		enc.CopySourceCustomerKey = source.key
	}
	if flags&sseCreate != 0 {
		alg, algOK := get(hSSE)
		keyID, keyIDOK := get(hSSEKMSKeyID)
		switch {
		case !algOK:
		case alg == sseAES256:
		case alg == sseKMS:
			if target != nil {
				return s3err.Newf(s3err.InvalidArgument, "Server Side Encryption with Customer provided key is incompatible with the encryption method specified.")
			}
			if keyID == "" {
				// No AWS-managed key exists here: aws:kms without an id
				// means the bucket's default KMS key, if it has one.
				bi, err := r.s.o.Layer.HeadBucket(r.cx, r.bucket)
				if err != nil {
					return err
				}
				if bi.KMSKeyID == "" {
					return s3err.Newf(s3err.InvalidArgument, "aws:kms needs x-amz-server-side-encryption-aws-kms-key-id here: this server has no AWS-managed key and the bucket has no default KMS key (create one with `rustfs keys kms-create`).")
				}
				keyID = bi.KMSKeyID
			}
			enc.KMSKeyID = keyID
		default:
			return s3err.Newf(s3err.InvalidArgument, "The encryption method %q is not supported: use AES256, aws:kms with a key id, or SSE-C.", alg)
		}
		if keyIDOK && alg != sseKMS {
			return s3err.Newf(s3err.InvalidArgument, "Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
		}
		if algOK && target != nil && alg != sseKMS {
			return s3err.Newf(s3err.InvalidArgument, "Server Side Encryption with Customer provided key is incompatible with the encryption method specified.")
		}
		if _, ok := get(hSSEContext); ok {
			return s3err.Newf(s3err.InvalidArgument, "x-amz-server-side-encryption-context is not supported: KMS keys here take no encryption context.")
		}
		if v, ok := get(hSSEBucketKey); ok && v != "true" && v != "false" {
			return s3err.Newf(s3err.InvalidArgument, "x-amz-server-side-encryption-bucket-key-enabled must be true or false.")
		}
	}
	if enc.KMSKeyID != "" || enc.CustomerKey != nil || enc.CopySourceCustomerKey != nil {
		r.cx = object.WithEncryption(r.cx, enc)
	}
	return nil
}

// hasPrefix reports whether any request header name starts with p.
func (r *request) hasPrefix(p string) bool {
	for _, h := range r.hdr.h {
		if strings.HasPrefix(h.name, p) {
			return true
		}
	}
	return false
}

// setEncryptionHeaders writes the x-amz-server-side-encryption response
// headers for an object or upload encrypted as e: AES256, aws:kms with its
// key id, or for SSE-C the algorithm and the key MD5 the request sent.
func (r *request) setEncryptionHeaders(e object.EncryptionInfo) {
	switch {
	case e.CustomerKey:
		r.setHeader(hSSECAlgorithm, sseAES256)
		if v := r.hdr.value(hSSECKeyMD5); v != "" {
			r.setHeader(hSSECKeyMD5, v)
		}
	case e.KMSKeyID != "":
		r.setHeader(hSSE, sseKMS)
		r.setHeader(hSSEKMSKeyID, e.KMSKeyID)
	default:
		r.setHeader(hSSE, sseAES256)
	}
}

// setPartEncryptionHeaders answers UploadPart/UploadPartCopy with the
// upload's encryption (e, from the layer) — for SSE-C the request's key MD5.
func (r *request) setPartEncryptionHeaders(e object.EncryptionInfo) {
	if r.hdr.has(hSSECKey) {
		e.CustomerKey = true
	}
	r.setEncryptionHeaders(e)
}

// changesEncryption reports whether the request asks for a key of its own
// (aws:kms or SSE-C), which makes a copy onto itself legal (S3: changing
// "encryption attributes").
func (r *request) changesEncryption() bool {
	return r.hdr.value(hSSE) == sseKMS || r.hdr.has(hSSECKey)
}
