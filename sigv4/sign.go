package sigv4

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ClientCredentials is the signing side of a key pair. The client helpers
// in this file exist so tests and tools (here and in s3api) can produce
// requests without an SDK; the server never signs anything.
type ClientCredentials struct {
	AccessKey, SecretKey, Region string
}

// signedNames returns the sorted, de-duplicated lower-case header list with
// host included.
func signedNames(headers []string) []string {
	names := []string{"host"}
	for _, h := range headers {
		h = strings.ToLower(h)
		if !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	slices.Sort(names)
	return names
}

// clientSignature signs the canonical request of r the way a client does.
func clientSignature(r *Request, c ClientCredentials, amzDate string, names []string, skip, payload string) ([32]byte, error) {
	params, ok := parseQuery(nil, r.RawQuery)
	if !ok {
		return [32]byte{}, fmt.Errorf("sigv4: malformed query %q", r.RawQuery)
	}
	cr := canonicalRequest{
		method:        r.Method,
		uri:           canonicalURI(r.RawPath),
		params:        params,
		skipParam:     skip,
		names:         names,
		signedHeaders: strings.Join(names, ";"),
		payload:       payload,
	}
	h, _ := cr.hash(nil, r)
	sts := appendStringToSign(nil, amzDate, amzDate[:8], c.Region, h)
	key := deriveKey(c.SecretKey, amzDate[:8], c.Region)
	var sig [32]byte
	m := hmac.New(sha256.New, key[:])
	m.Write(sts)
	m.Sum(sig[:0])
	return sig, nil
}

// Sign returns the Authorization header value (and its bare hex signature,
// the seed of an aws-chunked body) for r signed at t. The headers named in
// signedHeaders (host is always added) are read through r.Header and must
// already hold their final values, including x-amz-date = t and
// x-amz-content-sha256 = payloadHash.
func Sign(r *Request, c ClientCredentials, t time.Time, signedHeaders []string, payloadHash string) (authorization, signature string, err error) {
	amzDate := t.UTC().Format(timeFormat)
	names := signedNames(signedHeaders)
	sig, err := clientSignature(r, c, amzDate, names, "", payloadHash)
	if err != nil {
		return "", "", err
	}
	signature = hex.EncodeToString(sig[:])
	authorization = algorithm + " Credential=" + c.AccessKey + "/" +
		string(appendScope(nil, amzDate[:8], c.Region)) +
		", SignedHeaders=" + strings.Join(names, ";") + ", Signature=" + signature
	return authorization, signature, nil
}

// Presign returns the raw query of a presigned URL for r: r.RawQuery plus
// the X-Amz-* parameters, valid from t for expires. The signed headers
// (host is always added) are read through r.Header.
func Presign(r *Request, c ClientCredentials, t time.Time, expires time.Duration, signedHeaders []string) (string, error) {
	amzDate := t.UTC().Format(timeFormat)
	names := signedNames(signedHeaders)
	enc := func(s string) string { v, _ := canonComponent(s); return v }
	q := r.RawQuery
	if q != "" {
		q += "&"
	}
	q += qAlgorithm + "=" + algorithm +
		"&" + qCredential + "=" + enc(c.AccessKey+"/"+string(appendScope(nil, amzDate[:8], c.Region))) +
		"&" + qDate + "=" + amzDate +
		"&" + qExpires + "=" + strconv.FormatInt(int64(expires/time.Second), 10) +
		"&" + qSignedHeaders + "=" + enc(strings.Join(names, ";"))
	pr := *r
	pr.RawQuery = q
	sig, err := clientSignature(&pr, c, amzDate, names, qSignature, unsignedPayload)
	if err != nil {
		return "", err
	}
	return q + "&" + qSignature + "=" + hex.EncodeToString(sig[:]), nil
}

// ChunkWriter writes an aws-chunked body, the client side of Body: signed
// chunks chained from the request signature for the STREAMING-AWS4-* modes,
// plain hex-size framing for StreamingUnsignedTrailer.
type ChunkWriter struct {
	w       io.Writer
	mode    PayloadMode
	key     [32]byte
	amzDate string
	scope   string
	prev    [32]byte
}

// NewChunkWriter returns a writer for mode. For the signed modes, seed is
// the hex request signature returned by Sign with the same c and t.
func NewChunkWriter(w io.Writer, mode PayloadMode, c ClientCredentials, t time.Time, seed string) (*ChunkWriter, error) {
	if !mode.Chunked() {
		return nil, fmt.Errorf("sigv4: %v is not an aws-chunked mode", mode)
	}
	cw := &ChunkWriter{w: w, mode: mode}
	if mode == StreamingUnsignedTrailer {
		return cw, nil
	}
	prev, ok := decodeHex32(seed)
	if !ok {
		return nil, fmt.Errorf("sigv4: seed signature %q is not 64 hex digits", seed)
	}
	cw.prev = prev
	cw.amzDate = t.UTC().Format(timeFormat)
	cw.scope = string(appendScope(nil, cw.amzDate[:8], c.Region))
	cw.key = deriveKey(c.SecretKey, cw.amzDate[:8], c.Region)
	return cw, nil
}

// signed reports whether chunks carry signatures.
func (cw *ChunkWriter) signed() bool { return cw.mode != StreamingUnsignedTrailer }

// hmac signs msg with the signing key.
func (cw *ChunkWriter) hmac(msg []byte) [32]byte {
	m := hmac.New(sha256.New, cw.key[:])
	m.Write(msg)
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// chunkSignature computes and chains the signature of one chunk.
func (cw *ChunkWriter) chunkSignature(data []byte) string {
	sum := sha256.Sum256(data)
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + cw.amzDate + "\n" + cw.scope + "\n" +
		hex.EncodeToString(cw.prev[:]) + "\n" + emptySHA256Hex + "\n" + hex.EncodeToString(sum[:])
	cw.prev = cw.hmac([]byte(sts))
	return hex.EncodeToString(cw.prev[:])
}

// WriteChunk writes data as one chunk. An empty data is not a chunk (the
// zero-size chunk ends the body): use Close.
func (cw *ChunkWriter) WriteChunk(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	var err error
	if cw.signed() {
		_, err = fmt.Fprintf(cw.w, "%x"+chunkSigPrefix+"%s\r\n", len(data), cw.chunkSignature(data))
	} else {
		_, err = fmt.Fprintf(cw.w, "%x\r\n", len(data))
	}
	if err != nil {
		return err
	}
	if _, err := cw.w.Write(data); err != nil {
		return err
	}
	_, err = io.WriteString(cw.w, "\r\n")
	return err
}

// Close writes the final zero-size chunk, the trailers (sorted by name;
// signed in the signed-trailer mode) and the closing CRLF.
func (cw *ChunkWriter) Close(trailers map[string]string) error {
	var b strings.Builder
	if cw.signed() {
		b.WriteString("0" + chunkSigPrefix + cw.chunkSignature(nil) + "\r\n")
	} else {
		b.WriteString("0\r\n")
	}
	names := make([]string, 0, len(trailers))
	for n := range trailers {
		names = append(names, n)
	}
	slices.Sort(names)
	var canon strings.Builder
	for _, n := range names {
		b.WriteString(n + ":" + trailers[n] + "\r\n")
		canon.WriteString(strings.ToLower(n) + ":" + strings.TrimSpace(trailers[n]) + "\n")
	}
	if cw.mode == StreamingSignedTrailer {
		sum := sha256.Sum256([]byte(canon.String()))
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + cw.amzDate + "\n" + cw.scope + "\n" +
			hex.EncodeToString(cw.prev[:]) + "\n" + hex.EncodeToString(sum[:])
		sig := cw.hmac([]byte(sts))
		b.WriteString(trailerSignatureName + ":" + hex.EncodeToString(sig[:]) + "\r\n")
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(cw.w, b.String())
	return err
}

// Signer signs outgoing *http.Request values with SigV4 in the header
// (Authorization) form: the client side of Verifier for load generators and
// tools. It is safe for concurrent use; the derived signing key is cached
// per day.
type Signer struct {
	creds ClientCredentials
	mu    sync.Mutex
	day   string   // yyyymmdd of key
	key   [32]byte // signing key of day
}

// invocationHeader is the AWS SDKs' per-call id header.
const invocationHeader = "Amz-Sdk-Invocation-Id"

// NewSigner returns a Signer for c (Region default us-east-1).
func NewSigner(c ClientCredentials) *Signer {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	return &Signer{creds: c}
}

// signingKey returns the derived key of day, deriving it once per day.
func (s *Signer) signingKey(day string) [32]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.day != day {
		s.key, s.day = deriveKey(s.creds.SecretKey, day, s.creds.Region), day
	}
	return s.key
}

// Sign sets X-Amz-Date (now), X-Amz-Content-Sha256 (payloadSHA256: a hex
// digest, UNSIGNED-PAYLOAD or a STREAMING-* mode) and Authorization on req.
// It signs host, every x-amz-* header, Content-MD5 and Content-Type as they
// are set on req when Sign is called, so set those first. The path is
// signed as req.URL.EscapedPath(), which is what net/http sends.
//
// Like the AWS SDKs, Sign also sets and signs a random
// amz-sdk-invocation-id (unless req has one): two identical requests
// signed within one second then differ, so a server's replay cache never
// takes the second for a replay of the first.
func (s *Signer) Sign(req *http.Request, payloadSHA256 string, now time.Time) error {
	amzDate := now.UTC().Format(timeFormat)
	req.Header.Set("X-Amz-Date", amzDate)
	if req.Header.Get(invocationHeader) == "" {
		var id [16]byte
		_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
		req.Header.Set(invocationHeader, hex.EncodeToString(id[:]))
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadSHA256)
	req.Header.Del("Authorization")
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	var names []string
	for k := range req.Header {
		l := strings.ToLower(k)
		if strings.HasPrefix(l, "x-amz-") || l == "content-md5" || l == "content-type" || l == "amz-sdk-invocation-id" {
			names = append(names, l)
		}
	}
	names = signedNames(names)
	params, ok := parseQuery(nil, req.URL.RawQuery)
	if !ok {
		return fmt.Errorf("sigv4: sign %s %s: malformed query %q", req.Method, req.URL.Path, req.URL.RawQuery)
	}
	r := &Request{
		Method: req.Method, RawPath: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery, Host: host,
		Header: func(name string) (string, bool) {
			if name == "host" {
				return host, true
			}
			v := req.Header.Values(name)
			return strings.Join(v, ","), len(v) > 0
		},
	}
	signed := strings.Join(names, ";")
	cr := canonicalRequest{
		method: r.Method, uri: canonicalURI(r.RawPath), params: params,
		names: names, signedHeaders: signed, payload: payloadSHA256,
	}
	h, _ := cr.hash(nil, r)
	scope := appendScope(nil, amzDate[:8], s.creds.Region)
	sts := appendStringToSign(nil, amzDate, amzDate[:8], s.creds.Region, h)
	key := s.signingKey(amzDate[:8])
	m := hmac.New(sha256.New, key[:])
	m.Write(sts)
	var sig [32]byte
	m.Sum(sig[:0])
	req.Header.Set("Authorization", algorithm+" Credential="+s.creds.AccessKey+"/"+string(scope)+
		", SignedHeaders="+signed+", Signature="+hex.EncodeToString(sig[:]))
	return nil
}
