package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/server"
)

// envName is the environment variable standing for a flag:
// --chunk-size → RUSTFS_CHUNK_SIZE.
func envName(flagName string) string {
	return "RUSTFS_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv sets every flag not given on the command line from its
// environment variable, so flags win over the environment, which wins over
// defaults.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("%s=%q: %w", envName(f.Name), v, serr)
			}
		}
	})
	return err
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag struct{ v *[]string }

// String implements flag.Value.
func (l listFlag) String() string {
	if l.v == nil {
		return ""
	}
	return strings.Join(*l.v, ",")
}

// Set implements flag.Value, appending comma-separated values.
func (l listFlag) Set(s string) error {
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l.v = append(*l.v, p)
		}
	}
	return nil
}

// sizeFlag is a byte count accepting K/M/G (powers of 1024) suffixes, with
// an optional "iB" or "B": 1M, 1MiB, 65536.
type sizeFlag struct{ v *int }

// String implements flag.Value.
func (s sizeFlag) String() string {
	if s.v == nil {
		return "0"
	}
	return strconv.Itoa(*s.v)
}

// Set implements flag.Value.
func (s sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s.v = n
	return nil
}

// parseSize parses a byte count with an optional binary suffix.
func parseSize(v string) (int, error) {
	n, err := parseSizeMax(v, 1<<31-1)
	return int(n), err
}

// parseSizeMax parses a byte count of at most limit bytes with an optional
// binary suffix (K, M, G, T).
func parseSizeMax(v string, limit int64) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(v))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, t[:len(t)-1]
	case strings.HasSuffix(t, "T"):
		mult, t = 1<<40, t[:len(t)-1]
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n < 0 || n > limit/mult {
		return 0, fmt.Errorf("invalid size %q (use bytes or a K/M/G/T suffix)", v)
	}
	return n * mult, nil
}

// memFlag is a 64-bit byte count (K/M/G/T suffixes) that also takes "off",
// stored as -1.
type memFlag struct{ v *int64 }

// String implements flag.Value.
func (m memFlag) String() string {
	switch {
	case m.v == nil || *m.v == 0:
		return "0"
	case *m.v < 0:
		return "off"
	}
	return strconv.FormatInt(*m.v, 10)
}

// Set implements flag.Value.
func (m memFlag) Set(v string) error {
	if strings.EqualFold(strings.TrimSpace(v), "off") {
		*m.v = -1
		return nil
	}
	n, err := parseSizeMax(v, 1<<62)
	if err != nil {
		return err
	}
	*m.v = n
	return nil
}

// uint32Flag binds a uint32.
type uint32Flag struct{ v *uint32 }

// String implements flag.Value.
func (u uint32Flag) String() string {
	if u.v == nil {
		return "0"
	}
	return strconv.FormatUint(uint64(*u.v), 10)
}

// Set implements flag.Value.
func (u uint32Flag) Set(s string) error {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return err
	}
	*u.v = uint32(n)
	return nil
}

