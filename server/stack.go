package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/md5x"
	"github.com/tasmaniancloud/rustfs/metrics"
	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// stack is everything a running gateway holds open, closed in reverse.
type stack struct {
	backend storage.Backend // metadata sealed (storage/sealed) once keys are open
	raw     storage.Backend // the backend as opened, for its own hooks
	keyring kdf.Keyring
	old     []kdf.Keyring
	keys    *kdf.Service
	engine  *dataplane.Engine
	store   *object.Store
	md5     *md5x.Provider   // whole-object MD5 hashers, closed after store
	metrics *metrics.Metrics // instrumentation, see ops.go
	stats   *dataplane.Stats
}

// newLogger builds the logger of cfg.
func newLogger(cfg Config) (*slog.Logger, error) {
	if cfg.Logger != nil {
		return cfg.Logger, nil
	}
	level, err := ParseLogLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})), nil
}

// OpenLocal opens the embedded local backend of cfg: metadata and, unless
// cfg.OSDs says otherwise, six OSDs in three racks under cfg.DataDir. The
// server only uses it under storage/sealed, whose names are keyed hashes
// ordered by its own index, so the backend's ordered key index is off.
func OpenLocal(_ context.Context, cfg Config) (storage.Backend, error) {
	o := local.Options{Dir: cfg.DataDir, Fsync: cfg.Fsync, MaxDown: cfg.MaxDown,
		ShardWrites: cfg.ShardWrites, Commit: cfg.Commit, Logger: cfg.Logger, NoIndex: true}
	if cfg.MaxDown == 0 {
		o.MaxDown = -1 // local.Options reads 0 as its default of 2
	}
	if cfg.OSDs != "" {
		layout, err := local.ParseLayout(cfg.OSDs)
		if err != nil {
			return nil, err
		}
		o.Layout = layout
	}
	return local.Open(o)
}

// openBackend opens the backend cfg names.
func openBackend(ctx context.Context, cfg Config) (storage.Backend, error) {
	switch {
	case cfg.OpenBackend != nil:
		return cfg.OpenBackend(ctx, cfg)
	case cfg.Backend == "local":
		return OpenLocal(ctx, cfg)
	default:
		return nil, fmt.Errorf("server: backend %q is not available in this build (the rados backend needs -tags ceph)", cfg.Backend)
	}
}

// localKeyPath is the local root secret's file under cfg.
func localKeyPath(cfg Config) string {
	if cfg.KeyringFile != "" {
		return cfg.KeyringFile
	}
	dir := cfg.KeyringDir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "keys")
	}
	return filepath.Join(dir, "root.key")
}

// openKeyring opens the root keyring of cfg.
func openKeyring(cfg Config, log *slog.Logger) (kdf.Keyring, error) {
	switch cfg.Keyring {
	case "local":
		if cfg.unsealed != nil {
			return cfg.unsealed, nil
		}
		if err := refuseSealed(cfg); err != nil {
			return nil, err
		}
		path := localKeyPath(cfg)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("server: keyring directory: %w", err)
		}
		k, err := kdf.OpenLocal(path)
		if err == nil {
			// The library stays silent; the operator hears it from the server's logger.
			log.Warn("kdf: using a local root secret file; this is for development only, use a PKCS#11 HSM in production",
				"path", path, "keyring", k.ID())
		}
		return k, err
	case "pkcs11":
		return kdf.OpenPKCS11(kdf.PKCS11Options{
			ModulePath:      cfg.PKCS11Module,
			TokenLabel:      cfg.PKCS11Token,
			PIN:             cfg.PKCS11PIN,
			KeyLabel:        cfg.PKCS11KeyLabel,
			CreateIfMissing: cfg.PKCS11CreateKey,
		})
	}
	return nil, fmt.Errorf("server: keyring %q: want local or pkcs11", cfg.Keyring)
}

