package kdf

import (
	"fmt"
	"log/slog"
	"os"
	"testing"
)

// TestMain keeps tests quiet (the local keyring warns through the default
// logger) and prepares a private SoftHSM2 token when RUSTFS_TEST_SOFTHSM is
// set; PKCS#11 tests skip only when it is empty.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	cleanup, err := setupSoftHSM()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kdf tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := cleanup(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "kdf tests:", err)
		code = 1
	}
	os.Exit(code)
}
