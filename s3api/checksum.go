package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"strings"

	"github.com/tasmaniancloud/rustfs/s3err"
)

// checksumSizes lists the flexible-checksum algorithms S3 defines, keyed by
// the lower-case name used in x-amz-checksum-<name>, with their digest
// sizes in bytes.
var checksumSizes = map[string]int{
	"crc32":     4,
	"crc32c":    4,
	"crc64nvme": 8,
	"sha1":      20,
	"sha256":    32,
}

// checksumContextHeaders are x-amz-checksum-* headers that are not
// checksum values.
var checksumContextHeaders = map[string]bool{
	"x-amz-checksum-mode":      true,
	"x-amz-checksum-type":      true,
	"x-amz-checksum-algorithm": true,
}

// checksumRequest is what a request says about flexible checksums.
type checksumRequest struct {
	// values holds x-amz-checksum-<algo> header values by algorithm.
	values map[string]string
	// algorithm is the one algorithm in play (lower-case): from
	// x-amz-sdk-checksum-algorithm, a value header or x-amz-trailer.
	algorithm string
	// trailer is the algorithm whose value arrives as a trailer, or "".
	trailer string
}

// checksumHeaders validates every x-amz-checksum-* header, the SDK
// algorithm header and x-amz-trailer. Unknown algorithms are refused, never
// ignored: silently dropping integrity data the client asked for is how
// corruption goes unnoticed.
func (r *request) checksumHeaders() (checksumRequest, error) {
	var c checksumRequest
	for _, h := range r.hdr.h {
		algo, ok := strings.CutPrefix(h.name, "x-amz-checksum-")
		if !ok || checksumContextHeaders[h.name] {
			continue
		}
		size, known := checksumSizes[algo]
		if !known {
			return c, s3err.Newf(s3err.InvalidRequest, "The checksum header %s is not supported.", h.name)
		}
		raw, err := base64.StdEncoding.DecodeString(h.value)
		if err != nil || len(raw) != size {
			return c, s3err.Newf(s3err.InvalidRequest, "Value for %s header is invalid.", h.name)
		}
		if c.values == nil {
			c.values = make(map[string]string, 1)
		}
		if prev, dup := c.values[algo]; dup && prev != h.value {
			return c, s3err.Newf(s3err.InvalidRequest, "Value for %s header is invalid.", h.name)
		}
		c.values[algo] = h.value
	}
	if len(c.values) > 1 {
		return c, s3err.Newf(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	for algo := range c.values {
		c.algorithm = algo
	}
	if v, ok := r.hdr.get("x-amz-sdk-checksum-algorithm"); ok {
		algo := strings.ToLower(strings.TrimSpace(v))
		if _, known := checksumSizes[algo]; !known {
			return c, s3err.Newf(s3err.InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		if c.algorithm != "" && c.algorithm != algo {
			return c, s3err.Newf(s3err.InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		c.algorithm = algo
	}
	if v, ok := r.hdr.get("x-amz-trailer"); ok {
		for _, name := range strings.Split(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			algo, isChecksum := strings.CutPrefix(name, "x-amz-checksum-")
			if _, known := checksumSizes[algo]; !isChecksum || !known {
				return c, s3err.Newf(s3err.InvalidRequest, "The trailer %s is not supported.", name)
			}
			if c.trailer != "" || len(c.values) > 0 || (c.algorithm != "" && c.algorithm != algo) {
				return c, s3err.Newf(s3err.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			c.trailer, c.algorithm = algo, algo
		}
	}
	return c, nil
}

// contentMD5 returns the decoded Content-MD5 header, nil when absent, or
// InvalidDigest when it is not a base64 16-byte digest.
func (r *request) contentMD5() ([]byte, error) {
	v, ok := r.hdr.get("content-md5")
	if !ok {
		return nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(raw) != md5.Size {
		return nil, s3err.New(s3err.InvalidDigest)
	}
	return raw, nil
}

// setChecksumHeaders adds x-amz-checksum-<algo> response headers.
func (r *request) setChecksumHeaders(values map[string]string, typ string) {
	for algo, v := range values {
		if _, known := checksumSizes[algo]; known && v != "" {
			r.setHeader("x-amz-checksum-"+algo, v)
		}
	}
	if typ != "" && len(values) > 0 {
		r.setHeader("x-amz-checksum-type", typ)
	}
}
