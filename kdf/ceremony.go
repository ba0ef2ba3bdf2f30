package kdf

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/tasmaniancloud/rustfs/kdf/shamir"
)

// Root-key ceremony (docs/SECURITY.md, "Root-key ceremony"): the local root
// secret is split into Shamir shares instead of being written to disk. Each
// share is signed with an ML-DSA-65 key made for the ceremony and then
// discarded; its public key stays in CeremonyFile so that a server can
// refuse forged or altered shares before combining anything.
const (
	// CeremonyFile is the ceremony record's name in the keyring directory.
	// Its presence means the keyring is sealed.
	CeremonyFile = "ceremony.json"
	// ceremonyVersion is the format version of the record and of shares.
	ceremonyVersion = 1
	// ceremonyContext is the FIPS 204 context of share signatures: no
	// manifest signature (or any other) verifies as a share.
	ceremonyContext = "rustfs/v1/ceremony-share"
	// rootSecretSize is the local root secret's length.
	rootSecretSize = 32
)

// Ceremony is the public record of one split, kept in CeremonyFile. It
// holds nothing secret.
type Ceremony struct {
	Version   int    `json:"version"`
	Sealed    bool   `json:"sealed"`
	KeyringID string `json:"keyring_id"`
	Shares    int    `json:"shares"`
	Threshold int    `json:"threshold"`
	// PublicKey is the packed ML-DSA-65 key that signed every share.
	PublicKey []byte    `json:"public_key"`
	Created   time.Time `json:"created"`
	// Epoch counts splits of this root: absent (1) for keys init, then
	// one more per ResplitCeremony. Each split has its own signing key, so
	// shares of an earlier epoch no longer verify.
	Epoch int `json:"epoch,omitempty"`
}

// CurrentEpoch returns c.Epoch, reading an absent epoch as 1.
func (c *Ceremony) CurrentEpoch() int { return max(c.Epoch, 1) }

// Share is one share file's content. Share holds the Shamir share (its x
// coordinate, equal to Index, then 32 bytes); Signature covers every other
// field (see signingBytes).
type Share struct {
	Version   int    `json:"version"`
	KeyringID string `json:"keyring_id"`
	Index     int    `json:"index"`
	Shares    int    `json:"shares"`
	Threshold int    `json:"threshold"`
	Share     []byte `json:"share"`
	Signature []byte `json:"signature"`
}

// signingBytes is the exact message a share's signature covers: a label,
// then every field in a fixed binary layout, so no JSON re-encoding can
// change what was signed.
func (s *Share) signingBytes() []byte {
	b := []byte("rustfs/v1/share\x00")
	b = append(b, byte(s.Version))
	b = binary.BigEndian.AppendUint16(b, uint16(s.Index))
	b = binary.BigEndian.AppendUint16(b, uint16(s.Shares))
	b = binary.BigEndian.AppendUint16(b, uint16(s.Threshold))
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.KeyringID)))
	b = append(b, s.KeyringID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(s.Share)))
	return append(b, s.Share...)
}

// CeremonyOptions configures InitCeremony.
type CeremonyOptions struct {
	// KeyringDir receives CeremonyFile (created 0700 if missing).
	KeyringDir string
	// RootFile is the local root secret file a server would otherwise use;
	// InitCeremony refuses to run while it (or a copy) exists.
	RootFile string
	// OutDir receives the share files (created 0700 if missing).
	OutDir string
	// Shares and Threshold: any Threshold of Shares shares unseal.
	Shares, Threshold int
	// Rand is the randomness source (default crypto/rand.Reader).
	Rand io.Reader
	// Now stamps the record (default time.Now).
	Now func() time.Time
}

// ShareFileName is the name of share i of n in the output directory.
func ShareFileName(i, n int) string { return shareFileName(i, n, 1) }

// shareFileName names share i of n of a split; re-splits (epoch > 1) carry
// the epoch so that custodians cannot mistake a new share for an old one.
func shareFileName(i, n, epoch int) string {
	if epoch > 1 {
		return fmt.Sprintf("share-%d-of-%d-epoch%d.json", i, n, epoch)
	}
	return fmt.Sprintf("share-%d-of-%d.json", i, n)
}

