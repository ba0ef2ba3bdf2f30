package sigv4

import (
	"crypto/hmac"
	"net/http"
	"strings"
	"time"
)

// Query parameter names of the auth forms (exact case, as S3 expects).
const (
	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qContentSHA256 = "X-Amz-Content-Sha256"
	qSecurityToken = "X-Amz-Security-Token"
	qV2Signature   = "Signature"
	qV2AccessKey   = "AWSAccessKeyId"
)

// maxScratchBuf caps the canonical-request buffer kept in the pool, so one
// huge request does not pin memory forever.
const maxScratchBuf = 64 << 10

// Verify authenticates r from its request line and headers only; it never
// touches the body. Exactly one auth form is accepted: the Authorization
// header, a presigned query, or none (anonymous). SigV2 in either place is
// refused, never treated as anonymous. On success the Identity says who
// signed and how Body must check the payload. Errors are *Error.
func (v *Verifier) Verify(r *Request) (*Identity, error) {
	s := v.scratch.Get().(*scratch)
	defer v.putScratch(s)

	var ok bool
	s.params, ok = parseQuery(s.params[:0], r.RawQuery)
	if !ok {
		return nil, newErr(CodeInvalidArgument, "The query string is not valid percent-encoding.")
	}
	authz, hasAuthz := r.header("authorization")
	_, nAlg := lookup(s.params, qAlgorithm)
	_, nCred := lookup(s.params, qCredential)
	_, nSig := lookup(s.params, qSignature)
	_, nV2Sig := lookup(s.params, qV2Signature)
	_, nV2Key := lookup(s.params, qV2AccessKey)
	v4Query := nAlg+nCred+nSig > 0
	v2Query := nV2Sig+nV2Key > 0

	var id *Identity
	var err *Error
	switch {
	case hasAuthz && (v4Query || v2Query):
		err = newErr(CodeInvalidArgument, msgOneAuth)
	case hasAuthz:
		id, err = v.verifyHeader(r, authz, s)
	case v4Query:
		id, err = v.verifyPresigned(r, s)
	case v2Query:
		err = newErr(CodeAccessDenied, msgSigV2)
	default:
		id, err = anonymous(r)
	}
	if err != nil {
		return nil, err
	}
	return id, nil
}

// putScratch returns s to the pool without pinning request strings.
func (v *Verifier) putScratch(s *scratch) {
	if cap(s.buf) > maxScratchBuf || cap(s.sts) > maxScratchBuf {
		return
	}
	clear(s.params)
	clear(s.signed)
	v.scratch.Put(s)
}

// anonymous builds the Identity of an unsigned request. Its body may still
// carry an integrity hash or unsigned aws-chunked trailers; it may not claim
// a signed streaming mode, since there is no signature to chain from.
func anonymous(r *Request) (*Identity, *Error) {
	id := &Identity{Anonymous: true, Mode: Unsigned}
	if v, ok := r.header("x-amz-content-sha256"); ok {
		mode, sum, err := payloadMode(v)
		if err != nil {
			return nil, err
		}
		switch mode {
		case StreamingSigned, StreamingSignedTrailer:
			return nil, newErr(CodeAccessDenied, "A signed streaming payload requires a signed request.")
		case SignedHex:
			id.setContentSHA256(sum)
		}
		id.Mode = mode
	}
	if err := payloadHeaders(r, id); err != nil {
		return nil, err
	}
	return id, nil
}

// requestTime finds the signing time of a header-signed request:
// x-amz-date, else Date. It returns the ISO 8601 basic form used in the
// string to sign and the name of the header it came from.
func requestTime(r *Request) (string, time.Time, string, *Error) {
	if v, ok := r.header("x-amz-date"); ok {
		t, err := time.Parse(timeFormat, v)
		if err != nil {
			return "", t, "", newErr(CodeAccessDenied, msgBadDate)
		}
		return v, t, "x-amz-date", nil
	}
	if v, ok := r.header("date"); ok {
		t, err := parseDateHeader(v)
		if err != nil {
			return "", t, "", newErr(CodeAccessDenied, msgBadDate)
		}
		t = t.UTC()
		return t.Format(timeFormat), t, "date", nil
	}
	return "", time.Time{}, "", newErr(CodeAccessDenied, msgBadDate)
}

// parseDateHeader reads a Date header: the HTTP forms, and RFC 1123 with a
// numeric zone, which botocore sends when a caller sets Date
// (email.utils.formatdate: "Sun, 06 Dec 2026 03:05:00 -0000").
func parseDateHeader(v string) (time.Time, error) {
	if t, err := http.ParseTime(v); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC1123Z, v)
}

