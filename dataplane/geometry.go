package dataplane

import (
	"encoding/hex"
	"strconv"

	"github.com/tasmaniancloud/rustfs/aead"
	"github.com/tasmaniancloud/rustfs/erasure"
)

// geometry is the shard layout of one stream (docs/FORMAT.md): chunk i holds
// plaintext bytes [i·chunk, min((i+1)·chunk, size)), is sealed to L = n+16
// bytes, split into k pieces of ceil(L/k) bytes (zero-padded) plus m parity
// pieces, and its frames sit at offset i·(pFull+4) in every shard.
type geometry struct {
	size  int64
	chunk int
	k, m  int
	count uint64 // number of chunks, ≥ 1
	pFull int    // piece size of a full chunk
}

func newGeometry(size int64, chunk, k, m int) geometry {
	count := uint64(1)
	if size > 0 {
		count = uint64((size + int64(chunk) - 1) / int64(chunk))
	}
	return geometry{size: size, chunk: chunk, k: k, m: m, count: count,
		pFull: pieceSize(chunk+aead.Overhead, k)}
}

// pieceSize is ceil(ctLen/k).
func pieceSize(ctLen, k int) int { return (ctLen + k - 1) / k }

// chunkLen is the plaintext length of chunk i.
func (g geometry) chunkLen(i uint64) int {
	if i+1 < g.count {
		return g.chunk
	}
	return int(g.size - int64(g.count-1)*int64(g.chunk))
}

// piece is the piece size of chunk i.
func (g geometry) piece(i uint64) int { return pieceSize(g.chunkLen(i)+aead.Overhead, g.k) }

// frameOffset is where chunk i's frame starts in every shard.
func (g geometry) frameOffset(i uint64) int64 {
	return int64(i) * int64(g.pFull+erasure.FrameOverhead)
}

// shardSize is the length of every shard of the stream.
func (g geometry) shardSize() int64 {
	return g.frameOffset(g.count-1) + int64(g.piece(g.count-1)+erasure.FrameOverhead)
}

// stripeBytes is the buffer a stripe needs: k+m full pieces plus the 4-byte
// slack that lets GET read a whole frame after the last piece.
func (g geometry) stripeBytes() int {
	return (g.k+g.m)*g.pFull + erasure.FrameOverhead
}

// ShardName is the object name of shard j of the stream dataID on its OSD:
// hex(dataID) "." j.
func ShardName(dataID [16]byte, j int) string {
	var b [32 + 1 + 3]byte
	hex.Encode(b[:32], dataID[:])
	b[32] = '.'
	return string(strconv.AppendInt(b[:33], int64(j), 10))
}
