package local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"unsafe"
)

// tunedWriter is the shard writer of the tuned write path (Options
// ShardWrites "direct" and/or Commit "group"). With O_DIRECT it gathers
// writes in an aligned 1 MiB block and writes whole blocks; the unaligned
// tail is written padded to the alignment and the file is then truncated
// to its real length. With group commit it renames first and then waits
// for a filesystem sync that started after the rename: the shard can be
// opened under its name while Commit waits (a window no reader uses, since
// shards are found through manifests written after Commit returns, and
// the same window every committed shard has until its manifest lands); if
// the sync fails, Commit removes the name again and reports the error.
// Without group commit, a shard created under storage.WithFreshShard (every
// PUT's and part's) is committed the same way with per-file fsyncs:
// rename, then the file's and the directory's fsync at once (commitFresh).
type tunedWriter struct {
	osd    *OSD
	name   string
	tmp    string
	fresh  bool // storage.FreshShard: commit with commitFresh
	mu     sync.Mutex
	f      *os.File // nil once committed or aborted
	direct bool     // writing with O_DIRECT now
	// wantDirect: switch to O_DIRECT at directStart bytes.
	wantDirect bool
	buf        *[]byte // aligned block being filled while direct
	spare      *[]byte // a block back from the flusher, to fill next
	off        int64   // file offset of the next direct block
	jobs       chan flushJob
	results    chan flushDone
	inflight   int   // blocks with the flusher
	extra      int   // of them, taken from the backend's write-behind budget
	asyncErr   error // a flusher write failed
	n          int   // bytes gathered in buf
	size       int64 // bytes accepted so far
	wrote      bool  // a block reached the file (no late fallback)
}

// Write appends p to the shard.
func (w *tunedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, errWriterDone
	}
	done := 0
	if !w.direct {
		q := p
		switchAt := -1
		if w.wantDirect && w.size+int64(len(p)) >= directStart {
			switchAt = int(directStart - w.size)
			q = p[:switchAt]
		}
		n, err := w.f.Write(q)
		w.size += int64(n)
		if err != nil {
			return n, fmt.Errorf("local: OSD %s: write %s: %w", w.osd.id, w.name, w.osd.check(err))
		}
		if switchAt < 0 {
			return n, nil
		}
		w.wantDirect = false
		if w.osd.io.enableDirect(w.f) != nil { // no direct I/O here: stay buffered
			m, err := w.f.Write(p[n:])
			w.size += int64(m)
			if err != nil {
				return n + m, fmt.Errorf("local: OSD %s: write %s: %w", w.osd.id, w.name, w.osd.check(err))
			}
			return len(p), nil
		}
		w.direct = true
		w.buf = w.osd.io.getBuf()
		w.off = w.size
		done = n
	}
	start := done
	for done < len(p) {
		if w.buf == nil {
			if w.buf, w.spare = w.spare, nil; w.buf == nil {
				w.buf = w.osd.io.getBuf()
			}
		}
		c := copy((*w.buf)[w.n:], p[done:])
		w.n += c
		done += c
		if w.n == len(*w.buf) {
			if err := w.flush(w.n, true); err != nil {
				return done - c, fmt.Errorf("local: OSD %s: write %s: %w", w.osd.id, w.name, w.osd.check(err))
			}
			if !w.direct { // fell back: the rest goes straight to the file
				if _, err := w.f.Write(p[done:]); err != nil {
					return done, fmt.Errorf("local: OSD %s: write %s: %w", w.osd.id, w.name, w.osd.check(err))
				}
				break
			}
		}
	}
	w.size += int64(len(p) - start)
	return len(p), nil
}

