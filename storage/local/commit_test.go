package local

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/storage"
)

// writerModes are the two shard writers: the plain one and the tuned one
// of the default configuration (direct writes, per-shard fsyncs).
var writerModes = []struct{ name, writes string }{
	{"buffered", ShardWritesBuffered},
	{"direct", ShardWritesDirect},
}

// createFresh starts shard name under the fresh-name hint a PUT gives, with
// the size hint for len(data), and writes data.
func createFresh(t *testing.T, o *OSD, name string, data []byte) storage.ShardWriter {
	t.Helper()
	ctx := storage.WithShardSize(storage.WithFreshShard(t.Context()), int64(len(data)))
	w, err := o.Create(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	return w
}

// tmpFiles lists what is left in the OSD's tmp directory.
func tmpFiles(t *testing.T, o *OSD) []string {
	t.Helper()
	names, err := readDirNames(o.tmpDir())
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestFreshCommitRenamesFirst: a fresh shard is under its name when its
// file is fsynced (rename first, then the file's and the directory's fsync
// together), and the commit reads back; a shard without the hint (a repair
// in place) is fsynced before the rename, as always.
func TestFreshCommitRenamesFirst(t *testing.T) {
	for _, m := range writerModes {
		t.Run(m.name, func(t *testing.T) {
			b := openTest(t, Options{ShardWrites: m.writes})
			o := b.LocalOSDs()[0]
			data := bytes.Repeat([]byte("shard data "), 300_000) // past directStart
			var visible []bool
			name := "aa01.0"
			o.fault = func(op string) error {
				if op == "sync" { // right after the file's fsync (syncFile)
					_, err := os.Stat(o.ShardPath(name))
					visible = append(visible, err == nil)
				}
				return nil
			}
			w := createFresh(t, o, "aa01.0", data)
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if len(visible) != 1 || !visible[0] {
				t.Fatalf("name visible at the file fsync: %v, want [true] (renamed first)", visible)
			}
			if got := readShard(t, o, "aa01.0"); !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, differ", len(got))
			}
			if left := tmpFiles(t, o); len(left) != 0 {
				t.Fatalf("tmp holds %v", left)
			}

			// Without the hint the usual order holds: durable, then named.
			visible, name = nil, "aa01.1"
			w, err := o.Create(t.Context(), name)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if len(visible) > 0 && visible[0] {
				t.Fatalf("shard without the fresh hint named before its fsync: %v", visible)
			}
		})
	}
}

// TestFreshCommitFsyncFails: when the file's fsync or the directory's
// fsync fails after the rename, Commit returns the error, nothing is left
// under the name or in tmp, the OSD is marked down, and a later Abort does
// nothing.
func TestFreshCommitFsyncFails(t *testing.T) {
	for _, m := range writerModes {
		for _, which := range []string{"file", "dir"} {
			t.Run(m.name+"/"+which, func(t *testing.T) {
				b := openTest(t, Options{ShardWrites: m.writes})
				o := b.LocalOSDs()[1]
				o.fault = func(op string) error {
					if op == "probe" {
						return syscall.EIO // stay down for the assertions
					}
					if op == "sync" && which == "file" {
						return syscall.EIO
					}
					return nil
				}
				if which == "dir" {
					mkFanout(t, o, "ab02.3")
					o.dirs.sync = func(dir string) error {
						if _, err := os.Stat(filepath.Join(dir, "ab02.3")); err != nil {
							return fmt.Errorf("directory fsync before the rename: %w", err)
						}
						return fmt.Errorf("sync %s: %w", dir, syscall.EIO)
					}
				}
				w := createFresh(t, o, "ab02.3", bytes.Repeat([]byte{7}, 3<<20))
				if err := w.Commit(); !errors.Is(err, syscall.EIO) {
					t.Fatalf("Commit = %v, want EIO", err)
				}
				if _, err := os.Stat(o.ShardPath("ab02.3")); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("failed commit left its name: %v", err)
				}
				if left := tmpFiles(t, o); len(left) != 0 {
					t.Fatalf("tmp holds %v", left)
				}
				if o.Healthy() {
					t.Fatal("OSD healthy after a failed fsync")
				}
				if err := w.Abort(); err != nil {
					t.Fatalf("Abort after a failed commit: %v", err)
				}
				if err := w.Commit(); err == nil {
					t.Fatal("second Commit succeeded")
				}
			})
		}
	}
}

