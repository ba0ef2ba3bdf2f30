package users

import (
	"encoding/json"
	"fmt"
	"time"
)

// Meta layout: namespace "iam", keys "user/<name>", "key/<access key>",
// "policy/<name>" and "group/<name>", values JSON.
const (
	metaNS       = "iam"
	userPrefix   = "user/"
	keyPrefix    = "key/"
	policyPrefix = "policy/"
	groupPrefix  = "group/"
)

// Key statuses, as AWS spells them.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// User is a user as the admin API reports it.
type User struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// ID is the user's unique id (aws:userid), "AIDA" and 17 more
	// characters as AWS spells them; a user re-created under the same
	// name gets a new one.
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	Policies []string  `json:"policies"`
	// Groups are the groups the user is a member of.
	Groups []string `json:"groups"`
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
	ID       string    `json:"id,omitempty"` // empty for users made before ids existed
	Created  time.Time `json:"created"`
	Policies []string  `json:"policies"`
}

// Group is an IAM group as the admin API reports it and as stored:
// members are user names; the policies attached to it apply to each
// member along with the member's own.
type Group struct {
	Name     string    `json:"name"`
	ARN      string    `json:"arn"`
	Created  time.Time `json:"created"`
	Members  []string  `json:"members"`
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
