package s3api

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/users"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/sigv4"
	"github.com/valyala/fasthttp"
)

// Defaults for Options fields left zero.
const (
	// DefaultMaxObjectSize is S3's limit for one PUT and one part: 5 GiB.
	DefaultMaxObjectSize = 5 << 30
	// DefaultMaxHeaderSize bounds the request line plus headers; fasthttp
	// uses its read buffer size as that limit.
	DefaultMaxHeaderSize = 16 << 10
	// DefaultHeaderTimeout bounds the time to the end of a request's
	// headers: from the end of the TLS handshake (or the accept) on a new
	// connection, from the first byte on a keep-alive one.
	DefaultHeaderTimeout = 30 * time.Second
	// DefaultIdleTimeout bounds how long a keep-alive connection waits for
	// the first byte of its next request.
	DefaultIdleTimeout = time.Minute
	// DefaultTLSHandshakeTimeout bounds a new connection's TLS handshake.
	DefaultTLSHandshakeTimeout = 10 * time.Second
	// DefaultMaxConns caps concurrent connections in total.
	DefaultMaxConns = 10000
	// DefaultMaxConnsPerIP caps concurrent connections from one client (an
	// IPv4 address or an IPv6 /64).
	DefaultMaxConnsPerIP = 256
	// DefaultBodyTimeout is the longest a body read or a response write may
	// stall; it is a progress deadline renewed on every read and write, so a
	// 5 GiB upload is not cut off while it keeps moving.
	DefaultBodyTimeout = time.Minute
	// DefaultDrainLimit is how much unread body an early answer discards to
	// keep the connection usable; anything longer closes the connection.
	DefaultDrainLimit = 64 << 10
	// DefaultRegion is the region reported when Options.Region is empty.
	DefaultRegion = "us-east-1"
)

// Options configures a Server. Zero fields take the defaults above.
type Options struct {
	// Layer is the object layer requests are served from (required).
	Layer object.Layer
	// Verifier authenticates every request (required).
	Verifier *sigv4.Verifier
	// Authorizer decides what a principal may do (default: the bucket
	// policies stored in Layer, see newAuthorizer).
	Authorizer iam.Authorizer
	// Users, when set, authenticates IAM users' keys (add it to the
	// Verifier's credentials), gives the default authorizer their identity
	// policies and serves the admin API's user endpoints.
	Users *users.Store
	// PublicAccess keeps bucket-level public access blocks (default:
	// Users, when set; without either the Put/Delete calls answer
	// NotImplemented).
	PublicAccess PublicAccessStore
	// PublicAccessFloor is the server-wide public access block, combined
	// with each bucket's (a switch on here cannot be turned off per
	// bucket), like an AWS account-level block. Zero: nothing.
	PublicAccessFloor PublicAccessBlock
	// NewBucketPublicAccessBlock, when set, is stored as a new bucket's
	// own block at CreateBucket (S3 gives every new bucket
	// BlockAllPublicAccess since April 2023).
	NewBucketPublicAccessBlock *PublicAccessBlock
	// BucketPolicyTTL is how long the default authorizer caches a bucket's
	// policy (default DefaultBucketPolicyTTL).
	BucketPolicyTTL time.Duration
	// Region is reported by GetBucketLocation and enforced on CreateBucket.
	Region string
	// Domains enable virtual-hosted-style requests: a Host of
	// "<bucket>.<domain>" addresses bucket. Requests to any other host are
	// path-style.
	Domains []string
	// MaxObjectSize bounds one PUT and one part (default 5 GiB).
	MaxObjectSize int64
	// MaxHeaderSize bounds the request line plus headers (default 16 KiB).
	MaxHeaderSize int
	// HeaderTimeout, IdleTimeout, BodyTimeout and TLSHandshakeTimeout: see
	// the Default* constants.
	HeaderTimeout, IdleTimeout, BodyTimeout, TLSHandshakeTimeout time.Duration
	// DrainLimit: see DefaultDrainLimit.
	DrainLimit int
	// CompleteKeepAlive: see DefaultCompleteKeepAlive.
	CompleteKeepAlive time.Duration
	// MaxConns caps concurrent connections (default DefaultMaxConns;
	// negative: no cap). A connection over a cap is closed at accept.
	MaxConns int
	// MaxConnsPerIP caps concurrent connections from one IPv4 address or
	// IPv6 /64 (default DefaultMaxConnsPerIP; negative: no cap).
	MaxConnsPerIP int
	// TLS, when set, makes Serve speak HTTPS on the listener it is given.
	TLS *tls.Config
	// Ready reports whether the server can take traffic, for
	// /health/ready (default: always ready).
	Ready func(ctx context.Context) error
	// Maint serves the admin API's heal and status endpoints (nil: they
	// answer NotImplemented).
	Maint Maintenance
	// Logger receives request errors and server events (default
	// slog.Default()).
	Logger *slog.Logger
	// Now returns the current time (default time.Now); tests pin it. The
	// failed-authentication limiter reads it.
	Now func() time.Time

	// AuthFailBurst is how many failed authentications (bad or expired
	// signatures, unknown access keys, anonymous requests) one client, an
	// IPv4 address or IPv6 /64, may make before its unauthenticated
	// requests are answered 503 SlowDown without being checked (default
	// DefaultAuthFailBurst; negative disables the limit).
	AuthFailBurst int
	// AuthFailRate is how many failures per second a client earns back
	// (default DefaultAuthFailRate).
	AuthFailRate float64
	// AuthFailClients bounds how many clients the limiter tracks (default
	// DefaultAuthFailClients).
	AuthFailClients int

	// ReplayCacheSize bounds the cache of recently seen signatures that
	// refuses an exact replay of a state-changing request (default
	// DefaultReplayCacheSize; negative disables it). See replay.go.
	ReplayCacheSize int

	// Observer, when set, is told about every answered request (metrics).
	Observer RequestObserver
	// Audit, when set, gets one audit record per request (audit.go).
	Audit AuditLogger
	// Metrics, when set, is served at MetricsPath to the root account.
	Metrics http.Handler
}

