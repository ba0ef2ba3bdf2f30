package iam

import (
	"fmt"
	"sync"
)

// RootAccount is the account id of the root credentials.
const RootAccount = "root"

// Key length limits, as AWS enforces them: access key ids are 16–128
// characters; we accept 3+ so short keys in tests and MinIO-style setups work,
// and require secrets of at least 8 characters.
const (
	MinAccessKeyLen = 3
	MaxAccessKeyLen = 128
	MinSecretKeyLen = 8
	MaxSecretKeyLen = 128
)

// credential is one key pair and the account it authenticates as.
type credential struct {
	secret  string
	account string
}

// Store maps access keys to secrets and accounts. It implements
// sigv4.Credentials and is safe for concurrent use; keys can be added while
// serving (future user management, key rotation).
type Store struct {
	mu   sync.RWMutex
	keys map[string]credential
}

// NewRoot returns a Store that knows only the root key pair.
func NewRoot(accessKey, secretKey string) *Store {
	s := &Store{keys: make(map[string]credential, 1)}
	s.keys[accessKey] = credential{secret: secretKey, account: RootAccount}
	return s
}

// Lookup returns the secret and account for accessKey (sigv4.Credentials).
func (s *Store) Lookup(accessKey string) (secret, account string, ok bool) {
	s.mu.RLock()
	c, ok := s.keys[accessKey]
	s.mu.RUnlock()
	return c.secret, c.account, ok
}

// Add registers another key pair for account; an access key already in use
// is refused rather than silently re-pointed at a different account.
func (s *Store) Add(accessKey, secretKey, account string) error {
	if err := ValidateKeys(accessKey, secretKey); err != nil {
		return err
	}
	if account == "" {
		return fmt.Errorf("iam: empty account for access key %q", accessKey)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.keys[accessKey]; dup {
		return fmt.Errorf("iam: access key %q already exists", accessKey)
	}
	s.keys[accessKey] = credential{secret: secretKey, account: account}
	return nil
}

// ValidateKeys checks a key pair against the length limits and the
// characters S3 clients can carry in a Credential= scope: the access key may
// not contain '/', ',' or '=' and neither may contain whitespace or controls.
func ValidateKeys(accessKey, secretKey string) error {
	if n := len(accessKey); n < MinAccessKeyLen || n > MaxAccessKeyLen {
		return fmt.Errorf("iam: access key must be %d–%d characters, got %d", MinAccessKeyLen, MaxAccessKeyLen, n)
	}
	if n := len(secretKey); n < MinSecretKeyLen || n > MaxSecretKeyLen {
		return fmt.Errorf("iam: secret key must be %d–%d characters, got %d", MinSecretKeyLen, MaxSecretKeyLen, n)
	}
	for _, c := range []byte(accessKey) {
		if c <= ' ' || c >= 0x7f || c == '/' || c == ',' || c == '=' {
			return fmt.Errorf("iam: access key contains an unsupported character %q", c)
		}
	}
	for _, c := range []byte(secretKey) {
		if c <= ' ' || c >= 0x7f {
			return fmt.Errorf("iam: secret key contains an unsupported character")
		}
	}
	return nil
}
