package kdf

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tasmaniancloud/rustfs/kdf/shamir"
)

// ResplitCeremony re-splits a sealed keyring's root without changing it:
// old holds at least the current threshold of the current shares, each
// verified exactly as an unseal verifies it (a forged, altered or foreign
// share is refused and nothing is combined). The combined root must match
// the recorded keyring id. New shares (o.Shares, o.Threshold) are signed
// with a fresh key and written under o.OutDir, then the record is replaced
// with the next epoch, so every share of the earlier split stops verifying.
// The root exists only in memory and is zeroed before returning. It
// returns the old and new records and the new share files' paths.
func ResplitCeremony(o CeremonyOptions, old []*Share) (prev, next *Ceremony, paths []string, err error) {
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KeyringDir == "" || o.OutDir == "" {
		return nil, nil, nil, errors.New("kdf: resplit: keyring and output directories are required")
	}
	if o.Threshold < 2 || o.Shares < o.Threshold || o.Shares > shamir.MaxShares {
		return nil, nil, nil, fmt.Errorf("kdf: resplit: %d shares, threshold %d: want 2 <= threshold <= shares <= %d",
			o.Shares, o.Threshold, shamir.MaxShares)
	}
	prev, err = LoadCeremony(o.KeyringDir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kdf: resplit: %w", err)
	}
	u := NewUnsealer(prev)
	for _, s := range old {
		if _, err := u.Add(s); err != nil {
			return nil, nil, nil, fmt.Errorf("kdf: resplit: %w", err)
		}
	}
	k := u.Keyring()
	if k == nil {
		return nil, nil, nil, fmt.Errorf("kdf: resplit: %d more valid shares of the current split are needed (threshold %d)", u.Need(), prev.Threshold)
	}
	defer k.Close()
	lk, ok := k.(*localKeyring)
	if !ok {
		return nil, nil, nil, fmt.Errorf("kdf: resplit: unexpected keyring %T", k)
	}
	if err := os.MkdirAll(o.OutDir, 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("kdf: resplit: %w", err)
	}
	lk.mu.RLock()
	next, paths, err = splitAndSign(&lk.secret, o, prev.CurrentEpoch()+1)
	lk.mu.RUnlock()
	if err != nil {
		return nil, nil, nil, err
	}
	// Replace the record atomically: a crash leaves either the old split
	// (new share files unused) or the new one, never a torn record.
	recPath := filepath.Join(o.KeyringDir, CeremonyFile)
	tmp := recPath + ".resplit"
	os.Remove(tmp)
	if err := writeJSONExcl(tmp, next); err != nil {
		removeAll(paths)
		return nil, nil, nil, fmt.Errorf("kdf: resplit: record: %w", err)
	}
	if err := os.Rename(tmp, recPath); err != nil {
		os.Remove(tmp)
		removeAll(paths)
		return nil, nil, nil, fmt.Errorf("kdf: resplit: record: %w", err)
	}
	syncParent(recPath)
	return prev, next, paths, nil
}

// removeAll removes the share files of a split that did not complete.
func removeAll(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}
