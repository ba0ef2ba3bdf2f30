//go:build ceph

package rados

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ceph/go-ceph/rados"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// uniq returns a name no other test run uses.
func uniq(prefix string) string {
	return fmt.Sprintf("%s-%016x", prefix, rand.Uint64())
}

// fill returns n deterministic bytes.
func fill(seed uint64, n int) []byte {
	var key [32]byte
	key[0] = byte(seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b) // never fails
	return b
}

// exists reports whether object oid exists in io.
func exists(t *testing.T, io *rados.IOContext, oid string) bool {
	t.Helper()
	_, err := io.Stat(oid)
	if err == nil {
		return true
	}
	if !isErrno(err, enoent) {
		t.Fatalf("stat %s: %v", oid, err)
	}
	return false
}

func TestSlots(t *testing.T) {
	b := openTest(t, testOptions(t))
	var ids, racks []string
	for _, o := range b.OSDs() {
		ids = append(ids, o.ID())
		racks = append(racks, o.Rack())
	}
	want := []string{"rack0-a", "rack1-a", "rack2-a", "rack0-b", "rack1-b", "rack2-b"}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("OSD ids = %v, want %v", ids, want)
	}
	// Every shard of a 4+2 stripe lands two per rack.
	placed, err := storage.Place(b.OSDs(), [16]byte{1, 2, 3}, 6)
	if err != nil {
		t.Fatal(err)
	}
	perRack := map[string]int{}
	for _, o := range placed {
		perRack[o.Rack()]++
	}
	if len(perRack) != 3 || perRack["rack0"] != 2 || perRack["rack1"] != 2 || perRack["rack2"] != 2 {
		t.Fatalf("placement per rack = %v (racks %v)", perRack, racks)
	}
}

// TestLargeShard writes a shard across a piece boundary with the default
// piece and write sizes and reads it back across the boundary.
// TestLargeShard writes a shard over two pieces synchronously (the default),
// with one asynchronous write in flight, and with every write of the shard
// in flight at Commit (piece 1's write_full then races piece 0's writes).
func TestLargeShard(t *testing.T) {
	opts := testOptions(t)
	for _, depth := range []int{0, 1, 16} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			o := opts
			o.AsyncWrites = depth
			largeShard(t, openTest(t, o))
		})
	}
}

