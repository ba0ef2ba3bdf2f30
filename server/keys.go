package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tasmaniancloud/rustfs/kdf"
)

// RotateOptions selects what `rustfs keys rotate` does.
type RotateOptions struct {
	// Buckets limits the walk (nil = every bucket).
	Buckets []string
	// DryRun verifies and counts without writing.
	DryRun bool
}

// RotateKeys re-signs every manifest not signed with the current signing
// key of cfg (cfg.SigningKeyVersion, current keyring) after verifying it
// under the accepted keys, and counts envelopes under old roots or epochs.
// Run it after bumping the key versions (or switching keyrings with the old
// one in cfg.OldKeyringFiles); servers may keep running meanwhile.
func RotateKeys(ctx context.Context, cfg Config, o RotateOptions) (kdf.RotateReport, error) {
	st, log, err := openToolKeys(ctx, cfg)
	if err != nil {
		return kdf.RotateReport{}, err
	}
	defer st.Close()
	rep, err := kdf.Rotate(ctx, st.keys, st.backend.Meta(), kdf.RotateOptions{
		Buckets: o.Buckets, DryRun: o.DryRun, Logger: log,
	})
	if cfg = cfg.withDefaults(); !o.DryRun && cfg.Keyring == "local" {
		// Every rotation of a local keyring is a ceremony event; its
		// epochs are the manifest signing key versions.
		cur := st.keys.Current()
		ev := kdf.CeremonyEvent{Event: "rotate", KeyringID: cur.Root,
			NewEpoch: int(cfg.SigningKeyVersion), Detail: "signing key " + cur.Signature + ": " + rep.String()}
		if err != nil {
			ev.Detail += "; error: " + err.Error()
		}
		if aerr := auditCeremony(ceremonyDir(cfg), ev); aerr != nil && err == nil {
			err = fmt.Errorf("server: keys rotate: %w", aerr)
		}
	}
	return rep, err
}

// CreateKMSKey issues the id of the KMS key name of account under cfg's
// keyring (kdf.Service.KMSKeyID): the id PutBucketEncryption (aws:kms) and
// x-amz-server-side-encryption-aws-kms-key-id take. Nothing is stored, so
// running it again prints the same id.
func CreateKMSKey(ctx context.Context, cfg Config, account, name string) (string, error) {
	st, _, err := openToolKeys(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer st.Close()
	return st.keys.KMSKeyID(ctx, account, name)
}

// openToolKeys opens the backend and key service for an offline key
// command; a sealed local keyring opens only from its shares (sealed.go).
func openToolKeys(ctx context.Context, cfg Config) (*stack, *slog.Logger, error) {
	cfg = cfg.withDefaults()
	log, err := newLogger(cfg)
	if err != nil {
		return nil, nil, err
	}
	if cfg.Keyring == "local" {
		u, err := unsealFromFiles(cfg, log)
		if err != nil {
			return nil, nil, err
		}
		if u != nil {
			if cfg.unsealed = u.Keyring(); cfg.unsealed == nil {
				return nil, nil, fmt.Errorf("server: the local keyring is sealed: give %d more key shares with --unseal-share", u.Need())
			}
		}
	}
	st, err := openKeys(ctx, cfg, log)
	if err != nil {
		if cfg.unsealed != nil {
			cfg.unsealed.Close()
		}
		return nil, nil, err
	}
	return st, log, nil
}