// verifyHeader checks an Authorization-header signature.
func (v *Verifier) verifyHeader(r *Request, authz string, s *scratch) (*Identity, *Error) {
	a, err := parseAuthorization(authz)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(a.cred, CodeAuthorizationHeaderMalformed, msgHeaderMalformed); err != nil {
		return nil, err
	}
	amzDate, t, dateHeader, err := requestTime(r)
	if err != nil {
		return nil, err
	}
	if a.cred.date != amzDate[:8] {
		return nil, malformedHeader("Invalid credential date \"" + a.cred.date + "\". This date is not the same as X-Amz-Date: \"" + amzDate[:8] + "\".")
	}
	if d := v.now().Sub(t); d > v.maxSkew || d < -v.maxSkew {
		return nil, newErr(CodeRequestTimeTooSkewed, msgSkewed)
	}
	csha, ok := r.header("x-amz-content-sha256")
	if !ok {
		return nil, newErr(CodeInvalidRequest, "Missing required header for this request: x-amz-content-sha256")
	}
	mode, sum, err := payloadMode(csha)
	if err != nil {
		return nil, err
	}
	var okSH bool
	s.signed, okSH = parseSignedHeaders(s.signed[:0], a.signedHeaders)
	if !okSH {
		return nil, malformedHeader("the SignedHeaders component is malformed.")
	}
	if err := checkSignedHeaders(r, s.signed, "x-amz-content-sha256", dateHeader); err != nil {
		return nil, err
	}
	id := &Identity{AccessKey: a.cred.accessKey, Mode: mode}
	if mode == SignedHex {
		id.setContentSHA256(sum)
	}
	if err := payloadHeaders(r, id); err != nil {
		return nil, err
	}
	token, hasToken := r.header("x-amz-security-token")
	secret, account, err := v.lookupKey(a.cred.accessKey, token, hasToken)
	if err != nil {
		return nil, err
	}
	entry := v.keys.get(keyID{a.cred.accessKey, a.cred.date, a.cred.region}, secret)
	cr := canonicalRequest{
		method:        r.Method,
		uri:           canonicalURI(r.RawPath),
		params:        s.params,
		names:         s.signed,
		signedHeaders: a.signedHeaders,
		payload:       csha,
	}
	if !v.signatureMatches(s, r, &cr, entry, amzDate, a.cred.date, &a.sig) {
		return nil, newErr(CodeSignatureDoesNotMatch, msgSignatureMismatch)
	}
	id.Account = account
	id.Signature, id.SignedAt = a.sig, t
	if mode.Chunked() && mode != StreamingUnsignedTrailer {
		id.key, id.seed, id.amzDate = entry, a.sig, amzDate
		id.scope = string(appendScope(nil, a.cred.date, a.cred.region))
	}
	return id, nil
}