// storageFlags registers the flags that select the data directory,
// backend and keyring: shared by `server` and `keys rotate`.
func storageFlags(fs *flag.FlagSet, c *server.Config) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory: credentials, TLS files, local root key, local backend")
	fs.StringVar(&c.Backend, "backend", c.Backend, "storage backend: "+strings.Join(backendNames(), "|"))
	fs.StringVar(&c.OSDs, "osds", c.OSDs, "local OSDs as rack:path or id@rack:path, comma separated (default 6 OSDs in 3 racks under --data)")
	fs.StringVar(&c.Fsync, "fsync", c.Fsync, "local backend durability: always|never")
	fs.StringVar(&c.Keyring, "keyring", c.Keyring, "root of trust: local|pkcs11")
	fs.StringVar(&c.KeyringFile, "keyring-file", c.KeyringFile, "local root secret (default <keyring-dir>/root.key; copies beside it)")
	fs.StringVar(&c.KeyringDir, "keyring-dir", c.KeyringDir, "directory of the local root secret and its copies (default <data>/keys)")
	fs.StringVar(&c.PKCS11Module, "pkcs11-module", c.PKCS11Module, "PKCS#11 module path (default: SoftHSM2's usual locations)")
	fs.StringVar(&c.PKCS11Token, "pkcs11-token", c.PKCS11Token, "PKCS#11 token label")
	fs.StringVar(&c.PKCS11PIN, "pkcs11-pin", c.PKCS11PIN, "PKCS#11 user PIN (prefer RUSTFS_PKCS11_PIN: flags show in ps)")
	fs.StringVar(&c.PKCS11KeyLabel, "pkcs11-key-label", c.PKCS11KeyLabel, "label of the root key in the token")
	fs.BoolVar(&c.PKCS11CreateKey, "pkcs11-create-key", c.PKCS11CreateKey, "generate the root key in the token if it is missing")
	fs.Var(uint32Flag{&c.CustomerEpoch}, "customer-epoch", "customer key epoch for new objects (default 1)")
	fs.Var(uint32Flag{&c.MinCustomerEpoch}, "min-customer-epoch", "oldest customer key epoch accepted on read (default 1)")
	fs.Var(uint32Flag{&c.SigningKeyVersion}, "signing-key-version", "manifest signing key version for new signatures (default 1)")
	fs.Var(uint32Flag{&c.MinSigningKeyVersion}, "min-signing-key-version", "oldest signing key version accepted (default 1)")
	fs.Var(listFlag{&c.OldKeyringFiles}, "old-keyring-file", "retired local root secret still accepted for reads (repeatable)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug|info|warn|error")
	for _, b := range backends {
		if b.flags != nil {
			b.flags(fs)
		}
	}
	for _, hook := range backendFlagHooks {
		hook(fs)
	}
}

