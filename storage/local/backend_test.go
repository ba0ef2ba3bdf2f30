package local

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

func TestConformance(t *testing.T) {
	for _, fsync := range []string{FsyncAlways, FsyncNever} {
		t.Run(fsync, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T) storage.Backend {
				b, err := Open(Options{Dir: t.TempDir(), Fsync: fsync, Logger: quietLog})
				if err != nil {
					t.Fatal(err)
				}
				return b
			})
		})
	}
}

// TestConformanceSharedDir runs the suite with every subtest opening a
// second Backend on one shared directory, so the suite's namespaces and the
// lock files are shared between instances as between gateway processes.
// TestConformanceNoIndex runs the suite with listing from the replicas'
// directories (Options.NoIndex, the server's setting under storage/sealed).
func TestConformanceNoIndex(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		b, err := Open(Options{Dir: t.TempDir(), Fsync: FsyncNever, Logger: quietLog, NoIndex: true})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestConformanceSharedDir(t *testing.T) {
	dir := t.TempDir()
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		b, err := Open(Options{Dir: dir, Fsync: FsyncNever, Logger: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// quietLog keeps expected warnings (repairs, skipped keys) out of test
// output.
var quietLog = slog.New(slog.DiscardHandler)

func openTest(t testing.TB, o Options) *Backend {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Logger == nil {
		o.Logger = quietLog
	}
	b, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestDefaultLayout(t *testing.T) {
	b := openTest(t, Options{})
	osds := b.OSDs()
	if len(osds) != 6 {
		t.Fatalf("default layout has %d OSDs", len(osds))
	}
	for i, o := range osds {
		lo := o.(*OSD)
		wantID, wantRack := "osd"+string(rune('0'+i)), "rack"+string(rune('0'+i%3))
		if o.ID() != wantID || o.Rack() != wantRack || lo.Path() != filepath.Join(b.Dir(), wantID) {
			t.Errorf("OSD %d = %s/%s at %s", i, o.ID(), o.Rack(), lo.Path())
		}
	}
	if b.MetaDir() != filepath.Join(b.Dir(), "meta") {
		t.Errorf("MetaDir = %s", b.MetaDir())
	}
	// The default layout satisfies the 4+2 rack rule.
	got, err := storage.Place(osds, [16]byte{9}, 6)
	if err != nil || len(got) != 6 {
		t.Fatalf("Place on the default layout: %v", err)
	}
}

func TestParseLayout(t *testing.T) {
	tests := []struct {
		in   string
		want []OSDSpec
		err  bool
	}{
		{in: "rack0:/a,rack1:/b", want: []OSDSpec{{"osd0", "rack0", "/a"}, {"osd1", "rack1", "/b"}}},
		{in: " r:/x/y , disk7@r2:/mnt/c:d ", want: []OSDSpec{{"osd0", "r", "/x/y"}, {"disk7", "r2", "/mnt/c:d"}}},
		{in: "r:rel/path", want: []OSDSpec{{"osd0", "r", "rel/path"}}},
		{in: "", err: true},
		{in: "   ", err: true},
		{in: "noColon", err: true},
		{in: "r:", err: true},
		{in: ":/path", err: true},
		{in: "r:/a,,r:/b", err: true},
		{in: "@r:/a", err: true},
		{in: "id@:/a", err: true},
	}
	for _, tc := range tests {
		got, err := ParseLayout(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("ParseLayout(%q) = %v, want error", tc.in, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseLayout(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestOpenValidation(t *testing.T) {
	dir := t.TempDir()
	bad := []Options{
		{},
		{Dir: dir, Fsync: "sometimes"},
		{Dir: dir, Layout: []OSDSpec{}},
		{Dir: dir, Layout: []OSDSpec{{ID: "a", Rack: "r"}, {ID: "a", Rack: "s"}}},
		{Dir: dir, Layout: []OSDSpec{{ID: "a", Rack: ""}}},
		{Dir: dir, Layout: []OSDSpec{{ID: "bad/id", Rack: "r"}}},
		{Dir: dir, Layout: []OSDSpec{{ID: "a", Rack: "r", Path: dir + "/x"}, {ID: "b", Rack: "r", Path: dir + "/x/"}}},
	}
	for i, o := range bad {
		if b, err := Open(o); err == nil {
			b.Close()
			t.Errorf("case %d: Open(%+v) succeeded", i, o)
		}
	}
}

func TestOSDIDIsCheckedOnOpen(t *testing.T) {
	dir := t.TempDir()
	layout, err := ParseLayout("r0:" + dir + "/d0,r1:" + dir + "/d1")
	if err != nil {
		t.Fatal(err)
	}
	b := openTest(t, Options{Dir: dir, Layout: layout})
	b.Close()
	// Same layout again: fine. Swapped paths: refused.
	openTest(t, Options{Dir: dir, Layout: layout})
	swapped, _ := ParseLayout("r1:" + dir + "/d1,r0:" + dir + "/d0")
	if b, err := Open(Options{Dir: dir, Layout: swapped}); err == nil {
		b.Close()
		t.Fatal("Open accepted a layout that renames existing OSD directories")
	}
}

func TestShardFilesLayout(t *testing.T) {
	b := openTest(t, Options{})
	o := b.LocalOSDs()[0]
	ctx := t.Context()
	w, err := o.Create(ctx, "ab12cd.3")
	if err != nil {
		t.Fatal(err)
	}
	tmp, _ := os.ReadDir(filepath.Join(o.Path(), "tmp"))
	if len(tmp) != 1 {
		t.Fatalf("tmp holds %d files while writing, want 1", len(tmp))
	}
	w.Write([]byte("hello"))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(o.Path(), "shards", "ab", "ab12cd.3")
	if o.ShardPath("ab12cd.3") != want {
		t.Fatalf("ShardPath = %s, want %s", o.ShardPath("ab12cd.3"), want)
	}
	if got, err := os.ReadFile(want); err != nil || string(got) != "hello" {
		t.Fatalf("committed file: %q, %v", got, err)
	}
	tmp, _ = os.ReadDir(filepath.Join(o.Path(), "tmp"))
	if len(tmp) != 0 {
		t.Fatalf("tmp holds %d files after Commit", len(tmp))
	}
	// Non-hex names still land in a two-hex-digit fanout directory.
	if f := filepath.Base(filepath.Dir(o.ShardPath("Zed"))); len(f) != 2 || !lowerHex(f[0]) || !lowerHex(f[1]) {
		t.Fatalf("fanout of a non-hex name = %q", f)
	}
}

func TestInvalidShardNames(t *testing.T) {
	b := openTest(t, Options{})
	o := b.OSDs()[0]
	for _, name := range []string{"", ".", "..", ".hidden", "a/b", "../x", "a b", strings.Repeat("a", 201), "a\x00"} {
		if _, err := o.Create(t.Context(), name); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Create(%q) err = %v, want ErrInvalid", name, err)
		}
		if _, err := o.Open(t.Context(), name); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Open(%q) err = %v, want ErrInvalid", name, err)
		}
		if err := o.Remove(t.Context(), name); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Remove(%q) err = %v, want ErrInvalid", name, err)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	b := openTest(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.OSDs()[0].Create(ctx, "aa.0"); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a cancelled context: %v", err)
	}
	if _, err := b.Meta().Put(ctx, "ns", "k", nil, storage.Cond{}); !errors.Is(err, context.Canceled) && !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Put with a cancelled context: %v", err)
	}
}

func TestEmptyNamespaceRejected(t *testing.T) {
	m := openTest(t, Options{}).Meta()
	if _, err := m.Put(t.Context(), "", "k", nil, storage.Cond{}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("Put in namespace \"\": %v", err)
	}
	if _, _, err := m.Get(t.Context(), "", "k"); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("Get in namespace \"\": %v", err)
	}
}

// TestVersionsNeverReused checks the local backend's stronger promise:
// versions grow strictly per key, even across a delete and re-create, so a
// stale IfVersion cannot match a new incarnation of the key.
func TestVersionsNeverReused(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.LocalMeta()
	frozen := time.Unix(1_700_000_000, 0)
	m.now = func() time.Time { return frozen } // a stuck clock must not matter
	ctx := t.Context()
	var last storage.Version
	for i := range 5 {
		v, err := m.Put(ctx, "ns", "k", []byte{byte(i)}, storage.Cond{})
		if err != nil {
			t.Fatal(err)
		}
		if v <= last {
			t.Fatalf("version %d after %d", v, last)
		}
		last = v
	}
	if err := m.Delete(ctx, "ns", "k", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	m.now = time.Now
	v, err := m.Put(ctx, "ns", "k", []byte("new"), storage.Cond{IfAbsent: true})
	if err != nil {
		t.Fatal(err)
	}
	if v <= last {
		t.Fatalf("re-created key got version %d, not above the old %d", v, last)
	}
	if _, err := m.Put(ctx, "ns", "k", nil, storage.Cond{IfVersion: last}); !errors.Is(err, storage.ErrPrecondition) {
		t.Fatalf("stale IfVersion against a new incarnation: %v", err)
	}
}

func TestEmptyNamespaceDirRemovedByScrub(t *testing.T) {
	b := openTest(t, Options{})
	m := b.Meta()
	ctx := t.Context()
	if _, err := m.Put(ctx, "part/upload1", "00001", []byte("p"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "part/upload1", "00001", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	res, err := b.LocalMeta().Scrub(ctx)
	if err != nil || res.Dropped != 1 {
		t.Fatalf("Scrub = %+v, %v; want the tombstone dropped", res, err)
	}
	for _, o := range b.LocalOSDs() {
		dir := filepath.Join(o.Path(), "meta", escapeName("part/upload1"))
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("empty namespace directory left behind on %s: %v", o.ID(), err)
		}
	}
	// Writing again re-creates it.
	if _, err := m.Put(ctx, "part/upload1", "00002", []byte("q"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
}

// metaFile is replica i's copy of (ns, key).
func metaFile(b *Backend, i int, ns, key string) string {
	return copyPath(b.LocalOSDs()[i], escapeName(ns), escapeName(key))
}

func TestCorruptValueDetected(t *testing.T) {
	b := openTest(t, Options{})
	m := b.Meta()
	ctx := t.Context()
	if _, err := m.Put(ctx, "ns", "k", []byte("precious"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	// Every copy damaged: the key alone is affected.
	for i := range b.LocalOSDs() {
		file := metaFile(b, i, "ns", "k")
		img, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		img[len(img)-6] ^= 1 // flip a bit of the value
		if err := os.WriteFile(file, img, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Put(ctx, "ns", "other", []byte("fine"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Get(ctx, "ns", "k"); !errors.Is(err, errCorrupt) {
		t.Fatalf("Get of a corrupt file: %v", err)
	}
	if es, err := m.List(ctx, "ns", "", "", 10); err != nil || len(es) != 1 || es[0].Key != "other" {
		t.Fatalf("List over a corrupt key = %v, %v; want only the good key", es, err)
	}
	if res, err := b.LocalMeta().Scrub(ctx); err != nil || res.Unrecoverable != 1 {
		t.Fatalf("Scrub = %+v, %v; want 1 unrecoverable", res, err)
	}
	// A conditional write cannot trust the damaged version; a plain Put repairs.
	if _, err := m.Put(ctx, "ns", "k", []byte("x"), storage.Cond{IfVersion: 1}); err == nil {
		t.Fatal("IfVersion Put over a corrupt file succeeded")
	}
	if _, err := m.Put(ctx, "ns", "k", []byte("x"), storage.Cond{IfAbsent: true}); err == nil {
		t.Fatal("IfAbsent Put over a corrupt file succeeded")
	}
	if _, err := m.Put(ctx, "ns", "k", []byte("repaired"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := m.Get(ctx, "ns", "k"); err != nil || string(got) != "repaired" {
		t.Fatalf("after repair: %q, %v", got, err)
	}
}

func TestListSkipsForeignAndTempFiles(t *testing.T) {
	b := openTest(t, Options{})
	m := b.Meta()
	ctx := t.Context()
	if _, err := m.Put(ctx, "ns", "real", []byte("v"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(metaFile(b, 0, "ns", "real"))
	for _, n := range []string{".tmp-123", "%41", "%2e", "bad%", "back~up"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	es, err := m.List(ctx, "ns", "", "", 100)
	if err != nil || len(es) != 1 || es[0].Key != "real" {
		t.Fatalf("List = %v, %v; want only \"real\"", es, err)
	}
}

func TestSweepTemp(t *testing.T) {
	b := openTest(t, Options{})
	ctx := t.Context()
	o := b.LocalOSDs()[1]
	w, err := o.Create(ctx, "aa.1")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := b.Meta().Put(ctx, "ns", "k", nil, storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("12345")); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(filepath.Dir(metaFile(b, 4, "ns", "k")), tmpPrefix+"crashed")
	if err := os.WriteFile(stale, []byte("123"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A cutoff in the past keeps everything: writes may be in flight.
	if n, nb, err := b.SweepTemp(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 || nb != 0 {
		t.Fatalf("SweepTemp(past) = %d, %d, %v", n, nb, err)
	}
	n, nb, err := b.SweepTemp(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 2 || nb != 8 {
		t.Fatalf("SweepTemp(future) = %d files, %d bytes, %v; want 2, 8", n, nb, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("stale metadata temp survived")
	}
	if _, _, err := b.Meta().Get(ctx, "ns", "k"); err != nil {
		t.Fatalf("sweep touched a real value: %v", err)
	}
}

func TestClosedBackendRefusesWrites(t *testing.T) {
	b := openTest(t, Options{})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := b.Meta().Put(t.Context(), "ns", "k", nil, storage.Cond{}); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
}

// TestReadValueFileSizes reads value files below, at and above the first
// read's size without an error, and rejects a file cut short, one with
// bytes after its image, an empty one and one over the size limit.
func TestReadValueFileSizes(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	o := b.LocalOSDs()[0]
	dir := t.TempDir()
	read := func(img []byte) (record, error) {
		t.Helper()
		file := filepath.Join(dir, "v")
		if err := os.WriteFile(file, img, 0o600); err != nil {
			t.Fatal(err)
		}
		return readRecordFile(o, file)
	}
	img := func(vlen int) []byte {
		return encodeValue("k", bytes.Repeat([]byte{'x'}, vlen), 7)
	}
	overhead := len(img(0))
	for _, vlen := range []int{0, 1000, firstRead - overhead - 1, firstRead - overhead, firstRead - overhead + 1, storage.MaxValueLen} {
		rec, err := read(img(vlen))
		if err != nil || rec.key != "k" || len(rec.val) != vlen || rec.v != 7 {
			t.Fatalf("value of %d bytes: key %q, %d bytes, v%d, %v", vlen, rec.key, len(rec.val), rec.v, err)
		}
	}
	for name, bad := range map[string][]byte{
		"empty":          {},
		"header only":    img(1000)[:valueHeader],
		"cut short":      img(1000)[:500],
		"cut short, big": img(firstRead)[:firstRead+10],
		"trailing bytes": append(img(1000), 0),
		"trailing, big":  append(img(firstRead), 0),
		"over the limit": append(img(storage.MaxValueLen), make([]byte, storage.MaxKeyLen)...),
	} {
		if _, err := read(bad); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: %v, want corrupt", name, err)
		}
	}
}
