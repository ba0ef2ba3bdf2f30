package object

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/storage"
)

// walkBackend adds storage.Walker to the local backend's OSDs (by walking
// their shard directories), for orphan GC tests that must not wait for the
// storage package's own implementation.
type walkBackend struct{ storage.Backend }

type walkOSD struct {
	storage.OSD
	dir string
}

func (b walkBackend) OSDs() []storage.OSD {
	var out []storage.OSD
	for _, o := range b.Backend.OSDs() {
		if _, ok := o.(storage.Walker); ok {
			out = append(out, o)
			continue
		}
		p, ok := o.(interface{ Path() string })
		if !ok {
			out = append(out, o)
			continue
		}
		out = append(out, walkOSD{OSD: o, dir: filepath.Join(p.Path(), "shards")})
	}
	return out
}

func (o walkOSD) Walk(ctx context.Context, fn func(string, int64, time.Time) error) error {
	return filepath.WalkDir(o.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return fn(d.Name(), info.Size(), info.ModTime())
	})
}

// withWalker makes a test Store see Walker OSDs.
func withWalker(o *Options) { o.Backend = walkBackend{o.Backend} }

// gcAll runs every due and future GC record and collects orphans of any
// age, returning the total.
func gcAll(t testing.TB, s *Store) GCResult {
	t.Helper()
	ctx := context.Background()
	a, err := s.RunGC(ctx, time.Now().Add(1000*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CollectOrphans(ctx, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return GCResult{Records: a.Records + b.Records, Shards: a.Shards + b.Shards, Bytes: a.Bytes + b.Bytes}
}

// shardBytes sums the committed shard files' sizes.
func (e *testEnv) shardBytes() int64 {
	var n int64
	for _, p := range e.shardFiles() {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// TestCollectOrphans: shards no manifest, part or GC record names are
// reclaimed once older than the grace; referenced ones never are.
func TestCollectOrphans(t *testing.T) {
	e := newEnv(t, withWalker)
	e.bucket("orph")
	ctx := context.Background()
	put(t, e.s, "orph", "live", randBytes(1, 50_000))
	up, err := e.s.CreateMultipartUpload(ctx, "orph", "mp", ObjectMeta{}, "", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.UploadPart(ctx, up.UploadID, 1, PutInput{Bucket: "orph", Key: "mp", Body: bytes.NewReader(randBytes(2, 1000)), Size: 1000}); err != nil {
		t.Fatal(err)
	}
	// An orphan: data written with no manifest (a crash before the commit).
	key := testKey(t)
	orphan, err := e.s.engine.Put(ctx, dataplane.PutRequest{Key: key, Body: bytes.NewReader(randBytes(3, 30_000)), Size: 30_000})
	if err != nil {
		t.Fatal(err)
	}
	e.wantShards(3 * 6)
	// Torn as a crash between a shard's rename and its fsyncs can
	// leave it (the local backend publishes fresh names first): one shard
	// cut short, one zeroed. Collection never reads a shard, so it goes
	// all the same.
	tornShard(t, e, dataplane.ShardName(orphan.Layout.DataID, 0), func(f *os.File, size int64) error { return f.Truncate(size / 3) })
	tornShard(t, e, dataplane.ShardName(orphan.Layout.DataID, 1), func(f *os.File, size int64) error {
		_, err := f.WriteAt(make([]byte, size), 0)
		return err
	})
	before := e.shardBytes()

	if res, err := e.s.CollectOrphans(ctx, time.Hour); err != nil || res.Shards != 0 {
		t.Fatalf("young orphans collected: %+v, %v", res, err)
	}
	res, err := e.s.CollectOrphans(ctx, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 1 || res.Shards != 6 || res.Bytes != before-e.shardBytes() || res.Bytes == 0 {
		t.Fatalf("CollectOrphans = %+v (freed %d)", res, before-e.shardBytes())
	}
	e.wantShards(2 * 6)
	mustRead(t, e.s, "orph", "live")

	// Deleting everything leaves nothing after GC.
	if err := e.s.DeleteObject(ctx, "orph", "live"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.AbortMultipartUpload(ctx, "orph", "mp", up.UploadID); err != nil {
		t.Fatal(err)
	}
	gcAll(t, e.s)
	if n := e.shardBytes(); n != 0 {
		t.Fatalf("%d bytes of shards left after GC", n)
	}
}

// testKey returns a throwaway data key for engine-level writes in tests.
func testKey(t testing.TB) *aead.Key {
	t.Helper()
	k, err := aead.NewKey(bytes.Repeat([]byte{7}, 32), [32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Destroy)
	return k
}

// TestRunGCAcrossGateways: two Stores carrying out the same due records at
// once reclaim everything and report no error (a shard both removed at the
// same moment may be counted by both).
func TestRunGCAcrossGateways(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ReadGrace = time.Minute })
	e.bucket("two")
	ctx := context.Background()
	for i := range 20 {
		k := string(rune('a' + i))
		put(t, e.s, "two", k, randBytes(uint64(i), 3000))
		if err := e.s.DeleteObject(ctx, "two", k); err != nil {
			t.Fatal(err)
		}
	}
	other := e.open()
	later := time.Now().Add(time.Hour)
	res := make([]GCResult, 2)
	errs := make([]error, 2)
	done := make(chan int)
	for i, s := range []*Store{e.s, other} {
		go func() {
			res[i], errs[i] = s.RunGC(ctx, later)
			done <- i
		}()
	}
	<-done
	<-done
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if got := res[0].Shards + res[1].Shards; got < 20*6 || got > 2*20*6 {
		t.Fatalf("reclaimed %d shards between two gateways, want %d", got, 20*6)
	}
	e.wantShards(0)
	if left := healKeys(t, e.s); len(left) != 0 {
		t.Fatalf("heal records: %q", left)
	}
	var gcLeft int
	e.s.eachEntry(ctx, nsGC, func(storage.Entry) error { gcLeft++; return nil })
	if gcLeft != 0 {
		t.Fatalf("%d gc records left", gcLeft)
	}
}

// tornShard applies damage to the committed shard file named name.
func tornShard(t *testing.T, e *testEnv, name string, damage func(f *os.File, size int64) error) {
	t.Helper()
	for _, p := range e.shardFiles() {
		if filepath.Base(p) != name {
			continue
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := f.Stat()
		if err == nil {
			err = damage(f, fi.Size())
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("shard %s not found", name)
}
