//go:build cgo

package kdf

import (
	"context"
	"fmt"
	"sync"

	"github.com/miekg/pkcs11"
)

// p11Keyring computes HMAC-SHA256 inside a PKCS#11 token with a sensitive,
// non-extractable secret key. Concurrency: each HMAC borrows one session from
// a pool (a session is never used by two goroutines at once); one extra
// anchor session stays open for the keyring's lifetime because closing a
// token's last session logs the process out and destroys session objects.
type p11Keyring struct {
	mod    *p11Module
	slot   uint
	id     string
	rw     bool
	anchor pkcs11.SessionHandle
	key    pkcs11.ObjectHandle // session copy of the token key when the token allows it
	copied bool                // key is a session object we must destroy on Close
	pool   chan pkcs11.SessionHandle

	mu     sync.RWMutex // HMAC holds it shared; Close exclusive
	closed bool
}

// OpenPKCS11 opens the root key in an HSM token: it loads the module (once
// per process), logs in with the user PIN (once per token), finds the key by
// label (creating it if asked), checks that it is sensitive and
// non-extractable, and opens the session pool.
func OpenPKCS11(o PKCS11Options) (Keyring, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	mod, err := acquireModule(o.ModulePath)
	if err != nil {
		return nil, err
	}
	k := &p11Keyring{mod: mod, rw: o.CreateIfMissing}
	if err := k.open(o); err != nil {
		k.teardown()
		return nil, err
	}
	return k, nil
}

// open does everything after the module is loaded; on error the caller
// tears down whatever was set up.
func (k *p11Keyring) open(o PKCS11Options) error {
	c := k.mod.ctx
	slot, err := findSlot(c, o.TokenLabel)
	if err != nil {
		return err
	}
	k.slot = slot
	if k.anchor, err = k.openSession(); err != nil {
		return err
	}
	if err := c.Login(k.anchor, pkcs11.CKU_USER, o.PIN); err != nil && !isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		return fmt.Errorf("kdf: pkcs11: login to token %q: %w", o.TokenLabel, err)
	}
	key, err := k.findKey(o)
	if err != nil {
		return err
	}
	if err := checkRootKey(c, k.anchor, key); err != nil {
		return fmt.Errorf("kdf: pkcs11: key %q on token %q: %w", o.KeyLabel, o.TokenLabel, err)
	}
	// A session copy of the token key stays sensitive and non-extractable but
	// skips SoftHSM's per-operation re-check of the token file (2.5–3× faster).
	// Tokens that forbid copying keep using the token object.
	k.key = key
	if cp, err := c.CopyObject(k.anchor, key, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false)}); err == nil {
		k.key, k.copied = cp, true
	}
	k.pool = make(chan pkcs11.SessionHandle, o.Sessions)
	for range o.Sessions {
		sh, err := k.openSession()
		if err != nil {
			return err
		}
		k.pool <- sh
	}
	mac, err := k.HMAC(context.Background(), []byte(keyringIDLabel))
	if err != nil {
		return err
	}
	k.id = fingerprintID("pkcs11", mac)
	return nil
}

// openSession opens a serial session, read-write only when the keyring may
// create the key.
func (k *p11Keyring) openSession() (pkcs11.SessionHandle, error) {
	flags := uint(pkcs11.CKF_SERIAL_SESSION)
	if k.rw {
		flags |= pkcs11.CKF_RW_SESSION
	}
	sh, err := k.mod.ctx.OpenSession(k.slot, flags)
	if err != nil {
		return 0, fmt.Errorf("kdf: pkcs11: open session: %w", err)
	}
	return sh, nil
}

// ID implements Keyring.
func (k *p11Keyring) ID() string { return k.id }

// HMAC implements Keyring: CKM_SHA256_HMAC computed inside the token on a
// pooled session.
func (k *p11Keyring) HMAC(ctx context.Context, msg []byte) ([32]byte, error) {
	var out [32]byte
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.closed {
		return out, ErrClosed
	}
	var sh pkcs11.SessionHandle
	select {
	case sh = <-k.pool:
	case <-ctx.Done():
		return out, fmt.Errorf("kdf: pkcs11: waiting for a session: %w", ctx.Err())
	}
	if sh == 0 { // a previous failure could not replace its session
		var err error
		if sh, err = k.openSession(); err != nil {
			k.pool <- 0
			return out, err
		}
	}
	c := k.mod.ctx
	err := c.SignInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_HMAC, nil)}, k.key)
	var mac []byte
	if err == nil {
		mac, err = c.Sign(sh, msg)
	}
	if err != nil {
		// The session may be stuck mid-operation or invalid: replace it.
		_ = c.CloseSession(sh)
		nsh, oerr := k.openSession()
		if oerr != nil {
			nsh = 0
		}
		k.pool <- nsh
		return out, fmt.Errorf("kdf: pkcs11: HMAC: %w", err)
	}
	k.pool <- sh
	if len(mac) != len(out) {
		return out, fmt.Errorf("kdf: pkcs11: HMAC returned %d bytes, want 32", len(mac))
	}
	copy(out[:], mac)
	clear(mac)
	return out, nil
}

// Close destroys the session copy of the key, closes every session and
// releases the module (finalising it if this was the last user).
func (k *p11Keyring) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	return k.teardown()
}

// teardown releases everything open has acquired so far.
func (k *p11Keyring) teardown() error {
	c := k.mod.ctx
	if k.copied {
		_ = c.DestroyObject(k.anchor, k.key)
		k.copied = false
	}
	if k.pool != nil {
	drain:
		for {
			select {
			case sh := <-k.pool:
				if sh != 0 {
					_ = c.CloseSession(sh)
				}
			default:
				break drain
			}
		}
	}
	if k.anchor != 0 {
		_ = c.CloseSession(k.anchor)
		k.anchor = 0
	}
	return k.mod.release()
}
