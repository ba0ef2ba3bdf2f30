package server

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/tasmaniancloud/rustfs/iam/users"
	"github.com/tasmaniancloud/rustfs/sigv4"
)

// openUsers opens the IAM user store on the backend's Meta, shared by
// every gateway; secrets are sealed under the keyring (kdf SecretsKey).
func (st *stack) openUsers(ctx context.Context, log *slog.Logger) (*users.Store, error) {
	u, err := users.New(ctx, users.Options{Meta: st.backend.Meta(), Keys: st.keys.SecretsKey, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("server: user store: %w", err)
	}
	return u, nil
}

// chainCreds looks an access key up in each store in turn: the root key
// pair first, then the users' keys.
type chainCreds []sigv4.Credentials

// Lookup implements sigv4.Credentials.
func (c chainCreds) Lookup(accessKey string) (secret, account string, ok bool) {
	for _, s := range c {
		if secret, account, ok = s.Lookup(accessKey); ok {
			return secret, account, true
		}
	}
	return "", "", false
}
