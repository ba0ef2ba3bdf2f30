package erasure

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// stripe returns k+m shards of size n carved from one buffer, data filled
// deterministically and parity encoded.
func stripe(t testing.TB, c *Coder, n int) (shards [][]byte, orig [][]byte) {
	t.Helper()
	buf := make([]byte, (c.K()+c.M())*n)
	r := rand.New(rand.NewPCG(uint64(n), 1))
	for i := range buf[:c.K()*n] {
		buf[i] = byte(r.Uint32())
	}
	for j := range c.K() + c.M() {
		shards = append(shards, buf[j*n:(j+1)*n:(j+1)*n])
	}
	if err := c.Encode(shards); err != nil {
		t.Fatal(err)
	}
	for _, s := range shards {
		orig = append(orig, bytes.Clone(s))
	}
	return shards, orig
}

func TestNewValidation(t *testing.T) {
	for _, km := range [][2]int{{0, 2}, {4, 0}, {-1, 1}, {60, 5}} {
		if _, err := New(km[0], km[1]); err == nil {
			t.Errorf("New(%d, %d) succeeded", km[0], km[1])
		}
	}
	c, err := New(4, 2)
	if err != nil || c.K() != 4 || c.M() != 2 {
		t.Fatalf("New(4,2) = %v, %v", c, err)
	}
	for _, tc := range [][2]int{{0, 0}, {1, 1}, {4, 1}, {5, 2}, {1048592, 262148}} {
		if got := c.PieceSize(tc[0]); got != tc[1] {
			t.Errorf("PieceSize(%d) = %d, want %d", tc[0], got, tc[1])
		}
	}
}

// TestReconstructAnyTwo drops every pair (and every single piece) of a 4+2
// stripe and checks the exact bytes come back, through both entry points.
func TestReconstructAnyTwo(t *testing.T) {
	c, _ := New(4, 2)
	const n = 4099
	_, orig := stripe(t, c, n)
	for a := range 6 {
		for b := a; b < 6; b++ {
			for _, dataOnly := range []bool{false, true} {
				t.Run(fmt.Sprintf("lost=%d,%d/dataOnly=%v", a, b, dataOnly), func(t *testing.T) {
					shards := make([][]byte, 6)
					for j := range shards {
						shards[j] = bytes.Clone(orig[j])
					}
					// Zero-length with capacity: must be filled in place.
					keep := shards[a]
					shards[a] = shards[a][:0]
					shards[b] = nil
					var err error
					if dataOnly {
						err = c.ReconstructData(shards)
					} else {
						err = c.Reconstruct(shards)
					}
					if err != nil {
						t.Fatal(err)
					}
					for j := range shards {
						if dataOnly && j >= 4 && (j == a || j == b) {
							continue // parity is not rebuilt by ReconstructData
						}
						if !bytes.Equal(shards[j], orig[j]) {
							t.Fatalf("shard %d differs after reconstruction", j)
						}
					}
					if a != b && (!dataOnly || a < 4) && &shards[a][0] != &keep[:1][0] {
						t.Fatalf("shard %d was reallocated instead of filled in place", a)
					}
				})
			}
		}
	}
}

func TestTooManyMissing(t *testing.T) {
	c, _ := New(4, 2)
	shards, _ := stripe(t, c, 100)
	shards[0], shards[3], shards[5] = nil, nil, nil
	for _, f := range []func([][]byte) error{c.Reconstruct, c.ReconstructData} {
		if err := f(shards); !errors.Is(err, ErrTooManyMissing) {
			t.Fatalf("3 missing: err = %v, want ErrTooManyMissing", err)
		}
	}
	if err := c.Reconstruct(shards[:5]); err == nil {
		t.Fatal("Reconstruct accepted 5 shards")
	}
}

func TestNothingMissing(t *testing.T) {
	c, _ := New(4, 2)
	shards, orig := stripe(t, c, 64)
	if err := c.Reconstruct(shards); err != nil {
		t.Fatal(err)
	}
	for j := range shards {
		if !bytes.Equal(shards[j], orig[j]) {
			t.Fatalf("shard %d changed", j)
		}
	}
}

func TestEncodeShape(t *testing.T) {
	c, _ := New(4, 2)
	mk := func(sizes ...int) [][]byte {
		var s [][]byte
		for _, n := range sizes {
			s = append(s, make([]byte, n))
		}
		return s
	}
	for name, shards := range map[string][][]byte{
		"too few": mk(8, 8, 8, 8, 8),
		"uneven":  mk(8, 8, 8, 8, 8, 7),
		"empty":   mk(0, 0, 0, 0, 0, 0),
	} {
		if err := c.Encode(shards); err == nil {
			t.Errorf("%s: Encode succeeded", name)
		}
	}
}

func TestEncodeNoAlloc(t *testing.T) {
	c, _ := New(4, 2)
	shards, _ := stripe(t, c, 256<<10)
	// klauspost/reedsolomon v1.14.2's GFNI kernel allocates its 896-byte
	// coefficient table once per call (a stack array escaping through a
	// function pointer); anything beyond that would be ours.
	if a := testing.AllocsPerRun(20, func() {
		if err := c.Encode(shards); err != nil {
			t.Fatal(err)
		}
	}); a > 1 {
		t.Fatalf("Encode allocates %.1f times per call", a)
	}
}

// TestGoldenParity pins the parity bytes: the coding matrix is part of the
// storage format, so a library upgrade that changed it must fail here.
func TestGoldenParity(t *testing.T) {
	c, _ := New(4, 2)
	shards := make([][]byte, 6)
	for j := range shards {
		shards[j] = make([]byte, 16)
		if j < 4 {
			for i := range shards[j] {
				shards[j][i] = byte(j*131 + i*i*197 + 7)
			}
		}
	}
	if err := c.Encode(shards); err != nil {
		t.Fatal(err)
	}
	const want = "7ab4dbec905ce6993ae4813c100c1b54972f5e77bdc76302d77f04a73d979ecf"
	if got := hex.EncodeToString(append(shards[4], shards[5]...)); got != want {
		t.Fatalf("parity %s, want %s", got, want)
	}
}

// TestReplicationCoder: 1+2 is 3x replication; each piece alone rebuilds
// the other two.
func TestReplicationCoder(t *testing.T) {
	c, err := New(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("three copies, one per rack")
	for keep := range 3 {
		sh := [][]byte{append([]byte(nil), data...), make([]byte, len(data)), make([]byte, len(data))}
		if err := c.Encode(sh); err != nil {
			t.Fatal(err)
		}
		kept := sh[keep]
		work := make([][]byte, 3)
		work[keep] = kept
		if err := c.Reconstruct(work); err != nil {
			t.Fatal(err)
		}
		if string(work[0]) != string(data) {
			t.Fatalf("from piece %d: data %q", keep, work[0])
		}
		for j := range 3 {
			if string(work[j]) != string(sh[j]) {
				t.Fatalf("from piece %d: piece %d differs", keep, j)
			}
		}
	}
}
