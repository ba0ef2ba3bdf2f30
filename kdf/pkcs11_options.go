package kdf

import "os"

// PKCS11Options selects the HSM token and the root key inside it.
type PKCS11Options struct {
	// ModulePath is the PKCS#11 module (.so). Empty: the first existing of
	// the usual SoftHSM2 install paths (see DefaultPKCS11Modules).
	ModulePath string
	// TokenLabel selects the token; exactly one present token must carry it.
	TokenLabel string
	// PIN is the CKU_USER PIN. It is used once per process (Login covers
	// every session) and never logged.
	PIN string
	// KeyLabel names the root key (CKA_LABEL); exactly one secret key with
	// this label must exist unless CreateIfMissing creates it.
	KeyLabel string
	// CreateIfMissing generates the root key inside the token (sensitive,
	// non-extractable, CKK_GENERIC_SECRET, 32 bytes) when none has KeyLabel.
	CreateIfMissing bool
	// Sessions is the number of pooled sessions used for HMAC calls
	// (default 4). Sessions are never shared concurrently: that crashes
	// SoftHSM inside C code.
	Sessions int
}

// DefaultPKCS11Modules lists where SoftHSM2 installs its module on common
// platforms, tried in order when PKCS11Options.ModulePath is empty.
func DefaultPKCS11Modules() []string {
	return []string{
		"/usr/lib/softhsm/libsofthsm2.so",                  // Debian, Ubuntu
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", // Debian multiarch real file
		"/usr/lib64/pkcs11/libsofthsm2.so",                 // Fedora, RHEL
		"/usr/lib/pkcs11/libsofthsm2.so",                   // Arch, Alpine
		"/usr/local/lib/softhsm/libsofthsm2.so",            // source builds, FreeBSD
	}
}

// withDefaults fills defaults and reports the first missing required field.
func (o PKCS11Options) withDefaults() (PKCS11Options, error) {
	if o.ModulePath == "" {
		for _, p := range DefaultPKCS11Modules() {
			if _, err := os.Stat(p); err == nil {
				o.ModulePath = p
				break
			}
		}
		if o.ModulePath == "" {
			return o, errPKCS11("no ModulePath given and no SoftHSM2 module found in the default locations")
		}
	}
	if o.TokenLabel == "" {
		return o, errPKCS11("TokenLabel is required")
	}
	if o.KeyLabel == "" {
		return o, errPKCS11("KeyLabel is required")
	}
	if o.Sessions <= 0 {
		o.Sessions = 4
	}
	return o, nil
}

// pkcs11Error is a configuration error from OpenPKCS11.
type pkcs11Error string

func (e pkcs11Error) Error() string { return "kdf: pkcs11: " + string(e) }

func errPKCS11(msg string) error { return pkcs11Error(msg) }
