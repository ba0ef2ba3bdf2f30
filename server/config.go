// Package server assembles a complete RustFS gateway from its settings:
// storage backend, key hierarchy, data plane, object layer, SigV4 verifier,
// TLS and the S3 HTTP server. cmd/rustfs parses flags into a Config and
// calls Run; integration tests call Run the same way on a random port.
package server

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/internal/gcpace"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/s3api"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Config holds every setting of `rustfs server`. Each field corresponds to
// one flag (and its RUSTFS_* environment variable) of the binary.
type Config struct {
	// Address is the listen address (default 127.0.0.1:9000; ":0" picks a
	// free port, reported through Run's ready callback).
	Address string
	// DataDir holds credentials, TLS files, the local root key and, for the
	// local backend, metadata and the default OSDs (default ./data).
	DataDir string
	// OSDs lists local OSDs as "rack:path" or "id@rack:path", comma
	// separated; empty means six OSDs in three racks under DataDir.
	OSDs string
	// Region is the S3 region (default us-east-1).
	Region string
	// Domains enable virtual-hosted-style requests ("<bucket>.<domain>").
	Domains []string
	// Workers, InFlight and ChunkSize tune the data plane (0 = defaults).
	Workers, InFlight, ChunkSize int
	// EC is the erasure layout "k+m" (default "4+2").
	EC string
	// Fsync is "always" (default) or "never" for the local backend.
	Fsync string
	// ETag is "md5" (default) or "fast" (opaque single-PUT ETags; breaks
	// clients that compare ETags with MD5, such as rclone and s3cmd).
	ETag string
	// MD5 picks the whole-object MD5 implementation: "auto" (default:
	// multi-buffer md5-simd lanes shared by concurrent streams when the
	// CPU has AVX2/AVX-512 and 4 or more streams hash at once, crypto/md5
	// otherwise), "simd" (multi-buffer
	// for every stream; fails without AVX2) or "scalar" (crypto/md5).
	MD5 string
	// TLSCert and TLSKey name a PEM certificate and key; when both are
	// empty a self-signed pair is created under DataDir/tls.
	TLSCert, TLSKey string
	// InsecurePlaintext serves plain HTTP. Credentials and data then cross
	// the network unprotected; meant for local testing only.
	InsecurePlaintext bool
	// MaxSkew is the accepted client clock difference (default 5m).
	MaxSkew time.Duration
	// AuthFailBurst is how many failed authentications one client (IPv4
	// address or IPv6 /64) may make before it is answered 503 SlowDown
	// (default 20; negative disables the limit).
	AuthFailBurst int
	// AuthFailRate is how many failed authentications per second a client
	// earns back once its burst is spent (default 1).
	AuthFailRate float64
	// Keyring is "local" (root secret in KeyringFile) or "pkcs11".
	Keyring string
	// KeyringFile is the local root secret (default KeyringDir/root.key);
	// copies sit next to it (root.key.copy1, root.key.copy2).
	KeyringFile string
	// KeyringDir holds the local root secret and its copies (default
	// DataDir/keys); it may live off the data disks.
	KeyringDir string
	// PKCS11 settings (Keyring "pkcs11").
	PKCS11Module, PKCS11Token, PKCS11PIN, PKCS11KeyLabel string
	// PKCS11CreateKey generates the root key in the token when missing.
	PKCS11CreateKey bool
	// Key versions for rotation (0 = 1): new envelopes use CustomerEpoch
	// and SigningKeyVersion; reads accept versions down to the Min* values.
	CustomerEpoch, MinCustomerEpoch         uint32
	SigningKeyVersion, MinSigningKeyVersion uint32
	// OldKeyringFiles are retired local root secrets still accepted for
	// reads while `rustfs keys rotate` re-signs manifests.
	OldKeyringFiles []string
	// UnsealShares are key share files (from `rustfs keys init`) applied at
	// start when the local keyring is sealed (see sealed.go).
	UnsealShares []string
	// unsealed is the in-memory keyring rebuilt from shares, set by RunWith.
	unsealed kdf.Keyring
	// MultipartExpiry aborts multipart uploads older than this (0 = never;
	// default 168h).
	MultipartExpiry time.Duration
	// ReadGrace keeps an overwritten or deleted object's data for GETs that
	// are already streaming it (0 deletes at once).
	ReadGrace time.Duration
	// ShardTimeout bounds each shard operation; a shard past it is treated
	// as unavailable (default 10s, negative disables).
	ShardTimeout time.Duration
	// WriteQuorum is how many of the k+m shards must commit before a PUT
	// is acknowledged (0: k+1).
	WriteQuorum int
	// Redundancy is the data layout of buckets created without an
	// x-rustfs-redundancy header: "4+2" (erasure coding, the default when
	// empty) or "3x" (three copies in three racks); see
	// object.ParseRedundancy.
	Redundancy string
	// MaxDown is how many local OSDs may be unusable at start; the server
	// then serves degraded and heals once they return (default 2).
	MaxDown int
	// ShardWrites is "direct" (O_DIRECT past each shard's first MiB; the
	// DefaultConfig choice, see docs/PERFORMANCE.md) or "buffered" (page
	// cache; also what an empty value means) for the local backend's shard
	// files; Commit is "each" (default: fsync per shard) or "group"
	// (concurrent commits share one syncfs).
	ShardWrites, Commit string
	// Backend names the storage backend ("local" by default).
	Backend string
	// OpenBackend opens a non-local backend; cmd/rustfs sets it from its
	// registry (the rados backend lives behind the ceph build tag).
	OpenBackend func(ctx context.Context, cfg Config) (storage.Backend, error)
	// AccessKey and SecretKey are the root credentials; when both are
	// empty they are read from (or generated into) DataDir/credentials.
	AccessKey, SecretKey string
	// ShutdownTimeout bounds the graceful drain on shutdown (default 30s).
	ShutdownTimeout time.Duration
	// MaxConns caps concurrent client connections (0: derived from the
	// descriptor limit, at most 10000; negative: no cap); MaxConnsPerIP caps
	// them per IPv4 address or IPv6 /64 (default 256; negative: no cap).
	// A connection over a cap is closed at accept.
	MaxConns, MaxConnsPerIP int
	// HeaderTimeout bounds the time to the end of a request's headers
	// (default 30s), TLSHandshakeTimeout a new connection's handshake
	// (default 10s), IdleTimeout a keep-alive connection's wait for its
	// next request (default 60s).
	HeaderTimeout, TLSHandshakeTimeout, IdleTimeout time.Duration
	// Maint configures the background heal, scrub and GC scheduler.
	Maint MaintConfig
	// LogLevel is debug, info (default), warn or error; ignored when
	// Logger is set.
	LogLevel string
	// Logger, when set, receives all logs.
	Logger *slog.Logger
	// Out receives the start-up banner (credentials, client command); nil
	// means no banner.
	Out io.Writer

	// Profile is "" (off) or cpu, mem, mutex, block or trace: a pkg/profile
	// profile written into ProfileDir (default DataDir/profiles) at shutdown.
	Profile, ProfileDir string
	// BlockPublicAccess is the public access block policy: "new-buckets"
	// (default: every new bucket gets all four switches, as S3 does since
	// April 2023; its owner may lift them), "all" (also a server-wide
	// floor no bucket can lift) or "off".
	BlockPublicAccess string
	// ReplayCacheSize bounds the per-gateway cache of recently accepted
	// signatures that refuses replayed writes (0: s3api's default;
	// negative: off).
	ReplayCacheSize int
	// AuditLog is the audit log file ("" = none): one hash-chained JSON
	// line per request with signed checkpoints (package audit), rotated at
	// AuditLogMaxSize bytes (DefaultConfig: 100 MiB; 0 never) into
	// AuditLog.000001, AuditLog.000002, …
	AuditLog        string
	AuditLogMaxSize int
	// AuditSIEMURL, when set, receives the audit lines as JSON-lines POSTs;
	// undelivered lines wait in AuditSpoolDir (default DataDir/audit-spool).
	AuditSIEMURL, AuditSpoolDir string
	// AuditSIEMCA is a PEM bundle the SIEM's certificate must chain to
	// (default the system roots); AuditSIEMAuth, when set, is sent as the
	// Authorization header ("Bearer …", "Splunk …").
	AuditSIEMCA, AuditSIEMAuth string
	// AuditSIEMTimeout bounds one POST to the SIEM (default 10s).
	AuditSIEMTimeout time.Duration
	// AuditStdout writes the access log: one info line per request.
	AuditStdout bool
	// AuditCheckpointInterval is how often the chain head is signed
	// (default 10s).
	AuditCheckpointInterval time.Duration
	// GatewayID names this gateway in audit records (default host name).
	GatewayID string

	// AdminAddress, when set, serves /metrics and /debug/pprof/ over plain
	// HTTP without authentication; a bare ":port" binds to 127.0.0.1.
	AdminAddress string

	// GCHeadroom is how far the Go heap may grow above its live size
	// before the next collection (the larger of this and an eighth of the
	// live heap), instead of GOGC's doubling, which let a bulk upload's
	// garbage pile up beside the pipelines' pooled buffers and kept the
	// RSS rising for ~12 GiB of one upload (docs/PERFORMANCE.md, "RSS
	// during a 10 GiB upload, where it went"). DefaultConfig: 16 MiB
	// (gcpace.DefaultHeadroom); negative turns it off. MemoryLimit is a
	// fixed ceiling on the runtime's memory, as GOMEMLIMIT sets (0: none,
	// or GOMEMLIMIT's). Both are process-wide: `rustfs server` applies them
	// (package internal/gcpace); Run and RunWith leave the process's
	// memory limit alone, so programs and tests that embed the server keep
	// theirs.
	GCHeadroom, MemoryLimit int64

	// Procs is the process's GOMAXPROCS (0: the CPU count, raised to at
	// least 8 so that goroutines blocked in file system calls do not hold
	// the Ps that CPU work needs). Like GCHeadroom it is process-wide:
	// `rustfs server` applies it; Run and RunWith do not.
	Procs int
}

