package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// PostPolicy is the signature part of a browser POST upload form (S3 POST
// object with a SigV4-signed policy): the form fields x-amz-algorithm,
// x-amz-credential, x-amz-date and x-amz-signature, and the base64 policy
// document the signature covers.
type PostPolicy struct {
	Algorithm, Credential, Date, Signature string
	// Policy is the "policy" form field exactly as sent (base64 JSON).
	Policy string
}

// VerifyPostPolicy authenticates a POST form: the algorithm is
// AWS4-HMAC-SHA256, the credential's scope names this server's region and
// s3 and the date of x-amz-date, the access key exists, and x-amz-signature
// is HMAC(signing key, Policy) — the string to sign of a POST is the base64
// policy itself. The form's lifetime is the policy's expiration, which the
// caller checks with the policy's conditions; x-amz-date only fixes the
// signing key's day. On success the Identity names the signer (Mode
// Unsigned: the body is checked against the policy, not a hash).
func (v *Verifier) VerifyPostPolicy(p PostPolicy) (*Identity, error) {
	if p.Algorithm != algorithm {
		return nil, newErr(CodeInvalidArgument, "x-amz-algorithm only supports \""+algorithm+"\"")
	}
	cred, ok := parseCredential(p.Credential)
	if !ok {
		return nil, newErr(CodeInvalidArgument, "The x-amz-credential form field is malformed: "+msgBadCredential)
	}
	if err := v.checkScope(cred, CodeInvalidArgument, "x-amz-credential: "); err != nil {
		return nil, err
	}
	t, err := time.Parse(timeFormat, p.Date)
	if err != nil {
		return nil, newErr(CodeInvalidArgument, "x-amz-date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	if cred.date != p.Date[:8] {
		return nil, newErr(CodeInvalidArgument, "x-amz-credential date \""+cred.date+"\" is not the date of x-amz-date \""+p.Date[:8]+"\".")
	}
	if v.now().Before(t.Add(-v.maxSkew)) {
		return nil, newErr(CodeAccessDenied, "The POST form is not valid yet (x-amz-date is in the future).")
	}
	secret, account, e := v.lookupKey(cred.accessKey, "", false)
	if e != nil {
		return nil, e
	}
	sig, ok := decodeHex32(p.Signature)
	if !ok {
		return nil, newErr(CodeSignatureDoesNotMatch, msgSignatureMismatch)
	}
	entry := v.keys.get(keyID{cred.accessKey, cred.date, cred.region}, secret)
	var want [32]byte
	entry.sign(&want, []byte(p.Policy))
	if !hmac.Equal(want[:], sig[:]) {
		return nil, newErr(CodeSignatureDoesNotMatch, msgSignatureMismatch)
	}
	return &Identity{AccessKey: cred.accessKey, Account: account, Mode: Unsigned, DecodedLength: -1}, nil
}

// SignPostPolicy signs a base64 POST policy as a browser-upload form
// generator does, returning the x-amz-credential, x-amz-date and
// x-amz-signature form fields (client side; tests and tools).
func SignPostPolicy(c ClientCredentials, t time.Time, policyB64 string) (credential, amzDate, signature string) {
	t = t.UTC()
	amzDate = t.Format(timeFormat)
	day := amzDate[:8]
	credential = c.AccessKey + "/" + day + "/" + c.Region + "/" + service + "/" + terminator
	key := deriveKey(c.SecretKey, day, c.Region)
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(policyB64))
	return credential, amzDate, hex.EncodeToString(m.Sum(nil))
}
