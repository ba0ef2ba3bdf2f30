package iam

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Names of the two lines of a credentials file, matching the environment
// variables, so the file can be sourced by a shell.
const (
	EnvAccessKey = "RUSTFS_ACCESS_KEY"
	EnvSecretKey = "RUSTFS_SECRET_KEY"
)

// Generated key shapes: access keys look like AWS ones (20 upper-case
// alphanumerics), secrets are 40 alphanumerics (≈238 bits), shell- and
// URL-safe so the printed export lines paste anywhere.
const (
	generatedAccessLen = 20
	generatedSecretLen = 40
	accessAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// GenerateKeys returns a fresh root key pair drawn from rand (crypto/rand in
// production).
func GenerateKeys(rand io.Reader) (accessKey, secretKey string, err error) {
	if accessKey, err = randomString(rand, accessAlphabet, generatedAccessLen); err != nil {
		return "", "", err
	}
	if secretKey, err = randomString(rand, secretAlphabet, generatedSecretLen); err != nil {
		return "", "", err
	}
	return accessKey, secretKey, nil
}

// randomString draws n characters uniformly from alphabet by rejection
// sampling (no modulo bias).
func randomString(rand io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return "", fmt.Errorf("iam: generate key: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// LoadOrCreateRoot reads the root key pair from path, or generates one with
// rand and saves it there (mode 0600, parent directory 0700) when the file
// does not exist. created reports the latter, so the caller prints the keys
// exactly once. A file readable by group or others is refused: it holds the
// only secret that grants every permission.
func LoadOrCreateRoot(path string, rand io.Reader) (accessKey, secretKey string, created bool, err error) {
	accessKey, secretKey, err = ReadCredentials(path)
	if err == nil {
		return accessKey, secretKey, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", "", false, err
	}
	if accessKey, secretKey, err = GenerateKeys(rand); err != nil {
		return "", "", false, err
	}
	if err := WriteCredentials(path, accessKey, secretKey); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created it between our read and write: use theirs.
			accessKey, secretKey, err = ReadCredentials(path)
			return accessKey, secretKey, false, err
		}
		return "", "", false, err
	}
	return accessKey, secretKey, true, nil
}

// ReadCredentials parses a credentials file of KEY=VALUE lines (blank lines
// and # comments ignored) holding RUSTFS_ACCESS_KEY and RUSTFS_SECRET_KEY.
func ReadCredentials(path string) (accessKey, secretKey string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("iam: credentials: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", "", fmt.Errorf("iam: credentials: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", "", fmt.Errorf("iam: credentials file %s has mode %#o; it must not be readable by group or others (chmod 600 %s)", path, st.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return "", "", fmt.Errorf("iam: credentials: %w", err)
	}
	accessKey, secretKey, err = parseCredentials(data)
	if err != nil {
		return "", "", fmt.Errorf("iam: credentials file %s: %w", path, err)
	}
	return accessKey, secretKey, nil
}

// parseCredentials extracts the key pair from a credentials file's bytes.
func parseCredentials(data []byte) (accessKey, secretKey string, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		text = strings.TrimPrefix(text, "export ")
		name, value, ok := strings.Cut(text, "=")
		if !ok {
			return "", "", fmt.Errorf("line %d: want NAME=VALUE", line)
		}
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		switch strings.TrimSpace(name) {
		case EnvAccessKey:
			accessKey = value
		case EnvSecretKey:
			secretKey = value
		default:
			return "", "", fmt.Errorf("line %d: unknown name %q", line, name)
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	if accessKey == "" || secretKey == "" {
		return "", "", fmt.Errorf("need both %s and %s", EnvAccessKey, EnvSecretKey)
	}
	if err := ValidateKeys(accessKey, secretKey); err != nil {
		return "", "", err
	}
	return accessKey, secretKey, nil
}

// WriteCredentials creates path (which must not exist) with mode 0600 and
// writes the key pair, syncing before it returns so a crash cannot leave a
// server whose printed keys were never stored.
func WriteCredentials(path, accessKey, secretKey string) error {
	if err := ValidateKeys(accessKey, secretKey); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("iam: credentials: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("iam: credentials: %w", err)
	}
	body := fmt.Sprintf("# rustfs root credentials, created %s\n%s=%s\n%s=%s\n",
		time.Now().UTC().Format(time.RFC3339), EnvAccessKey, accessKey, EnvSecretKey, secretKey)
	if _, err = f.WriteString(body); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("iam: credentials: %w", err)
	}
	return nil
}