// InitCeremony generates a new root secret, splits it into o.Shares signed
// shares written as mode-0600 files under o.OutDir, and records the public
// half in o.KeyringDir/CeremonyFile. The secret and the signing key are
// never written anywhere and are zeroed before returning. It refuses when
// a root file or a ceremony record already exists. It returns the record
// and the share files' paths.
func InitCeremony(o CeremonyOptions) (*Ceremony, []string, error) {
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.KeyringDir == "" || o.OutDir == "" {
		return nil, nil, errors.New("kdf: ceremony: keyring and output directories are required")
	}
	if o.Threshold < 2 || o.Shares < o.Threshold || o.Shares > shamir.MaxShares {
		return nil, nil, fmt.Errorf("kdf: ceremony: %d shares, threshold %d: want 2 <= threshold <= shares <= %d",
			o.Shares, o.Threshold, shamir.MaxShares)
	}
	recPath := filepath.Join(o.KeyringDir, CeremonyFile)
	if _, err := os.Lstat(recPath); !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("kdf: ceremony: %s exists; this keyring was already split (refusing to replace it)", recPath)
	}
	if o.RootFile != "" {
		for _, p := range rootCopyPaths(o.RootFile) {
			if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("kdf: ceremony: a root secret already exists at %s; refusing to replace it (objects under it would become unreadable)", p)
			}
		}
	}
	for _, d := range []string{o.KeyringDir, o.OutDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, nil, fmt.Errorf("kdf: ceremony: %w", err)
		}
	}

	var secret [rootSecretSize]byte
	defer clear(secret[:])
	if _, err := io.ReadFull(o.Rand, secret[:]); err != nil {
		return nil, nil, fmt.Errorf("kdf: ceremony: root secret: %w", err)
	}
	rec, paths, err := splitAndSign(&secret, o, 1)
	if err != nil {
		return nil, nil, err
	}
	if err := writeJSONExcl(recPath, rec); err != nil {
		return nil, nil, fmt.Errorf("kdf: ceremony: record: %w", err)
	}
	syncParent(recPath)
	return rec, paths, nil
}

// splitAndSign splits secret into o.Shares shares, signs each with a fresh
// ML-DSA-65 key (discarded afterwards) and writes them as new files under
// o.OutDir. It returns the record for epoch, which the caller writes last:
// a failure part way leaves no record, so no server starts sealed without
// its shares.
func splitAndSign(secret *[rootSecretSize]byte, o CeremonyOptions, epoch int) (*Ceremony, []string, error) {
	id := rootID(secret)
	parts, err := shamir.Split(secret[:], o.Shares, o.Threshold, o.Rand)
	if err != nil {
		return nil, nil, fmt.Errorf("kdf: ceremony: %w", err)
	}
	defer func() {
		for _, p := range parts {
			clear(p)
		}
	}()
	pk, sk, err := mldsa65.GenerateKey(o.Rand)
	avxReset()
	if err != nil {
		return nil, nil, fmt.Errorf("kdf: ceremony: signing key: %w", err)
	}
	defer func() { *sk = mldsa65.PrivateKey{} }() // discarded after signing
	rec := &Ceremony{Version: ceremonyVersion, Sealed: true, KeyringID: id, Shares: o.Shares,
		Threshold: o.Threshold, Created: o.Now().UTC()}
	if epoch > 1 {
		rec.Epoch = epoch
	}
	if rec.PublicKey, err = pk.MarshalBinary(); err != nil {
		return nil, nil, fmt.Errorf("kdf: ceremony: %w", err)
	}
	var paths []string
	for i, p := range parts {
		sh := &Share{Version: ceremonyVersion, KeyringID: id, Index: i + 1, Shares: o.Shares,
			Threshold: o.Threshold, Share: p}
		sh.Signature = make([]byte, mldsa65.SignatureSize)
		err := mldsa65.SignTo(sk, sh.signingBytes(), []byte(ceremonyContext), true, sh.Signature)
		avxReset()
		if err != nil {
			return nil, nil, fmt.Errorf("kdf: ceremony: sign share %d: %w", i+1, err)
		}
		path := filepath.Join(o.OutDir, shareFileName(i+1, o.Shares, epoch))
		if err := writeJSONExcl(path, sh); err != nil {
			for _, q := range paths {
				os.Remove(q)
			}
			return nil, nil, fmt.Errorf("kdf: ceremony: share %d: %w", i+1, err)
		}
		paths = append(paths, path)
	}
	return rec, paths, nil
}

