package erasure

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

var (
	testID  = NewIdentity([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	otherID = NewIdentity([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17})
)

func TestFrames(t *testing.T) {
	good := testID.AppendFrame([]byte("prefix"), []byte("piece data"), 3, 7)[len("prefix"):]
	flipped := bytes.Clone(good)
	flipped[2] ^= 0x80
	badTag := bytes.Clone(good)
	badTag[len(badTag)-1] ^= 1
	tests := []struct {
		name  string
		id    Identity
		j     int
		i     uint64
		frame []byte
		want  []byte
		err   error
	}{
		{"good", testID, 3, 7, good, []byte("piece data"), nil},
		{"empty piece", testID, 0, 0, testID.AppendFrame(nil, nil, 0, 0), []byte{}, nil},
		{"flipped piece bit", testID, 3, 7, flipped, nil, ErrCorrupt},
		{"flipped tag bit", testID, 3, 7, badTag, nil, ErrCorrupt},
		{"other stream", otherID, 3, 7, good, nil, ErrCorrupt},
		{"other shard index", testID, 2, 7, good, nil, ErrCorrupt},
		{"other stripe", testID, 3, 8, good, nil, ErrCorrupt},
		{"plain crc frame", testID, 3, 7, binary.LittleEndian.AppendUint32([]byte("piece data"), PieceCRC([]byte("piece data"))), nil, ErrCorrupt},
		{"nil", testID, 0, 0, nil, nil, ErrCorrupt},
		{"three bytes", testID, 0, 0, []byte{1, 2, 3}, nil, ErrCorrupt},
		{"truncated", testID, 3, 7, good[:len(good)-1], nil, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.id.CheckFrame(tc.frame, tc.j, tc.i)
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
	f := testID.AppendFrame(nil, []byte("123456789"), 1, 2)
	want := uint32(0xe3069283) ^ testID.Mask(1, 2) // CRC32C check value, masked
	if tag := binary.LittleEndian.Uint32(f[9:]); tag != want {
		t.Fatalf("trailer %08x, want %08x", tag, want)
	}
	var tr [4]byte
	PutTag(tr[:], testID.Tag([]byte("123456789"), 1, 2))
	if !bytes.Equal(tr[:], f[9:]) {
		t.Fatal("PutTag disagrees with AppendFrame")
	}
	if err := testID.CheckPiece([]byte("123456789"), want, 1, 2); err != nil {
		t.Fatal(err)
	}
	if err := testID.CheckPiece([]byte("123456780"), want, 1, 2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("CheckPiece on a changed piece = %v", err)
	}
}

// TestMaskSpread checks that neighbouring identities never share a mask:
// a shard shifted by a frame, renumbered, or from a stream whose id differs
// in one bit must fail its tags.
func TestMaskSpread(t *testing.T) {
	seen := map[uint32][3]int{}
	for s := range 8 {
		var d [16]byte
		if s > 0 {
			d[(s-1)*2] = 1 << (s % 8)
		}
		id := NewIdentity(d)
		for j := range 6 {
			for i := range 64 {
				m := id.Mask(j, uint64(i))
				if prev, dup := seen[m]; dup {
					t.Fatalf("mask %08x of (%d,%d,%d) repeats %v", m, s, j, i, prev)
				}
				seen[m] = [3]int{s, j, i}
			}
		}
	}
}

func TestMaskNoAlloc(t *testing.T) {
	piece := make([]byte, 4096)
	if n := testing.AllocsPerRun(100, func() { _ = testID.Tag(piece, 5, 99) }); n != 0 {
		t.Fatalf("Tag allocates %v times", n)
	}
}

func FuzzCheckFrame(f *testing.F) {
	f.Add([]byte{}, uint8(0), uint32(0))
	f.Add([]byte{0, 0, 0, 0}, uint8(1), uint32(1))
	f.Add(testID.AppendFrame(nil, []byte("seed piece"), 2, 5), uint8(2), uint32(5))
	f.Add([]byte{1, 2, 3}, uint8(0), uint32(0))
	f.Fuzz(func(t *testing.T, frame []byte, j uint8, i uint32) {
		piece, err := testID.CheckFrame(frame, int(j), uint64(i))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		// Whatever passes must be exactly a valid frame of its piece and
		// identity, and must fail under any other shard index or stripe.
		if !bytes.Equal(testID.AppendFrame(nil, piece, int(j), uint64(i)), frame) {
			t.Fatalf("accepted frame is not AppendFrame(piece)")
		}
		if _, err := testID.CheckFrame(frame, int(j)+1, uint64(i)); err == nil {
			t.Fatalf("frame accepted under shard %d and %d", j, int(j)+1)
		}
		if _, err := testID.CheckFrame(frame, int(j), uint64(i)+1); err == nil {
			t.Fatalf("frame accepted at stripe %d and %d", i, i+1)
		}
	})
}
