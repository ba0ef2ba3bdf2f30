package kdf

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/tasmaniancloud/rustfs/manifest"
)

// TestEnvelopeTampering flips or replaces each envelope field; opening must
// fail, whether or not the genuine envelope is already cached.
func TestEnvelopeTampering(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	flip := func(b []byte, i int) []byte { b[i] ^= 0x01; return b }
	cases := []struct {
		name string
		mut  func(e *Envelope)
		want error
	}{
		{"ct first byte", func(e *Envelope) { flip(e.KEMCiphertext, 0) }, ErrTampered},
		{"ct ML-KEM part", func(e *Envelope) { flip(e.KEMCiphertext, 500) }, ErrTampered},
		{"ct X25519 part", func(e *Envelope) { flip(e.KEMCiphertext, KEMCiphertextSize-1) }, ErrTampered},
		{"salt", func(e *Envelope) { flip(e.Salt, 7) }, ErrTampered},
		{"commitment", func(e *Envelope) { flip(e.Commitment, 31) }, ErrTampered},
		{"ct truncated", func(e *Envelope) { e.KEMCiphertext = e.KEMCiphertext[:KEMCiphertextSize-1] }, ErrTampered},
		{"ct extended", func(e *Envelope) { e.KEMCiphertext = append(e.KEMCiphertext, 0) }, ErrTampered},
		{"salt empty", func(e *Envelope) { e.Salt = nil }, ErrTampered},
		{"commitment short", func(e *Envelope) { e.Commitment = e.Commitment[:16] }, ErrTampered},
		{"suite 0", func(e *Envelope) { e.Suite = 0 }, ErrUnsupported},
		{"suite 2", func(e *Envelope) { e.Suite = 2 }, ErrUnsupported},
		{"root id", func(e *Envelope) { e.RootKeyID = "local-0000000000000000" }, ErrUnsupported},
		{"root id empty", func(e *Envelope) { e.RootKeyID = "" }, ErrUnsupported},
		{"future epoch", func(e *Envelope) { e.CustomerKeyID = "customer/2" }, ErrUnsupported},
		{"epoch zero", func(e *Envelope) { e.CustomerKeyID = "customer/0" }, ErrUnsupported},
		{"epoch non-canonical", func(e *Envelope) { e.CustomerKeyID = "customer/01" }, ErrUnsupported},
		{"customer id garbage", func(e *Envelope) { e.CustomerKeyID = "cust/1" }, ErrUnsupported},
	}
	for _, warm := range []bool{false, true} {
		s := newTestService(t, kr, nil)
		k, env, err := s.NewObjectKey(ctx, testCtx)
		if err != nil {
			t.Fatal(err)
		}
		k.Destroy()
		if warm {
			s.cache.wait()
		} else {
			s.cache.c.Clear()
		}
		for _, tc := range cases {
			e := cloneEnvelope(env)
			tc.mut(&e)
			if k, err := s.OpenObjectKey(ctx, testCtx, e); !errors.Is(err, tc.want) {
				if k != nil {
					k.Destroy()
				}
				t.Errorf("warm=%v %s: err %v, want %v", warm, tc.name, err, tc.want)
			}
		}
		// The genuine envelope still opens after all that.
		k, err = s.OpenObjectKey(ctx, testCtx, env)
		if err != nil {
			t.Fatalf("genuine envelope: %v", err)
		}
		k.Destroy()
	}
}

