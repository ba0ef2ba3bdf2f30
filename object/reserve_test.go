package object

import (
	"bytes"
	"context"
	"crypto/md5"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
)

// reserveSpy records the Reserve calls of the sealed Meta it wraps, and
// whether each reservation was still held when the record was written.
type reserveSpy struct {
	storage.Meta
	ir interface {
		Reserve(ctx context.Context, ns, key string) (func(), error)
	}
	mu        sync.Mutex
	held      map[string]int
	reserved  []string
	heldAtPut []string
}

func (s *reserveSpy) Reserve(ctx context.Context, ns, key string) (func(), error) {
	rel, err := s.ir.Reserve(ctx, ns, key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.reserved = append(s.reserved, key)
	s.held[key]++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.held[key]--
		s.mu.Unlock()
		rel()
	}, nil
}

func (s *reserveSpy) Put(ctx context.Context, ns, key string, v []byte, c storage.Cond) (storage.Version, error) {
	s.mu.Lock()
	if s.held[key] > 0 {
		s.heldAtPut = append(s.heldAtPut, key)
	}
	s.mu.Unlock()
	return s.Meta.Put(ctx, ns, key, v, c)
}

type spyBackend struct {
	storage.Backend
	m *reserveSpy
}

func (b spyBackend) Meta() storage.Meta { return b.m }

// A PUT to an unversioned bucket reserves its key's index entry and holds
// it through the record write, then lets it go; a rejected PUT leaves no
// listed key.
func TestPutReservesIndexEntry(t *testing.T) {
	var spy *reserveSpy
	e := &testEnv{t: t, dir: t.TempDir(), keyPath: filepath.Join(t.TempDir(), "root.key"), sealed: true}
	e.s = e.open(func(o *Options) {
		m := o.Backend.Meta()
		ir, ok := m.(interface {
			Reserve(ctx context.Context, ns, key string) (func(), error)
		})
		if !ok {
			t.Fatalf("%T has no Reserve", m)
		}
		spy = &reserveSpy{Meta: m, ir: ir, held: map[string]int{}}
		o.Backend = spyBackend{o.Backend, spy}
	})
	ctx := context.Background()
	e.bucket("rsv")
	put(t, e.s, "rsv", "a", []byte("hello"))
	bad := md5.Sum([]byte("other"))
	_, err := e.s.PutObject(ctx, PutInput{Bucket: "rsv", Key: "b", Body: bytes.NewReader([]byte("hello")), Size: 5, ContentMD5: bad[:]})
	wantErr(t, err, ErrBadDigest)

	spy.mu.Lock()
	reserved, atPut := slices.Clone(spy.reserved), slices.Clone(spy.heldAtPut)
	held := spy.held["a"] + spy.held["b"]
	spy.mu.Unlock()
	if !slices.Equal(reserved, []string{"a", "b"}) || !slices.Contains(atPut, "a") || held != 0 {
		t.Fatalf("reserved %q, held at the record write %q, still held %d", reserved, atPut, held)
	}
	res, err := e.s.ListObjects(ctx, ListInput{Bucket: "rsv", MaxKeys: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].Key != "a" {
		t.Fatalf("listed %+v", res.Objects)
	}
	if got := mustRead(t, e.s, "rsv", "a"); string(got) != "hello" {
		t.Fatalf("read %q", got)
	}
}

// hideReserve is the wrapped backend's Meta without its Reserve method:
// the PUT path as it was before index reservations.
type hideReserve struct{ storage.Meta }

type hideBackend struct{ storage.Backend }

func (b hideBackend) Meta() storage.Meta { return hideReserve{b.Backend.Meta()} }

// BenchmarkPutObject1MiBFsync is the latency of one 1 MiB PUT of a new key
// on the real disk with fsync, sealed metadata as in the server, with the
// index entry reserved beside the data write and without (dir: the
// benchmark's TempDir, so run it with TMPDIR on the disk to measure).
func BenchmarkPutObject1MiBFsync(b *testing.B) {
	data := randBytes(1, 1<<20)
	for _, name := range []string{"reserve", "noreserve"} {
		b.Run(name, func(b *testing.B) {
			e := &testEnv{t: b, dir: b.TempDir(), keyPath: filepath.Join(b.TempDir(), "root.key"),
				sealed: true, fsync: local.FsyncAlways, chunk: 1 << 20}
			var mods []func(*Options)
			if name == "noreserve" {
				mods = append(mods, func(o *Options) { o.Backend = hideBackend{o.Backend} })
			}
			e.s = e.open(mods...)
			e.bucket("bench")
			benchPuts(b, e.s, data)
		})
	}
}
