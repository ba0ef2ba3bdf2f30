//go:build cgo

package kdf

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/miekg/pkcs11"
)

// A PKCS#11 library is process-global C state: C_Initialize may run once per
// process and C_Finalize on any handle tears it down for everyone. This
// registry is therefore the one piece of package-level mutable state in kdf;
// it refcounts each module (keyed by its resolved real path, so a symlink and
// its target share one entry) and finalises it when the last keyring closes.
var p11Modules = struct {
	mu sync.Mutex
	m  map[string]*p11Module
}{m: map[string]*p11Module{}}

// p11Module is one loaded, initialised PKCS#11 library.
type p11Module struct {
	path string
	ctx  *pkcs11.Ctx
	refs int
	// owned is false when someone else in the process had already
	// initialised the library; we then never finalise it.
	owned bool
}

// acquireModule loads and initialises the module at path, or shares the
// already-loaded instance.
func acquireModule(path string) (*p11Module, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, fmt.Errorf("kdf: pkcs11 module %s: %w", path, err)
	}
	p11Modules.mu.Lock()
	defer p11Modules.mu.Unlock()
	if m := p11Modules.m[real]; m != nil {
		m.refs++
		return m, nil
	}
	ctx := pkcs11.New(real)
	if ctx == nil {
		return nil, fmt.Errorf("kdf: pkcs11 module %s could not be loaded (not a PKCS#11 library?)", path)
	}
	owned := true
	if err := ctx.Initialize(); err != nil {
		if !isCKR(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			ctx.Destroy()
			return nil, fmt.Errorf("kdf: pkcs11 module %s: C_Initialize: %w (for SoftHSM2 check SOFTHSM2_CONF and its tokendir)", path, err)
		}
		owned = false
	}
	m := &p11Module{path: real, ctx: ctx, refs: 1, owned: owned}
	p11Modules.m[real] = m
	return m, nil
}

// release drops one reference; the last one finalises the library.
func (m *p11Module) release() error {
	p11Modules.mu.Lock()
	defer p11Modules.mu.Unlock()
	m.refs--
	if m.refs > 0 {
		return nil
	}
	delete(p11Modules.m, m.path)
	var err error
	if m.owned {
		err = m.ctx.Finalize()
	}
	m.ctx.Destroy()
	if err != nil {
		return fmt.Errorf("kdf: pkcs11 module %s: C_Finalize: %w", m.path, err)
	}
	return nil
}

// isCKR reports whether err is the PKCS#11 return value code.
func isCKR(err error, code uint) bool {
	var pe pkcs11.Error
	return errors.As(err, &pe) && uint(pe) == code
}
