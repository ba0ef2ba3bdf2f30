package audit

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// SignatureContext is the FIPS 204 context of checkpoint signatures: a
// checkpoint signature never verifies as a manifest signature or vice versa.
const SignatureContext = "rustfs/v1/audit"

// Checkpoint is a signed statement of the chain head.
type Checkpoint struct {
	Type      string    `json:"type"` // "checkpoint"
	Seq       uint64    `json:"seq"`
	Head      string    `json:"head"`
	Time      time.Time `json:"time"`
	GatewayID string    `json:"gatewayId,omitempty"`
	KeyID     string    `json:"keyId,omitempty"`
	Pub       string    `json:"pub"`   // base64 packed ML-DSA-65 public key
	PubFP     string    `json:"pubFp"` // hex SHA-256 of the packed key
	Final     bool      `json:"final,omitempty"`
	Sig       string    `json:"sig,omitempty"`
}

// Signer signs checkpoint bodies. Sign must produce an ML-DSA-65 signature
// under SignatureContext verifiable with PublicKey (packed).
type Signer struct {
	KeyID     string
	PublicKey []byte
	Sign      func(msg []byte) ([]byte, error)
}

// KeySigner is a Signer over an in-memory ML-DSA-65 key (tests, tools).
func KeySigner(sk *mldsa65.PrivateKey, keyID string) *Signer {
	pub, _ := sk.Public().(*mldsa65.PublicKey).MarshalBinary()
	return &Signer{KeyID: keyID, PublicKey: pub, Sign: func(msg []byte) ([]byte, error) {
		sig := make([]byte, mldsa65.SignatureSize)
		if err := mldsa65.SignTo(sk, msg, []byte(SignatureContext), true, sig); err != nil {
			return nil, err
		}
		return sig, nil
	}}
}

// Fingerprint is the hex SHA-256 of a packed public key, as checkpoints
// and `rustfs audit verify --pubkey` compare it.
func Fingerprint(pub []byte) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:])
}

// signCheckpoint builds the checkpoint line for head.
func signCheckpoint(s *Signer, head Head, gateway string, now time.Time, final bool) ([]byte, error) {
	if s == nil || s.Sign == nil {
		return nil, errors.New("audit: no checkpoint signer")
	}
	hash := head.Hash
	if hash == "" {
		hash = hex.EncodeToString(genesis[:])
	}
	c := Checkpoint{Type: TypeCheckpoint, Seq: head.Seq, Head: hash, Time: now.UTC(), GatewayID: gateway,
		KeyID: s.KeyID, Pub: base64.StdEncoding.EncodeToString(s.PublicKey), PubFP: Fingerprint(s.PublicKey), Final: final}
	body, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("audit: encode checkpoint: %w", err)
	}
	sig, err := s.Sign(body)
	if err != nil {
		return nil, fmt.Errorf("audit: sign checkpoint at seq %d: %w", head.Seq, err)
	}
	return appendMember(body, "sig", base64.StdEncoding.EncodeToString(sig)), nil
}
