//go:build linux

package local

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

func TestConformanceTuned(t *testing.T) {
	for _, mode := range []Options{
		{ShardWrites: ShardWritesDirect},
		{Commit: CommitGroup},
		{ShardWrites: ShardWritesDirect, Commit: CommitGroup},
	} {
		t.Run(mode.ShardWrites+"/"+mode.Commit, func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T) storage.Backend {
				mode.Dir = t.TempDir()
				b, err := Open(mode)
				if err != nil {
					t.Fatal(err)
				}
				return b
			})
		})
	}
}

func TestTunedOptionsRejected(t *testing.T) {
	for _, o := range []Options{{ShardWrites: "odirect"}, {Commit: "batch"}} {
		o.Dir = t.TempDir()
		if _, err := Open(o); err == nil {
			t.Errorf("Open(%+v) accepted a bad mode", o)
		}
	}
}

// writeShard writes data in steps of step bytes and commits it.
func writeShard(t *testing.T, o storage.OSD, name string, data []byte, step int) {
	t.Helper()
	w, err := o.Create(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	for p := data; len(p) > 0; {
		n := min(step, len(p))
		if k, err := w.Write(p[:n]); err != nil || k != n {
			t.Fatalf("write %d: %d, %v", n, k, err)
		}
		p = p[n:]
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

// readShard reads committed shard name whole.
func readShard(t *testing.T, o storage.OSD, name string) []byte {
	t.Helper()
	r, err := o.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make([]byte, r.Size())
	if _, err := r.ReadAt(got, 0); err != nil && len(got) > 0 {
		t.Fatal(err)
	}
	return got
}

// canDirect reports whether dir's filesystem accepts O_DIRECT.
func canDirect(t *testing.T, dir string) bool {
	f, err := os.CreateTemp(dir, "probe")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	return setDirect(f) == nil
}

// TestDirectRoundTrip writes lengths around the alignment and the block
// size in several write step sizes (including the engine's 256 KiB piece
// + 4-byte trailer shape), with and without the size hint (direct from the
// first byte), and reads them back exactly: the last partial page goes out
// buffered after the aligned blocks.
func TestDirectRoundTrip(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	o := b.OSDs()[0]
	direct := canDirect(t, b.LocalOSDs()[0].tmpDir())
	rng := rand.New(rand.NewPCG(1, 2))
	lengths := []int{0, 1, 4095, 4096, 4097, directBufSize - 1, directBufSize, directBufSize + 1,
		4*(262208+4) + 7, 3*directBufSize + 4096*3 + 5}
	for _, n := range lengths {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		for _, step := range []int{1 << 30, shardPiece, 4096, 1000} {
			if step == 1000 && n > 2*directBufSize {
				continue // keep the test fast
			}
			for _, hint := range []bool{false, true} {
				name := fmt.Sprintf("%032x.%d.%v", n, step, hint)
				ctx := t.Context()
				if hint {
					ctx = storage.WithShardSize(ctx, int64(n))
				}
				w, err := o.Create(ctx, name)
				if err != nil {
					t.Fatal(err)
				}
				for p := data; len(p) > 0; p = p[min(step, len(p)):] {
					if k, err := w.Write(p[:min(step, len(p))]); err != nil || k != min(step, len(p)) {
						t.Fatalf("write: %d, %v", k, err)
					}
				}
				want := direct && n >= directStart
				if tw := w.(*tunedWriter); tw.direct != want {
					t.Fatalf("len %d hint %v: writer direct = %v, want %v (filesystem O_DIRECT %v)", n, hint, tw.direct, want, direct)
				}
				if err := w.Commit(); err != nil {
					t.Fatal(err)
				}
				if got := readShard(t, o, name); !bytes.Equal(got, data) {
					t.Fatalf("len %d step %d hint %v: read back %d bytes, differ", n, step, hint, len(got))
				}
			}
		}
	}
}

// TestDirectFallbackOpen covers a filesystem that refuses O_DIRECT (tmpfs
// before Linux 6.6, some FUSE): the writer stays buffered past directStart
// and the shard round-trips.
func TestDirectFallbackOpen(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	osd := b.LocalOSDs()[0]
	osd.io.enableDirect = func(*os.File) error { return syscall.EINVAL }
	data := bytes.Repeat([]byte("abcdefg"), (directStart+3*directBufSize)/7)
	for _, step := range []int{shardPiece, directStart + 5} {
		name := fmt.Sprintf("00fallback%d", step)
		w, err := osd.Create(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		for p := data; len(p) > 0; p = p[min(step, len(p)):] {
			if _, err := w.Write(p[:min(step, len(p))]); err != nil {
				t.Fatal(err)
			}
		}
		if tw := w.(*tunedWriter); tw.direct || tw.buf != nil {
			t.Fatal("writer went direct although O_DIRECT was refused")
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := readShard(t, osd, name); !bytes.Equal(got, data) {
			t.Fatalf("step %d: fallback round trip differs", step)
		}
	}
}

// TestDirectFallbackWrite covers a file that accepted O_DIRECT at open but
// refuses the first write (here: a misaligned buffer): the writer turns
// O_DIRECT off and carries on buffered.
func TestDirectFallbackWrite(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	osd := b.LocalOSDs()[0]
	if !canDirect(t, osd.tmpDir()) {
		t.Skip("filesystem refuses O_DIRECT")
	}
	w, err := osd.Create(t.Context(), "00misaligned")
	if err != nil {
		t.Fatal(err)
	}
	tw := w.(*tunedWriter)
	head := bytes.Repeat([]byte{3}, directStart)
	if _, err := w.Write(head); err != nil {
		t.Fatal(err)
	}
	if !tw.direct || tw.n != 0 {
		t.Fatalf("after %d bytes: direct %v, %d gathered", directStart, tw.direct, tw.n)
	}
	orig := tw.buf
	mis := make([]byte, directBufSize+directAlign+1)
	off := (directAlign - int(addrOf(mis)%directAlign)) + 1
	buf := mis[off : off+directBufSize]
	tw.buf = &buf
	data := bytes.Repeat([]byte{7, 1, 9}, directBufSize/3+1000)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if tw.direct {
		t.Fatal("misaligned O_DIRECT write did not fall back")
	}
	if tw.n != 0 {
		t.Fatalf("%d gathered bytes left after the fallback", tw.n)
	}
	if _, err := w.Write(data[:100]); err != nil {
		t.Fatal(err)
	}
	data = append(append(head, data...), data[:100]...)
	tw.buf = orig // give the pool back an aligned block
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readShard(t, osd, "00misaligned"); !bytes.Equal(got, data) {
		t.Fatal("round trip after fallback differs")
	}
}

func TestTunedAbortAndReuse(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect, Commit: CommitGroup})
	o := b.LocalOSDs()[1]
	w, err := o.Create(t.Context(), "00aborted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 5000)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("second Abort: %v", err)
	}
	if err := w.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if _, err := w.Write([]byte{1}); err == nil {
		t.Fatal("Write after Abort succeeded")
	}
	if _, err := o.Open(t.Context(), "00aborted"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("aborted shard visible: %v", err)
	}
	names, err := readDirNames(o.tmpDir())
	if err != nil || len(names) != 0 {
		t.Fatalf("tmp dir after abort: %v %v", names, err)
	}
}

// TestGroupCommitConcurrent commits many shards at once on every OSD of
// one filesystem: each is readable, and they shared syncs.
func TestGroupCommitConcurrent(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect, Commit: CommitGroup})
	osds := b.LocalOSDs()
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o := osds[i%len(osds)]
			data := bytes.Repeat([]byte{byte(i)}, 10000+i)
			writeShard(t, o, fmt.Sprintf("%02x-shard", i), data, 4096)
		})
	}
	wg.Wait()
	for i := range n {
		want := bytes.Repeat([]byte{byte(i)}, 10000+i)
		if got := readShard(t, osds[i%len(osds)], fmt.Sprintf("%02x-shard", i)); !bytes.Equal(got, want) {
			t.Fatalf("shard %d differs", i)
		}
	}
	g := osds[0].group
	for _, o := range osds {
		if o.group != g {
			t.Fatal("OSDs on one filesystem got different commit groups")
		}
	}
	if c := g.count(); c == 0 || c > n {
		t.Fatalf("%d commits ran %d syncs", n, c)
	}
}

