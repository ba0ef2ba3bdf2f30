package kdf

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// Root secret file layout (48 bytes, docs/FORMAT.md "Key envelope"):
//
//	0  magic "RFSROOT\x00"
//	8  u8 format version = 1
//	9  u8 algorithm = 1 (HMAC-SHA256)
//	10 u16 reserved = 0
//	12 secret [32]
//	44 u32 little-endian CRC32C of bytes 0..43
const (
	rootMagic     = "RFSROOT\x00"
	rootVersion   = 1
	rootAlgHMAC   = 1
	rootFileSize  = 48
	rootSecretOff = 12
	rootCRCOff    = 44
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// localKeyring holds the root secret in memory and computes HMAC-SHA256 in
// process. It exists for development and tests: the secret sits in a file.
type localKeyring struct {
	id     string
	mu     sync.RWMutex // guards secret against Close racing HMAC
	secret [32]byte
	closed bool
}

// rootCopies is how many copies of the root secret OpenLocal keeps: the
// file at path and path+".copy1", path+".copy2". Losing the root secret
// loses every object, so one damaged sector must not do it.
const rootCopies = 3

// rootCopyPaths returns the paths of every copy of the root file at path.
func rootCopyPaths(path string) []string {
	out := []string{path}
	for i := 1; i < rootCopies; i++ {
		out = append(out, fmt.Sprintf("%s.copy%d", path, i))
	}
	return out
}

// errRootDamaged marks a root file copy whose content is damaged (wrong
// size, bad magic, checksum): it may be rewritten from a good copy. Other
// problems (permissions, symlinks) are refused outright.
var errRootDamaged = errors.New("damaged")

// OpenLocal opens the root secret kept at path (and its copies
// path+".copy1", path+".copy2", each a complete checksummed file), creating
// all of them with 32 random bytes and mode 0600 if none exists. A missing
// or damaged copy is rewritten from a good one (best effort: a read-only
// directory keeps working with what it has); no good copy, or two good
// copies holding different secrets, is an error. A file readable or
// writable by group or others, or a symlink, is refused. A secret in a
// file is for development only (callers should say so to the operator);
// production uses OpenPKCS11.
func OpenLocal(path string) (Keyring, error) {
	k := &localKeyring{}
	err := loadRoot(path, &k.secret)
	if errors.Is(err, fs.ErrNotExist) {
		if err = createRootFile(path); err != nil {
			return nil, err
		}
		err = loadRoot(path, &k.secret)
	}
	if err != nil {
		clear(k.secret[:])
		return nil, err
	}
	k.id = fingerprintID("local", hmacSHA256(k.secret[:], []byte(keyringIDLabel)))
	return k, nil
}

// loadRoot reads every copy of the root file at path into secret and
// repairs the bad ones. It returns fs.ErrNotExist when no copy exists.
func loadRoot(path string, secret *[32]byte) error {
	paths := rootCopyPaths(path)
	var bad []string
	var damage []error
	have, missing := false, 0
	for _, p := range paths {
		raw, err := readRootFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			missing++
			bad = append(bad, p)
			continue
		}
		if err == nil {
			var s [32]byte
			if perr := parseRootFile(raw, &s); perr != nil {
				err = fmt.Errorf("kdf: root file %s: %w (%w)", p, perr, errRootDamaged)
			} else if have && s != *secret {
				clear(s[:])
				clear(raw)
				return fmt.Errorf("kdf: root files %s and %s hold different secrets; refusing them (keep the right one, remove the other)", paths[0], p)
			} else {
				*secret, have = s, true
			}
			clear(s[:])
			clear(raw)
		}
		if err != nil {
			if !errors.Is(err, errRootDamaged) {
				return err
			}
			damage = append(damage, err)
			bad = append(bad, p)
		}
	}
	switch {
	case missing == len(paths):
		return fmt.Errorf("kdf: root file %s: %w", path, fs.ErrNotExist)
	case !have:
		return fmt.Errorf("kdf: no valid copy of the root secret: %w", errors.Join(damage...))
	}
	raw := encodeRootFile(secret[:])
	defer clear(raw)
	for _, p := range bad {
		_ = replaceRootFile(p, raw) // best effort, see OpenLocal
	}
	return nil
}