// lookupKey resolves an access key (and session token, if the request
// carries one) to its secret and account.
func (v *Verifier) lookupKey(accessKey, token string, hasToken bool) (string, string, *Error) {
	if hasToken {
		sc, ok := v.creds.(SessionCredentials)
		if !ok {
			return "", "", newErr(CodeInvalidToken, "The provided token is malformed or otherwise invalid.")
		}
		secret, account, ok := sc.LookupSession(accessKey, token)
		if !ok {
			return "", "", newErr(CodeInvalidToken, "The provided token is malformed or otherwise invalid.")
		}
		return secret, account, nil
	}
	if v.creds != nil {
		if secret, account, ok := v.creds.Lookup(accessKey); ok {
			return secret, account, nil
		}
	}
	return "", "", newErr(CodeInvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.")
}

// signatureMatches computes the expected signature of cr and compares it in
// constant time with sig. When the raw path fails and its AWS re-encoding
// differs, that form is tried too (see reencodedURI).
func (v *Verifier) signatureMatches(s *scratch, r *Request, cr *canonicalRequest, e *keyEntry, amzDate, date string, sig *[32]byte) bool {
	if v.signatureOf(s, r, cr, e, amzDate, date, sig) {
		return true
	}
	alt := reencodedURI(r.RawPath)
	if alt == "" {
		return false
	}
	cr.uri = alt
	return v.signatureOf(s, r, cr, e, amzDate, date, sig)
}

// signatureOf is one attempt of signatureMatches.
func (v *Verifier) signatureOf(s *scratch, r *Request, cr *canonicalRequest, e *keyEntry, amzDate, date string, sig *[32]byte) bool {
	var h [32]byte
	h, s.buf = cr.hash(s.buf, r)
	s.sts = appendStringToSign(s.sts[:0], amzDate, date, v.region, h)
	e.sign(&s.want, s.sts)
	return hmac.Equal(s.want[:], sig[:])
}

// verifyPresigned checks a presigned (query-string) signature.
func (v *Verifier) verifyPresigned(r *Request, s *scratch) (*Identity, *Error) {
	get := func(k string) (string, *Error) {
		val, n := lookup(s.params, k)
		switch {
		case n == 0:
			return "", newErr(CodeAuthorizationQueryParametersError, msgQueryRequired)
		case n > 1:
			return "", newErr(CodeAuthorizationQueryParametersError, "The "+k+" parameter must appear exactly once.")
		}
		return decodeCanon(val), nil
	}
	alg, err := get(qAlgorithm)
	if err != nil {
		return nil, err
	}
	switch alg {
	case algorithm:
	case algorithmECDSA:
		return nil, newErr(CodeNotImplemented, "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not implemented.")
	default:
		return nil, newErr(CodeAuthorizationQueryParametersError, "X-Amz-Algorithm only supports \""+algorithm+"\"")
	}
	credS, err := get(qCredential)
	if err != nil {
		return nil, err
	}
	amzDate, err := get(qDate)
	if err != nil {
		return nil, err
	}
	expS, err := get(qExpires)
	if err != nil {
		return nil, err
	}
	signedHeaders, err := get(qSignedHeaders)
	if err != nil {
		return nil, err
	}
	sigS, err := get(qSignature)
	if err != nil {
		return nil, err
	}
	cred, ok := parseCredential(credS)
	if !ok {
		return nil, newErr(CodeAuthorizationQueryParametersError, msgQueryMalformed+msgBadCredential)
	}
	if err := v.checkScope(cred, CodeAuthorizationQueryParametersError, msgQueryMalformed); err != nil {
		return nil, err
	}
	t, perr := time.Parse(timeFormat, amzDate)
	if perr != nil {
		return nil, newErr(CodeAuthorizationQueryParametersError, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	if cred.date != amzDate[:8] {
		return nil, newErr(CodeAuthorizationQueryParametersError, msgQueryMalformed+"Invalid credential date \""+cred.date+"\". This date is not the same as X-Amz-Date: \""+amzDate[:8]+"\".")
	}
	if strings.HasPrefix(expS, "-") {
		return nil, newErr(CodeAuthorizationQueryParametersError, "X-Amz-Expires must be non-negative")
	}
	expires, ok := parseDecimal(expS)
	if !ok {
		return nil, newErr(CodeAuthorizationQueryParametersError, "X-Amz-Expires should be a number")
	}
	if expires > 604800 {
		return nil, newErr(CodeAuthorizationQueryParametersError, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	// Valid from X-Amz-Date (less the skew allowance, for clients whose
	// clock runs ahead) until X-Amz-Date + X-Amz-Expires. The skew is not
	// applied to the end: a URL must not outlive what its signer granted.
	now := v.now()
	if now.Before(t.Add(-v.maxSkew)) {
		return nil, newErr(CodeAccessDenied, "Request is not valid yet")
	}
	if now.After(t.Add(time.Duration(expires) * time.Second)) {
		return nil, newErr(CodeAccessDenied, "Request has expired")
	}
	sig, ok := decodeHex32(sigS)
	if !ok {
		return nil, newErr(CodeSignatureDoesNotMatch, msgSignatureMismatch)
	}
	payload := unsignedPayload
	mode := Presigned
	id := &Identity{AccessKey: cred.accessKey, Presigned: true}
	if p, n := lookup(s.params, qContentSHA256); n > 0 {
		if n > 1 {
			return nil, newErr(CodeAuthorizationQueryParametersError, "The "+qContentSHA256+" parameter must appear exactly once.")
		}
		payload = decodeCanon(p)
		m, sum, err := payloadMode(payload)
		if err != nil {
			return nil, err
		}
		switch m {
		case Unsigned:
		case SignedHex:
			mode = SignedHex
			id.setContentSHA256(sum)
		default:
			return nil, newErr(CodeInvalidArgument, "Presigned requests support only UNSIGNED-PAYLOAD or a hex SHA-256 as X-Amz-Content-Sha256.")
		}
	}
	id.Mode = mode
	var okSH bool
	s.signed, okSH = parseSignedHeaders(s.signed[:0], signedHeaders)
	if !okSH {
		return nil, newErr(CodeAuthorizationQueryParametersError, "The X-Amz-SignedHeaders parameter is malformed.")
	}
	if err := checkSignedHeaders(r, s.signed); err != nil {
		return nil, err
	}
	if err := payloadHeaders(r, id); err != nil {
		return nil, err
	}
	token, nTok := lookup(s.params, qSecurityToken)
	secret, account, err := v.lookupKey(cred.accessKey, decodeCanon(token), nTok > 0)
	if err != nil {
		return nil, err
	}
	entry := v.keys.get(keyID{cred.accessKey, cred.date, cred.region}, secret)
	cr := canonicalRequest{
		method:        r.Method,
		uri:           canonicalURI(r.RawPath),
		params:        s.params,
		skipParam:     qSignature,
		names:         s.signed,
		signedHeaders: signedHeaders,
		payload:       payload,
	}
	if !v.signatureMatches(s, r, &cr, entry, amzDate, cred.date, &sig) {
		return nil, newErr(CodeSignatureDoesNotMatch, msgSignatureMismatch)
	}
	id.Account = account
	id.Signature, id.SignedAt = sig, t
	id.Expires = t.Add(time.Duration(expires) * time.Second)
	return id, nil
}