// flush writes the first k bytes of the block (k aligned, at w.off) and
// keeps the rest of the gathered bytes at the front. Once a direct write
// has succeeded on this OSD (on any of its files: the filesystem, not the
// file, decides), full blocks are handed to a flusher goroutine and the
// writer goes on filling another block, so device writes overlap the
// stream: up to writeBehind blocks per shard are queued or being written
// (write-behind), so a slow or late write of one shard does not stall the
// writer, and the pipeline behind it, at once. The flusher writes every
// block queued when it gets to run in one vectored write. If the
// filesystem refuses the first aligned write, the file falls back to
// buffered writes.
func (w *tunedWriter) flush(k int, async bool) error {
	if !w.wrote && w.osd.io.directProven(w.osd) {
		w.wrote = true // no fallback to learn: hand this block on too
	}
	if async && w.wrote && k == w.n {
		depth := w.osd.io.depth()
		if w.jobs == nil {
			w.jobs = make(chan flushJob, depth)
			w.results = make(chan flushDone, depth)
			go flusher(w.osd, w.f, w.jobs, w.results, depth)
		}
		// A block beyond the first in flight takes one from the backend's
		// budget; without one (or at depth) wait for the disk instead.
		w.reap(false)
		for w.inflight > 0 {
			if w.inflight < depth && w.osd.io.reserveExtra() {
				w.extra++
				break
			}
			w.reap(true)
		}
		if w.asyncErr != nil {
			return w.asyncErr
		}
		w.jobs <- flushJob{b: w.buf, n: k, off: w.off}
		w.inflight++
		w.off += int64(k)
		w.n = 0
		w.buf = nil // Write takes the next block when it has bytes for one
		return nil
	}
	if err := w.wait(); err != nil {
		return err
	}
	if err := w.osd.inject("write"); err != nil {
		return err
	}
	b := *w.buf
	_, err := w.f.WriteAt(b[:k], w.off)
	if err != nil && directRefused(err) && !w.wrote {
		if cerr := clearDirect(w.f); cerr != nil {
			return errors.Join(err, cerr)
		}
		w.direct = false
		// Everything gathered goes out now, in order, at the file position
		// (no direct write moved it); later writes go straight to the file.
		if _, err = w.f.Write(b[:w.n]); err == nil {
			w.wrote, w.n = true, 0
		}
		return err
	}
	if err != nil {
		return err
	}
	w.wrote = true
	w.osd.io.proveDirect(w.osd)
	w.off += int64(k)
	w.n = copy(b, b[k:w.n])
	return nil
}

// flushJob is one block for the flusher goroutine: b[:n] at off.
type flushJob struct {
	b   *[]byte
	n   int
	off int64
}

// flushDone gives a written block back, with the write's outcome.
type flushDone struct {
	b   *[]byte
	err error
}

// flusher writes blocks in order until jobs is closed. Whatever is queued
// when it takes a job goes out with it in one vectored write (the blocks
// follow each other in the file), so a flusher that waited for a CPU
// catches up in one system call instead of one per block.
func flusher(o *OSD, f *os.File, jobs <-chan flushJob, results chan<- flushDone, depth int) {
	batch := make([]flushJob, 0, depth)
	bufs := make([][]byte, 0, depth)
	for j := range jobs {
		batch = append(batch[:0], j)
	gather:
		for len(batch) < depth {
			select {
			case nj, ok := <-jobs:
				if !ok {
					break gather
				}
				batch = append(batch, nj)
			default:
				break gather
			}
		}
		err := o.inject("write")
		var wrote int64
		for i := 0; i < len(batch) && err == nil; {
			// One run of blocks that follow each other in the file.
			e := i + 1
			for e < len(batch) && batch[e].off == batch[e-1].off+int64(batch[e-1].n) {
				e++
			}
			bufs = bufs[:0]
			for _, b := range batch[i:e] {
				bufs = append(bufs, (*b.b)[:b.n])
			}
			err = writeBlocks(f, bufs, batch[i].off)
			for _, b := range batch[i:e] {
				wrote += int64(b.n)
			}
			i = e
		}
		if err == nil && o.early != nil {
			err = o.early.wrote(f, wrote)
		}
		for _, b := range batch {
			results <- flushDone{b: b.b, err: err}
		}
	}
}

// reap collects blocks the flusher has written (waiting for one if block
// and none is back yet): one is kept as the next block to fill, the others
// go back to the backend's free list, so a writer holds at most two
// blocks beyond those in flight. A failed write fails every later call.
func (w *tunedWriter) reap(block bool) {
	for w.inflight > 0 {
		var d flushDone
		if block {
			d = <-w.results
			block = false
		} else {
			select {
			case d = <-w.results:
			default:
				return
			}
		}
		w.inflight--
		if w.extra > max(w.inflight-1, 0) {
			w.extra--
			w.osd.io.releaseExtra(1)
		}
		if w.spare == nil {
			w.spare = d.b // the next block to fill
		} else {
			w.osd.io.putBuf(d.b) // blocks beyond that serve other writers
		}
		if d.err != nil && w.asyncErr == nil {
			w.asyncErr = d.err
		}
	}
}

// wait collects every block in flight; a failed block fails every later
// call.
func (w *tunedWriter) wait() error {
	for w.inflight > 0 {
		w.reap(true)
	}
	return w.asyncErr
}

