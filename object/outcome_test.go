package object

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// lateMeta applies a Put and then reports a timeout, as a RADOS op that
// times out while still queued behind a hung OSD and lands later does.
type lateMeta struct {
	storage.Meta
	armed atomic.Bool
	ns    string
}

func (m *lateMeta) Put(ctx context.Context, ns, key string, val []byte, c storage.Cond) (storage.Version, error) {
	v, err := m.Meta.Put(ctx, ns, key, val, c)
	if err == nil && strings.HasPrefix(ns, m.ns) && m.armed.CompareAndSwap(true, false) {
		return 0, fmt.Errorf("rados: op timed out: %w", storage.ErrUnavailable)
	}
	return v, err
}

type lateBackend struct {
	storage.Backend
	meta *lateMeta
}

func (b lateBackend) Meta() storage.Meta { return b.meta }

// TestCommitOutcomeUnknownKeepsData: when the manifest write fails with an
// error that does not say it was refused, the new object's data must stay,
// because the write may have landed; deleting it would lose an object whose
// manifest is committed.
func TestCommitOutcomeUnknownKeepsData(t *testing.T) {
	var lm *lateMeta
	e := newEnv(t, func(o *Options) {
		lm = &lateMeta{Meta: o.Backend.Meta()}
		o.Backend = lateBackend{Backend: o.Backend, meta: lm}
	})
	e.bucket("late")
	put(t, e.s, "late", "k", randBytes(1, 1000))
	next := randBytes(2, 300_000)

	lm.ns = nsObjects("late")
	lm.armed.Store(true)
	_, err := e.s.PutObject(context.Background(), PutInput{Bucket: "late", Key: "k", Body: bytes.NewReader(next), Size: int64(len(next)), Owner: "alice"})
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("PutObject err = %v, want the backend timeout", err)
	}
	got, _, err := read(t, e.s, GetInput{Bucket: "late", Key: "k"})
	if err != nil {
		t.Fatalf("GET after a late-landing commit: %v (the new object's data was deleted)", err)
	}
	if !bytes.Equal(got, next) {
		t.Fatal("GET after a late-landing commit returned other bytes")
	}
}
