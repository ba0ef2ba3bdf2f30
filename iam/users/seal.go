package users

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
)

// KeySource returns the 32-byte key that seals secrets under the root
// named rootID ("" for the current one) and that root's id;
// kdf.Service.SecretsKey is one.
type KeySource func(ctx context.Context, rootID string) (key [32]byte, id string, err error)

// sealAAD binds a sealed secret to its access key id, so a record's
// sealed value cannot be moved to another key.
const sealAAD = "rustfs/v1/iam-secret\x00"

func gcm(key *[32]byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// seal encrypts secret for accessKey under the current root.
func seal(ctx context.Context, ks KeySource, rnd io.Reader, accessKey, secret string) (sealed []byte, root string, err error) {
	key, root, err := ks(ctx, "")
	if err != nil {
		return nil, "", fmt.Errorf("users: sealing key: %w", err)
	}
	defer clear(key[:])
	a, err := gcm(&key)
	if err != nil {
		return nil, "", err
	}
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(secret)+a.Overhead())
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return nil, "", fmt.Errorf("users: nonce: %w", err)
	}
	return a.Seal(nonce, nonce, []byte(secret), []byte(sealAAD+accessKey)), root, nil
}

// open decrypts a sealed secret of accessKey.
func open(ctx context.Context, ks KeySource, accessKey string, sealed []byte, root string) (string, error) {
	key, _, err := ks(ctx, root)
	if err != nil {
		return "", fmt.Errorf("users: key %s: sealing key %s: %w", accessKey, root, err)
	}
	defer clear(key[:])
	a, err := gcm(&key)
	if err != nil {
		return "", err
	}
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return "", errors.New("users: sealed secret too short")
	}
	n := a.NonceSize()
	pt, err := a.Open(nil, sealed[:n], sealed[n:], []byte(sealAAD+accessKey))
	if err != nil {
		return "", fmt.Errorf("users: key %s: secret does not open: %w", accessKey, err)
	}
	return string(pt), nil
}
