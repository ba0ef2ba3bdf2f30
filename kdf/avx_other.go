//go:build !amd64

package kdf

// avxReset is a no-op off amd64 (see avx_amd64.go).
func avxReset() {}
