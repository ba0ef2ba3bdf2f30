//go:build ceph

package rados

import (
	"context"
	"errors"
	"fmt"

	"github.com/ceph/go-ceph/rados"

	"github.com/tasmaniancloud/rustfs/storage"
)

// OSD is one shard slot: a name prefix inside a rack-pinned data pool.
type OSD struct {
	b    *Backend
	io   *rados.IOContext
	id   string
	rack string
	pool string
}

var _ storage.OSD = (*OSD)(nil)

// ID is the slot name, "<rack>-<letter>".
func (o *OSD) ID() string { return o.id }

// Rack is the rack the slot's pool is pinned to.
func (o *OSD) Rack() string { return o.rack }

// Pool is the RADOS pool holding the slot's objects.
func (o *OSD) Pool() string { return o.pool }

// check validates name and ctx before an operation.
func (o *OSD) check(ctx context.Context, name string) error {
	if !validName(name) {
		return fmt.Errorf("rados: OSD %s: shard name %q: %w", o.id, name, storage.ErrInvalid)
	}
	return ctx.Err()
}

// Create starts shard name. Nothing is written until the first WriteSize
// bytes are buffered; nothing is visible until Commit writes the record.
func (o *OSD) Create(ctx context.Context, name string) (storage.ShardWriter, error) {
	if err := o.check(ctx, name); err != nil {
		return nil, err
	}
	return &shardWriter{osd: o, ctx: ctx, name: name, buf: o.b.getBuf(),
		pending: make([]aioWrite, 0, o.b.opts.AsyncWrites)}, nil
}

// Open reads the commit record of shard name; a shard never committed,
// removed or aborted wraps storage.ErrNotFound.
func (o *OSD) Open(ctx context.Context, name string) (storage.ShardReader, error) {
	if err := o.check(ctx, name); err != nil {
		return nil, err
	}
	size, piece, err := o.readCommit(name)
	if err != nil {
		return nil, err
	}
	return &shardReader{osd: o, name: name, size: size, piece: piece}, nil
}

// readCommit reads and parses the commit record of shard name, the
// commitXattr of its first piece.
func (o *OSD) readCommit(name string) (size, piece int64, err error) {
	var rec [commitLen + 1]byte // one spare byte detects an oversized record
	oid := pieceOID(o.id, name, 0)
	n, err := o.io.GetXattr(oid, commitXattr, rec[:])
	switch {
	case err == nil:
	case isErrno(err, enodata):
		// Piece 0 exists but was never committed.
		return 0, 0, fmt.Errorf("rados: OSD %s: shard %s: uncommitted: %w", o.id, name, storage.ErrNotFound)
	case isErrno(err, erange):
		return 0, 0, fmt.Errorf("rados: OSD %s: shard %s: oversized commit record: %w", o.id, name, errCorrupt)
	default:
		return 0, 0, fmt.Errorf("rados: OSD %s: shard %s: %w", o.id, name, classify(err))
	}
	size, piece, err = decodeCommit(rec[:n])
	if err != nil {
		return 0, 0, fmt.Errorf("rados: OSD %s: shard %s: %w", o.id, name, err)
	}
	return size, piece, nil
}

// Remove deletes the shard's pieces, the first one (holding the commit
// record) first, so the shard stops being visible at once. Without a
// readable record it removes the leftover pieces of an interrupted write up
// to the first missing one. A missing shard is not an error.
func (o *OSD) Remove(ctx context.Context, name string) error {
	if err := o.check(ctx, name); err != nil {
		return err
	}
	pieces := -1 // unknown: remove until the first missing piece
	if size, piece, err := o.readCommit(name); err == nil {
		pieces = max(1, int((size+piece-1)/piece)) // an empty shard still has piece 0
	} else if !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, errCorrupt) {
		return err
	}
	if err := o.removePieces(name, pieces); err != nil {
		return fmt.Errorf("rados: OSD %s: remove %s: %w", o.id, name, err)
	}
	return nil
}

// removePieces deletes pieces 0..n-1, or, when n < 0, pieces until the
// first one that does not exist. Missing pieces are not errors.
func (o *OSD) removePieces(name string, n int) error {
	for i := 0; n < 0 || i < n; i++ {
		err := o.io.Delete(pieceOID(o.id, name, i))
		if err != nil && isErrno(err, enoent) {
			if n < 0 {
				return nil
			}
			continue
		}
		if err != nil {
			return classify(err)
		}
	}
	return nil
}
