package kdf

import (
	"context"
	"crypto/hmac"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// CustomerKeySize is the length of an SSE-C customer-provided key (AES-256).
const CustomerKeySize = 32

// Errors of the per-request key choices (SSE-C, KMS key ids).
var (
	// ErrCustomerKeyRequired: the object was written with SSE-C and the
	// request did not provide the customer key.
	ErrCustomerKeyRequired = errors.New("kdf: the object is encrypted with a customer-provided key and none was given")
	// ErrCustomerKeyMismatch: the customer key given does not open the object.
	ErrCustomerKeyMismatch = errors.New("kdf: the customer-provided key does not match the object's key")
	// ErrCustomerKeyNotApplicable: a customer key was given for an object
	// written without one.
	ErrCustomerKeyNotApplicable = errors.New("kdf: the object was not encrypted with a customer-provided key")
	// ErrCustomerKey: a customer key of the wrong size.
	ErrCustomerKey = errors.New("kdf: invalid customer-provided key")
	// ErrUnknownKMSKey: a KMS key id that this keyring did not issue for
	// the account.
	ErrUnknownKMSKey = errors.New("kdf: unknown KMS key id")
)

// KeyChoice selects the key a new object is sealed under. The zero value is
// the account's own customer key (SSE-S3).
type KeyChoice struct {
	// KMSKeyID names a KMS key of the context's account, as KMSKeyID
	// returned it (an "arn:…:key/<id>" form is accepted too).
	KMSKeyID string
	// CustomerKey is an SSE-C key (CustomerKeySize bytes), or nil. It is
	// mixed into the object key's derivation and never stored.
	CustomerKey []byte
}

// EnvelopeInfo is what an envelope's CustomerKeyID says about how its
// object was encrypted; it is public.
type EnvelopeInfo struct {
	// KMSKeyID is the KMS key the object was sealed under, or "".
	KMSKeyID string
	// CustomerKey reports an SSE-C object: reading it needs the key.
	CustomerKey bool
}

// DescribeEnvelope reports the key choice recorded in env, or
// ErrUnsupported for a CustomerKeyID this package does not produce.
func DescribeEnvelope(env Envelope) (EnvelopeInfo, error) {
	id, err := parseEnvelopeKeyID(env.CustomerKeyID)
	if err != nil {
		return EnvelopeInfo{}, err
	}
	return EnvelopeInfo{KMSKeyID: id.kmsKeyID, CustomerKey: id.sseC}, nil
}

// Labels of the KMS key derivations (docs/FORMAT.md, "Key envelope").
const (
	labelKMS   = "rustfs/v1/kms"
	labelKMSID = "rustfs/v1/kms-id"
	// kmsTagBytes is the length of the id's keyring tag: 64 bits, so an id
	// cannot be guessed, only issued.
	kmsTagBytes  = 8
	maxKMSName   = 64
	kmsARNMarker = ":key/"
)

// keySubject is whose CK a derivation uses: the account's own key, or the
// account's KMS key kmsName.
type keySubject struct {
	account, kmsName string
}

// message is the keyring HMAC input of the subject's CK for epoch:
// customerMessage for the account key, else
// "rustfs/v1/kms" ‖ lp(account) ‖ lp(name) ‖ u32 epoch.
func (k keySubject) message(epoch uint32) []byte {
	if k.kmsName == "" {
		return customerMessage(k.account, epoch)
	}
	msg := append([]byte(nil), labelKMS...)
	msg = appendLP(msg, []byte(k.account))
	msg = appendLP(msg, []byte(k.kmsName))
	return binary.BigEndian.AppendUint32(msg, epoch)
}

// KMSKeyID issues (computes) the id of the KMS key name of account:
// "<name>-<16 hex>", the hex being the first 8 bytes of
// HMAC(root, "rustfs/v1/kms-id" ‖ lp(account) ‖ lp(name)). Nothing is
// stored: the same keyring always answers the same id, any gateway can
// check one, and an id forged or issued for another account or keyring is
// refused. name is 1..64 of [A-Za-z0-9_.].
func (s *Service) KMSKeyID(ctx context.Context, account, name string) (string, error) {
	if err := s.live(); err != nil {
		return "", err
	}
	if !validKMSName(name) {
		return "", fmt.Errorf("kdf: KMS key name %q: 1..%d characters of A-Z a-z 0-9 _ .", name, maxKMSName)
	}
	tag, err := kmsTag(ctx, s.o.Keyring, account, name)
	if err != nil {
		return "", err
	}
	return name + "-" + hex.EncodeToString(tag), nil
}

// CheckKMSKey reports whether id (or an ARN ending in ":key/<id>") is a
// KMS key this keyring issued for account; it returns the bare id, or an
// error wrapping ErrUnknownKMSKey.
func (s *Service) CheckKMSKey(ctx context.Context, account, id string) (string, error) {
	if err := s.live(); err != nil {
		return "", err
	}
	bare := BareKMSKeyID(id)
	if _, err := s.checkKMSKey(ctx, s.o.Keyring, account, bare); err != nil {
		return "", err
	}
	return bare, nil
}

// BareKMSKeyID strips an ARN prefix ("arn:aws:kms:…:key/") from id.
func BareKMSKeyID(id string) string {
	if strings.HasPrefix(id, "arn:") {
		if i := strings.LastIndex(id, kmsARNMarker); i >= 0 {
			return id[i+len(kmsARNMarker):]
		}
	}
	return id
}

// checkKMSKey verifies id's tag in the keyring and returns its name.
func (s *Service) checkKMSKey(ctx context.Context, kr Keyring, account, id string) (string, error) {
	name, tag, ok := splitKMSKeyID(id)
	if !ok {
		return "", fmt.Errorf("%w: %q", ErrUnknownKMSKey, id)
	}
	want, err := kmsTag(ctx, kr, account, name)
	if err != nil {
		return "", err
	}
	if !hmac.Equal(want, tag) {
		return "", fmt.Errorf("%w: %q", ErrUnknownKMSKey, id)
	}
	return name, nil
}

// kmsTag computes the keyring tag of (account, name).
func kmsTag(ctx context.Context, kr Keyring, account, name string) ([]byte, error) {
	msg := append([]byte(nil), labelKMSID...)
	msg = appendLP(msg, []byte(account))
	msg = appendLP(msg, []byte(name))
	mac, err := kr.HMAC(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("kdf: KMS key id: %w", err)
	}
	defer clear(mac[:])
	return append([]byte(nil), mac[:kmsTagBytes]...), nil
}

// splitKMSKeyID parses "<name>-<16 hex>".
func splitKMSKeyID(id string) (name string, tag []byte, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 || len(id)-i-1 != 2*kmsTagBytes {
		return "", nil, false
	}
	name = id[:i]
	if !validKMSName(name) {
		return "", nil, false
	}
	hexTag := id[i+1:]
	if strings.ToLower(hexTag) != hexTag {
		return "", nil, false
	}
	tag, err := hex.DecodeString(hexTag)
	if err != nil {
		return "", nil, false
	}
	return name, tag, true
}

// validKMSName accepts 1..64 of [A-Za-z0-9_.]; '-' is the tag separator
// and '/' the envelope's field separator, so neither may appear.
func validKMSName(name string) bool {
	if name == "" || len(name) > maxKMSName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// envelopeKeyID is a parsed CustomerKeyID:
//
//	customer/<epoch>             the account's key (SSE-S3)
//	customer/<epoch>/sse-c       the account's key and a customer-provided key
//	kms/<kms id>/<epoch>         a named KMS key of the account
//	kms/<kms id>/<epoch>/sse-c   both (S3 refuses the combination at the API)
type envelopeKeyID struct {
	epoch    uint32
	kmsKeyID string
	sseC     bool
}

const (
	kmsIDPrefix = "kms/"
	sseCSuffix  = "/sse-c"
)

// String formats the CustomerKeyID.
func (e envelopeKeyID) String() string {
	var s string
	if e.kmsKeyID != "" {
		s = kmsIDPrefix + e.kmsKeyID + "/" + customerKeyID(e.epoch)[len(customerIDPrefix):]
	} else {
		s = customerKeyID(e.epoch)
	}
	if e.sseC {
		s += sseCSuffix
	}
	return s
}

// parseEnvelopeKeyID accepts exactly the strings String produces.
func parseEnvelopeKeyID(id string) (envelopeKeyID, error) {
	var out envelopeKeyID
	if len(id) > maxKeyIDLen {
		return out, fmt.Errorf("%w: customer key id too long", ErrUnsupported)
	}
	rest, sseC := strings.CutSuffix(id, sseCSuffix)
	out.sseC = sseC
	if kms, ok := strings.CutPrefix(rest, kmsIDPrefix); ok {
		i := strings.LastIndexByte(kms, '/')
		if i < 0 {
			return out, fmt.Errorf("%w: customer key id %q", ErrUnsupported, id)
		}
		if _, _, ok := splitKMSKeyID(kms[:i]); !ok {
			return out, fmt.Errorf("%w: customer key id %q", ErrUnsupported, id)
		}
		v, err := parseVersion(kms[i+1:])
		if err != nil {
			return out, fmt.Errorf("%w: customer key id %q", ErrUnsupported, id)
		}
		out.kmsKeyID, out.epoch = kms[:i], v
		return out, nil
	}
	v, err := parseCustomerKeyID(rest)
	if err != nil {
		return out, err
	}
	out.epoch = v
	return out, nil
}
