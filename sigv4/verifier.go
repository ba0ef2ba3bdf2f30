package sigv4

import (
	"bufio"
	"sync"
	"time"
)

// Credentials resolves an access key to its secret and the account that owns
// it. Lookup must be safe for concurrent use.
type Credentials interface {
	Lookup(accessKey string) (secret, account string, ok bool)
}

// SessionCredentials is implemented by Credentials that also know temporary
// (session-token) credentials. Without it, any request carrying
// x-amz-security-token is refused with InvalidToken: ignoring the token would
// let a leaked session key outlive its session.
type SessionCredentials interface {
	LookupSession(accessKey, token string) (secret, account string, ok bool)
}

// DefaultMaxSkew is the allowed clock difference for header-signed requests
// and the grace before a presigned URL's start time.
const DefaultMaxSkew = 5 * time.Minute

// DefaultKeyCacheSize bounds the derived-signing-key cache (entries are per
// access key, day and region).
const DefaultKeyCacheSize = 1024

// Options configures a Verifier. Zero fields take the documented defaults.
type Options struct {
	// Region is the server's region; credential scopes must name it.
	// Default "us-east-1".
	Region string
	// MaxSkew is the accepted |now − request time| (default DefaultMaxSkew).
	MaxSkew time.Duration
	// Now returns the current time (default time.Now); tests pin it.
	Now func() time.Time
	// Creds resolves access keys. Without it every signed request fails with
	// InvalidAccessKeyId.
	Creds Credentials
	// KeyCacheSize bounds the signing-key cache (default DefaultKeyCacheSize).
	KeyCacheSize int
}

// Verifier authenticates SigV4 requests and wraps their bodies. It holds no
// per-request state and is safe for concurrent use.
type Verifier struct {
	region  string
	maxSkew time.Duration
	now     func() time.Time
	creds   Credentials
	keys    *keyCache

	scratch sync.Pool // *scratch: canonical-request buffers
	readers sync.Pool // *bufio.Reader for aws-chunked bodies
}

// NewVerifier returns a Verifier for o, with defaults filled in.
func NewVerifier(o Options) *Verifier {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = DefaultMaxSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KeyCacheSize <= 0 {
		o.KeyCacheSize = DefaultKeyCacheSize
	}
	v := &Verifier{
		region:  o.Region,
		maxSkew: o.MaxSkew,
		now:     o.Now,
		creds:   o.Creds,
		keys:    newKeyCache(o.KeyCacheSize),
	}
	v.scratch.New = func() any { return new(scratch) }
	v.readers.New = func() any { return bufio.NewReaderSize(nil, readerBufSize) }
	return v
}

// MaxSkew returns the accepted clock difference of header-signed requests.
func (v *Verifier) MaxSkew() time.Duration { return v.maxSkew }

// Region returns the region credential scopes must name.
func (v *Verifier) Region() string { return v.region }

// Request is the HTTP-stack-independent view of a request that Verify needs.
// The server adapts its own request type into it.
type Request struct {
	// Method is the HTTP method as sent ("PUT").
	Method string
	// RawPath is the request path exactly as it appeared on the request line,
	// still percent-encoded; S3 signs it without normalisation.
	RawPath string
	// RawQuery is the query string as sent, without the '?'.
	RawQuery string
	// Host is the Host header value the client sent (not a proxy's rewrite).
	Host string
	// Header returns the value of a header by lower-case name. Several
	// occurrences of one header must be joined with "," in arrival order.
	Header func(lowerName string) (string, bool)
	// HeaderNames lists every header present, lower-case; it is used to
	// insist that all x-amz-* headers are signed.
	HeaderNames []string
}

// header looks a header up, tolerating a nil Header func.
func (r *Request) header(name string) (string, bool) {
	if r.Header == nil {
		return "", false
	}
	return r.Header(name)
}

// PayloadMode says how the request body is protected, and therefore what
// Body must verify.
type PayloadMode int

