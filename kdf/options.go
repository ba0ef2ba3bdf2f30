package kdf

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults for Options.
const (
	// DefaultCacheBytes bounds the key cache when Options.CacheBytes is 0.
	DefaultCacheBytes = 64 << 20
	// DefaultCacheTTL bounds cached secrets' lifetime when Options.CacheTTL is 0.
	DefaultCacheTTL = 10 * time.Minute
)

// Options configures a Service. Versions are 1-based; the zero value of every
// version field means 1.
type Options struct {
	// Keyring is the current root: new envelopes and signatures use it.
	// The caller owns it (Service.Close does not close it).
	Keyring Keyring
	// CacheBytes bounds the in-memory cache of customer keys, data keys and
	// verified-manifest digests (default 64 MiB; negative disables caching).
	CacheBytes int64
	// CacheTTL bounds how long a cached secret lives (default 10 min).
	CacheTTL time.Duration

	// OldKeyrings are retired roots still accepted for reads (envelopes whose
	// RootKeyID and signatures whose SigKeyID name them). Rewrap moves
	// signatures to the current root.
	OldKeyrings []Keyring
	// CustomerEpoch is the customer-key epoch used for new envelopes.
	CustomerEpoch uint32
	// MinCustomerEpoch is the oldest epoch accepted on read; envelopes
	// outside [MinCustomerEpoch, CustomerEpoch] fail with ErrUnsupported.
	MinCustomerEpoch uint32
	// SigningKeyVersion is the ML-DSA-65 key version used by SignManifest.
	SigningKeyVersion uint32
	// MinSigningKeyVersion is the oldest signing key version accepted by
	// VerifyManifest; signatures outside the range fail with ErrUnsupported.
	MinSigningKeyVersion uint32
	// Logger receives tamper warnings (default slog.Default()).
	Logger *slog.Logger
}

// withDefaults validates o and fills in defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Keyring == nil {
		return o, errors.New("kdf: Options.Keyring is required")
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	o.CustomerEpoch = max(o.CustomerEpoch, 1)
	o.MinCustomerEpoch = max(o.MinCustomerEpoch, 1)
	o.SigningKeyVersion = max(o.SigningKeyVersion, 1)
	o.MinSigningKeyVersion = max(o.MinSigningKeyVersion, 1)
	if o.MinCustomerEpoch > o.CustomerEpoch {
		return o, fmt.Errorf("kdf: MinCustomerEpoch %d > CustomerEpoch %d", o.MinCustomerEpoch, o.CustomerEpoch)
	}
	if o.MinSigningKeyVersion > o.SigningKeyVersion {
		return o, fmt.Errorf("kdf: MinSigningKeyVersion %d > SigningKeyVersion %d", o.MinSigningKeyVersion, o.SigningKeyVersion)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}