func largeShard(t *testing.T, b *Backend) {
	o := b.OSDs()[1].(*OSD)
	name := uniq("large") + ".0"
	size := DefaultPieceSize + 3*DefaultWriteSize/2 + 123
	data := fill(1, size)
	w, err := o.Create(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	// Frame-sized writes, as the engine issues them, plus one large write
	// that takes the direct (unbuffered) path.
	frame := 262148
	off := 0
	for ; off < size/2; off += frame {
		if _, err := w.Write(data[off:min(off+frame, size)]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Write(data[off:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, oid := range []string{pieceOID(o.id, name, 0), pieceOID(o.id, name, 1)} {
		if !exists(t, o.io, oid) {
			t.Fatalf("object %s missing after commit", oid)
		}
	}
	r, err := o.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(size) {
		t.Fatalf("Size = %d, want %d", r.Size(), size)
	}
	for _, c := range []struct{ off, n int }{
		{DefaultPieceSize - 1000, 5000}, // straddles pieces 0 and 1
		{0, size},
		{DefaultPieceSize, 10},
		{size - 7, 7},
	} {
		buf := make([]byte, c.n)
		n, err := r.ReadAt(buf, int64(c.off))
		if n != c.n || (err != nil && !errors.Is(err, io.EOF)) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v", c.n, c.off, n, err)
		}
		if !bytes.Equal(buf, data[c.off:c.off+c.n]) {
			t.Fatalf("ReadAt(%d, %d): wrong bytes", c.n, c.off)
		}
	}
	r.Close()
	if err := o.Remove(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	for _, oid := range []string{pieceOID(o.id, name, 0), pieceOID(o.id, name, 1)} {
		if exists(t, o.io, oid) {
			t.Fatalf("object %s left after Remove", oid)
		}
	}
}

// TestAbortInFlight: Abort with writes still in flight over three pieces
// (a write-behind, or asynchronous writes) waits for them before it removes
// the pieces, so none is left (a late write would recreate a removed
// piece), and the shard is not visible.
func TestAbortInFlight(t *testing.T) {
	opts := testOptions(t)
	for _, depth := range []int{0, 8} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			o := opts
			o.PieceSize, o.WriteSize, o.AsyncWrites = 128<<10, 64<<10, depth
			abortInFlight(t, openTest(t, o))
		})
	}
}

func abortInFlight(t *testing.T, b *Backend) {
	o := b.OSDs()[2].(*OSD)
	name := uniq("abort") + ".1"
	w, err := o.Create(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(fill(3, 300<<10)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if exists(t, o.io, pieceOID(o.id, name, i)) {
			t.Fatalf("piece %d left after Abort", i)
		}
	}
	if _, err := o.Open(t.Context(), name); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Open after Abort: %v, want ErrNotFound", err)
	}
	if _, err := w.Write([]byte{1}); err == nil {
		t.Fatal("Write after Abort succeeded")
	}
}

// TestTornShard: pieces written by a writer that never committed (a crashed
// gateway) are invisible, and Remove clears them.
func TestTornShard(t *testing.T) {
	o1 := testOptions(t)
	o1.PieceSize, o1.WriteSize = 128<<10, 64<<10
	b := openTest(t, o1)
	o := b.OSDs()[0].(*OSD)
	name := uniq("torn") + ".3"
	w, err := o.Create(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(fill(2, 300<<10)); err != nil {
		t.Fatal(err)
	}
	// The writer is dropped here: no Commit, no Abort.
	for i := range 2 {
		if !exists(t, o.io, pieceOID(o.id, name, i)) {
			t.Fatalf("piece %d not written", i)
		}
	}
	if _, err := o.Open(t.Context(), name); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Open of an uncommitted shard: %v, want ErrNotFound", err)
	}
	if err := o.Remove(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if exists(t, o.io, pieceOID(o.id, name, i)) {
			t.Fatalf("piece %d left after Remove", i)
		}
	}
}

func TestCorruptCommitRecord(t *testing.T) {
	b := openTest(t, testOptions(t))
	o := b.OSDs()[2].(*OSD)
	name := uniq("corrupt") + ".1"
	if err := o.io.WriteFull(pieceOID(o.id, name, 0), []byte("data")); err != nil {
		t.Fatal(err)
	}
	if err := o.io.SetXattr(pieceOID(o.id, name, 0), commitXattr, []byte("not a commit record")); err != nil {
		t.Fatal(err)
	}
	_, err := o.Open(t.Context(), name)
	if !errors.Is(err, errCorrupt) || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Open with a corrupt record: %v, want errCorrupt", err)
	}
	if err := o.Remove(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	if exists(t, o.io, pieceOID(o.id, name, 0)) {
		t.Fatal("piece with a corrupt record left after Remove")
	}
}

func TestShardNames(t *testing.T) {
	b := openTest(t, testOptions(t))
	o := b.OSDs()[0]
	for _, name := range []string{"", ".hidden", "a/b", "a b", "x\x00"} {
		if _, err := o.Create(t.Context(), name); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Create(%q): %v, want ErrInvalid", name, err)
		}
		if _, err := o.Open(t.Context(), name); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Open(%q): %v, want ErrInvalid", name, err)
		}
		if err := o.Remove(t.Context(), name); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("Remove(%q): %v, want ErrInvalid", name, err)
		}
	}
}

