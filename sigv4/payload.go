package sigv4

import "strings"

// x-amz-content-sha256 literals.
const (
	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSA           = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSATrailer    = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
	streamingEvents          = "STREAMING-AWS4-HMAC-SHA256-EVENTS"
)

// checksumTrailerPrefix is the only trailer family S3 accepts.
const checksumTrailerPrefix = "x-amz-checksum-"

// maxTrailerNames bounds x-amz-trailer; S3 clients send one checksum.
const maxTrailerNames = 8

// payloadMode classifies an x-amz-content-sha256 value. For a hex hash it
// also returns the decoded digest.
func payloadMode(v string) (PayloadMode, [32]byte, *Error) {
	var sum [32]byte
	switch v {
	case unsignedPayload:
		return Unsigned, sum, nil
	case streamingSigned:
		return StreamingSigned, sum, nil
	case streamingSignedTrailer:
		return StreamingSignedTrailer, sum, nil
	case streamingUnsignedTrailer:
		return StreamingUnsignedTrailer, sum, nil
	case streamingECDSA, streamingECDSATrailer, streamingEvents:
		return 0, sum, newErr(CodeNotImplemented, "The payload signing mode "+v+" is not implemented.")
	}
	if sum, ok := decodeHex32(v); ok {
		return SignedHex, sum, nil
	}
	return 0, sum, newErr(CodeInvalidArgument, msgContentSHA256)
}

// parseDecimal parses a non-negative decimal integer without sign or
// spaces, as Content-Length-like headers must be.
func parseDecimal(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseTrailerNames splits x-amz-trailer into lower-case names. Only
// x-amz-checksum-<algorithm> trailers are accepted here; whether the
// algorithm is one the server implements is the object layer's call (it
// must refuse unknown ones rather than drop them).
func parseTrailerNames(v string) ([]string, *Error) {
	var names []string
	for v != "" {
		var n string
		n, v, _ = strings.Cut(v, ",")
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" {
			continue
		}
		alg, ok := strings.CutPrefix(n, checksumTrailerPrefix)
		if !ok || alg == "" || len(n) > 64 || !isAlnum(alg) {
			return nil, newErr(CodeInvalidArgument, "The trailer "+n+" announced in x-amz-trailer is not supported.")
		}
		for _, o := range names {
			if o == n {
				return nil, newErr(CodeInvalidArgument, "The trailer "+n+" is announced twice in x-amz-trailer.")
			}
		}
		if len(names) == maxTrailerNames {
			return nil, newErr(CodeInvalidArgument, "Too many trailers announced in x-amz-trailer.")
		}
		names = append(names, n)
	}
	return names, nil
}

// isAlnum reports whether s is only lower-case letters and digits.
func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// payloadHeaders fills the body-related fields of id from the request's
// x-amz-decoded-content-length and x-amz-trailer headers, which must agree
// with id.Mode.
func payloadHeaders(r *Request, id *Identity) *Error {
	id.DecodedLength = -1
	if v, ok := r.header("x-amz-decoded-content-length"); ok {
		n, ok := parseDecimal(strings.TrimSpace(v))
		if !ok {
			return newErr(CodeInvalidArgument, "x-amz-decoded-content-length must be a non-negative integer.")
		}
		id.DecodedLength = n
	} else if id.Mode.Chunked() {
		return newErr(CodeMissingContentLength, "x-amz-decoded-content-length is required for aws-chunked uploads.")
	}
	if v, ok := r.header("x-amz-trailer"); ok && strings.TrimSpace(v) != "" {
		if id.Mode != StreamingSignedTrailer && id.Mode != StreamingUnsignedTrailer {
			return newErr(CodeInvalidRequest, "x-amz-trailer needs x-amz-content-sha256 "+streamingUnsignedTrailer+" or "+streamingSignedTrailer+".")
		}
		names, err := parseTrailerNames(v)
		if err != nil {
			return err
		}
		id.Trailer = names
	}
	return nil
}

// decodeHex32 decodes exactly 64 hex digits (either case) without allocating.
func decodeHex32[T string | []byte](s T) ([32]byte, bool) {
	var out [32]byte
	if len(s) != 64 {
		return out, false
	}
	for i := range out {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return out, false
		}
		out[i] = hi<<4 | lo
	}
	return out, true
}