// TestGroupCommitFailure: a failed sync is reported, marks the OSD down
// (as a failed fsync does) and the shard does not stay visible under its
// name.
func TestGroupCommitFailure(t *testing.T) {
	b := openTest(t, Options{Commit: CommitGroup, ProbeInterval: time.Hour})
	o := b.LocalOSDs()[2]
	boom := errors.New("disk gone")
	o.group = newSyncGroup(func() error { return boom })
	w, err := o.Create(t.Context(), "00failed")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("data"))
	if err := w.Commit(); !errors.Is(err, boom) {
		t.Fatalf("Commit = %v, want %v", err, boom)
	}
	if o.Healthy() || !strings.Contains(o.lastError(), "disk gone") {
		t.Fatalf("OSD after a failed group sync: healthy %v, last error %q", o.Healthy(), o.lastError())
	}
	o.markUp()
	if _, err := o.Open(t.Context(), "00failed"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("unsynced shard visible: %v", err)
	}
}

// TestDirectAbortInFlight aborts a direct writer with blocks handed to its
// flusher: Abort waits for them, and nothing is left behind.
func TestDirectAbortInFlight(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	o := b.LocalOSDs()[3]
	w, err := o.Create(t.Context(), "00inflight")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, directStart+3*directBufSize+10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if tw := w.(*tunedWriter); tw.jobs != nil || tw.inflight != 0 || tw.buf != nil || tw.spare != nil {
		t.Fatal("Abort left the flusher or its blocks behind")
	}
	if names, err := readDirNames(o.tmpDir()); err != nil || len(names) != 0 {
		t.Fatalf("tmp dir after abort: %v %v", names, err)
	}
}

