//go:build !cgo

package kdf

import (
	"errors"
	"os"
	"testing"
)

// setupSoftHSM fails when SoftHSM tests were requested but cgo is off: the
// PKCS#11 keyring cannot exist in this build, and CI must not skip silently.
func setupSoftHSM() (func() error, error) {
	if os.Getenv("RUSTFS_TEST_SOFTHSM") != "" {
		return nil, errors.New("RUSTFS_TEST_SOFTHSM is set but this test binary was built without cgo")
	}
	return func() error { return nil }, nil
}

// openPKCS11Bench is unreachable without cgo (setupSoftHSM fails first).
func openPKCS11Bench(b *testing.B) Keyring {
	b.Skip("built without cgo")
	return nil
}