// TestEnvelopeBoundToContext: an envelope opens only under the exact context
// it was made for, and envelopes swapped between objects fail.
func TestEnvelopeBoundToContext(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	rec := &recordingHandler{}
	s := newTestService(t, kr, func(o *Options) { o.Logger = slog.New(rec) })
	other := Context{Account: testCtx.Account, Bucket: testCtx.Bucket, Key: "2026/dog.jpg"}
	k1, e1, _ := s.NewObjectKey(ctx, testCtx)
	k2, e2, _ := s.NewObjectKey(ctx, other)
	k1.Destroy()
	k2.Destroy()
	s.cache.wait()
	if _, err := s.OpenObjectKey(ctx, testCtx, e2); !errors.Is(err, ErrTampered) {
		t.Fatalf("swapped envelope (a←b): %v", err)
	}
	if _, err := s.OpenObjectKey(ctx, other, e1); !errors.Is(err, ErrTampered) {
		t.Fatalf("swapped envelope (b←a): %v", err)
	}
	if !rec.find(slog.LevelWarn, "key", testCtx.Key) {
		t.Fatal("no warning logged for a failed commitment check")
	}
	variants := []Context{
		{Account: "acct-2", Bucket: testCtx.Bucket, Key: testCtx.Key},
		{Account: testCtx.Account, Bucket: "photos2", Key: testCtx.Key},
		{Account: testCtx.Account, Bucket: testCtx.Bucket, Key: testCtx.Key + " "},
		{Account: testCtx.Account, Bucket: testCtx.Bucket, Key: testCtx.Key, UploadID: "u"},
		// Moving bytes between fields must not collide (length prefixes).
		{Account: testCtx.Account + "p", Bucket: "hotos", Key: testCtx.Key},
	}
	for _, c := range variants {
		if _, err := s.OpenObjectKey(ctx, c, e1); !errors.Is(err, ErrTampered) {
			t.Errorf("context %+v: %v, want ErrTampered", c, err)
		}
		if c.Binding() == testCtx.Binding() {
			t.Errorf("context %+v has the same binding", c)
		}
	}
}