// serverFlags registers every `rustfs server` flag on fs, bound to c.
func serverFlags(fs *flag.FlagSet, c *server.Config) {
	fs.Var(listFlag{&c.UnsealShares}, "unseal-share", "key share file applied at start when the local keyring is sealed (repeatable)")
	fs.StringVar(&c.Address, "address", c.Address, "listen address")
	fs.StringVar(&c.Region, "region", c.Region, "S3 region")
	fs.Var(listFlag{&c.Domains}, "domain", "domain for virtual-hosted-style requests (<bucket>.<domain>); repeatable or comma separated")
	fs.IntVar(&c.Workers, "workers", c.Workers, "seal/encode workers (default GOMAXPROCS)")
	fs.IntVar(&c.InFlight, "inflight", c.InFlight, "stripes in flight per stream (default 2*workers+2)")
	fs.Var(sizeFlag{&c.ChunkSize}, "chunk-size", "chunk size, 64K..16M (default 1M)")
	fs.StringVar(&c.EC, "ec", c.EC, "erasure layout k+m")
	fs.StringVar(&c.ETag, "etag", c.ETag, "single-PUT ETag: md5 (S3 compatible) or fast (opaque; breaks rclone/s3cmd MD5 checks)")
	fs.StringVar(&c.MD5, "md5", c.MD5, "whole-object MD5 (ETags, Content-MD5): auto (AVX2/AVX-512 lanes shared while 4+ streams hash at once, else crypto/md5), simd (lanes for every stream) or scalar (crypto/md5)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate (default: self-signed under <data>/tls)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key")
	fs.BoolVar(&c.InsecurePlaintext, "insecure-plaintext", c.InsecurePlaintext, "serve plain HTTP (testing only: secrets and data travel unencrypted)")
	fs.DurationVar(&c.MaxSkew, "max-skew", c.MaxSkew, "accepted client clock skew")
	fs.IntVar(&c.ReplayCacheSize, "replay-cache-size", c.ReplayCacheSize, "signatures of accepted writes remembered to refuse replays within the clock window (0: 1Mi; negative: off)")
	fs.StringVar(&c.BlockPublicAccess, "block-public-access", c.BlockPublicAccess, "public access block: new-buckets (every new bucket blocks public policies, as S3 since 2023), all (a server-wide block no bucket can lift) or off")
	fs.IntVar(&c.AuthFailBurst, "auth-fail-burst", c.AuthFailBurst, "failed authentications one client (IPv4 address or IPv6 /64) may make before it gets 503 SlowDown (negative disables the limit)")
	fs.Float64Var(&c.AuthFailRate, "auth-fail-rate", c.AuthFailRate, "failed authentications per second a client earns back once its burst is spent")
	fs.DurationVar(&c.MultipartExpiry, "multipart-expiry", c.MultipartExpiry, "abort multipart uploads older than this (0 = never)")
	fs.DurationVar(&c.ShardTimeout, "shard-timeout", c.ShardTimeout, "treat a shard operation slower than this as a failed shard (negative = no deadline)")
	fs.IntVar(&c.WriteQuorum, "write-quorum", c.WriteQuorum, "shards that must commit before a PUT is acknowledged (0 = k+1)")
	fs.StringVar(&c.Redundancy, "redundancy", c.Redundancy, "data layout of new buckets without an x-rustfs-redundancy header: 4+2 (erasure coding, default) or 3x (three copies in three racks)")
	fs.IntVar(&c.MaxDown, "max-down", c.MaxDown, "local OSDs that may be unusable at start; the server serves degraded and heals when they return")
	fs.StringVar(&c.ShardWrites, "shard-writes", c.ShardWrites, "local shard file writes: direct (O_DIRECT past each shard's first MiB) or buffered (page cache)")
	fs.StringVar(&c.Commit, "commit", c.Commit, "local commits of shards and metadata copies: each (fsyncs per file, default) or group (concurrent commits share a syncfs of the filesystem)")
	fs.DurationVar(&c.ReadGrace, "read-grace", c.ReadGrace, "keep an overwritten or deleted object's data this long for reads already streaming it (0 = delete at once)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long in-flight requests may finish on SIGTERM")
	fs.IntVar(&c.MaxConns, "max-conns", c.MaxConns, "concurrent client connections in total (0 = derived from the open-file limit, at most 10000; negative = no cap)")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", c.MaxConnsPerIP, "concurrent connections from one IPv4 address or IPv6 /64 (negative = no cap)")
	fs.DurationVar(&c.HeaderTimeout, "header-timeout", c.HeaderTimeout, "time allowed to the end of a request's headers (from the handshake on a new connection, from the first byte on a keep-alive one)")
	fs.DurationVar(&c.TLSHandshakeTimeout, "tls-handshake-timeout", c.TLSHandshakeTimeout, "time allowed for a new connection's TLS handshake")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "how long a keep-alive connection may wait for its next request")
	fs.StringVar(&c.AuditLog, "audit-log", c.AuditLog, "audit log file: one hash-chained JSON line per request, signed checkpoints (check with rustfs audit verify)")
	fs.Var(sizeFlag{&c.AuditLogMaxSize}, "audit-log-max-size", "rotate the audit log at this size into FILE.000001, … (0 = never)")
	fs.StringVar(&c.AuditSIEMURL, "audit-siem-url", c.AuditSIEMURL, "also POST the audit log as JSON lines to this HTTP(S) endpoint")
	fs.StringVar(&c.AuditSIEMCA, "audit-siem-ca", c.AuditSIEMCA, "PEM CA bundle the SIEM endpoint's certificate must chain to (default system roots)")
	fs.StringVar(&c.AuditSIEMAuth, "audit-siem-auth", c.AuditSIEMAuth, "Authorization header value for the SIEM (prefer RUSTFS_AUDIT_SIEM_AUTH: flags show in ps)")
	fs.StringVar(&c.AuditSpoolDir, "audit-spool-dir", c.AuditSpoolDir, "spool of audit lines the SIEM has not taken yet (default <data>/audit-spool)")
	fs.BoolVar(&c.AuditStdout, "audit-stdout", c.AuditStdout, "write the access log: one info line per request")
	fs.DurationVar(&c.AuditCheckpointInterval, "audit-checkpoint-interval", c.AuditCheckpointInterval, "how often the audit chain head is signed (default 10s)")
	fs.StringVar(&c.GatewayID, "gateway-id", c.GatewayID, "this gateway's name in audit records (default the host name)")
	maintFlags(fs, &c.Maint)
	opsFlags(fs, c)
	storageFlags(fs, c)
}

// parseServer turns `rustfs server` arguments and the environment into a
// Config.
func parseServer(args []string, getenv func(string) string, fs *flag.FlagSet) (server.Config, error) {
	c := server.DefaultConfig()
	serverFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := applyEnv(fs, getenv); err != nil {
		return c, err
	}
	c.AccessKey, c.SecretKey = getenv("RUSTFS_ACCESS_KEY"), getenv("RUSTFS_SECRET_KEY")
	if err := bindBackend(&c); err != nil {
		return c, err
	}
	return c, nil
}
