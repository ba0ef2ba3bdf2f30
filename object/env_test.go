package object

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/dataplane"
	"github.com/tasmaniancloud/rustfs/kdf"
	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/local"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
)

// testChunk is the engine chunk size in tests: the minimum, so stripe
// boundaries are frequent and objects of a few hundred KiB span many stripes.
const testChunk = dataplane.MinChunkSize

// testEnv is a real stack: local backend in a temp dir, the real engine and
// a kdf service over a local keyring file kept outside the data directory.
type testEnv struct {
	t       testing.TB
	dir     string // backend data directory (what a thief would steal)
	keyPath string // root key file
	s       *Store
	// fsync and chunk override the fast test defaults (FsyncNever,
	// testChunk) for benchmarks that report real figures.
	fsync string
	chunk int
	// sealed, when set (benchmarks), opens the metadata under
	// storage/sealed as the server does; localIndex keeps the local
	// backend's own key index under it (the server turns it off).
	sealed, localIndex bool
	// wrapInner, when set, wraps the local backend under the sealing
	// (to watch what storage/sealed asks of it).
	wrapInner func(storage.Backend) storage.Backend
}

// TestMain silences the process-wide default logger: kdf.OpenLocal warns
// (rightly) that a local root file is for development only.
func TestMain(m *testing.M) {
	slog.SetDefault(quietLogger())
	os.Exit(m.Run())
}

// quietLogger drops the layer's best-effort warnings so tests stay quiet.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newEnv(t testing.TB, mods ...func(*Options)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, dir: t.TempDir(), keyPath: filepath.Join(t.TempDir(), "root.key")}
	e.s = e.open(mods...)
	return e
}

// open builds an independent Store over the same data directory and key
// file, as a second gateway process would.
func (e *testEnv) open(mods ...func(*Options)) *Store {
	t := e.t
	t.Helper()
	fsync := e.fsync
	if fsync == "" {
		fsync = local.FsyncNever
	}
	lb, err := local.Open(local.Options{Dir: e.dir, Fsync: fsync, NoIndex: e.sealed && !e.localIndex})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Close() })
	var b storage.Backend = lb
	chunk := e.chunk
	if chunk == 0 {
		chunk = testChunk
	}
	kr, err := kdf.OpenLocal(e.keyPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kr.Close() })
	ks, err := kdf.New(kdf.Options{Keyring: kr, CacheBytes: 1 << 20, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Close() })
	if e.sealed {
		var inner storage.Backend = lb
		if e.wrapInner != nil {
			inner = e.wrapInner(lb)
		}
		sb, err := sealed.Open(context.Background(), inner, ks.MetadataKey, sealed.Options{Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		b = sb
	}
	eng, err := dataplane.New(b, dataplane.Options{ChunkSize: chunk})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Backend: b, Engine: eng, Keys: ks, Logger: quietLogger()}
	for _, m := range mods {
		m(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bucket creates a bucket owned by "alice".
func (e *testEnv) bucket(name string) {
	e.t.Helper()
	if err := e.s.CreateBucket(context.Background(), name, "alice", "us-east-1"); err != nil {
		e.t.Fatal(err)
	}
}

// shardFiles lists the committed shard files of every OSD.
func (e *testEnv) shardFiles() []string {
	e.t.Helper()
	var out []string
	err := filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.Contains(filepath.ToSlash(p), "/shards/") {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// wantShards fails unless exactly n shard files exist.
func (e *testEnv) wantShards(n int) {
	e.t.Helper()
	if got := e.shardFiles(); len(got) != n {
		e.t.Fatalf("%d shard files on disk, want %d", len(got), n)
	}
}

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// put stores data under bucket/key with a known size.
func put(t testing.TB, s *Store, bucket, key string, data []byte) ObjectInfo {
	t.Helper()
	info, err := s.PutObject(context.Background(), PutInput{
		Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), Owner: "alice",
	})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
	return info
}

// read opens and fully reads an object.
func read(t testing.TB, s *Store, in GetInput) ([]byte, *Object, error) {
	t.Helper()
	obj, err := s.GetObject(context.Background(), in)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	n, err := obj.WriteTo(context.Background(), &buf)
	if err != nil {
		return nil, obj, err
	}
	if n != int64(buf.Len()) || n != obj.Range.Length {
		t.Fatalf("WriteTo returned %d, wrote %d, range %d", n, buf.Len(), obj.Range.Length)
	}
	return buf.Bytes(), obj, nil
}

// mustRead reads a whole object and fails on error.
func mustRead(t testing.TB, s *Store, bucket, key string) []byte {
	t.Helper()
	b, _, err := read(t, s, GetInput{Bucket: bucket, Key: key})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	return b
}

// wantErr fails unless errors.Is(err, want).
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// errReader fails after yielding its prefix.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}