// TestDirectSizeHint covers writers told the shard's length up front
// (storage.WithShardSize): a large shard is direct from its first byte,
// a small one stays buffered, and a hint that turns out wrong (shorter or
// longer data) still round-trips exactly.
func TestDirectSizeHint(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	o := b.OSDs()[0]
	direct := canDirect(t, b.LocalOSDs()[0].tmpDir())
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct{ hint, n int }{
		{directStart, directStart},
		{4*directBufSize + 17, 4*directBufSize + 17},
		{2 * directBufSize, 100},               // shorter than promised
		{directStart, 3*directBufSize + 5},     // longer than promised
		{directStart - 1, directStart - 1},     // small: buffered
		{directStart - 1, 2*directBufSize + 1}, // small hint, large data: switches late
	}
	for i, c := range cases {
		data := make([]byte, c.n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		name := fmt.Sprintf("%032x.hint%d", c.n, i)
		w, err := o.Create(storage.WithShardSize(t.Context(), int64(c.hint)), name)
		if err != nil {
			t.Fatal(err)
		}
		tw := w.(*tunedWriter)
		if want := direct && c.hint >= directStart; tw.direct != want {
			t.Fatalf("hint %d: direct at create = %v, want %v", c.hint, tw.direct, want)
		}
		if err := writePieces(w, data); err != nil {
			t.Fatalf("write: %v", err)
		}
		if want := direct && (c.hint >= directStart || c.n >= directStart); tw.direct != want {
			t.Fatalf("hint %d len %d: direct after writing = %v, want %v", c.hint, c.n, tw.direct, want)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := readShard(t, o, name); !bytes.Equal(got, data) {
			t.Fatalf("hint %d len %d: read back %d bytes, differ", c.hint, c.n, len(got))
		}
	}
}

// TestDirectSizeHintFallback covers a hinted writer whose very first
// aligned write is refused: everything gathered goes out buffered from
// offset 0 and the rest follows.
func TestDirectSizeHintFallback(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	osd := b.LocalOSDs()[0]
	if !canDirect(t, osd.tmpDir()) {
		t.Skip("filesystem refuses O_DIRECT")
	}
	data := bytes.Repeat([]byte{5, 8, 1, 2, 9}, (3*directBufSize)/5+77)
	w, err := osd.Create(storage.WithShardSize(t.Context(), int64(len(data))), "00hintfallback")
	if err != nil {
		t.Fatal(err)
	}
	tw := w.(*tunedWriter)
	orig := tw.buf
	mis := make([]byte, directBufSize+directAlign+1)
	off := (directAlign - int(addrOf(mis)%directAlign)) + 1
	buf := mis[off : off+directBufSize]
	tw.buf = &buf
	if err := writePieces(w, data); err != nil {
		t.Fatal(err)
	}
	if tw.direct {
		t.Fatal("misaligned O_DIRECT write did not fall back")
	}
	tw.buf = orig
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readShard(t, osd, "00hintfallback"); !bytes.Equal(got, data) {
		t.Fatal("round trip after fallback differs")
	}
}

// TestDirectWriteBehind: once an OSD has taken a direct write, a new
// writer on it hands even its first block to the flusher, keeps up to
// the write-behind depth of blocks in flight, and the shard round-trips;
// an OSD that has not is probed with an in-line first write.
func TestDirectWriteBehind(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	o := b.LocalOSDs()[0]
	if !canDirect(t, o.tmpDir()) {
		t.Skip("filesystem refuses O_DIRECT")
	}
	size := int64(8*directBufSize + 100)
	data := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, int(size)/7+1)[:size]
	create := func(name string) *tunedWriter {
		w, err := o.Create(storage.WithShardSize(t.Context(), size), name)
		if err != nil {
			t.Fatal(err)
		}
		return w.(*tunedWriter)
	}
	first := create("00first")
	if _, err := first.Write(data[:directBufSize]); err != nil {
		t.Fatal(err)
	}
	if first.jobs != nil || !first.wrote {
		t.Fatalf("first writer on a new OSD: flusher %v, wrote %v; want the block written in line", first.jobs != nil, first.wrote)
	}
	if _, err := first.Write(data[directBufSize:]); err != nil {
		t.Fatal(err)
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	next := create("00next")
	if _, err := next.Write(data[:directBufSize]); err != nil {
		t.Fatal(err)
	}
	if next.jobs == nil {
		t.Fatal("writer on a proven OSD wrote its first block in line")
	}
	if _, err := next.Write(data[directBufSize:]); err != nil {
		t.Fatal(err)
	}
	if next.inflight > o.io.depth() {
		t.Fatalf("%d blocks in flight, write-behind is %d", next.inflight, o.io.depth())
	}
	if err := next.Commit(); err != nil {
		t.Fatal(err)
	}
	// With the backend's budget spent, a writer keeps one block in flight.
	o.io.behindBudget = 0
	last := create("00budget")
	for p := data; len(p) > 0; p = p[min(shardPiece, len(p)):] {
		if _, err := last.Write(p[:min(shardPiece, len(p))]); err != nil {
			t.Fatal(err)
		}
		if last.inflight > 1 || last.extra != 0 {
			t.Fatalf("budget 0: %d blocks in flight, %d extra", last.inflight, last.extra)
		}
	}
	if err := last.Commit(); err != nil {
		t.Fatal(err)
	}
	if n := o.io.extra.Load(); n != 0 {
		t.Fatalf("%d write-behind blocks still counted after every writer committed", n)
	}
	for _, name := range []string{"00first", "00next", "00budget"} {
		if got := readShard(t, o, name); !bytes.Equal(got, data) {
			t.Fatalf("%s: read back %d bytes, differ", name, len(got))
		}
	}
}

// TestDirectWriteBehindFailure: a block write that fails in the flusher
// fails a later Write or the Commit, nothing stays under the name or in
// tmp, and the writer keeps no block. 8 blocks and a tail take at least 3
// write calls (the flusher writes at most directWriteBehind per call).
func TestDirectWriteBehindFailure(t *testing.T) {
	for _, failAt := range []int{1, 2, 3} { // calls: one per flusher batch, then the tail
		b := openTest(t, Options{ShardWrites: ShardWritesDirect})
		o := b.LocalOSDs()[1]
		if !canDirect(t, o.tmpDir()) {
			t.Skip("filesystem refuses O_DIRECT")
		}
		writeShard(t, o, "00proof", make([]byte, 2*directBufSize), directBufSize) // proves the OSD
		boom := errors.New("device gone")
		var mu sync.Mutex
		calls := 0
		o.fault = func(op string) error {
			if op != "write" {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			if calls++; calls >= failAt {
				return boom
			}
			return nil
		}
		size := 8*directBufSize + 10
		w, err := o.Create(storage.WithShardSize(t.Context(), int64(size)), "00failing")
		if err != nil {
			t.Fatal(err)
		}
		werr := writePieces(w, make([]byte, size))
		cerr := w.Commit()
		if !errors.Is(werr, boom) && !errors.Is(cerr, boom) {
			t.Fatalf("fail at block %d: Write %v, Commit %v; want %v", failAt, werr, cerr, boom)
		}
		if cerr == nil {
			t.Fatalf("fail at block %d: Commit succeeded after a failed write", failAt)
		}
		w.Abort()
		o.fault = nil
		if _, err := o.Open(t.Context(), "00failing"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("fail at block %d: failed shard visible: %v", failAt, err)
		}
		if names, err := readDirNames(o.tmpDir()); err != nil || len(names) != 0 {
			t.Fatalf("fail at block %d: tmp dir: %v %v", failAt, names, err)
		}
		if tw := w.(*tunedWriter); tw.jobs != nil || tw.inflight != 0 || tw.extra != 0 || tw.buf != nil || tw.spare != nil {
			t.Fatalf("fail at block %d: writer kept its flusher or blocks", failAt)
		}
		if n := o.io.extra.Load(); n != 0 {
			t.Fatalf("fail at block %d: %d write-behind blocks still counted", failAt, n)
		}
	}
}

// TestWriteBlocks: a vectored write of aligned blocks lands back to back
// at its offset, with and without O_DIRECT.
func TestWriteBlocks(t *testing.T) {
	for _, direct := range []bool{false, true} {
		f, err := os.CreateTemp(t.TempDir(), "blocks")
		if err != nil {
			t.Fatal(err)
		}
		if direct && setDirect(f) != nil {
			f.Close()
			continue
		}
		var bufs [][]byte
		var want []byte
		for i := range 11 { // more than the on-stack iovecs
			b := *(&shardIO{bufs: make(chan *[]byte, 1)}).getBuf()
			b = b[:directAlign*(i%3+1)]
			for j := range b {
				b[j] = byte(i*31 + j)
			}
			bufs = append(bufs, b)
			want = append(want, b...)
		}
		if err := writeBlocks(f, bufs, directAlign); err != nil {
			t.Fatalf("direct %v: %v", direct, err)
		}
		f.Close()
		got, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != directAlign+len(want) || !bytes.Equal(got[directAlign:], want) {
			t.Fatalf("direct %v: file of %d bytes differs", direct, len(got))
		}
	}
}

// TestEarlyFlush: once a filesystem has taken the mark's worth of direct
// writes since its last flush, the flusher that crossed it flushes early;
// the commit's fsync takes what it covered off the count; the shard
// round-trips.
func TestEarlyFlush(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	o := b.LocalOSDs()[0]
	if !canDirect(t, o.tmpDir()) {
		t.Skip("filesystem refuses O_DIRECT")
	}
	e := o.early
	if e == nil {
		t.Fatal("no early flushes on a direct backend with fsync")
	}
	writeShard(t, o, "00proof", make([]byte, 2*directBufSize), directBufSize) // proves the OSD
	var mu sync.Mutex
	flushes := 0
	e.every = 2 * directBufSize
	e.pending.Store(0)
	e.flush = func(f *os.File) error {
		mu.Lock()
		flushes++
		mu.Unlock()
		return flushData(f)
	}
	data := make([]byte, 9*directBufSize+10)
	for i := range data {
		data[i] = byte(i * 13)
	}
	w, err := o.Create(storage.WithFreshShard(storage.WithShardSize(t.Context(), int64(len(data)))), "00early")
	if err != nil {
		t.Fatal(err)
	}
	if err := writePieces(w, data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	// The flusher hands on at most directWriteBehind blocks per call, so 9
	// blocks cross a 2-block mark at least twice.
	mu.Lock()
	n := flushes
	mu.Unlock()
	if n < 2 {
		t.Fatalf("%d early flushes for 9 MiB at a 2 MiB mark, want at least 2", n)
	}
	if p := e.pending.Load(); p != 0 {
		t.Fatalf("%d bytes still counted after the commit's fsync", p)
	}
	if got := readShard(t, o, "00early"); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, differ", len(got))
	}
}

// TestEarlyFlushFails: a failed early flush fails the shard (a later Write
// or the Commit), and nothing stays under the name or in tmp: the error
// would otherwise be taken from the file before the commit's fsync.
func TestEarlyFlushFails(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	o := b.LocalOSDs()[2]
	if !canDirect(t, o.tmpDir()) {
		t.Skip("filesystem refuses O_DIRECT")
	}
	writeShard(t, o, "00proof", make([]byte, 2*directBufSize), directBufSize) // proves the OSD
	boom := errors.New("flush failed")
	e := o.early
	e.every = directBufSize
	e.pending.Store(0)
	e.flush = func(*os.File) error { return boom }
	size := 6*directBufSize + 10
	w, err := o.Create(storage.WithFreshShard(storage.WithShardSize(t.Context(), int64(size))), "00flushfail")
	if err != nil {
		t.Fatal(err)
	}
	werr := writePieces(w, make([]byte, size))
	cerr := w.Commit()
	if !errors.Is(werr, boom) && !errors.Is(cerr, boom) {
		t.Fatalf("Write %v, Commit %v; want %v", werr, cerr, boom)
	}
	if cerr == nil {
		t.Fatal("Commit succeeded after a failed early flush")
	}
	w.Abort()
	e.flush = flushData
	if _, err := o.Open(t.Context(), "00flushfail"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("failed shard visible: %v", err)
	}
	if names, err := readDirNames(o.tmpDir()); err != nil || len(names) != 0 {
		t.Fatalf("tmp dir: %v %v", names, err)
	}
}

// shardPiece is one stripe's shard as the engine writes it (a quarter of
// a 1 MiB chunk plus its sealing overhead): writes of this size straddle
// the writer's page and block boundaries as production writes do.
const shardPiece = 262212

// writePieces writes p to w in shardPiece writes, stopping at the first
// error (a short write is one).
func writePieces(w io.Writer, p []byte) error {
	for len(p) > 0 {
		n := min(shardPiece, len(p))
		k, err := w.Write(p[:n])
		if err == nil && k != n {
			err = io.ErrShortWrite
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}
