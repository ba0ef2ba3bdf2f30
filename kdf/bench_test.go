package kdf

import (
	"context"
	"crypto/sha256"
	"os"
	"testing"

	"github.com/cloudflare/circl/kem/xwing"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// benchService returns a service over a local keyring with its customer
// and signing keys warm.
func benchService(b *testing.B, mod func(*Options)) *Service {
	kr, _ := openTestLocal(b)
	s := newTestService(b, kr, mod)
	k, m := newSignedObject(b, s, testCtx)
	k.Destroy()
	_ = m
	s.cache.wait()
	return s
}

func BenchmarkXWingEncapsulate(b *testing.B) {
	_, pk := xwing.DeriveKeyPair(make([]byte, xwing.SeedSize))
	ct := make([]byte, xwing.CiphertextSize)
	ss := make([]byte, xwing.SharedKeySize)
	b.SetBytes(xwing.CiphertextSize)
	b.ReportAllocs()
	for b.Loop() {
		pk.EncapsulateTo(ct, ss, nil)
		avxReset() // as the service does after every circl call
	}
}

// BenchmarkXWingDecapsulate: "seed" is what OpenObjectKey does (the private
// key is re-expanded from its 32-byte seed each time, since only seeds are
// kept); "expanded" is the cost if an expanded key were cached instead.
func BenchmarkXWingDecapsulate(b *testing.B) {
	seed := make([]byte, xwing.SeedSize)
	sk, pk := xwing.DeriveKeyPair(seed)
	ct := make([]byte, xwing.CiphertextSize)
	ss := make([]byte, xwing.SharedKeySize)
	pk.EncapsulateTo(ct, ss, nil)
	b.Run("seed", func(b *testing.B) {
		b.SetBytes(xwing.CiphertextSize)
		b.ReportAllocs()
		for b.Loop() {
			k, _ := xwing.DeriveKeyPair(seed)
			k.DecapsulateTo(ss, ct)
			avxReset()
		}
	})
	b.Run("expanded", func(b *testing.B) {
		b.SetBytes(xwing.CiphertextSize)
		b.ReportAllocs()
		for b.Loop() {
			sk.DecapsulateTo(ss, ct)
			avxReset()
		}
	})
}

// smallObjectManifest is the signed bytes of a one-part small object, the
// case where per-object signing dominates.
func smallObjectManifest(b *testing.B, s *Service) []byte {
	k, env, err := s.NewObjectKey(context.Background(), testCtx)
	if err != nil {
		b.Fatal(err)
	}
	k.Destroy()
	m := testManifest(testCtx, env)
	m.Size, m.Parts[0].Size = 4096, 4096
	m.SigKeyID = s.CurrentSigKeyID()
	msg, err := m.SigningBytes()
	if err != nil {
		b.Fatal(err)
	}
	return msg
}

func BenchmarkMLDSA65(b *testing.B) {
	s := benchService(b, nil)
	msg := smallObjectManifest(b, s)
	k, _ := s.signingKeyFor(context.Background(), s.o.Keyring, 1)
	sig := make([]byte, mldsa65.SignatureSize)
	b.Run("sign", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for b.Loop() {
			if err := mldsa65.SignTo(k.sk, msg, []byte(SignatureContext), true, sig); err != nil {
				b.Fatal(err)
			}
			avxReset()
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for b.Loop() {
			if !mldsa65.Verify(k.pk, msg, []byte(SignatureContext), sig) {
				b.Fatal("verify failed")
			}
			avxReset()
		}
	})
}

func BenchmarkHKDFObjectSecrets(b *testing.B) {
	var ck, binding [32]byte
	ss := make([]byte, 32)
	salt := make([]byte, SaltSize)
	b.SetBytes(64)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := deriveObjectSecrets(ss, &ck, salt, SuiteXWing, &binding); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewObjectKey is the key part of PUT setup (customer key cached).
func BenchmarkNewObjectKey(b *testing.B) {
	s := benchService(b, nil)
	ctx := context.Background()
	b.SetBytes(KEMCiphertextSize + SaltSize + CommitmentSize)
	b.ReportAllocs()
	for b.Loop() {
		k, _, err := s.NewObjectKey(ctx, testCtx)
		if err != nil {
			b.Fatal(err)
		}
		k.Destroy()
	}
}

// BenchmarkOpenObjectKey: "hit" = data key cached (hot GET); "miss" = data
// key not cached, customer key cached (first GET of an object); "cold" =
// nothing cached (keyring HMAC + KEM key derivation + decapsulation).
func BenchmarkOpenObjectKey(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"hit", "miss", "cold"} {
		b.Run(mode, func(b *testing.B) {
			s := benchService(b, func(o *Options) {
				if mode == "cold" {
					o.CacheBytes = -1
				}
			})
			_, env, err := s.NewObjectKey(ctx, testCtx)
			if err != nil {
				b.Fatal(err)
			}
			s.cache.wait()
			binding := testCtx.Binding()
			id := dataKeyID(&binding, &env)
			b.SetBytes(KEMCiphertextSize + SaltSize + CommitmentSize)
			b.ReportAllocs()
			for b.Loop() {
				if mode == "miss" {
					s.cache.c.Del(cacheKey(&id))
				}
				k, err := s.OpenObjectKey(ctx, testCtx, env)
				if err != nil {
					b.Fatal(err)
				}
				k.Destroy()
			}
		})
	}
}

// BenchmarkSignManifest is the full per-object signing step (encode the
// signed bytes, hedged ML-DSA-65 sign, remember as verified) for a small
// object's manifest.
func BenchmarkSignManifest(b *testing.B) {
	s := benchService(b, nil)
	ctx := context.Background()
	k, env, _ := s.NewObjectKey(ctx, testCtx)
	k.Destroy()
	m := testManifest(testCtx, env)
	m.Size, m.Parts[0].Size = 4096, 4096
	msg, _ := m.SigningBytes()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.SignManifest(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyManifest: "hit" = digest of a verified manifest cached
// (hot GET skips ML-DSA); "miss" = full verification.
func BenchmarkVerifyManifest(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"hit", "miss"} {
		b.Run(mode, func(b *testing.B) {
			s := benchService(b, nil)
			k, m := newSignedObject(b, s, testCtx)
			k.Destroy()
			s.cache.wait()
			msg, _ := m.SigningBytes()
			id := verifiedID(msg, m.Signature)
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if mode == "miss" {
					s.cache.c.Del(cacheKey(&id))
				}
				if err := s.VerifyManifest(ctx, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkKeyringHMAC compares the in-process HMAC with one computed inside
// a SoftHSM2 token (needs RUSTFS_TEST_SOFTHSM; it is only paid on customer
// and signing-key cache misses).
func BenchmarkKeyringHMAC(b *testing.B) {
	ctx := context.Background()
	msg := customerMessage("acct-1", 1)
	run := func(b *testing.B, kr Keyring) {
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := kr.HMAC(ctx, msg); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("local", func(b *testing.B) {
		kr, _ := openTestLocal(b)
		run(b, kr)
	})
	b.Run("pkcs11", func(b *testing.B) {
		if os.Getenv("RUSTFS_TEST_SOFTHSM") == "" {
			b.Skip("RUSTFS_TEST_SOFTHSM is empty")
		}
		run(b, openPKCS11Bench(b))
	})
}

// BenchmarkAVXTransition shows why avxReset exists: SHA-256 of 1 KiB right
// after an ML-KEM encapsulation, with and without clearing the upper YMM
// state (ns/op here is the encapsulation plus the hash).
func BenchmarkAVXTransition(b *testing.B) {
	_, pk := xwing.DeriveKeyPair(make([]byte, xwing.SeedSize))
	ct := make([]byte, xwing.CiphertextSize)
	ss := make([]byte, xwing.SharedKeySize)
	buf := make([]byte, 1024)
	for _, reset := range []bool{false, true} {
		b.Run(map[bool]string{false: "dirty", true: "reset"}[reset], func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				pk.EncapsulateTo(ct, ss, nil)
				if reset {
					avxReset()
				}
				sha256.Sum256(buf)
			}
			avxReset()
		})
	}
}
