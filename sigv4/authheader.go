package sigv4

import (
	"slices"
	"strings"
)

// credential is a parsed Credential / X-Amz-Credential value:
// <access key>/<YYYYMMDD>/<region>/<service>/aws4_request.
type credential struct {
	accessKey, date, region, service, terminal string
}

// parseCredential splits a credential from the right, so the four scope
// parts are exact and the access key is whatever precedes them.
func parseCredential(s string) (credential, bool) {
	var parts [4]string
	for i := 3; i >= 0; i-- {
		j := strings.LastIndexByte(s, '/')
		if j < 0 {
			return credential{}, false
		}
		parts[i], s = s[j+1:], s[:j]
	}
	if s == "" {
		return credential{}, false
	}
	return credential{accessKey: s, date: parts[0], region: parts[1], service: parts[2], terminal: parts[3]}, true
}

// isDate reports whether s is eight digits (YYYYMMDD); the calendar check
// is implicit because it must equal the date of a parsed request time.
func isDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkScope validates the scope part of a credential against the server.
// code and prefix select the header or query flavour of S3's messages.
func (v *Verifier) checkScope(c credential, code, prefix string) *Error {
	switch {
	case !isDate(c.date):
		return newErr(code, prefix+"Invalid credential date \""+c.date+"\".")
	case c.region != v.region:
		return newErr(code, prefix+"the region '"+c.region+"' is wrong; expecting '"+v.region+"'")
	case c.service != service:
		return newErr(code, prefix+"incorrect service \""+c.service+"\". This endpoint belongs to \""+service+"\".")
	case c.terminal != terminator:
		return newErr(code, prefix+"incorrect terminal \""+c.terminal+"\". This endpoint uses \""+terminator+"\".")
	}
	return nil
}

// authHeader is a parsed AWS4-HMAC-SHA256 Authorization header.
type authHeader struct {
	cred          credential
	signedHeaders string
	sig           [32]byte
}

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
// The three components may come in any order with any spacing around the
// commas; each must appear exactly once.
func parseAuthorization(s string) (authHeader, *Error) {
	var a authHeader
	alg, rest, _ := strings.Cut(strings.TrimLeft(s, " \t"), " ")
	switch alg {
	case algorithm:
	case "AWS":
		// SigV2 ("AWS AKID:signature"): refuse explicitly, never fall back
		// to anonymous.
		return a, newErr(CodeAccessDenied, msgSigV2)
	case algorithmECDSA:
		return a, newErr(CodeNotImplemented, "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not implemented.")
	default:
		return a, newErr(CodeInvalidArgument, "Unsupported Authorization Type")
	}
	var haveCred, haveSH, haveSig bool
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return a, newErr(CodeAuthorizationHeaderMalformed, msgHeaderMalformed+"the authorization component \""+part+"\" is malformed.")
		}
		switch k {
		case "Credential":
			if haveCred {
				return a, malformedHeader("Credential appears twice.")
			}
			c, ok := parseCredential(val)
			if !ok {
				return a, malformedHeader(msgBadCredential)
			}
			a.cred, haveCred = c, true
		case "SignedHeaders":
			if haveSH {
				return a, malformedHeader("SignedHeaders appears twice.")
			}
			a.signedHeaders, haveSH = val, true
		case "Signature":
			if haveSig {
				return a, malformedHeader("Signature appears twice.")
			}
			sig, ok := decodeHex32(val)
			if !ok {
				return a, newErr(CodeSignatureDoesNotMatch, msgSignatureMismatch)
			}
			a.sig, haveSig = sig, true
		default:
			return a, malformedHeader("the authorization component \"" + part + "\" is malformed.")
		}
	}
	if !haveCred || !haveSH || !haveSig {
		return a, malformedHeader("the authorization header requires three components: Credential, SignedHeaders, and Signature.")
	}
	return a, nil
}

// malformedHeader is an AuthorizationHeaderMalformed error.
func malformedHeader(detail string) *Error {
	return newErr(CodeAuthorizationHeaderMalformed, msgHeaderMalformed+detail)
}

// tokenChar reports whether c may appear in a lower-case header name.
func tokenChar(c byte) bool {
	if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' {
		return true
	}
	return strings.IndexByte("!#$%&'*+.^_`|~", c) >= 0
}

// parseSignedHeaders splits a SignedHeaders list into dst. Names must be
// non-empty lower-case tokens, each listed once; the order is kept because
// the canonical headers follow it.
func parseSignedHeaders(dst []string, s string) ([]string, bool) {
	if s == "" || s[len(s)-1] == ';' {
		return dst, false
	}
	sorted := true
	for s != "" {
		var n string
		n, s, _ = strings.Cut(s, ";")
		if n == "" || len(dst) == maxSignedHeaders {
			return dst, false
		}
		for i := 0; i < len(n); i++ {
			if !tokenChar(n[i]) {
				return dst, false
			}
		}
		if len(dst) > 0 && n <= dst[len(dst)-1] {
			sorted = false
		}
		dst = append(dst, n)
	}
	if !sorted { // clients sort; only an odd list pays for the full check
		for i, n := range dst {
			if slices.Contains(dst[:i], n) {
				return dst, false
			}
		}
	}
	return dst, true
}

// signedContains reports whether name (any case) is in the signed list.
func signedContains(signed []string, name string) bool {
	for _, n := range signed {
		if len(n) == len(name) && (n == name || strings.EqualFold(n, name)) {
			return true
		}
	}
	return false
}

// checkSignedHeaders enforces S3's rules on what must be signed: host, the
// headers listed in must, and every x-amz-* header the request carries
// (an unsigned x-amz-* header could change what a request does — an ACL, a
// copy source — without invalidating the signature).
func checkSignedHeaders(r *Request, signed []string, must ...string) *Error {
	if !signedContains(signed, "host") {
		return newErr(CodeAccessDenied, msgUnsignedHeaders+"host")
	}
	for _, m := range must {
		if m != "" && !signedContains(signed, m) {
			return newErr(CodeAccessDenied, msgUnsignedHeaders+m)
		}
	}
	for _, h := range r.HeaderNames {
		if isAmzHeader(h) && !signedContains(signed, h) {
			return newErr(CodeAccessDenied, msgUnsignedHeaders+strings.ToLower(h))
		}
	}
	return nil
}

// isAmzHeader reports whether a header name starts with x-amz- (any case).
func isAmzHeader(h string) bool {
	return len(h) >= 6 && (h[:6] == "x-amz-" || strings.EqualFold(h[:6], "x-amz-"))
}