// DefaultConfig returns the defaults of every setting.
func DefaultConfig() Config {
	return Config{
		Address:             "127.0.0.1:9000",
		DataDir:             "./data",
		Region:              "us-east-1",
		EC:                  "4+2",
		Fsync:               "always",
		ETag:                "md5",
		MD5:                 "auto",
		ShardWrites:         "direct",
		MaxSkew:             5 * time.Minute,
		AuthFailBurst:       s3api.DefaultAuthFailBurst,
		AuthFailRate:        s3api.DefaultAuthFailRate,
		Keyring:             "local",
		MultipartExpiry:     168 * time.Hour,
		ReadGrace:           5 * time.Minute,
		ShardTimeout:        10 * time.Second,
		MaxDown:             2,
		Backend:             "local",
		ShutdownTimeout:     30 * time.Second,
		MaxConnsPerIP:       s3api.DefaultMaxConnsPerIP,
		HeaderTimeout:       s3api.DefaultHeaderTimeout,
		TLSHandshakeTimeout: s3api.DefaultTLSHandshakeTimeout,
		IdleTimeout:         s3api.DefaultIdleTimeout,
		LogLevel:            "info",
		Maint:               DefaultMaintConfig(),
		AuditLogMaxSize:     DefaultAuditLogMaxSize,
		BlockPublicAccess:   "new-buckets",
		GCHeadroom:          gcpace.DefaultHeadroom,
	}
}