// Server serves the S3 API over fasthttp.
type Server struct {
	o      Options
	srv    *fasthttp.Server
	log    *slog.Logger
	region string

	// base is the context every object-layer call runs under. It is
	// cancelled only when a graceful shutdown runs out of time, so in-flight
	// requests finish normally while the server drains.
	base       context.Context
	cancelBase context.CancelFunc

	// reqPrefix and reqSeq form request ids: a random per-process prefix and
	// a counter, unique without a random read per request.
	reqPrefix uint32
	reqSeq    atomic.Uint64
	hostID    string

	// mu guards the listeners Serve was given and the shutdown flag, so
	// Shutdown also stops a Serve that fasthttp has not registered yet.
	mu        sync.Mutex
	listeners []net.Listener
	closed    bool

	// gate throttles failed authentications per client; nil when
	// Options.AuthFailBurst disables it.
	gate *authGate

	// replay refuses replayed state-changing requests; nil when disabled.
	replay *replayCache

	// policies caches bucket policies for the default authorizer.
	policies *bucketPolicies
	// cors caches bucket CORS configurations (corscache.go).
	cors *corsCache

	// watch cancels in-flight requests whose client has disconnected.
	watch *disconnectWatch

	// configErr reports missing required Options at Serve.
	configErr error
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("s3api: server closed")

// positiveOr returns v, or def when v is zero or negative (unset).
func positiveOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// NewServer fills in defaults and returns a Server that is not yet
// listening. Options.Layer and Options.Verifier are required; without them
// Serve returns an error.
func NewServer(o Options) *Server {
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	o.MaxObjectSize = positiveOr(o.MaxObjectSize, DefaultMaxObjectSize)
	o.MaxHeaderSize = positiveOr(o.MaxHeaderSize, DefaultMaxHeaderSize)
	o.HeaderTimeout = positiveOr(o.HeaderTimeout, DefaultHeaderTimeout)
	o.IdleTimeout = positiveOr(o.IdleTimeout, DefaultIdleTimeout)
	o.BodyTimeout = positiveOr(o.BodyTimeout, DefaultBodyTimeout)
	o.DrainLimit = positiveOr(o.DrainLimit, DefaultDrainLimit)
	o.TLSHandshakeTimeout = positiveOr(o.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout)
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.MaxConnsPerIP == 0 {
		o.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	o.CompleteKeepAlive = positiveOr(o.CompleteKeepAlive, DefaultCompleteKeepAlive)
	o.BucketPolicyTTL = positiveOr(o.BucketPolicyTTL, DefaultBucketPolicyTTL)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	domains := make([]string, 0, len(o.Domains))
	for _, d := range o.Domains {
		d = strings.ToLower(strings.Trim(strings.TrimSpace(d), "."))
		if d != "" {
			domains = append(domains, d)
		}
	}
	o.Domains = domains

	s := &Server{o: o, log: o.Logger, region: o.Region, gate: newAuthGate(&o),
		watch: newDisconnectWatch(DefaultDisconnectPoll)}
	s.policies = newBucketPolicies(&o)
	s.cors = newCORSCache()
	if o.ReplayCacheSize >= 0 && o.Verifier != nil {
		s.replay = newReplayCache(o.ReplayCacheSize, o.Verifier.MaxSkew())
	}
	if s.o.Authorizer == nil {
		s.o.Authorizer = newAuthorizer(s)
	}
	switch {
	case o.Layer == nil:
		s.configErr = errors.New("s3api: Options.Layer is required")
	case o.Verifier == nil:
		s.configErr = errors.New("s3api: Options.Verifier is required")
	}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	var seed [12]byte
	_, _ = rand.Read(seed[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	s.reqPrefix = binary.BigEndian.Uint32(seed[:4])
	s.reqSeq.Store(binary.BigEndian.Uint64(seed[4:]) >> 16)
	s.hostID = fmt.Sprintf("%x", seed)

	s.srv = &fasthttp.Server{
		Handler:       s.handle,
		ExpectHandler: s.expect,
		ErrorHandler:  s.transportError,
		Name:          "RustFS",
		// The listener enforces MaxConns; fasthttp's own cap (answered
		// 503) only backs it up.
		Concurrency:    fasthttpConcurrency(o.MaxConns),
		HeaderReceived: s.headerReceived,
		// fasthttp's read buffer doubles as the header size limit.
		ReadBufferSize:  o.MaxHeaderSize,
		WriteBufferSize: 64 << 10,
		// ReadTimeout covers the headers (and is renewed as a progress
		// deadline once the body streams, see bodyReader); WriteTimeout is
		// likewise renewed while an object streams out.
		ReadTimeout:  o.HeaderTimeout,
		WriteTimeout: o.BodyTimeout,
		IdleTimeout:  o.IdleTimeout,
		// Bodies are streamed to the handler and limited by us: fasthttp
		// applies no limit to chunked bodies when streaming.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		CloseOnShutdown:              true,
		SecureErrorLogMessage:        true,
		Logger:                       fasthttpLogger{s.log},
	}
	if s.gate != nil {
		s.srv.ConnState = s.gate.connState
	}
	return s
}

// fasthttpConcurrency is fasthttp's own connection cap for maxConns
// (negative: no cap of ours, fasthttp's default).
func fasthttpConcurrency(maxConns int) int {
	if maxConns <= 0 {
		return 0
	}
	// A little headroom: a connection the listener has released may still
	// be counted by fasthttp for a moment.
	return maxConns + maxConns/8 + 16
}

// Serve accepts connections on ln until Shutdown. With Options.TLS set, ln
// carries plain TCP and Serve terminates TLS on it.
func (s *Server) Serve(ln net.Listener) error {
	if s.configErr != nil {
		return s.configErr
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	var obs ConnObserver
	if co, ok := s.o.Observer.(ConnObserver); ok {
		obs = co
	}
	ln = newLimitListener(ln, s.o.MaxConns, s.o.MaxConnsPerIP, s.log, obs)
	if s.o.TLS != nil {
		ln = &tlsListener{Listener: ln, conf: s.o.TLS, timeout: s.o.TLSHandshakeTimeout, bufs: newBatchPool()}
	}
	return s.srv.Serve(ln)
}

// Shutdown stops accepting connections and waits for in-flight requests to
// finish until ctx is done. If ctx expires first, the object-layer context
// of the remaining requests is cancelled: their uploads abort without ever
// becoming visible (visibility is the manifest commit) and the error is
// returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	lns := s.listeners
	s.mu.Unlock()
	err := s.srv.ShutdownWithContext(ctx)
	// fasthttp only knows listeners its Serve loop already picked up; close
	// them all so a Serve racing with Shutdown returns too.
	for _, ln := range lns {
		_ = ln.Close()
	}
	if err != nil {
		s.cancelBase()
		return fmt.Errorf("s3api: shutdown: %w", err)
	}
	s.cancelBase()
	return nil
}

// fasthttpLogger routes fasthttp's own messages (accept errors, broken
// connections) into slog at debug level: they are per-connection noise.
type fasthttpLogger struct{ log *slog.Logger }

// Printf implements fasthttp.Logger.
func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug("fasthttp: " + fmt.Sprintf(format, args...))
}