// TestFreshCommitAbortDuringSync: an Abort that arrives while Commit waits
// for its fsyncs (the name already published) cannot take the shard away
// or break the commit: it waits for Commit and then does nothing.
func TestFreshCommitAbortDuringSync(t *testing.T) {
	for _, m := range writerModes {
		t.Run(m.name, func(t *testing.T) {
			b := openTest(t, Options{ShardWrites: m.writes})
			o := b.LocalOSDs()[2]
			dir := mkFanout(t, o, "ac03.0")
			gs := newGatedDirSync(dir)
			o.dirs.sync = gs.sync
			data := bytes.Repeat([]byte("abcdefgh"), 500_000)
			w := createFresh(t, o, "ac03.0", data)
			committed := make(chan error, 1)
			go func() { committed <- w.Commit() }()
			<-gs.started // renamed; the directory fsync is running
			if _, err := os.Stat(o.ShardPath("ac03.0")); err != nil {
				t.Fatalf("name not published while syncing: %v", err)
			}
			aborted := make(chan error, 1)
			go func() { aborted <- w.Abort() }()
			gs.release[dir] <- nil
			if err := <-committed; err != nil {
				t.Fatalf("Commit with an Abort racing it: %v", err)
			}
			if err := <-aborted; err != nil {
				t.Fatalf("Abort during Commit: %v", err)
			}
			if got := readShard(t, o, "ac03.0"); !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, differ", len(got))
			}
		})
	}
}

// TestFreshCommitsShareDirSync: fresh commits into one fan-out directory
// that arrive while its fsync runs share the next one (dirSyncs), each
// acknowledged only after that later fsync.
func TestFreshCommitsShareDirSync(t *testing.T) {
	b := openTest(t, Options{ShardWrites: ShardWritesDirect})
	o := b.LocalOSDs()[0]
	dir := mkFanout(t, o, "ad00.0")
	gs := newGatedDirSync(dir)
	o.dirs.sync = gs.sync
	const late = 4
	ws := make([]storage.ShardWriter, late+1)
	for i := range ws {
		ws[i] = createFresh(t, o, fmt.Sprintf("ad%02d.0", i), bytes.Repeat([]byte{byte(i)}, 64<<10))
	}
	done := make(chan error, late+1)
	go func() { done <- ws[0].Commit() }()
	<-gs.started // the first fsync runs
	for _, w := range ws[1:] {
		go func() { done <- w.Commit() }()
	}
	// Wait until all four have renamed and queued for the directory.
	for waiters(o.dirs, dir) < late+1 {
		time.Sleep(time.Millisecond)
	}
	gs.release[dir] <- nil
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-gs.started // one fsync for the four
	select {
	case err := <-done:
		t.Fatalf("a commit returned (%v) before the fsync that started after it", err)
	default:
	}
	gs.release[dir] <- nil
	for range late {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	select {
	case d := <-gs.started:
		t.Fatalf("unexpected third fsync of %s: the four late commits should share one", d)
	default:
	}
	for i := range ws {
		if got := readShard(t, o, fmt.Sprintf("ad%02d.0", i)); len(got) != 64<<10 || got[0] != byte(i) {
			t.Fatalf("shard %d read back wrong", i)
		}
	}
}

// waiters reports how many callers use dir's sync group.
func waiters(d *dirSyncs, dir string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.dirs[dir]; e != nil {
		return e.refs
	}
	return 0
}

// mkFanout creates the fan-out directory of shard name, so that a commit
// fsyncs only that directory (the first shard in a fan-out directory also
// fsyncs shards/), and returns it.
func mkFanout(t *testing.T, o *OSD, name string) string {
	t.Helper()
	dir := filepath.Dir(o.ShardPath(name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
