package kdf

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CeremonyLogFile is the append-only audit trail of ceremony events (keys
// init, resplit, rotate) in the keyring directory: one JSON line each,
// chained by SHA-256 so that an edited, inserted or deleted line (other
// than the newest) breaks VerifyCeremonyLog.
const CeremonyLogFile = "ceremony.log"

// genesisHash is Prev of the first line.
var genesisHash = strings.Repeat("0", 64)

// CeremonyEvent is one line of CeremonyLogFile. Prev is the hex SHA-256 of
// the previous line's bytes (without its newline); AppendCeremonyLog
// fills it.
type CeremonyEvent struct {
	Time      time.Time `json:"time"`
	Event     string    `json:"event"` // "init", "resplit" or "rotate"
	KeyringID string    `json:"keyring_id"`
	Shares    int       `json:"shares,omitempty"`
	Threshold int       `json:"threshold,omitempty"`
	OldEpoch  int       `json:"old_epoch,omitempty"`
	NewEpoch  int       `json:"new_epoch,omitempty"`
	Host      string    `json:"host,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	Prev      string    `json:"prev"`
}

// AppendCeremonyLog appends ev to dir/CeremonyLogFile (created 0600),
// chained to the current last line, and syncs it. It refuses to extend a
// log whose last line is not a complete record.
func AppendCeremonyLog(dir string, ev CeremonyEvent) error {
	path := filepath.Join(dir, CeremonyLogFile)
	raw, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("kdf: ceremony log: %w", err)
	}
	ev.Prev = genesisHash
	if len(raw) > 0 {
		if raw[len(raw)-1] != '\n' {
			return fmt.Errorf("kdf: ceremony log %s: last line is incomplete", path)
		}
		body := raw[:len(raw)-1]
		last := body[bytes.LastIndexByte(body, '\n')+1:]
		sum := sha256.Sum256(last)
		ev.Prev = hex.EncodeToString(sum[:])
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Time = ev.Time.UTC()
	line, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("kdf: ceremony log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("kdf: ceremony log: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("kdf: ceremony log %s: %w", path, err)
	}
	return nil
}

// VerifyCeremonyLog reads dir/CeremonyLogFile and checks the hash chain.
// It returns the events in order; an error names the first line that does
// not chain (edited, inserted, reordered, or a line before it deleted). A
// missing log is an empty, valid one. Truncation of the newest lines
// cannot be detected from the log alone.
func VerifyCeremonyLog(dir string) ([]CeremonyEvent, error) {
	path := filepath.Join(dir, CeremonyLogFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kdf: ceremony log: %w", err)
	}
	defer f.Close()
	var out []CeremonyEvent
	want := genesisHash
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		var ev CeremonyEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return out, fmt.Errorf("kdf: ceremony log %s line %d: %w", path, n, err)
		}
		if ev.Prev != want {
			return out, fmt.Errorf("kdf: ceremony log %s line %d: hash chain broken: it does not follow line %d (either was edited, or lines were deleted or inserted between them)", path, n, n-1)
		}
		sum := sha256.Sum256(line)
		want = hex.EncodeToString(sum[:])
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("kdf: ceremony log %s: %w", path, err)
	}
	return out, nil
}
