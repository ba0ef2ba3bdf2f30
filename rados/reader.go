//go:build ceph

package rados

import (
	"fmt"
	"io"
)

// shardReader maps ReadAt offsets onto the shard's piece objects. It holds no
// librados state, so Close has nothing to release.
type shardReader struct {
	osd   *OSD
	name  string
	size  int64
	piece int64 // piece size recorded at commit
}

// Size is the committed length of the shard.
func (r *shardReader) Size() int64 { return r.size }

// Close does nothing.
func (r *shardReader) Close() error { return nil }

// ReadAt reads len(p) bytes at off, one RADOS read per piece touched. It
// returns io.EOF when the range passes the end of the shard, and
// io.ErrUnexpectedEOF when a piece is shorter than the commit record says.
func (r *shardReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("rados: OSD %s: read %s at %d: negative offset", r.osd.id, r.name, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := p
	if rest := r.size - off; int64(len(p)) > rest {
		want = p[:rest]
	}
	n := 0
	for n < len(want) {
		at := off + int64(n)
		i := int(at / r.piece)
		in := at % r.piece
		chunk := want[n:min(len(want), n+int(r.piece-in))]
		oid := pieceOID(r.osd.id, r.name, i)
		got, err := r.osd.io.Read(oid, chunk, uint64(in))
		n += max(got, 0)
		if err != nil {
			return n, fmt.Errorf("rados: OSD %s: read %s: %w", r.osd.id, oid, classify(err))
		}
		if got < len(chunk) {
			return n, fmt.Errorf("rados: OSD %s: read %s: piece ends at %d: %w", r.osd.id, oid, in+int64(got), io.ErrUnexpectedEOF)
		}
	}
	if len(want) < len(p) {
		return n, io.EOF
	}
	return n, nil
}
