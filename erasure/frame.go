package erasure

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// FrameOverhead is the number of bytes a frame adds to its piece: the
// little-endian CRC32C trailer.
const FrameOverhead = 4

// ErrCorrupt reports a frame whose CRC32C does not match its piece, or one
// too short to hold a CRC.
var ErrCorrupt = errors.New("erasure: corrupt frame")

// castagnoli is the CRC32C table (hardware CRC32 instruction when present).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// PieceCRC returns the CRC32C a frame stores for piece.
func PieceCRC(piece []byte) uint32 { return crc32.Checksum(piece, castagnoli) }

// PutCRC writes crc into the 4-byte frame trailer t (little-endian).
func PutCRC(t []byte, crc uint32) { binary.LittleEndian.PutUint32(t, crc) }

// AppendFrame appends piece ‖ CRC32C(piece) (little-endian) to dst.
func AppendFrame(dst, piece []byte) []byte {
	dst = append(dst, piece...)
	return binary.LittleEndian.AppendUint32(dst, PieceCRC(piece))
}

// CheckFrame verifies a frame and returns its piece (a sub-slice of frame).
// A CRC mismatch or a frame shorter than FrameOverhead returns ErrCorrupt.
func CheckFrame(frame []byte) ([]byte, error) {
	if len(frame) < FrameOverhead {
		return nil, fmt.Errorf("erasure: frame of %d bytes: %w", len(frame), ErrCorrupt)
	}
	n := len(frame) - FrameOverhead
	piece := frame[:n]
	if want, got := binary.LittleEndian.Uint32(frame[n:]), PieceCRC(piece); want != got {
		return nil, fmt.Errorf("erasure: frame crc %08x, stored %08x: %w", got, want, ErrCorrupt)
	}
	return piece, nil
}

// CheckPiece verifies piece against a CRC stored separately (the engine reads
// a frame's trailer apart from its piece so pieces land contiguously).
func CheckPiece(piece []byte, stored uint32) error {
	if got := PieceCRC(piece); got != stored {
		return fmt.Errorf("erasure: piece crc %08x, stored %08x: %w", got, stored, ErrCorrupt)
	}
	return nil
}
