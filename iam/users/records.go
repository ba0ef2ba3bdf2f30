package users

import (
	"encoding/json"
	"fmt"
	"time"
)

// Meta layout: namespace "iam", keys "user/<name>", "key/<access key>" and
// "policy/<name>", values JSON.
const (
	metaNS       = "iam"
	userPrefix   = "user/"
	keyPrefix    = "key/"
	policyPrefix = "policy/"
)

// Key statuses, as AWS spells them.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// User is a user as the admin API reports it.
type User struct {
	Name     string    `json:"name"`
	ARN      string    `json:"arn"`
	Created  time.Time `json:"created"`
	Policies []string  `json:"policies"`
	// Keys are the user's access keys (never their secrets); filled by
	// List and Get.
	Keys []Key `json:"keys,omitempty"`
}

// Key is an access key as the admin API reports it; the secret is not part
// of it.
type Key struct {
	AccessKey string    `json:"accessKey"`
	User      string    `json:"user"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	LastUsed  time.Time `json:"lastUsed,omitzero"`
}

// userRecord is a user as stored.
type userRecord struct {
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Policies []string  `json:"policies"`
}

// keyRecord is an access key as stored: the secret only sealed.
type keyRecord struct {
	Key
	// Sealed is nonce ‖ AES-256-GCM(secret), AAD the access key id.
	Sealed []byte `json:"sealed"`
	// Root is the keyring id whose derived key sealed it.
	Root string `json:"root"`
}

// policyRecord is a named identity policy as stored.
type policyRecord struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
	Updated  time.Time       `json:"updated"`
}

// validName accepts IAM's user and policy names: 1–64 (policies 128)
// characters of letters, digits and +=,.@_- .
func validName(kind, s string, max int) error {
	if s == "" || len(s) > max {
		return fmt.Errorf("users: %s name must be 1–%d characters", kind, max)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' ||
			c == '=' || c == ',' || c == '.' || c == '@' || c == '_' || c == '-') {
			return fmt.Errorf("users: %s name %q: only letters, digits and +=,.@_- are allowed", kind, s)
		}
	}
	return nil
}
