package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

func putKeys(t *testing.T, m storage.Meta, n int) {
	t.Helper()
	for i := range n {
		k := fmt.Sprintf("k%03d", i)
		if _, err := m.Put(t.Context(), "ns", k, []byte("v-"+k), storage.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
}

func checkKeys(t *testing.T, m storage.Meta, n int) {
	t.Helper()
	for i := range n {
		k := fmt.Sprintf("k%03d", i)
		got, _, err := m.Get(t.Context(), "ns", k)
		if err != nil || string(got) != "v-"+k {
			t.Fatalf("Get %s = %q, %v", k, got, err)
		}
	}
	es, err := m.List(t.Context(), "ns", "k", "", n+10)
	if err != nil || len(es) != n {
		t.Fatalf("List = %d entries, %v; want %d", len(es), err, n)
	}
}

func TestMetaSurvivesAnyTwoOSDsDown(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.Meta()
	putKeys(t, m, 5)
	osds := b.LocalOSDs()
	for i := range osds {
		for j := i + 1; j < len(osds); j++ {
			osds[i].markDown(errors.New("test: gone"))
			osds[j].markDown(errors.New("test: gone"))
			checkKeys(t, m, 5)
			if _, err := m.Put(t.Context(), "ns", "w", []byte{byte(i), byte(j)}, storage.Cond{}); err != nil {
				t.Fatalf("Put with %d,%d down: %v", i, j, err)
			}
			osds[i].markUp()
			osds[j].markUp()
		}
	}
	// A third loss is beyond the write quorum: reads still reach R = 3,
	// writes fail cleanly; a fourth stops reads too.
	for _, o := range osds[:3] {
		o.markDown(errors.New("test: gone"))
	}
	if _, _, err := m.Get(t.Context(), "ns", "k000"); err != nil {
		t.Fatalf("Get with 3 of 6 down: %v", err)
	}
	if _, err := m.Put(t.Context(), "ns", "k000", nil, storage.Cond{}); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Put with 3 of 6 down: %v", err)
	}
	osds[3].markDown(errors.New("test: gone"))
	if _, _, err := m.Get(t.Context(), "ns", "k000"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Get with 4 of 6 down: %v", err)
	}
}

func TestOpenWithTwoOSDDirsGone(t *testing.T) {
	dir := t.TempDir()
	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	putKeys(t, b.Meta(), 5)
	b.Close()
	for _, id := range []string{"osd1", "osd4"} {
		p := filepath.Join(dir, id)
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		// A file where the directory should be: like a missing mount.
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b = openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	checkKeys(t, b.Meta(), 5)
	st := b.OSDStates()
	if st[1].State != StateDown || st[4].State != StateDown || st[0].State != StateUp || st[1].LastError == "" {
		t.Fatalf("states = %+v", st)
	}
	if !storage.Healthy(b.OSDs()[0]) || storage.Healthy(b.OSDs()[1]) {
		t.Fatal("storage.Healthy disagrees with OSDStates")
	}
	if _, err := b.OSDs()[1].Create(t.Context(), "aa.1"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Create on a down OSD: %v", err)
	}
	b.Close()
	os.RemoveAll(filepath.Join(dir, "osd2"))
	os.WriteFile(filepath.Join(dir, "osd2"), nil, 0o600)
	if b, err := Open(Options{Dir: dir, Logger: quietLog}); err == nil {
		b.Close()
		t.Fatal("Open with three unusable OSDs succeeded")
	}
}

func TestReadRepairOfDamagedCopies(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.Meta()
	ctx := t.Context()
	if _, err := m.Put(ctx, "ns", "k", []byte("precious"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(metaFile(b, 1, "ns", "k"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-6] ^= 0x10
	damage := map[int][]byte{0: flipped, 2: good[:len(good)-3]}
	for i, img := range damage {
		if err := os.WriteFile(metaFile(b, i, "ns", "k"), img, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got, _, err := m.Get(ctx, "ns", "k"); err != nil || string(got) != "precious" {
		t.Fatalf("Get over damaged copies = %q, %v", got, err)
	}
	for i := range damage {
		if img, err := os.ReadFile(metaFile(b, i, "ns", "k")); err != nil || !bytes.Equal(img, good) {
			t.Fatalf("copy %d not repaired by the read: %v", i, err)
		}
	}
	// Scrub repairs a copy the read did not need to look at.
	os.Remove(metaFile(b, 5, "ns", "k"))
	if err := os.WriteFile(metaFile(b, 4, "ns", "k"), flipped, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := b.LocalMeta().Scrub(ctx)
	if err != nil || res.Repaired != 2 || res.Unrecoverable != 0 {
		t.Fatalf("Scrub = %+v, %v; want 2 repaired", res, err)
	}
	for i := range b.LocalOSDs() {
		if img, err := os.ReadFile(metaFile(b, i, "ns", "k")); err != nil || !bytes.Equal(img, good) {
			t.Fatalf("copy %d after Scrub: %v", i, err)
		}
	}
}

func TestStaleReplicaDoesNotResurrect(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.Meta()
	ctx := t.Context()
	if _, err := m.Put(ctx, "ns", "gone", []byte("old"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	// Two replicas keep the old live copy (offline during the delete).
	saved := map[int][]byte{}
	for _, i := range []int{0, 1} {
		saved[i], _ = os.ReadFile(metaFile(b, i, "ns", "gone"))
	}
	if err := m.Delete(ctx, "ns", "gone", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	for i, img := range saved {
		if err := os.WriteFile(metaFile(b, i, "ns", "gone"), img, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := m.Get(ctx, "ns", "gone"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get after delete with stale replicas: %v", err)
	}
	if es, err := m.List(ctx, "ns", "", "", 10); err != nil || len(es) != 0 {
		t.Fatalf("List after delete = %v, %v", es, err)
	}
	if err := m.Delete(ctx, "ns", "gone", storage.Cond{}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	// Scrub with every replica up drops the tombstone everywhere.
	if _, err := b.LocalMeta().Scrub(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range b.LocalOSDs() {
		if _, err := os.Stat(metaFile(b, i, "ns", "gone")); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("copy %d left after Scrub: %v", i, err)
		}
	}
}

func TestTombstoneKeptWhileAReplicaIsDown(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.Meta()
	ctx := t.Context()
	if _, err := m.Put(ctx, "ns", "k", []byte("v"), storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	b.LocalOSDs()[3].markDown(errors.New("test: offline"))
	if err := m.Delete(ctx, "ns", "k", storage.Cond{}); err != nil {
		t.Fatal(err)
	}
	if res, err := b.LocalMeta().Scrub(ctx); err != nil || res.Dropped != 0 {
		t.Fatalf("Scrub with a replica down = %+v, %v; want the tombstone kept", res, err)
	}
	b.LocalOSDs()[3].markUp()
	if _, _, err := m.Get(ctx, "ns", "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Get after the stale replica returned: %v", err)
	}
}

func TestReplacementOSD(t *testing.T) {
	dir := t.TempDir()
	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	putKeys(t, b.Meta(), 5)
	oldUUID := b.OSDStates()[3].UUID
	b.Close()
	p := filepath.Join(dir, "osd3")
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	b = openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	st := b.OSDStates()[3]
	if st.State != StateFilling || st.UUID == "" || st.UUID == oldUUID {
		t.Fatalf("replacement state = %+v (old uuid %s)", st, oldUUID)
	}
	checkKeys(t, b.Meta(), 5)
	raw, _, err := b.Meta().Get(t.Context(), sysNS, osdsKey)
	if err != nil || !strings.Contains(string(raw), st.UUID) || !strings.Contains(string(raw), `"filling":true`) {
		t.Fatalf("sys/osds = %s, %v", raw, err)
	}
	b.Close()
	// The mark survives a restart until MarkFilled.
	b = openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	if st := b.OSDStates()[3]; st.State != StateFilling {
		t.Fatalf("after restart: %+v", st)
	}
	if err := b.MarkFilled("osd3"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(metaFile(b, 3, "ns", "k004")); err != nil {
		t.Fatalf("metadata replica not refilled: %v", err)
	}
	b.Close()
	b = openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	if st := b.OSDStates()[3]; st.State != StateUp {
		t.Fatalf("after MarkFilled and restart: %+v", st)
	}
}

func TestForeignFormatRefused(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	a := openTest(t, Options{Dir: dirA, Fsync: FsyncNever})
	a.Close()
	openTest(t, Options{Dir: dirB, Fsync: FsyncNever}).Close()
	copyFormat := func(from, to string) {
		raw, err := os.ReadFile(filepath.Join(from, formatName))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, formatName), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyFormat(filepath.Join(dirB, "osd2"), filepath.Join(dirA, "osd2")) // another cluster
	copyFormat(filepath.Join(dirA, "osd1"), filepath.Join(dirA, "osd5")) // another slot
	a = openTest(t, Options{Dir: dirA, Fsync: FsyncNever})
	st := a.OSDStates()
	if st[2].State != StateDown || !strings.Contains(st[2].LastError, "cluster") {
		t.Fatalf("other cluster's OSD: %+v", st[2])
	}
	if st[5].State != StateDown || !strings.Contains(st[5].LastError, `belongs to OSD "osd1"`) {
		t.Fatalf("other slot's OSD: %+v", st[5])
	}
	if _, err := a.OSDs()[2].Open(t.Context(), "aa.1"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Open on a refused OSD: %v", err)
	}
}

func TestDiskErrorsMarkOSDDown(t *testing.T) {
	for _, tc := range []struct {
		commit string
		op     string
		err    error
	}{
		{CommitEach, "write", syscall.ENOSPC}, {CommitEach, "create", syscall.EIO},
		{CommitEach, "sync", syscall.EIO}, {CommitEach, "write", syscall.EROFS},
		// Under group commit a failed sync is the filesystem's shared one.
		{CommitGroup, "sync", syscall.EIO}, {CommitGroup, "create", syscall.EIO},
	} {
		t.Run(tc.commit+"/"+tc.op+"/"+tc.err.Error(), func(t *testing.T) {
			b := openTest(t, Options{Commit: tc.commit, ProbeInterval: 5 * time.Millisecond})
			o := b.LocalOSDs()[2]
			var fail atomicErr
			fail.set(tc.err)
			o.fault = func(op string) error {
				if op == tc.op || op == "probe" {
					return fail.get()
				}
				return nil
			}
			w, err := o.Create(t.Context(), "aa.2")
			if err == nil {
				if _, err = w.Write([]byte("data")); err == nil {
					err = w.Commit()
				}
				w.Abort()
			}
			if !errors.Is(err, tc.err) || o.Healthy() {
				t.Fatalf("err = %v, healthy = %v", err, o.Healthy())
			}
			if st := b.OSDStates()[2]; st.State != StateDown || st.LastError == "" {
				t.Fatalf("state = %+v", st)
			}
			// Metadata keeps working around it.
			if _, err := b.Meta().Put(t.Context(), "ns", "k", []byte("v"), storage.Cond{}); err != nil {
				t.Fatal(err)
			}
			fail.set(nil) // the disk recovers: the prober brings the OSD back
			deadline := time.Now().Add(5 * time.Second)
			for !o.Healthy() {
				if time.Now().After(deadline) {
					t.Fatal("OSD not probed back up")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

func TestWalkListsCommittedShards(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	o := b.LocalOSDs()[0]
	want := map[string]int64{"ab01.0": 3, "cd02.0": 5, "Zed": 1}
	for name, n := range want {
		w, err := o.Create(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(make([]byte, n))
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	pending, _ := o.Create(t.Context(), "ee03.0") // not committed: not walked
	defer pending.Abort()
	got := map[string]int64{}
	err := o.Walk(t.Context(), func(name string, size int64, mod time.Time) error {
		if mod.IsZero() {
			t.Errorf("%s: zero mtime", name)
		}
		got[name] = size
		return nil
	})
	if err != nil || len(got) != len(want) {
		t.Fatalf("Walk = %v, %v", got, err)
	}
	for n, s := range want {
		if got[n] != s {
			t.Fatalf("Walk %s size %d, want %d", n, got[n], s)
		}
	}
	stop := errors.New("stop")
	if err := o.Walk(t.Context(), func(string, int64, time.Time) error { return stop }); err != stop {
		t.Fatalf("Walk did not return fn's error: %v", err)
	}
}

func TestOldLayoutMigrated(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "meta", "buckets")
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	img := encodeRecord(record{key: "b1", val: []byte("rec"), v: 42, format: 1})
	if err := os.WriteFile(filepath.Join(old, "b1"), img, 0o600); err != nil {
		t.Fatal(err)
	}
	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	got, v, err := b.Meta().Get(context.Background(), "buckets", "b1")
	if err != nil || string(got) != "rec" || v != 42 {
		t.Fatalf("migrated value = %q, %d, %v", got, v, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old layout left behind: %v", err)
	}
}

// atomicErr is an error shared with a fault hook.
type atomicErr struct{ v atomic.Value }

type errBox struct{ err error }

func (a *atomicErr) set(err error) { a.v.Store(errBox{err}) }
func (a *atomicErr) get() error    { return a.v.Load().(errBox).err }

// TestMissingOSDDirIsDownNotRecreated: in a known cluster a vanished OSD
// directory (an unmounted disk) is reported, not re-created; an empty
// directory put back is adopted by the prober as a replacement.
func TestMissingOSDDirIsDownNotRecreated(t *testing.T) {
	dir := t.TempDir()
	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	putKeys(t, b.Meta(), 3)
	b.Close()
	p := filepath.Join(dir, "osd5")
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
	b = openTest(t, Options{Dir: dir, Fsync: FsyncNever, ProbeInterval: 5 * time.Millisecond})
	if st := b.OSDStates()[5]; st.State != StateDown || !strings.Contains(st.LastError, "missing") {
		t.Fatalf("missing OSD dir: %+v", st)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing OSD directory was re-created: %v", err)
	}
	checkKeys(t, b.Meta(), 3)
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.OSDStates()[5].State != StateFilling {
		if time.Now().After(deadline) {
			t.Fatalf("replacement not adopted: %+v", b.OSDStates()[5])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMetaReadErrorMarksDown: an EIO reading a metadata copy marks that
// OSD down and the read is answered from the others.
func TestMetaReadErrorMarksDown(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever})
	m := b.Meta()
	putKeys(t, m, 2)
	o := b.LocalOSDs()[0]
	o.fault = func(op string) error {
		if op == "read" || op == "probe" {
			return syscall.EIO
		}
		return nil
	}
	checkKeys(t, m, 2)
	if o.Healthy() || !strings.Contains(b.OSDStates()[0].LastError, "input/output") {
		t.Fatalf("OSD after EIO: %+v", b.OSDStates()[0])
	}
}

// TestCloseStopsProber: the prober started by a down OSD ends with Close.
func TestCloseStopsProber(t *testing.T) {
	base := runtime.NumGoroutine()
	b, err := Open(Options{Dir: t.TempDir(), Fsync: FsyncNever, Logger: quietLog, ProbeInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b.LocalOSDs()[1].markDown(errors.New("test"))
	b.probeMu.Lock()
	on := b.probingOn
	b.probeMu.Unlock()
	if !on {
		t.Fatal("no prober started")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before Open", runtime.NumGoroutine(), base)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestDiskSwappedWhileDown: an OSD down on EIO whose directory is emptied
// (disk swapped) comes back as a replacement, not as the old OSD.
func TestDiskSwappedWhileDown(t *testing.T) {
	b := openTest(t, Options{Fsync: FsyncNever, ProbeInterval: 2 * time.Millisecond})
	putKeys(t, b.Meta(), 2)
	o := b.LocalOSDs()[4]
	old := o.UUID()
	o.markDown(syscall.EIO)
	entries, _ := os.ReadDir(o.Path())
	for _, e := range entries {
		os.RemoveAll(filepath.Join(o.Path(), e.Name()))
	}
	deadline := time.Now().Add(5 * time.Second)
	for st := b.OSDStates()[4]; st.State != StateFilling; st = b.OSDStates()[4] {
		if time.Now().After(deadline) {
			t.Fatalf("swapped disk not adopted: %+v", st)
		}
		time.Sleep(2 * time.Millisecond)
	}
	if o.UUID() == old {
		t.Fatal("replacement kept the old uuid")
	}
	checkKeys(t, b.Meta(), 2)
}

// TestDirFsyncErrorMarksDown: a failed directory fsync (shared by
// concurrent writers, dirSyncs), or under group commit a failed sync of
// the filesystem (shared by every writer on it), fails each writer that
// waited for it, a shard commit and metadata copies alike, and marks the
// OSD down; the metadata quorum carries on without it.
func TestDirFsyncErrorMarksDown(t *testing.T) {
	for _, commit := range []string{CommitEach, CommitGroup} {
		t.Run(commit, func(t *testing.T) {
			b := openTest(t, Options{Commit: commit})
			o := b.LocalOSDs()[1]
			o.fault = func(op string) error {
				if op == "probe" {
					return syscall.EIO // stay down for the assertions
				}
				return nil
			}
			var syncs atomic.Int64
			if commit == CommitGroup {
				// This OSD's filesystem fails; the others' (one group) work.
				o.group = newSyncGroup(func() error {
					syncs.Add(1)
					return fmt.Errorf("syncfs %s: %w", o.path, syscall.EIO)
				})
			} else {
				o.dirs.sync = func(dir string) error {
					syncs.Add(1)
					return fmt.Errorf("sync %s: %w", dir, syscall.EIO)
				}
			}
			w, err := o.Create(t.Context(), "ab.1")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte("data")); err != nil {
				t.Fatal(err)
			}
			if err := w.Commit(); !errors.Is(err, syscall.EIO) || o.Healthy() {
				t.Fatalf("Commit = %v, healthy = %v", err, o.Healthy())
			}
			o.markUp()
			errs := make(chan error, 8)
			for i := range 8 {
				go func() {
					_, err := b.Meta().Put(t.Context(), "ns", fmt.Sprintf("k%d", i), []byte("v"), storage.Cond{})
					errs <- err
				}()
			}
			for range 8 {
				if err := <-errs; err != nil {
					t.Fatalf("Put with one OSD's sync failing: %v", err)
				}
			}
			if o.Healthy() || !strings.Contains(b.OSDStates()[1].LastError, "input/output") {
				t.Fatalf("OSD after a failed sync: %+v", b.OSDStates()[1])
			}
			if syncs.Load() < 2 {
				t.Fatalf("%d syncs: the shard's and the first copy's at least", syncs.Load())
			}
			for i := range 8 {
				if _, _, err := b.Meta().Get(t.Context(), "ns", fmt.Sprintf("k%d", i)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
