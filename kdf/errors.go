package kdf

import "errors"

// ErrTampered reports a manifest signature or key envelope that failed
// authentication: a flipped byte, a swapped envelope or a forged signature.
// Callers must not use anything from the manifest after seeing it.
var ErrTampered = errors.New("kdf: manifest or key envelope failed authentication")

// ErrUnsupported reports a suite, key id or key version this service does not
// accept (unknown, retired or newer than the configured current version).
// It fails closed exactly like ErrTampered, but names a configuration problem
// rather than an attack, so operators can tell the two apart.
var ErrUnsupported = errors.New("kdf: unsupported key suite or key version")

// ErrClosed reports use of a keyring or service after Close.
var ErrClosed = errors.New("kdf: closed")