// readRootFile reads the whole root file after checking, on the open file
// descriptor, that it is a regular file with no group/other permissions.
func readRootFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("kdf: root file %s is a symlink; refusing it", path)
		}
		return nil, fmt.Errorf("kdf: root file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("kdf: root file %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("kdf: root file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("kdf: root file %s has mode %04o; refusing it (want 0600 or stricter)", path, perm)
	}
	if st.Size() != rootFileSize {
		return nil, fmt.Errorf("kdf: root file %s: size %d, want %d (%w)", path, st.Size(), rootFileSize, errRootDamaged)
	}
	raw := make([]byte, rootFileSize)
	if _, err := io.ReadFull(f, raw); err != nil {
		clear(raw)
		return nil, fmt.Errorf("kdf: root file %s: %w (%w)", path, err, errRootDamaged)
	}
	return raw, nil
}

// parseRootFile checks the fixed layout and copies the secret out.
func parseRootFile(raw []byte, secret *[32]byte) error {
	if len(raw) != rootFileSize {
		return fmt.Errorf("size %d, want %d", len(raw), rootFileSize)
	}
	if string(raw[:8]) != rootMagic {
		return errors.New("bad magic")
	}
	if raw[8] != rootVersion {
		return fmt.Errorf("%w: root file version %d", ErrUnsupported, raw[8])
	}
	if raw[9] != rootAlgHMAC {
		return fmt.Errorf("%w: root file algorithm %d", ErrUnsupported, raw[9])
	}
	if raw[10] != 0 || raw[11] != 0 {
		return errors.New("reserved bytes not zero")
	}
	if crc32.Checksum(raw[:rootCRCOff], castagnoli) != binary.LittleEndian.Uint32(raw[rootCRCOff:]) {
		return errors.New("checksum mismatch (truncated or corrupted)")
	}
	copy(secret[:], raw[rootSecretOff:rootCRCOff])
	return nil
}

// encodeRootFile builds the file image for secret.
func encodeRootFile(secret []byte) []byte {
	raw := make([]byte, rootFileSize)
	copy(raw, rootMagic)
	raw[8] = rootVersion
	raw[9] = rootAlgHMAC
	copy(raw[rootSecretOff:], secret)
	binary.LittleEndian.PutUint32(raw[rootCRCOff:], crc32.Checksum(raw[:rootCRCOff], castagnoli))
	return raw
}

// createRootFile writes a fresh secret to a 0600 temporary file in the same
// directory and hard-links it into place, so concurrent first openers never
// see a partial file and exactly one secret wins (os.Link fails if path
// appeared meanwhile; the loser then reads the winner's file). The copies
// are then written by loadRoot from whichever secret won.
func createRootFile(path string) error {
	var secret [32]byte
	defer clear(secret[:])
	if _, err := rand.Read(secret[:]); err != nil {
		return fmt.Errorf("kdf: root secret: %w", err)
	}
	raw := encodeRootFile(secret[:])
	defer clear(raw)
	tmpName, err := writeRootTemp(path, raw)
	if err != nil {
		return fmt.Errorf("kdf: create root file: %w", err)
	}
	defer os.Remove(tmpName)
	if err := os.Link(tmpName, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("kdf: create root file: %w", err)
	}
	syncParent(path)
	return nil
}

// replaceRootFile atomically replaces the copy at path by raw.
func replaceRootFile(path string, raw []byte) error {
	tmpName, err := writeRootTemp(path, raw)
	if err != nil {
		return err
	}
	if err := os.Rename(tmpName, path); err != nil {
		os.Remove(tmpName)
		return err
	}
	syncParent(path)
	return nil
}

// writeRootTemp writes raw durably to a 0600 temporary file next to path.
func writeRootTemp(path string, raw []byte) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	name := tmp.Name()
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(raw)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// syncParent makes a new directory entry durable; best effort on file
// systems without directory fsync.
func syncParent(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// ID implements Keyring.
func (k *localKeyring) ID() string { return k.id }

// HMAC implements Keyring.
func (k *localKeyring) HMAC(_ context.Context, msg []byte) ([32]byte, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return [32]byte{}, ErrClosed
	}
	return hmacSHA256(k.secret[:], msg), nil
}

// Close zeroes the in-memory secret.
func (k *localKeyring) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.secret[:])
	k.closed = true
	return nil
}

// hmacSHA256 computes HMAC-SHA256(key, msg).
func hmacSHA256(key, msg []byte) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	var out [32]byte
	m.Sum(out[:0])
	return out
}