// withDefaults fills empty fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	// cmp.Or takes the default where the field is its zero value (unset).
	c.Address = cmp.Or(c.Address, d.Address)
	c.DataDir = cmp.Or(c.DataDir, d.DataDir)
	c.Region = cmp.Or(c.Region, d.Region)
	c.EC = cmp.Or(c.EC, d.EC)
	c.Fsync = cmp.Or(c.Fsync, d.Fsync)
	c.ETag = cmp.Or(c.ETag, d.ETag)
	c.MD5 = cmp.Or(c.MD5, d.MD5)
	if c.MaxSkew <= 0 {
		c.MaxSkew = d.MaxSkew
	}
	c.AuthFailBurst = cmp.Or(c.AuthFailBurst, d.AuthFailBurst)
	c.AuthFailRate = cmp.Or(c.AuthFailRate, d.AuthFailRate)
	c.Keyring = cmp.Or(c.Keyring, d.Keyring)
	c.Backend = cmp.Or(c.Backend, d.Backend)
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = d.ShutdownTimeout
	}
	c.LogLevel = cmp.Or(c.LogLevel, d.LogLevel)
	c.BlockPublicAccess = cmp.Or(c.BlockPublicAccess, d.BlockPublicAccess)
	c.MaxConnsPerIP = cmp.Or(c.MaxConnsPerIP, d.MaxConnsPerIP)
	c.HeaderTimeout = positiveOr(c.HeaderTimeout, d.HeaderTimeout)
	c.TLSHandshakeTimeout = positiveOr(c.TLSHandshakeTimeout, d.TLSHandshakeTimeout)
	c.IdleTimeout = positiveOr(c.IdleTimeout, d.IdleTimeout)
	if c.AuditSIEMTimeout <= 0 {
		c.AuditSIEMTimeout = 10 * time.Second
	}
	if c.GatewayID == "" {
		c.GatewayID, _ = os.Hostname()
	}
	return c
}

// positiveOr returns v, or def when v is zero or negative (unset).
func positiveOr(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// publicAccess maps BlockPublicAccess to the S3 server's floor and
// new-bucket block.
func (c Config) publicAccess() (floor s3api.PublicAccessBlock, newBucket *s3api.PublicAccessBlock, err error) {
	all := s3api.BlockAllPublicAccess
	switch c.BlockPublicAccess {
	case "new-buckets", "":
		return floor, &all, nil
	case "all":
		return all, &all, nil
	case "off":
		return floor, nil, nil
	}
	return floor, nil, fmt.Errorf("server: block-public-access %q: want new-buckets, all or off", c.BlockPublicAccess)
}

// checkAuthFail refuses a failed-authentication rate that is not a finite
// positive number: a negative or NaN rate would never refill, locking a
// client out for good after its burst.
func (c Config) checkAuthFail() error {
	if math.IsNaN(c.AuthFailRate) || math.IsInf(c.AuthFailRate, 0) || c.AuthFailRate < 0 {
		return fmt.Errorf("server: auth-fail rate %v: want a positive number of failures per second", c.AuthFailRate)
	}
	return nil
}

// ParseEC parses an erasure layout "k+m" such as "4+2".
func ParseEC(s string) (k, m int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "+")
	if ok {
		k, err = strconv.Atoi(a)
		if err == nil {
			m, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || k < 1 || m < 1 || k+m > 64 {
		return 0, 0, fmt.Errorf("server: erasure layout %q: want k+m such as 4+2", s)
	}
	return k, m, nil
}

// ParseLogLevel maps debug|info|warn|error to a slog level.
func ParseLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(s)))); err != nil {
		return 0, fmt.Errorf("server: log level %q: want debug, info, warn or error", s)
	}
	return l, nil
}
