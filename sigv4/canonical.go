package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// Fixed strings of the SigV4 protocol.
const (
	algorithm      = "AWS4-HMAC-SHA256"
	algorithmECDSA = "AWS4-ECDSA-P256-SHA256"
	service        = "s3"
	terminator     = "aws4_request"
	timeFormat     = "20060102T150405Z"
	dateFormat     = "20060102"
	// maxSignedHeaders bounds SignedHeaders so the duplicate and membership
	// checks (quadratic, on tiny lists) stay cheap on hostile input.
	maxSignedHeaders = 128
)

// scratch holds the per-request buffers of Verify; pooled in the Verifier so
// a verification allocates (almost) nothing.
type scratch struct {
	buf    []byte   // canonical request
	sts    []byte   // string to sign
	params []param  // canonical query parameters
	signed []string // SignedHeaders names
	want   [32]byte // expected signature
}

// param is one query parameter with name and value in canonical (AWS
// URI-encoded) form.
type param struct{ key, val string }

// unreserved reports whether c is in RFC 3986's unreserved set, the only
// bytes SigV4 leaves unescaped.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

const upperHex = "0123456789ABCDEF"

// unhex decodes one hex digit of either case.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// canonComponent re-encodes one raw query name or value the AWS way: decode
// it ('+' is a space, as in form encoding) and encode every byte outside the
// unreserved set as %XX with upper-case hex. Components already in that form
// — nearly all of them — are returned without allocating.
func canonComponent(s string) (string, bool) {
	i := 0
	for i < len(s) {
		c := s[i]
		if unreserved(c) {
			i++
			continue
		}
		if c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) {
			hi, _ := unhex(s[i+1])
			lo, _ := unhex(s[i+2])
			if !unreserved(hi<<4 | lo) {
				i += 3
				continue
			}
		}
		break
	}
	if i == len(s) {
		return s, true
	}
	b := make([]byte, i, len(s)+8)
	copy(b, s[:i])
	for i < len(s) {
		d := s[i]
		switch d {
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", false
			}
			d = hi<<4 | lo
			i += 3
		case '+':
			d = ' '
			i++
		default:
			i++
		}
		if unreserved(d) {
			b = append(b, d)
		} else {
			b = append(b, '%', upperHex[d>>4], upperHex[d&15])
		}
	}
	return string(b), true
}

// isUpperHex reports whether c is a digit or A-F (canonical escapes are
// upper-case).
func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// decodeCanon decodes a component that canonComponent produced.
func decodeCanon(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			hi, _ := unhex(s[i+1])
			lo, _ := unhex(s[i+2])
			b = append(b, hi<<4|lo)
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// parseQuery appends the canonical parameters of raw to dst, sorted by
// encoded name then encoded value (SigV4 sorts after encoding). It reports
// false for malformed percent-encoding.
func parseQuery(dst []param, raw string) ([]param, bool) {
	for raw != "" {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		ck, ok := canonComponent(k)
		if !ok {
			return dst, false
		}
		cv, ok := canonComponent(v)
		if !ok {
			return dst, false
		}
		dst = append(dst, param{ck, cv})
	}
	slices.SortFunc(dst, func(a, b param) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.val, b.val)
	})
	return dst, true
}

// lookup returns the (canonical) value of the first parameter named key and
// how many times it occurs.
func lookup(params []param, key string) (string, int) {
	var v string
	n := 0
	for _, p := range params {
		if p.key == key {
			if n == 0 {
				v = p.val
			}
			n++
		}
	}
	return v, n
}

// appendQuery writes the canonical query string, leaving out skip (the
// presigned X-Amz-Signature) when it is not empty.
func appendQuery(b []byte, params []param, skip string) []byte {
	first := true
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		if !first {
			b = append(b, '&')
		}
		first = false
		b = append(b, p.key...)
		b = append(b, '=')
		b = append(b, p.val...)
	}
	return b
}

// canonicalURI returns the path to sign: the raw path exactly as sent, as S3
// does (no normalisation, no double encoding).
func canonicalURI(raw string) string {
	if raw == "" {
		return "/"
	}
	return raw
}

// reencodedURI returns the raw path decoded and re-encoded with the AWS
// rules ('/' kept), or "" when that equals the raw path or the path is not
// valid percent-encoding. Some clients send a path in one legal encoding and
// sign the AWS one; both name the same key, so Verify accepts a signature
// over either form.
func reencodedURI(raw string) string {
	uri := canonicalURI(raw)
	b := make([]byte, 0, len(uri)+16)
	for i := 0; i < len(uri); i++ {
		d := uri[i]
		if d == '%' {
			if i+2 >= len(uri) {
				return ""
			}
			hi, ok1 := unhex(uri[i+1])
			lo, ok2 := unhex(uri[i+2])
			if !ok1 || !ok2 {
				return ""
			}
			d = hi<<4 | lo
			i += 2
		}
		if unreserved(d) || d == '/' {
			b = append(b, d)
		} else {
			b = append(b, '%', upperHex[d>>4], upperHex[d&15])
		}
	}
	if string(b) == uri {
		return ""
	}
	return string(b)
}

// appendHeaderValue writes a header value in canonical form: surrounding
// whitespace trimmed and runs of spaces collapsed to one, as the AWS SDKs do.
func appendHeaderValue(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, c)
	}
	return b
}

// canonicalRequest is everything that goes into one canonical request.
type canonicalRequest struct {
	method, uri   string
	params        []param
	skipParam     string   // presigned: "X-Amz-Signature"
	names         []string // signed header names, in SignedHeaders order
	signedHeaders string   // the SignedHeaders string as sent
	payload       string   // payload-hash line
}

// hash builds the canonical request into buf and returns its SHA-256 and the
// (grown) buffer for reuse.
func (c *canonicalRequest) hash(buf []byte, r *Request) ([32]byte, []byte) {
	b := buf[:0]
	b = append(b, c.method...)
	b = append(b, '\n')
	b = append(b, c.uri...)
	b = append(b, '\n')
	b = appendQuery(b, c.params, c.skipParam)
	b = append(b, '\n')
	for _, n := range c.names {
		b = append(b, n...)
		b = append(b, ':')
		var v string
		if n == "host" && r.Host != "" {
			v = r.Host
		} else {
			v, _ = r.header(n)
		}
		b = appendHeaderValue(b, v)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, c.signedHeaders...)
	b = append(b, '\n')
	b = append(b, c.payload...)
	return sha256.Sum256(b), b
}

// appendScope writes the credential scope date/region/s3/aws4_request.
func appendScope(b []byte, date, region string) []byte {
	b = append(b, date...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, "/"+service+"/"+terminator...)
	return b
}

// appendStringToSign writes the SigV4 string to sign for a request.
func appendStringToSign(b []byte, amzDate, date, region string, crHash [32]byte) []byte {
	b = append(b, algorithm+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = appendScope(b, date, region)
	b = append(b, '\n')
	return hex.AppendEncode(b, crHash[:])
}