// stop waits for the blocks in flight and ends the flusher goroutine.
func (w *tunedWriter) stop() error {
	err := w.wait()
	if w.jobs != nil {
		close(w.jobs)
		w.jobs = nil
	}
	return err
}

// finish writes the gathered tail. Its aligned part joins the blocks still
// queued behind the flusher (one vectored write, no extra round trip to the
// disk before the commit's fsync); the last partial page, if any, is then
// written through the page cache, O_DIRECT off, and goes to the disk with
// the commit's fsync. Padding it to the alignment and cutting the file back
// (ftruncate) would cost a synchronous read of that page, queued behind
// every write in flight on the device: ftruncate to a length inside a
// block zeroes the block's rest in the page cache, reading it first. Traced
// on the default path, those truncates took 0.2-5 ms per shard on an idle
// disk and 11.5 ms (mean) under 4 parallel multipart parts, on the commit's
// critical path.
func (w *tunedWriter) finish() error {
	n := w.n
	if !w.direct || n == 0 {
		return w.stop()
	}
	a := n &^ (directAlign - 1)
	var tail []byte // the last partial page, copied off the block
	if a < n {
		tail = make([]byte, n-a)
		copy(tail, (*w.buf)[a:n])
		w.n = a
	}
	if a > 0 {
		if err := w.flush(a, true); err != nil {
			w.stop()
			return err
		}
	}
	if err := w.stop(); err != nil {
		return err
	}
	if tail == nil {
		return nil
	}
	if w.direct { // not after a fallback: the file is buffered already
		if err := clearDirect(w.f); err != nil {
			return err
		}
		w.direct = false
	}
	if err := w.osd.inject("write"); err != nil {
		return err
	}
	_, err := w.f.WriteAt(tail, w.size-int64(len(tail)))
	return err
}

// release returns the aligned blocks to the free list; the flusher has
// stopped (finish or Abort).
func (w *tunedWriter) release() {
	for _, b := range []**[]byte{&w.buf, &w.spare} {
		if *b != nil {
			w.osd.io.putBuf(*b)
			*b = nil
		}
	}
}

// Commit makes the shard durable (per the fsync policy) and visible under
// its name. On failure nothing is left under the name and the writer is
// finished.
func (w *tunedWriter) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errWriterDone
	}
	f := w.f
	defer func() {
		w.f = nil // finished either way; finish still writes through w.f
		w.release()
	}()
	if err := w.commit(f); err != nil {
		f.Close()
		os.Remove(w.tmp)
		return fmt.Errorf("local: OSD %s: commit %s: %w", w.osd.id, w.name, w.osd.check(err))
	}
	return nil
}

func (w *tunedWriter) commit(f *os.File) error {
	o := w.osd
	if err := w.finish(); err != nil {
		return err
	}
	group := o.group
	if w.fresh && o.fsync && group == nil {
		return o.commitFresh(f, w.tmp, w.name)
	}
	switch {
	case o.fsync && group == nil:
		if err := f.Sync(); err != nil {
			return err
		}
	case o.fsync:
		if err := writeData(f); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	final := o.ShardPath(w.name)
	dir := filepath.Dir(final)
	err := renameFile(w.tmp, final)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if o.fsync && group == nil {
			if err := o.dirs.Sync(o.shardsDir()); err != nil {
				return err
			}
		}
		err = renameFile(w.tmp, final)
	}
	if err != nil {
		return err
	}
	if !o.fsync {
		return nil
	}
	if group != nil {
		err = o.groupSync() // covers the data, the inode and both directories
	} else {
		err = o.dirs.Sync(dir)
	}
	if err != nil {
		// Not acknowledged: take the name back so the shard is not
		// mistaken for a committed one.
		os.Remove(final)
	}
	return err
}

// Abort discards the shard; after Commit, or a second time, it does nothing.
func (w *tunedWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	f := w.f
	w.f = nil
	w.stop() // the shard is discarded: a failed block does not matter
	w.release()
	cerr := f.Close()
	if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local: OSD %s: abort %s: %w", w.osd.id, w.name, w.osd.check(err))
	}
	if cerr != nil {
		return fmt.Errorf("local: OSD %s: abort %s: %w", w.osd.id, w.name, cerr)
	}
	return nil
}

// randSuffix names a temporary file uniquely.
func randSuffix() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// addrOf is the address of b's first byte, for alignment.
func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
