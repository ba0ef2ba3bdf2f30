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

// OpenLocal opens the root secret file at path, creating it with 32 random
// bytes and mode 0600 if it does not exist. A file readable or writable by
// group or others, a symlink, or a file that fails its format check is
// refused. A secret in a file is for development only (callers should say so
// to the operator); production uses OpenPKCS11.
func OpenLocal(path string) (Keyring, error) {
	raw, err := readRootFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err = createRootFile(path); err != nil {
			return nil, err
		}
		raw, err = readRootFile(path)
	}
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	k := &localKeyring{}
	if err := parseRootFile(raw, &k.secret); err != nil {
		return nil, fmt.Errorf("kdf: root file %s: %w", path, err)
	}
	k.id = fingerprintID("local", hmacSHA256(k.secret[:], []byte(keyringIDLabel)))
	return k, nil
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
		return nil, fmt.Errorf("kdf: root file %s: size %d, want %d", path, st.Size(), rootFileSize)
	}
	raw := make([]byte, rootFileSize)
	if _, err := io.ReadFull(f, raw); err != nil {
		clear(raw)
		return nil, fmt.Errorf("kdf: root file %s: %w", path, err)
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
// appeared meanwhile; the loser then reads the winner's file).
func createRootFile(path string) error {
	var secret [32]byte
	defer clear(secret[:])
	if _, err := rand.Read(secret[:]); err != nil {
		return fmt.Errorf("kdf: root secret: %w", err)
	}
	raw := encodeRootFile(secret[:])
	defer clear(raw)
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("kdf: create root file: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("kdf: create root file: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("kdf: create root file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("kdf: create root file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("kdf: create root file: %w", err)
	}
	if err := os.Link(tmpName, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("kdf: create root file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new directory entry durable; best effort on filesystems without dir fsync
		d.Close()
	}
	return nil
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
