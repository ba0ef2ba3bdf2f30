//go:build ceph

package rados

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ceph/go-ceph/rados"
)

// errWriterDone reports use of a writer after Commit or Abort.
var errWriterDone = errors.New("rados: shard writer already committed or aborted")

// shardWriter buffers WriteSize bytes and sends each full buffer as one
// RADOS write into the current piece object. By default the write runs
// synchronously on a goroutine of its own while Write goes on filling a
// second buffer (write-behind, one write in flight per shard): the OSD
// writes one buffer while the pipeline seals, encodes and copies the next,
// instead of the whole pipeline stalling for each buffer's round trip. With
// Options.AsyncWrites the writes go through librados' asynchronous API with
// up to that many outstanding. WriteSize divides PieceSize, so a flush
// never straddles two pieces. Writes to a shard are issued one after the
// other in offset order (each waits for the one before), so a piece's
// write_full is never overtaken. Commit waits for every write before it
// sets the commit record, so a visible shard is on its OSD. A mutex lets
// Abort run from a cancelling goroutine while Write is busy.
type shardWriter struct {
	osd  *OSD
	ctx  context.Context
	name string

	mu     sync.Mutex
	buf    *[]byte // pooled; nil once committed or aborted
	off    int64   // bytes already sent to RADOS
	pieces int     // piece objects created so far
	err    error   // first write error; the shard can only be aborted
	// pending are the asynchronous writes in flight, oldest first (cap
	// AsyncWrites; 0 = synchronous writes).
	pending []aioWrite
	// behind is the synchronous write of a full buffer running on its own
	// goroutine (write-behind, AsyncWrites == 0): its result arrives on
	// behind, and behindBuf goes back to the pool once it has.
	behind    chan error
	behindBuf *[]byte
	running   bool // a write-behind is in flight
}

// Write appends p. A full buffer is sent only when more data follows, so a
// shard that ends on a buffer boundary still commits its last buffer
// together with the commit record. Large writes with an empty buffer go to
// RADOS straight from p, so the bytes are copied once (into librados)
// instead of twice; librados copies at submission, so no buffer is pinned
// by a write in flight.
func (w *shardWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf == nil {
		return 0, errWriterDone
	}
	if w.err != nil {
		return 0, w.err
	}
	size := w.osd.b.opts.WriteSize
	n := 0
	for n < len(p) {
		buf := *w.buf
		switch {
		case len(buf) == size && cap(w.pending) == 0:
			if err := w.flushBehind(); err != nil {
				return n, err
			}
		case len(buf) == size:
			if err := w.flush(buf); err != nil {
				return n, err
			}
			*w.buf = buf[:0]
		case len(buf) == 0 && len(p)-n > size:
			if err := w.flush(p[n : n+size]); err != nil {
				return n, err
			}
			n += size
		default:
			c := copy(buf[len(buf):size], p[n:])
			*w.buf = buf[:len(buf)+c]
			n += c
		}
	}
	return n, nil
}

// flush starts a write of data at offset w.off: WriteFull at the start of a
// piece (it also truncates a leftover object of the same name), Write inside
// it. Asynchronous with AsyncWrites writes outstanding, it first waits for
// the oldest.
func (w *shardWriter) flush(data []byte) error {
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return err
	}
	if err := w.waitBehind(); err != nil {
		return err
	}
	if cap(w.pending) > 0 && len(w.pending) == cap(w.pending) {
		if err := w.waitOldest(); err != nil {
			return err
		}
	}
	oid, at, n := w.nextPiece()
	var err error
	switch {
	case cap(w.pending) > 0:
		var a aioWrite
		if a, err = submitWrite(w.osd.io, oid, data, at, at == 0, n); err == nil {
			w.pending = append(w.pending, a)
		}
	default:
		err = w.osd.write(oid, data, at)
	}
	if err != nil {
		w.err = fmt.Errorf("rados: OSD %s: write %s: %w", w.osd.id, oid, classify(err))
		return w.err
	}
	w.off += int64(len(data))
	return nil
}

// nextPiece is where the bytes at w.off go: the piece object, the offset
// inside it and the piece's number; it counts the piece as written.
func (w *shardWriter) nextPiece() (oid string, at uint64, n int) {
	piece := w.osd.b.opts.PieceSize
	n = int(w.off / piece)
	w.pieces = max(w.pieces, n+1)
	return pieceOID(w.osd.id, w.name, n), uint64(w.off % piece), n
}

// write sends data to oid at offset at in one synchronous RADOS op:
// write_full at the start of a piece (it also truncates a leftover object
// of the same name), write inside it.
func (o *OSD) write(oid string, data []byte, at uint64) error {
	if at == 0 {
		return o.io.WriteFull(oid, data)
	}
	return o.io.Write(oid, data, at)
}

