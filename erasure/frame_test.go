package erasure

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestFrames(t *testing.T) {
	good := AppendFrame([]byte("prefix"), []byte("piece data"))[len("prefix"):]
	flipped := bytes.Clone(good)
	flipped[2] ^= 0x80
	badCRC := bytes.Clone(good)
	badCRC[len(badCRC)-1] ^= 1
	tests := []struct {
		name  string
		frame []byte
		want  []byte
		err   error
	}{
		{"good", good, []byte("piece data"), nil},
		{"empty piece", AppendFrame(nil, nil), []byte{}, nil},
		{"flipped piece bit", flipped, nil, ErrCorrupt},
		{"flipped crc bit", badCRC, nil, ErrCorrupt},
		{"nil", nil, nil, ErrCorrupt},
		{"three bytes", []byte{1, 2, 3}, nil, ErrCorrupt},
		{"four zero bytes", []byte{0, 0, 0, 0}, []byte{}, nil}, // CRC32C("") = 0
		{"truncated", good[:len(good)-1], nil, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckFrame(tc.frame)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.err == nil && !bytes.Equal(got, tc.want) {
				t.Fatalf("piece = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFrameLayout(t *testing.T) {
	f := AppendFrame(nil, []byte("123456789"))
	if crc := binary.LittleEndian.Uint32(f[9:]); crc != 0xe3069283 {
		t.Fatalf("trailer %08x, want CRC32C check value e3069283 little-endian", crc)
	}
	var tr [4]byte
	PutCRC(tr[:], PieceCRC([]byte("123456789")))
	if !bytes.Equal(tr[:], f[9:]) {
		t.Fatal("PutCRC disagrees with AppendFrame")
	}
	if err := CheckPiece([]byte("123456789"), 0xe3069283); err != nil {
		t.Fatal(err)
	}
	if err := CheckPiece([]byte("123456780"), 0xe3069283); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("CheckPiece on a changed piece = %v", err)
	}
}

func FuzzCheckFrame(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0})
	f.Add(AppendFrame(nil, []byte("seed piece")))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, frame []byte) {
		piece, err := CheckFrame(frame)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		// Whatever passes must be exactly a valid frame of its piece.
		if !bytes.Equal(AppendFrame(nil, piece), frame) {
			t.Fatalf("accepted frame is not AppendFrame(piece)")
		}
	})
}