// openKeys opens the backend, the keyrings and the key service: what both
// the server and `rustfs keys rotate` need.
func openKeys(ctx context.Context, cfg Config, log *slog.Logger) (*stack, error) {
	st := &stack{}
	var err error
	if err = os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("server: data directory: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = log // the backend reports OSD state changes here
	}
	if st.backend, err = openBackend(ctx, cfg); err != nil {
		return nil, fmt.Errorf("server: open %s backend: %w", cfg.Backend, err)
	}
	if st.keyring, err = openKeyring(cfg, log); err != nil {
		st.Close()
		return nil, err
	}
	for _, p := range cfg.OldKeyringFiles {
		k, err := kdf.OpenLocal(p)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("server: old keyring: %w", err)
		}
		st.old = append(st.old, k)
	}
	st.keys, err = kdf.New(kdf.Options{
		Keyring:              st.keyring,
		OldKeyrings:          st.old,
		CustomerEpoch:        cfg.CustomerEpoch,
		MinCustomerEpoch:     cfg.MinCustomerEpoch,
		SigningKeyVersion:    cfg.SigningKeyVersion,
		MinSigningKeyVersion: cfg.MinSigningKeyVersion,
		Logger:               log,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	// Seal the metadata store before anything reads it: names, values and
	// listing order are kept under a key from the keyring (docs/SECURITY.md).
	// A few bounded reads (and one write on a new store): a stop request
	// meanwhile is honoured once the stack is up, like the rest of the open.
	st.raw = st.backend
	if st.backend, err = sealed.Open(context.WithoutCancel(ctx), st.raw, st.keys.MetadataKey, sealed.Options{Logger: log}); err != nil {
		st.backend = st.raw
		st.Close()
		return nil, fmt.Errorf("server: %w", err)
	}
	return st, nil
}

// openStack opens everything the object layer needs.
func openStack(ctx context.Context, cfg Config, log *slog.Logger) (*stack, error) {
	k, m, err := ParseEC(cfg.EC)
	if err != nil {
		return nil, err
	}
	st, err := openKeys(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	st.metrics, st.stats = metrics.New(), &dataplane.Stats{}
	st.engine, err = dataplane.New(st.metrics.WrapBackend(st.backend), dataplane.Options{
		Workers: cfg.Workers, InFlight: cfg.InFlight, ChunkSize: cfg.ChunkSize, K: k, M: m, Stats: st.stats,
		WriteQuorum: cfg.WriteQuorum, ShardTimeout: cfg.ShardTimeout,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	var red object.Redundancy
	if cfg.Redundancy != "" {
		if red, err = object.ParseRedundancy(cfg.Redundancy); err != nil {
			st.Close()
			return nil, fmt.Errorf("server: --redundancy: %w", err)
		}
	}
	if st.md5, err = md5x.New(cfg.MD5); err != nil {
		st.Close()
		return nil, fmt.Errorf("server: --md5: %w", err)
	}
	log.Info("rustfs: whole-object MD5", "mode", cfg.MD5, "impl", st.md5.Impl())
	st.store, err = object.New(object.Options{
		Backend: st.backend, Engine: st.engine, Keys: st.keys, MD5: st.md5,
		ETag: cfg.ETag, MultipartExpiry: cfg.MultipartExpiry, ReadGrace: cfg.ReadGrace, Logger: log,
		Redundancy: red,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// Close runs the object layer's pending deletions, then releases the key
// service, keyrings and backend.
func (st *stack) Close() error {
	var errs []error
	if st.store != nil {
		errs = append(errs, st.store.Close())
	}
	if st.md5 != nil {
		errs = append(errs, st.md5.Close())
	}
	if st.keys != nil {
		errs = append(errs, st.keys.Close())
	}
	for _, k := range st.old {
		errs = append(errs, k.Close())
	}
	if st.keyring != nil {
		errs = append(errs, st.keyring.Close())
	}
	if st.backend != nil {
		errs = append(errs, st.backend.Close())
	}
	return errors.Join(errs...)
}