// flushBehind sends the full buffer with a synchronous write on a
// goroutine of its own and gives Write an empty buffer, after waiting for
// the write-behind before it: one write in flight per shard, in offset
// order. The librados call blocks that goroutine's thread only; an error
// surfaces in the next Write, Commit or Abort.
func (w *shardWriter) flushBehind() error {
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return err
	}
	if err := w.waitBehind(); err != nil {
		return err
	}
	oid, at, _ := w.nextPiece()
	if w.behind == nil {
		w.behind = make(chan error, 1)
	}
	full, data, o, done := w.buf, *w.buf, w.osd, w.behind
	w.buf, w.behindBuf, w.running = w.osd.b.getBuf(), full, true
	w.off += int64(len(data))
	go func() {
		err := o.write(oid, data, at)
		if err != nil {
			err = fmt.Errorf("rados: OSD %s: write %s: %w", o.id, oid, classify(err))
		}
		done <- err
	}()
	return nil
}

// waitBehind waits for the write-behind in flight, if any, returns its
// buffer to the pool and returns the writer's first error.
func (w *shardWriter) waitBehind() error {
	if w.running {
		err := <-w.behind
		w.running = false
		w.osd.b.putBuf(w.behindBuf)
		w.behindBuf = nil
		if err != nil && w.err == nil {
			w.err = err
		}
	}
	return w.err
}

// waitOldest waits for the oldest write in flight; a failure becomes the
// writer's error.
func (w *shardWriter) waitOldest() error {
	a := w.pending[0]
	copy(w.pending, w.pending[1:])
	w.pending = w.pending[:len(w.pending)-1]
	if err := a.wait(); err != nil && w.err == nil {
		w.err = fmt.Errorf("rados: OSD %s: write %s: %w", w.osd.id, pieceOID(w.osd.id, w.name, a.piece), classify(err))
	}
	return w.err
}

// drain waits for every write in flight and returns the writer's first
// error. Each completion is waited for even after a failure, so none leaks
// and none can land after the pieces are removed.
func (w *shardWriter) drain() error {
	w.waitBehind()
	for len(w.pending) > 0 {
		w.waitOldest()
	}
	return w.err
}

// Commit sends the buffered tail and sets the commit record on piece 0,
// which makes the shard visible. A shard that fits in piece 0 (every shard
// of a small object) commits in one atomic RADOS op: tail write plus xattr.
// On failure everything written is removed and the writer is finished.
func (w *shardWriter) Commit() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf == nil {
		return errWriterDone
	}
	err := w.err
	if err == nil {
		err = w.commit()
	}
	if derr := w.drain(); err == nil {
		err = derr
	}
	w.release()
	if err != nil {
		// Clean up in the background: when the OSD is unreachable every
		// delete takes a full op timeout, and the caller should learn of the
		// failure now. A timed-out commit may still land; piece 0 goes first,
		// so it cannot leave a visible torn shard. Close waits for these.
		o, name, pieces := w.osd, w.name, max(w.pieces, 1)
		o.b.cleanups.Go(func() { _ = o.removePieces(name, pieces) })
	}
	return err
}

// commit writes the tail and the commit record.
func (w *shardWriter) commit() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	tail := *w.buf
	piece := w.osd.b.opts.PieceSize
	rec := encodeCommit(w.off+int64(len(tail)), piece)
	first := pieceOID(w.osd.id, w.name, 0)
	op := rados.CreateWriteOp()
	defer op.Release()
	switch {
	case w.off+int64(len(tail)) <= piece && len(tail) > 0:
		// Everything lives in piece 0: data and record in one op.
		if w.off == 0 {
			op.WriteFull(tail)
		} else {
			op.Write(tail, uint64(w.off))
		}
		w.pieces = 1
	case len(tail) > 0:
		if err := w.flush(tail); err != nil {
			return err
		}
	case w.pieces == 0:
		// An empty shard is an empty piece 0 carrying the record.
		op.Create(rados.CreateIdempotent)
		w.pieces = 1
	}
	op.SetXattr(commitXattr, rec)
	// The record may only become visible once every data write is on its
	// OSD.
	if err := w.drain(); err != nil {
		return err
	}
	if err := op.Operate(w.osd.io, first, rados.OperationNoFlag); err != nil {
		return fmt.Errorf("rados: OSD %s: commit %s: %w", w.osd.id, w.name, classify(err))
	}
	return nil
}

// Abort removes the pieces written so far. After Commit, or a second time,
// it does nothing.
func (w *shardWriter) Abort() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf == nil {
		return nil
	}
	w.drain() // a write still in flight could recreate a removed piece
	w.release()
	if err := w.osd.removePieces(w.name, w.pieces); err != nil {
		return fmt.Errorf("rados: OSD %s: abort %s: %w", w.osd.id, w.name, err)
	}
	return nil
}

// release returns the buffer to the pool and finishes the writer.
func (w *shardWriter) release() {
	w.osd.b.putBuf(w.buf)
	w.buf = nil
}
