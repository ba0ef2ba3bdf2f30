package server

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tasmaniancloud/rustfs/kdf"
)

// ResplitCeremony runs `rustfs keys resplit` for cfg's sealed local
// keyring: the share files in sharePaths (at least the current threshold,
// each verified as an unseal verifies it) rebuild the root in memory, which
// is split again into shares of threshold under outDir; the record moves to
// the next epoch, so the earlier shares stop working. The event is logged
// on log and appended to the keyring's ceremony.log.
func ResplitCeremony(cfg Config, outDir string, shares, threshold int, sharePaths []string, log *slog.Logger) (*kdf.Ceremony, []string, error) {
	cfg = cfg.withDefaults()
	if cfg.Keyring != "local" {
		return nil, nil, fmt.Errorf("server: keys resplit re-splits a local keyring, not %q", cfg.Keyring)
	}
	var old []*kdf.Share
	defer func() {
		for _, s := range old {
			clear(s.Share)
		}
	}()
	for _, p := range sharePaths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, fmt.Errorf("server: keys resplit: %w", err)
		}
		sh, err := kdf.ParseShare(raw)
		clear(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("server: keys resplit: %s: %w", p, err)
		}
		old = append(old, sh)
	}
	dir := ceremonyDir(cfg)
	prev, next, paths, err := kdf.ResplitCeremony(kdf.CeremonyOptions{
		KeyringDir: dir, OutDir: outDir, Shares: shares, Threshold: threshold,
	}, old)
	if err != nil {
		log.Warn("rustfs: keys resplit refused", "keyring_dir", dir, "err", err)
		return nil, nil, err
	}
	log.Warn("rustfs: keys resplit: the root key was split again; earlier shares no longer unseal",
		"keyring", next.KeyringID, "shares", next.Shares, "threshold", next.Threshold,
		"old_epoch", prev.CurrentEpoch(), "new_epoch", next.CurrentEpoch(), "out", outDir)
	err = auditCeremony(dir, kdf.CeremonyEvent{Event: "resplit", KeyringID: next.KeyringID,
		Shares: next.Shares, Threshold: next.Threshold, OldEpoch: prev.CurrentEpoch(), NewEpoch: next.CurrentEpoch(),
		Detail: fmt.Sprintf("was %d of %d", prev.Threshold, prev.Shares)})
	if err != nil {
		// The split is done and the old shares are already dead: report
		// the gap in the trail rather than hide the new shares.
		log.Error("rustfs: keys resplit: ceremony log not written", "err", err)
		return next, paths, fmt.Errorf("server: keys resplit succeeded (new shares in %s) but %w", outDir, err)
	}
	return next, paths, nil
}

// auditCeremony appends ev, stamped with this host's name, to the keyring
// directory's ceremony.log.
func auditCeremony(dir string, ev kdf.CeremonyEvent) error {
	if ev.Host == "" {
		ev.Host, _ = os.Hostname()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("server: ceremony log: %w", err)
	}
	return kdf.AppendCeremonyLog(dir, ev)
}

// VerifyCeremonyLog checks the hash chain of cfg's keyring ceremony.log and
// returns its events (`rustfs keys log`).
func VerifyCeremonyLog(cfg Config) ([]kdf.CeremonyEvent, string, error) {
	cfg = cfg.withDefaults()
	dir := ceremonyDir(cfg)
	evs, err := kdf.VerifyCeremonyLog(dir)
	return evs, filepath.Join(dir, kdf.CeremonyLogFile), err
}