// TestRacesAcrossConnections races CAS increments and IfAbsent creates from
// three independent connections, as three gateway processes would.
func TestRacesAcrossConnections(t *testing.T) {
	o := testOptions(t)
	var metas []storage.Meta
	for range 3 {
		metas = append(metas, openTest(t, o).Meta())
	}
	ns := uniq("races")
	if _, err := metas[0].Put(t.Context(), ns, "counter", []byte("0"), storage.Cond{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
	const perWorker = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(metas))
	wins := make([]int, len(metas))
	for i, m := range metas {
		wg.Go(func() {
			for range perWorker {
				if err := storagetest.Increment(t.Context(), m, ns, "counter"); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for k := range 10 {
				_, err := m.Put(t.Context(), ns, "once-"+strconv.Itoa(k), []byte{byte(i)}, storage.Cond{IfAbsent: true})
				switch {
				case err == nil:
					wins[i]++
				case !errors.Is(err, storage.ErrPrecondition):
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, _, err := metas[1].Get(t.Context(), ns, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(len(metas) * perWorker); string(got) != want {
		t.Fatalf("counter = %s, want %s", got, want)
	}
	if total := wins[0] + wins[1] + wins[2]; total != 10 {
		t.Fatalf("IfAbsent winners per connection %v: %d in total, want 10", wins, total)
	}
}

// TestVersionsWithClockSkew: a gateway whose clock is an hour behind still
// issues a higher version than the one it overwrites.
func TestVersionsWithClockSkew(t *testing.T) {
	o := testOptions(t)
	ahead, behind := openTest(t, o).meta, openTest(t, o).meta
	ahead.now = func() time.Time { return time.Now().Add(time.Hour) }
	behind.now = func() time.Time { return time.Now().Add(-time.Hour) }
	ns := uniq("skew")
	v1, err := ahead.Put(t.Context(), ns, "k", []byte("1"), storage.Cond{})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := behind.Put(t.Context(), ns, "k", []byte("2"), storage.Cond{})
	if err != nil {
		t.Fatal(err)
	}
	if v2 <= v1 {
		t.Fatalf("overwrite from a slow clock got version %d after %d", v2, v1)
	}
	v3, err := behind.Put(t.Context(), ns, "k", []byte("3"), storage.Cond{IfVersion: v2})
	if err != nil || v3 <= v2 {
		t.Fatalf("CAS from a slow clock: version %d after %d, %v", v3, v2, err)
	}
	val, v, err := ahead.Get(t.Context(), ns, "k")
	if err != nil || string(val) != "3" || v != v3 {
		t.Fatalf("Get = %q v%d, %v; want \"3\" v%d", val, v, err, v3)
	}
}

// TestEmptyShardObjectsDropped: a namespace whose keys are all deleted
// leaves no omap objects behind.
func TestEmptyShardObjectsDropped(t *testing.T) {
	b := openTest(t, testOptions(t))
	m := b.meta
	ns := uniq("part")
	for i := range 40 {
		if _, err := m.Put(t.Context(), ns, fmt.Sprintf("%05d", i), []byte("x"), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	used := 0
	for i := range m.shards {
		if exists(t, m.io, shardOID(ns, i)) {
			used++
		}
	}
	if used < 2 {
		t.Fatalf("40 keys landed in %d shard objects", used)
	}
	for i := range 40 {
		if err := m.Delete(t.Context(), ns, fmt.Sprintf("%05d", i), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range m.shards {
		if exists(t, m.io, shardOID(ns, i)) {
			t.Fatalf("shard object %s left after deleting every key", shardOID(ns, i))
		}
	}
	// The namespace is usable again.
	if _, err := m.Put(t.Context(), ns, "again", []byte("y"), storage.Cond{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}
}

// TestListLarge lists more keys than one omap page holds, in pages.
func TestListLarge(t *testing.T) {
	b := openTest(t, testOptions(t))
	m := b.meta
	ns := uniq("large-list")
	const n = 2500
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < n; i += 8 {
				k := fmt.Sprintf("obj/%06d", i)
				if _, err := m.Put(t.Context(), ns, k, []byte(k), storage.Cond{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, page := range []int{n + 5, 1000, 333} {
		after, seen := "", 0
		for {
			es, err := m.List(t.Context(), ns, "obj/", after, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				if want := fmt.Sprintf("obj/%06d", seen); e.Key != want || string(e.Value) != want {
					t.Fatalf("page %d: entry %d = %q, want %q", page, seen, e.Key, want)
				}
				seen++
			}
			if len(es) < page {
				break
			}
			after = es[len(es)-1].Key
		}
		if seen != n {
			t.Fatalf("page %d: listed %d keys, want %d", page, seen, n)
		}
	}
}

func TestMetaShardsRecorded(t *testing.T) {
	o := testOptions(t)
	openTest(t, o) // records the default shard count in the namespace
	o.MetaShards = DefaultMetaShards + 1
	b, err := Open(o)
	if err == nil {
		b.Close()
		t.Fatal("Open with a different MetaShards succeeded")
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"piece too large", Options{PieceSize: 100 << 20}},
		{"piece too small", Options{PieceSize: 1000}},
		{"write not a divisor", Options{PieceSize: 32 << 20, WriteSize: 3 << 20}},
		{"write above piece", Options{PieceSize: 1 << 20, WriteSize: 2 << 20}},
		{"too many slots", Options{OSDsPerRack: 27}},
		{"bad rack", Options{DataPools: []DataPool{{Pool: "p", Rack: "a/b"}}}},
		{"duplicate rack", Options{DataPools: []DataPool{{Pool: "p", Rack: "r"}, {Pool: "q", Rack: "r"}}}},
		{"no pool", Options{DataPools: []DataPool{{Rack: "r"}}}},
		{"short timeout", Options{OpTimeout: time.Millisecond}},
		{"shards", Options{MetaShards: -1}},
		{"async writes", Options{AsyncWrites: -1}},
	} {
		if _, err := c.o.withDefaults(); err == nil {
			t.Errorf("%s: accepted %+v", c.name, c.o)
		}
	}
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.PieceSize != DefaultPieceSize || o.WriteSize != DefaultWriteSize || o.MetaShards != DefaultMetaShards ||
		o.User != DefaultUser || len(o.DataPools) != 3 || o.OSDsPerRack != 2 || o.AsyncWrites != 0 {
		t.Fatalf("defaults = %+v", o)
	}
	if seconds(1500*time.Millisecond) != "2" || seconds(30*time.Second) != "30" {
		t.Fatal("seconds must round up")
	}
}
