package kdf

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/manifest"
)

// openTestLocal opens (creating) a local keyring in a fresh temp dir.
func openTestLocal(t testing.TB) (Keyring, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "root.key")
	kr, err := OpenLocal(path)
	if err != nil {
		t.Fatalf("OpenLocal: %v", err)
	}
	t.Cleanup(func() { kr.Close() })
	return kr, path
}

// newTestService builds a Service over kr; mod may adjust the options.
func newTestService(t testing.TB, kr Keyring, mod func(*Options)) *Service {
	t.Helper()
	o := Options{Keyring: kr, Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testCtx is the context most tests use.
var testCtx = Context{Account: "acct-1", Bucket: "photos", Key: "2026/cat.jpg"}

// sealProbe encrypts a fixed plaintext under k: two keys are equal iff their
// probes are equal (same binding, dataID, part and chunk).
func sealProbe(t testing.TB, k *aead.Key) []byte {
	t.Helper()
	st, err := k.Stream([16]byte{1, 2, 3}, 1)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	return st.Seal(nil, []byte("probe plaintext for key comparison"), 0, true)
}

// sameKey reports whether two aead keys encrypt identically.
func sameKey(t testing.TB, a, b *aead.Key) bool {
	return bytes.Equal(sealProbe(t, a), sealProbe(t, b))
}

// testManifest returns a populated manifest for c carrying env.
func testManifest(c Context, env Envelope) *manifest.Manifest {
	return &manifest.Manifest{
		Bucket: c.Bucket, Key: c.Key, Size: 12345, ETag: "0123456789abcdef0123456789abcdef",
		Modified: 1767225600000000000, Owner: c.Account, ContentType: "image/jpeg",
		UserMeta:  map[string]string{"color": "grey", "mood": "sleepy"},
		Checksums: map[string]string{"crc32c": "AAAAAA=="}, ChecksumType: "FULL_OBJECT",
		UploadID: c.UploadID,
		Parts: []manifest.Part{{Number: 1, DataID: [16]byte{9, 9, 9}, Size: 12345, ChunkSize: 1 << 20, K: 4, M: 2,
			OSDs: []string{"osd0", "osd1", "osd2", "osd3", "osd4", "osd5"}, ETag: "e", Checksums: map[string]string{}}},
		Envelope: env,
	}
}

// newSignedObject makes a key, an envelope and a signed manifest for c.
func newSignedObject(t testing.TB, s *Service, c Context) (*aead.Key, *manifest.Manifest) {
	t.Helper()
	ctx := context.Background()
	k, env, err := s.NewObjectKey(ctx, c)
	if err != nil {
		t.Fatalf("NewObjectKey: %v", err)
	}
	m := testManifest(c, env)
	if err := s.SignManifest(ctx, m); err != nil {
		t.Fatalf("SignManifest: %v", err)
	}
	return k, m
}

// cloneEnvelope deep-copies env so tests can mutate the copy.
func cloneEnvelope(env Envelope) Envelope {
	env.KEMCiphertext = bytes.Clone(env.KEMCiphertext)
	env.Salt = bytes.Clone(env.Salt)
	env.Commitment = bytes.Clone(env.Commitment)
	return env
}

// recordingHandler is a slog.Handler that keeps records for assertions.
type recordingHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r.Clone())
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// find returns the first record at level whose attributes include key=value.
func (h *recordingHandler) find(level slog.Level, key, value string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		if r.Level != level {
			continue
		}
		found := false
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == key && a.Value.String() == value {
				found = true
				return false
			}
			return true
		})
		if found {
			return true
		}
	}
	return false
}