// Payload modes. The zero value is deliberately invalid so that a hand-made
// Identity cannot pass for a verified one.
const (
	// Unsigned: x-amz-content-sha256 UNSIGNED-PAYLOAD (or an anonymous
	// request); the body is passed through.
	Unsigned PayloadMode = iota + 1
	// SignedHex: the body's SHA-256 was signed; Body checks it at EOF.
	SignedHex
	// StreamingSigned: aws-chunked with a signature per chunk.
	StreamingSigned
	// StreamingSignedTrailer: aws-chunked, signed chunks and signed trailers.
	StreamingSignedTrailer
	// StreamingUnsignedTrailer: aws-chunked without chunk signatures, with
	// trailers (usually a flexible checksum).
	StreamingUnsignedTrailer
	// Presigned: a presigned URL whose payload is UNSIGNED-PAYLOAD.
	Presigned
)

// String names the mode for logs.
func (m PayloadMode) String() string {
	switch m {
	case Unsigned:
		return "UNSIGNED-PAYLOAD"
	case SignedHex:
		return "SIGNED-PAYLOAD"
	case StreamingSigned:
		return streamingSigned
	case StreamingSignedTrailer:
		return streamingSignedTrailer
	case StreamingUnsignedTrailer:
		return streamingUnsignedTrailer
	case Presigned:
		return "PRESIGNED"
	}
	return "invalid"
}

// Chunked reports whether the body is aws-chunked: the server must then take
// the object size from Identity.DecodedLength, not Content-Length, and drop
// "aws-chunked" from the stored Content-Encoding.
func (m PayloadMode) Chunked() bool {
	return m == StreamingSigned || m == StreamingSignedTrailer || m == StreamingUnsignedTrailer
}

// Identity is the outcome of a successful Verify: who signed, and how the
// body must be checked.
type Identity struct {
	// AccessKey signed the request; Account owns it (from Credentials).
	// Both are empty for anonymous requests.
	AccessKey, Account string
	// Mode says what Body must verify.
	Mode PayloadMode
	// ContentSHA256 is the raw 32-byte signed payload hash (SignedHex only).
	ContentSHA256 []byte
	// DecodedLength is x-amz-decoded-content-length, -1 if absent. For
	// chunked modes it is required and Body enforces it.
	DecodedLength int64
	// Anonymous is true for requests without any signature; the server
	// decides what (little) they may do.
	Anonymous bool
	// Presigned is true when the signature came from the query string.
	Presigned bool
	// Trailer lists the trailer names announced in x-amz-trailer (lower-case).
	Trailer []string
	// Signature is the verified request signature (the seed of a
	// streaming body's chunk chain); zero for anonymous requests. Two
	// requests with the same signature are byte-for-byte the same signed
	// request, which is what a replay cache keys on.
	Signature [32]byte
	// SignedAt is the signing time (X-Amz-Date, or Date); zero for
	// anonymous requests.
	SignedAt time.Time
	// Expires is when a presigned URL stops being valid (zero for
	// header-signed and anonymous requests).
	Expires time.Time

	sha [32]byte // backing store of ContentSHA256

	// Material Body needs to check chunk and trailer signatures.
	key     *keyEntry
	seed    [32]byte
	amzDate string
	scope   string
}

// setContentSHA256 records the signed payload hash without a separate
// allocation.
func (id *Identity) setContentSHA256(sum [32]byte) {
	id.sha = sum
	id.ContentSHA256 = id.sha[:]
}

// ExpectCheck runs every check that needs only the request line and headers —
// all of SigV4 header verification: credential scope, clock skew, access key,
// signature and the payload-mode headers. It is meant for fasthttp's
// Expect: 100-continue hook, so a client with a bad signature is refused
// before it sends the body. Verify performs exactly the same checks (it never
// reads the body), so a request that passed ExpectCheck must still go through
// Verify to obtain its Identity.
func (v *Verifier) ExpectCheck(r *Request) error {
	_, err := v.Verify(r)
	return err
}
