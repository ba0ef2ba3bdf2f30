//go:build cgo

package kdf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/miekg/pkcs11"
)

// findSlot returns the one slot whose present token carries label. Slot ids
// are not stable (SoftHSM derives them from the token serial), so tokens are
// always found by label.
func findSlot(c *pkcs11.Ctx, label string) (uint, error) {
	slots, err := c.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("kdf: pkcs11: slot list: %w", err)
	}
	var found []uint
	for _, s := range slots {
		ti, err := c.GetTokenInfo(s)
		if err != nil {
			continue
		}
		if strings.TrimRight(ti.Label, " \x00") == label {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("kdf: pkcs11: no token labelled %q", label)
	case 1:
		return found[0], nil
	default:
		return 0, fmt.Errorf("kdf: pkcs11: %d tokens labelled %q; labels must be unique", len(found), label)
	}
}

// findKey looks the root key up by label; labels are not unique in PKCS#11,
// so more than one match is an error rather than a guess.
func (k *p11Keyring) findKey(o PKCS11Options) (pkcs11.ObjectHandle, error) {
	c := k.mod.ctx
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, o.KeyLabel),
	}
	if err := c.FindObjectsInit(k.anchor, tmpl); err != nil {
		return 0, fmt.Errorf("kdf: pkcs11: find key: %w", err)
	}
	objs, _, err := c.FindObjects(k.anchor, 2)
	if ferr := c.FindObjectsFinal(k.anchor); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		return 0, fmt.Errorf("kdf: pkcs11: find key: %w", err)
	}
	switch {
	case len(objs) == 1:
		return objs[0], nil
	case len(objs) > 1:
		return 0, fmt.Errorf("kdf: pkcs11: %d secret keys labelled %q on token %q; refusing to guess", len(objs), o.KeyLabel, o.TokenLabel)
	case !o.CreateIfMissing:
		// A private key is invisible when not logged in, so "0 found" may
		// also mean a login problem.
		return 0, fmt.Errorf("kdf: pkcs11: no secret key labelled %q on token %q", o.KeyLabel, o.TokenLabel)
	}
	key, err := c.GenerateKey(k.anchor,
		[]*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_GENERIC_SECRET_KEY_GEN, nil)},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, o.KeyLabel),
		})
	if err != nil {
		return 0, fmt.Errorf("kdf: pkcs11: generate root key %q: %w", o.KeyLabel, err)
	}
	return key, nil
}

// checkRootKey refuses keys that could leave the token or cannot HMAC.
func checkRootKey(c *pkcs11.Ctx, sh pkcs11.SessionHandle, key pkcs11.ObjectHandle) error {
	attrs, err := c.GetAttributeValue(sh, key, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, nil),
	})
	if err != nil {
		return fmt.Errorf("read attributes: %w", err)
	}
	for _, a := range attrs {
		switch a.Type {
		case pkcs11.CKA_KEY_TYPE:
			kt := attrUint(a.Value)
			if kt != pkcs11.CKK_GENERIC_SECRET && kt != pkcs11.CKK_SHA256_HMAC {
				return fmt.Errorf("key type 0x%x is not a generic secret or HMAC key", kt)
			}
		case pkcs11.CKA_SENSITIVE:
			if !attrBool(a.Value) {
				return errors.New("key is not sensitive; refusing it as a root of trust")
			}
		case pkcs11.CKA_EXTRACTABLE:
			if attrBool(a.Value) {
				return errors.New("key is extractable; refusing it as a root of trust")
			}
		case pkcs11.CKA_SIGN:
			if !attrBool(a.Value) {
				return errors.New("key does not allow CKA_SIGN (HMAC)")
			}
		}
	}
	return nil
}

// attrBool decodes a CK_BBOOL attribute value.
func attrBool(v []byte) bool { return len(v) == 1 && v[0] != 0 }

// attrUint decodes a CK_ULONG attribute value (native byte order, host width).
func attrUint(v []byte) uint {
	switch len(v) {
	case 8:
		return uint(binary.NativeEndian.Uint64(v))
	case 4:
		return uint(binary.NativeEndian.Uint32(v))
	default:
		return ^uint(0)
	}
}
