package dataplane

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage/local"
)

// openLocal opens the real local backend (6 OSDs, 3 racks) in a temp dir.
func openLocal(t *testing.T) *local.Backend {
	t.Helper()
	b, err := local.Open(local.Options{Dir: t.TempDir(), Fsync: local.FsyncNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// countFiles counts regular files under the OSD directories' shards and tmp
// subtrees.
func countFiles(t *testing.T, b *local.Backend) (shards, tmp int) {
	t.Helper()
	for _, o := range b.LocalOSDs() {
		for _, sub := range []struct {
			dir string
			n   *int
		}{{"shards", &shards}, {"tmp", &tmp}} {
			filepath.WalkDir(filepath.Join(o.Path(), sub.dir), func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					*sub.n++
				}
				return nil
			})
		}
	}
	return shards, tmp
}

func TestLocalBackend(t *testing.T) {
	b := openLocal(t)
	e := mustEngine(t, b, Options{Workers: 2})
	k := newKey(t)
	data := randBytes(21, 6*testChunk+100)
	l := put(t, e, k, data).Layout
	if got := get(t, e, l, k, 0, -1); !bytes.Equal(got, data) {
		t.Fatal("round trip on the local backend differs")
	}
	if s, tmp := countFiles(t, b); s != 6 || tmp != 0 {
		t.Fatalf("%d shard files and %d temp files, want 6 and 0", s, tmp)
	}

	// Lose two shards on disk: one deleted, one with a flipped byte.
	osds := map[string]*local.OSD{}
	for _, o := range b.LocalOSDs() {
		osds[o.ID()] = o
	}
	if err := os.Remove(osds[l.OSDs[1]].ShardPath(ShardName(l.DataID, 1))); err != nil {
		t.Fatal(err)
	}
	p4 := osds[l.OSDs[4]].ShardPath(ShardName(l.DataID, 4))
	raw, err := os.ReadFile(p4)
	if err != nil {
		t.Fatal(err)
	}
	raw[100] ^= 0xff
	if err := os.WriteFile(p4, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	off := int64(testChunk + 5)
	if got := get(t, e, l, k, off, 3*testChunk); !bytes.Equal(got, data[off:off+3*testChunk]) {
		t.Fatal("degraded range read on the local backend differs")
	}
	// A third loss is unrecoverable.
	if err := os.Remove(osds[l.OSDs[0]].ShardPath(ShardName(l.DataID, 0))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Get(context.Background(), l, k, 0, -1, &bytes.Buffer{}); !errors.Is(err, ErrUnrecoverable) {
		t.Fatalf("err = %v, want ErrUnrecoverable", err)
	}
	if err := e.Delete(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	if s, _ := countFiles(t, b); s != 0 {
		t.Fatalf("%d shard files left after Delete", s)
	}
}

func TestLocalCancelLeavesNothing(t *testing.T) {
	base := runtime.NumGoroutine()
	b := openLocal(t)
	e := mustEngine(t, b, Options{Workers: 2, InFlight: 4})
	ctx, cancel := context.WithCancel(context.Background())
	body := &cancelAfter{r: bytes.NewReader(randBytes(3, 16*testChunk)), n: 6 * testChunk, cancel: cancel}
	if _, err := e.Put(ctx, PutRequest{Key: newKey(t), Body: body, Size: -1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if s, tmp := countFiles(t, b); s != 0 || tmp != 0 {
		t.Fatalf("cancelled Put left %d shard files and %d temp files", s, tmp)
	}
	settleGoroutines(t, base)
}
