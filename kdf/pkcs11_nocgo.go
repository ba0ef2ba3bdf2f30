//go:build !cgo

package kdf

// OpenPKCS11 needs cgo (the PKCS#11 module is a C library loaded with dlopen);
// this build has cgo disabled, so it always fails.
func OpenPKCS11(o PKCS11Options) (Keyring, error) {
	return nil, errPKCS11("this binary was built without cgo; PKCS#11 keyrings are unavailable")
}
