// Package erasure splits sealed chunks into Reed-Solomon k+m shard pieces and
// frames each piece with a CRC32C, so any k of the k+m pieces rebuild the
// chunk and a damaged piece is recognised without any key.
//
// The Reed-Solomon math is klauspost/reedsolomon; it picks its own SIMD
// kernel (GFNI/AVX-512 where present; package cpu reports which). Coder pins
// it to the calling goroutine: the data plane already runs one encode per
// worker, and letting the library fan out to its own goroutines would only add
// scheduling and allocation per chunk.
package erasure

import (
	"errors"
	"fmt"

	"github.com/klauspost/reedsolomon"
)

// MaxShards bounds k+m; the GF(2^8) code supports up to 256 shards, but the
// data plane never needs more than a rack layout's worth.
const MaxShards = 64

// ErrTooManyMissing reports more than m missing pieces in one stripe.
var ErrTooManyMissing = errors.New("erasure: too many missing shards")

// Coder encodes and reconstructs one k+m layout. It is safe for concurrent
// use.
type Coder struct {
	k, m int
	enc  reedsolomon.Encoder
}

// New returns a coder for k data and m parity pieces (k ≥ 1, m ≥ 1,
// k+m ≤ MaxShards).
func New(k, m int) (*Coder, error) {
	if k < 1 || m < 1 || k+m > MaxShards {
		return nil, fmt.Errorf("erasure: invalid layout %d+%d", k, m)
	}
	enc, err := reedsolomon.New(k, m, reedsolomon.WithMaxGoroutines(1))
	if err != nil {
		return nil, fmt.Errorf("erasure: %d+%d: %w", k, m, err)
	}
	return &Coder{k: k, m: m, enc: enc}, nil
}

// K is the number of data pieces per stripe.
func (c *Coder) K() int { return c.k }

// M is the number of parity pieces per stripe.
func (c *Coder) M() int { return c.m }

// PieceSize is the piece length for a sealed chunk of ctLen bytes:
// ceil(ctLen/k). The chunk is zero-padded to k·PieceSize before splitting.
func (c *Coder) PieceSize(ctLen int) int { return (ctLen + c.k - 1) / c.k }

// Encode computes the m parity pieces from the k data pieces. shards has k+m
// entries of equal length; the parity entries are overwritten in place.
func (c *Coder) Encode(shards [][]byte) error {
	if err := c.checkShape(shards); err != nil {
		return err
	}
	if err := c.enc.Encode(shards); err != nil {
		return fmt.Errorf("erasure: encode: %w", err)
	}
	return nil
}

// Reconstruct rebuilds every missing piece, data and parity. A missing piece
// is a nil or zero-length entry; a zero-length entry with enough capacity is
// filled in place (no allocation), otherwise a new slice is allocated. At
// most m pieces may be missing.
func (c *Coder) Reconstruct(shards [][]byte) error {
	return c.reconstruct(shards, false)
}

// ReconstructData is Reconstruct limited to the data pieces, which is all a
// read needs; missing parity entries stay missing.
func (c *Coder) ReconstructData(shards [][]byte) error {
	return c.reconstruct(shards, true)
}

func (c *Coder) reconstruct(shards [][]byte, dataOnly bool) error {
	if len(shards) != c.k+c.m {
		return fmt.Errorf("erasure: %d shards, want %d", len(shards), c.k+c.m)
	}
	missing := 0
	for _, s := range shards {
		if len(s) == 0 {
			missing++
		}
	}
	if missing > c.m {
		return fmt.Errorf("erasure: %d of %d pieces missing, at most %d recoverable: %w",
			missing, c.k+c.m, c.m, ErrTooManyMissing)
	}
	if missing == 0 {
		return nil
	}
	var err error
	if dataOnly {
		err = c.enc.ReconstructData(shards)
	} else {
		err = c.enc.Reconstruct(shards)
	}
	if err != nil {
		return fmt.Errorf("erasure: reconstruct: %w", err)
	}
	return nil
}

// checkShape validates an Encode argument without allocating (reedsolomon's
// Verify allocates, so it is never used on the hot path).
func (c *Coder) checkShape(shards [][]byte) error {
	if len(shards) != c.k+c.m {
		return fmt.Errorf("erasure: %d shards, want %d", len(shards), c.k+c.m)
	}
	n := len(shards[0])
	if n == 0 {
		return fmt.Errorf("erasure: empty shards")
	}
	for i, s := range shards {
		if len(s) != n {
			return fmt.Errorf("erasure: shard %d has %d bytes, want %d", i, len(s), n)
		}
	}
	return nil
}
