package erasure

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// FrameOverhead is the number of bytes a frame adds to its piece: the
// little-endian identity tag trailer.
const FrameOverhead = 4

// ErrCorrupt reports a frame whose tag does not match its piece and identity
// (damaged, or copied from another stream, shard index or stripe), or one
// too short to hold a tag.
var ErrCorrupt = errors.New("erasure: corrupt frame")

// castagnoli is the CRC32C table (hardware CRC32 instruction when present).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// PieceCRC returns the CRC32C of piece.
func PieceCRC(piece []byte) uint32 { return crc32.Checksum(piece, castagnoli) }

// PutTag writes tag into the 4-byte frame trailer t (little-endian).
func PutTag(t []byte, tag uint32) { binary.LittleEndian.PutUint32(t, tag) }

// Identity binds frames to their data stream (docs/FORMAT.md §5): the tag of
// stripe i of shard j is CRC32C(piece) XOR Mask(j, i). It is a plain value
// computed once per stream, so tagging a frame costs a few multiplications
// and never allocates.
type Identity struct{ a, b uint64 }

// NewIdentity returns the frame identity of the stream dataID.
func NewIdentity(dataID [16]byte) Identity {
	return Identity{
		a: mix64(binary.LittleEndian.Uint64(dataID[:8]) ^ 0x243f6a8885a308d3),
		b: binary.LittleEndian.Uint64(dataID[8:]),
	}
}

// Mask is the 32-bit mask of stripe i of shard j: a 64→32-bit mix of
// (dataID, j, i) in which every input bit changes about half the output.
func (id Identity) Mask(j int, i uint64) uint32 {
	x := mix64(id.a ^ uint64(j)*0x9e3779b97f4a7c15)
	x = mix64(x ^ id.b)
	x = mix64(x ^ i)
	return uint32(x) ^ uint32(x>>32)
}

// Tag is the trailer of stripe i of shard j holding piece.
func (id Identity) Tag(piece []byte, j int, i uint64) uint32 {
	return PieceCRC(piece) ^ id.Mask(j, i)
}

// AppendFrame appends piece ‖ Tag(piece, j, i) (little-endian) to dst.
func (id Identity) AppendFrame(dst, piece []byte, j int, i uint64) []byte {
	dst = append(dst, piece...)
	return binary.LittleEndian.AppendUint32(dst, id.Tag(piece, j, i))
}

// CheckFrame verifies frame as stripe i of shard j and returns its piece (a
// sub-slice of frame). A tag mismatch or a frame shorter than FrameOverhead
// returns ErrCorrupt.
func (id Identity) CheckFrame(frame []byte, j int, i uint64) ([]byte, error) {
	if len(frame) < FrameOverhead {
		return nil, fmt.Errorf("erasure: frame of %d bytes: %w", len(frame), ErrCorrupt)
	}
	n := len(frame) - FrameOverhead
	if err := id.CheckPiece(frame[:n], binary.LittleEndian.Uint32(frame[n:]), j, i); err != nil {
		return nil, err
	}
	return frame[:n], nil
}

// CheckPiece verifies piece against a tag stored separately (the engine
// reads a frame's trailer apart from its piece so pieces land contiguously).
func (id Identity) CheckPiece(piece []byte, stored uint32, j int, i uint64) error {
	if got := id.Tag(piece, j, i); got != stored {
		return fmt.Errorf("erasure: shard %d stripe %d: tag %08x, stored %08x: %w", j, i, got, stored, ErrCorrupt)
	}
	return nil
}

// mix64 is the splitmix64 finaliser: a bijection with full avalanche.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
