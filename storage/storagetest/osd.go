package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

func runOSD(t *testing.T, open func(*testing.T) *fixture) {
	t.Run("Identity", func(t *testing.T) {
		f := open(t)
		osds := f.b.OSDs()
		if len(osds) == 0 {
			t.Fatal("backend has no OSDs")
		}
		seen := map[string]bool{}
		for i, o := range osds {
			if o.ID() == "" || o.Rack() == "" {
				t.Errorf("OSD %d: empty ID %q or rack %q", i, o.ID(), o.Rack())
			}
			if seen[o.ID()] {
				t.Errorf("OSD ID %q appears twice", o.ID())
			}
			seen[o.ID()] = true
		}
		again := f.b.OSDs()
		for i := range osds {
			if again[i].ID() != osds[i].ID() {
				t.Fatalf("OSD order changed between calls: %s vs %s", again[i].ID(), osds[i].ID())
			}
		}
	})

	t.Run("CommitMakesVisible", func(t *testing.T) {
		f := open(t)
		for i, o := range f.b.OSDs() {
			name := shardName(i)
			data := pattern(i, 300<<10+7)
			w, err := o.Create(t.Context(), name)
			if err != nil {
				t.Fatalf("%s: Create: %v", o.ID(), err)
			}
			wantNotFound(t, o, name, "after Create")
			for off := 0; off < len(data); off += 64 << 10 {
				writeAll(t, w, data[off:min(off+64<<10, len(data))])
			}
			wantNotFound(t, o, name, "before Commit")
			if err := w.Commit(); err != nil {
				t.Fatalf("%s: Commit: %v", o.ID(), err)
			}
			checkShard(t, o, name, data)
		}
	})

	t.Run("ReadAt", func(t *testing.T) {
		f := open(t)
		o := f.b.OSDs()[0]
		name := shardName(0)
		data := pattern(9, 100_000)
		commitShard(t, o, name, data)
		r, err := o.Open(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		// eof: 0 = must be nil, 1 = must be io.EOF, 2 = either (io.ReaderAt
		// allows both when a full read ends exactly at the end).
		cases := []struct {
			off, n, wantN, eof int
		}{
			{0, 10, 10, 0},
			{12345, 4096, 4096, 0},
			{len(data) - 10, 10, 10, 2},
			{len(data) - 10, 20, 10, 1},
			{len(data), 1, 0, 1},
			{len(data) + 100, 1, 0, 1},
		}
		for _, c := range cases {
			buf := make([]byte, c.n)
			n, err := r.ReadAt(buf, int64(c.off))
			if n != c.wantN {
				t.Errorf("ReadAt(%d, off %d) = %d bytes, want %d (err %v)", c.n, c.off, n, c.wantN, err)
			}
			switch {
			case c.eof == 1 && !errors.Is(err, io.EOF):
				t.Errorf("ReadAt(%d, off %d) err = %v, want io.EOF", c.n, c.off, err)
			case c.eof == 0 && err != nil, c.eof == 2 && err != nil && !errors.Is(err, io.EOF):
				t.Errorf("ReadAt(%d, off %d) err = %v", c.n, c.off, err)
			}
			if n > 0 && !bytes.Equal(buf[:n], data[c.off:c.off+n]) {
				t.Errorf("ReadAt(%d, off %d): wrong bytes", c.n, c.off)
			}
		}
		// io.ReaderAt allows parallel calls on one reader.
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Go(func() {
				buf := make([]byte, 1000)
				for off := g * 100; off+len(buf) <= len(data); off += 7919 {
					_, err := r.ReadAt(buf, int64(off))
					if err != nil && !(errors.Is(err, io.EOF) && off+len(buf) == len(data)) {
						errs <- err
						return
					}
					if !bytes.Equal(buf, data[off:off+len(buf)]) {
						errs <- fmt.Errorf("parallel ReadAt at %d: wrong bytes", off)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("EmptyShard", func(t *testing.T) {
		f := open(t)
		o := f.b.OSDs()[0]
		name := shardName(0)
		commitShard(t, o, name, nil)
		checkShard(t, o, name, nil)
	})

	t.Run("Abort", func(t *testing.T) {
		f := open(t)
		o := f.b.OSDs()[0]
		name := shardName(0)
		w, err := o.Create(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, w, pattern(1, 5000))
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		wantNotFound(t, o, name, "after Abort")
		if err := w.Abort(); err != nil {
			t.Errorf("second Abort: %v", err)
		}
		if err := w.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}
		if _, err := w.Write([]byte("x")); err == nil {
			t.Error("Write after Abort succeeded")
		}
		wantNotFound(t, o, name, "after Commit-after-Abort")
		// The name is free for a new writer.
		data := pattern(2, 777)
		commitShard(t, o, name, data)
		checkShard(t, o, name, data)
	})

	t.Run("AbortAfterCommit", func(t *testing.T) {
		f := open(t)
		o := f.b.OSDs()[0]
		name := shardName(0)
		data := pattern(3, 4096)
		w, err := o.Create(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		writeAll(t, w, data)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort after Commit: %v", err)
		}
		if _, err := w.Write([]byte("x")); err == nil {
			t.Error("Write after Commit succeeded")
		}
		checkShard(t, o, name, data)
	})

	t.Run("Remove", func(t *testing.T) {
		f := open(t)
		o := f.b.OSDs()[len(f.b.OSDs())-1]
		name := shardName(5)
		commitShard(t, o, name, pattern(4, 1234))
		if err := o.Remove(t.Context(), name); err != nil {
			t.Fatalf("Remove: %v", err)
		}
		wantNotFound(t, o, name, "after Remove")
		if err := o.Remove(t.Context(), name); err != nil {
			t.Errorf("second Remove: %v", err)
		}
		if err := o.Remove(t.Context(), shardName(5)); err != nil {
			t.Errorf("Remove of a never-written shard: %v", err)
		}
	})

	t.Run("OSDsAreSeparate", func(t *testing.T) {
		f := open(t)
		osds := f.b.OSDs()
		if len(osds) < 2 {
			t.Skip("one OSD")
		}
		name := shardName(0)
		commitShard(t, osds[0], name, pattern(10, 100))
		commitShard(t, osds[1], name, pattern(11, 200))
		checkShard(t, osds[0], name, pattern(10, 100))
		checkShard(t, osds[1], name, pattern(11, 200))
		for _, o := range osds[2:] {
			wantNotFound(t, o, name, "on an OSD never written")
		}
		if err := osds[0].Remove(t.Context(), name); err != nil {
			t.Fatal(err)
		}
		checkShard(t, osds[1], name, pattern(11, 200))
	})

	t.Run("ConcurrentWriters", func(t *testing.T) {
		f := open(t)
		osds := f.b.OSDs()
		const writers = 24
		names := make([]string, writers)
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for g := range writers {
			names[g] = shardName(g)
			wg.Go(func() {
				o := osds[g%len(osds)]
				data := pattern(100+g, 20_000+g*1000)
				w, err := o.Create(t.Context(), names[g])
				if err != nil {
					errs <- err
					return
				}
				for off := 0; off < len(data); off += 3000 {
					if _, err := w.Write(data[off:min(off+3000, len(data))]); err != nil {
						errs <- err
						w.Abort()
						return
					}
				}
				// Every third writer aborts: aborts must not disturb neighbours.
				if g%3 == 2 {
					errs <- w.Abort()
					return
				}
				errs <- w.Commit()
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for g := range writers {
			o := osds[g%len(osds)]
			if g%3 == 2 {
				wantNotFound(t, o, names[g], "aborted by a concurrent writer")
				continue
			}
			checkShard(t, o, names[g], pattern(100+g, 20_000+g*1000))
		}
	})
}

func writeAll(t *testing.T, w io.Writer, p []byte) {
	t.Helper()
	n, err := w.Write(p)
	if err != nil || n != len(p) {
		t.Fatalf("Write(%d bytes) = %d, %v", len(p), n, err)
	}
}

func commitShard(t *testing.T, o storage.OSD, name string, data []byte) {
	t.Helper()
	w, err := o.Create(t.Context(), name)
	if err != nil {
		t.Fatalf("%s: Create %s: %v", o.ID(), name, err)
	}
	if len(data) > 0 {
		writeAll(t, w, data)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("%s: Commit %s: %v", o.ID(), name, err)
	}
}

func wantNotFound(t *testing.T, o storage.OSD, name, when string) {
	t.Helper()
	r, err := o.Open(t.Context(), name)
	if err == nil {
		r.Close()
		t.Fatalf("%s: shard %s readable %s", o.ID(), name, when)
	}
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("%s: Open %s %s: %v, want ErrNotFound", o.ID(), name, when, err)
	}
}

func checkShard(t *testing.T, o storage.OSD, name string, want []byte) {
	t.Helper()
	r, err := o.Open(t.Context(), name)
	if err != nil {
		t.Fatalf("%s: Open %s: %v", o.ID(), name, err)
	}
	defer r.Close()
	if r.Size() != int64(len(want)) {
		t.Fatalf("%s: shard %s Size = %d, want %d", o.ID(), name, r.Size(), len(want))
	}
	got := make([]byte, len(want)+1)
	n, err := r.ReadAt(got, 0)
	if n != len(want) || !errors.Is(err, io.EOF) {
		t.Fatalf("%s: ReadAt whole shard %s = %d, %v; want %d, io.EOF", o.ID(), name, n, err, len(want))
	}
	if !bytes.Equal(got[:n], want) {
		t.Fatalf("%s: shard %s content differs", o.ID(), name)
	}
}
