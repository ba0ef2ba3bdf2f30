package kdf

import (
	"fmt"
	"strconv"
	"strings"
)

// Key id formats recorded in manifests (docs/FORMAT.md, "Key envelope").
const (
	customerIDPrefix = "customer/" // CustomerKeyID = "customer/<epoch>"
	sigIDInfix       = "/sig/"     // SigKeyID = "<keyringID>/sig/<version>"
	maxKeyIDLen      = 256
)

// customerKeyID formats the envelope's CustomerKeyID for an epoch.
func customerKeyID(epoch uint32) string {
	return customerIDPrefix + strconv.FormatUint(uint64(epoch), 10)
}

// parseCustomerKeyID returns the epoch named by id, or ErrUnsupported for
// anything that is not exactly what customerKeyID produces.
func parseCustomerKeyID(id string) (uint32, error) {
	rest, ok := strings.CutPrefix(id, customerIDPrefix)
	if !ok {
		return 0, fmt.Errorf("%w: customer key id %q", ErrUnsupported, id)
	}
	v, err := parseVersion(rest)
	if err != nil {
		return 0, fmt.Errorf("%w: customer key id %q", ErrUnsupported, id)
	}
	return v, nil
}

// sigKeyID formats a manifest's SigKeyID.
func sigKeyID(keyringID string, version uint32) string {
	return keyringID + sigIDInfix + strconv.FormatUint(uint64(version), 10)
}

// parseSigKeyID splits a SigKeyID into keyring id and signing key version,
// rejecting every string sigKeyID cannot produce.
func parseSigKeyID(id string) (keyringID string, version uint32, err error) {
	if len(id) > maxKeyIDLen {
		return "", 0, fmt.Errorf("%w: signature key id too long", ErrUnsupported)
	}
	i := strings.Index(id, sigIDInfix)
	if i <= 0 {
		return "", 0, fmt.Errorf("%w: signature key id %q", ErrUnsupported, id)
	}
	keyringID = id[:i]
	if !validKeyringID(keyringID) {
		return "", 0, fmt.Errorf("%w: signature key id %q", ErrUnsupported, id)
	}
	version, err = parseVersion(id[i+len(sigIDInfix):])
	if err != nil {
		return "", 0, fmt.Errorf("%w: signature key id %q", ErrUnsupported, id)
	}
	return keyringID, version, nil
}

// validKeyringID accepts the ids our keyrings produce: non-empty printable
// ASCII without '/' or spaces, at most 128 bytes.
func validKeyringID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '/' {
			return false
		}
	}
	return true
}

// parseVersion accepts a canonical decimal in 1..2^32-1: no sign, no leading
// zeros, so each version has exactly one spelling (signed bytes stay canonical).
func parseVersion(s string) (uint32, error) {
	if s == "" || len(s) > 10 || s[0] == '0' {
		return 0, fmt.Errorf("bad version %q", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("bad version %q", s)
		}
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("bad version %q", s)
	}
	return uint32(v), nil
}