// TestManifestTampering changes every kind of manifest field after signing;
// verification must fail even though the genuine manifest is cached.
func TestManifestTampering(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	rec := &recordingHandler{}
	s := newTestService(t, kr, func(o *Options) { o.Logger = slog.New(rec) })
	k, m := newSignedObject(t, s, testCtx)
	k.Destroy()
	if err := s.VerifyManifest(ctx, m); err != nil {
		t.Fatalf("genuine manifest: %v", err)
	}
	s.cache.wait()
	cases := []struct {
		name string
		mut  func(m *manifest.Manifest)
		want error
	}{
		{"signature first byte", func(m *manifest.Manifest) { m.Signature[0] ^= 1 }, ErrTampered},
		{"signature middle byte", func(m *manifest.Manifest) { m.Signature[SignatureSize/2] ^= 0x80 }, ErrTampered},
		{"signature last byte", func(m *manifest.Manifest) { m.Signature[SignatureSize-1] ^= 1 }, ErrTampered},
		{"signature truncated", func(m *manifest.Manifest) { m.Signature = m.Signature[:SignatureSize-1] }, ErrTampered},
		{"signature missing", func(m *manifest.Manifest) { m.Signature = nil }, ErrTampered},
		{"bucket", func(m *manifest.Manifest) { m.Bucket = "other" }, ErrTampered},
		{"key", func(m *manifest.Manifest) { m.Key += "x" }, ErrTampered},
		{"size", func(m *manifest.Manifest) { m.Size++ }, ErrTampered},
		{"etag", func(m *manifest.Manifest) { m.ETag = "ffffffffffffffffffffffffffffffff" }, ErrTampered},
		{"modified", func(m *manifest.Manifest) { m.Modified-- }, ErrTampered},
		{"owner", func(m *manifest.Manifest) { m.Owner = "mallory" }, ErrTampered},
		{"content type", func(m *manifest.Manifest) { m.ContentType = "text/html" }, ErrTampered},
		{"user meta changed", func(m *manifest.Manifest) { m.UserMeta["mood"] = "angry" }, ErrTampered},
		{"user meta added", func(m *manifest.Manifest) { m.UserMeta["x"] = "" }, ErrTampered},
		{"checksum", func(m *manifest.Manifest) { m.Checksums["crc32c"] = "AAAAAQ==" }, ErrTampered},
		{"upload id", func(m *manifest.Manifest) { m.UploadID = "u" }, ErrTampered},
		{"part size", func(m *manifest.Manifest) { m.Parts[0].Size-- }, ErrTampered},
		{"part data id", func(m *manifest.Manifest) { m.Parts[0].DataID[15] ^= 1 }, ErrTampered},
		{"part osd", func(m *manifest.Manifest) { m.Parts[0].OSDs[5] = "evil" }, ErrTampered},
		{"part dropped", func(m *manifest.Manifest) { m.Parts = nil }, ErrTampered},
		{"envelope salt", func(m *manifest.Manifest) { m.Envelope.Salt[0] ^= 1 }, ErrTampered},
		{"envelope ct", func(m *manifest.Manifest) { m.Envelope.KEMCiphertext[100] ^= 1 }, ErrTampered},
		{"envelope commitment", func(m *manifest.Manifest) { m.Envelope.Commitment[0] ^= 1 }, ErrTampered},
		{"envelope epoch", func(m *manifest.Manifest) { m.Envelope.CustomerKeyID = "customer/7" }, ErrTampered},
		{"sig key version", func(m *manifest.Manifest) { m.SigKeyID = sigKeyID(kr.ID(), 2) }, ErrUnsupported},
		{"sig key root", func(m *manifest.Manifest) { m.SigKeyID = sigKeyID("local-0000000000000000", 1) }, ErrUnsupported},
		{"sig key garbage", func(m *manifest.Manifest) { m.SigKeyID = "x" }, ErrUnsupported},
		{"sig key empty", func(m *manifest.Manifest) { m.SigKeyID = "" }, ErrUnsupported},
	}
	for _, tc := range cases {
		raw, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		mm, err := manifest.Unmarshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		tc.mut(mm)
		if err := s.VerifyManifest(ctx, mm); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	if !rec.find(slog.LevelWarn, "key_id", m.SigKeyID) {
		t.Fatal("no warning with the key id logged for a bad signature")
	}
	if err := s.VerifyManifest(ctx, m); err != nil {
		t.Fatalf("genuine manifest after tampering attempts: %v", err)
	}
}

// TestSignatureSwapAndForeignRoot: signatures do not move between manifests,
// and manifests signed under an unconfigured root are rejected.
func TestSignatureSwapAndForeignRoot(t *testing.T) {
	ctx := context.Background()
	kr, _ := openTestLocal(t)
	s := newTestService(t, kr, nil)
	_, m1 := newSignedObject(t, s, testCtx)
	_, m2 := newSignedObject(t, s, Context{Account: "acct-1", Bucket: "photos", Key: "b"})
	m1.Signature, m2.Signature = m2.Signature, m1.Signature
	if err := s.VerifyManifest(ctx, m1); !errors.Is(err, ErrTampered) {
		t.Fatalf("swapped signature: %v", err)
	}
	// Same envelope, same everything, but the other manifest's envelope.
	m1.Signature, m2.Signature = m2.Signature, m1.Signature
	m1.Envelope, m2.Envelope = m2.Envelope, m1.Envelope
	if err := s.VerifyManifest(ctx, m1); !errors.Is(err, ErrTampered) {
		t.Fatalf("swapped envelope inside a signed manifest: %v", err)
	}

	foreign, _ := openTestLocal(t)
	fs := newTestService(t, foreign, nil)
	_, fm := newSignedObject(t, fs, testCtx)
	if err := s.VerifyManifest(ctx, fm); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("manifest from an unconfigured root: %v", err)
	}
	// Claiming our key id on a foreign signature fails the signature check.
	fm.SigKeyID = s.CurrentSigKeyID()
	if err := s.VerifyManifest(ctx, fm); !errors.Is(err, ErrTampered) {
		t.Fatalf("foreign signature under our key id: %v", err)
	}
	if bytes.Equal(fm.Envelope.Salt, m1.Envelope.Salt) {
		t.Fatal("sanity: salts collided")
	}
}
