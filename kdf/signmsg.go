package kdf

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// SignMessage signs msg with the current ML-DSA-65 signing key under the
// FIPS 204 context sigContext and returns the signature and the key id
// (CurrentSigKeyID). The context separates purposes (an audit checkpoint
// signed here can never pass as a manifest signature), so the manifest
// context itself is refused, as is an empty one.
func (s *Service) SignMessage(ctx context.Context, sigContext string, msg []byte) (sig []byte, keyID string, err error) {
	if err := s.live(); err != nil {
		return nil, "", err
	}
	if sigContext == "" || sigContext == SignatureContext || len(sigContext) > 255 {
		return nil, "", errors.New("kdf: sign message: context must be non-empty, at most 255 bytes and not the manifest context")
	}
	k, err := s.signingKeyFor(ctx, s.o.Keyring, s.o.SigningKeyVersion)
	if err != nil {
		return nil, "", err
	}
	sig = make([]byte, mldsa65.SignatureSize)
	err = mldsa65.SignTo(k.sk, msg, []byte(sigContext), true, sig)
	avxReset()
	if err != nil {
		return nil, "", fmt.Errorf("kdf: sign message: %w", err)
	}
	return sig, s.CurrentSigKeyID(), nil
}

// SigningPublicKey returns the packed ML-DSA-65 public key of the current
// signing key (what SignMessage signs with) and its key id, so verifiers
// outside the server can check message signatures.
func (s *Service) SigningPublicKey(ctx context.Context) (pub []byte, keyID string, err error) {
	if err := s.live(); err != nil {
		return nil, "", err
	}
	k, err := s.signingKeyFor(ctx, s.o.Keyring, s.o.SigningKeyVersion)
	if err != nil {
		return nil, "", err
	}
	pub, err = k.pk.MarshalBinary()
	if err != nil {
		return nil, "", fmt.Errorf("kdf: signing public key: %w", err)
	}
	return pub, s.CurrentSigKeyID(), nil
}