// rootID is the keyring id of a local root secret, the same OpenLocal
// computes, so a ceremony's keyring derives exactly the local keyring's keys.
func rootID(secret *[rootSecretSize]byte) string {
	return fingerprintID("local", hmacSHA256(secret[:], []byte(keyringIDLabel)))
}

// writeJSONExcl writes v as indented JSON to a new mode-0600 file.
func writeJSONExcl(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(raw, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// LoadCeremony reads dir/CeremonyFile. A missing record is reported as an
// error wrapping fs.ErrNotExist (the keyring is not sealed).
func LoadCeremony(dir string) (*Ceremony, error) {
	path := filepath.Join(dir, CeremonyFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("kdf: ceremony record: %w", err)
	}
	var c Ceremony
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("kdf: ceremony record %s: %w", path, err)
	}
	switch {
	case c.Version != ceremonyVersion:
		return nil, fmt.Errorf("%w: ceremony record %s version %d", ErrUnsupported, path, c.Version)
	case c.Threshold < 2 || c.Shares < c.Threshold || c.Shares > shamir.MaxShares || c.KeyringID == "":
		return nil, fmt.Errorf("kdf: ceremony record %s: bad threshold %d of %d or keyring id %q", path, c.Threshold, c.Shares, c.KeyringID)
	case len(c.PublicKey) != mldsa65.PublicKeySize:
		return nil, fmt.Errorf("kdf: ceremony record %s: public key of %d bytes", path, len(c.PublicKey))
	}
	return &c, nil
}

// maxShareFile bounds what ParseShare reads: a share file is about 5 KiB.
const maxShareFile = 64 << 10

// ParseShare decodes a share file's JSON. It checks only the shape;
// Ceremony.Verify checks the signature.
func ParseShare(raw []byte) (*Share, error) {
	if len(raw) > maxShareFile {
		return nil, fmt.Errorf("kdf: share: %d bytes: not a share file", len(raw))
	}
	var s Share
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("kdf: share: %w", err)
	}
	return &s, nil
}

// ErrForgedShare marks a share whose signature does not verify under the
// ceremony's public key: forged, altered, or from another ceremony.
var ErrForgedShare = errors.New("kdf: share signature does not verify (forged, altered, or from another ceremony)")

// Verify checks that s belongs to this ceremony and carries a valid
// signature. Nothing of a share that fails is ever combined.
func (c *Ceremony) Verify(s *Share) error {
	switch {
	case s.Version != ceremonyVersion:
		return fmt.Errorf("%w: share version %d", ErrUnsupported, s.Version)
	case s.KeyringID != c.KeyringID:
		return fmt.Errorf("kdf: share %d is for keyring %q, this server's is %q", s.Index, s.KeyringID, c.KeyringID)
	case s.Threshold != c.Threshold || s.Shares != c.Shares:
		return fmt.Errorf("kdf: share %d says %d of %d, the ceremony %d of %d", s.Index, s.Threshold, s.Shares, c.Threshold, c.Shares)
	case s.Index < 1 || s.Index > c.Shares:
		return fmt.Errorf("kdf: share index %d outside 1..%d", s.Index, c.Shares)
	case len(s.Share) != rootSecretSize+1 || int(s.Share[0]) != s.Index:
		return fmt.Errorf("kdf: share %d: malformed share bytes", s.Index)
	case len(s.Signature) != mldsa65.SignatureSize:
		return fmt.Errorf("%w: share %d: signature of %d bytes", ErrForgedShare, s.Index, len(s.Signature))
	}
	var pk mldsa65.PublicKey
	if err := pk.UnmarshalBinary(c.PublicKey); err != nil {
		return fmt.Errorf("kdf: ceremony public key: %w", err)
	}
	ok := mldsa65.Verify(&pk, s.signingBytes(), []byte(ceremonyContext), s.Signature)
	avxReset()
	if !ok {
		return fmt.Errorf("%w: share %d", ErrForgedShare, s.Index)
	}
	return nil
}
