package manifest

import (
	"fmt"
	"math"
)

// PartsSize returns the sum of the part sizes, failing (ErrMalformed) on a
// negative size or an overflow.
func (m *Manifest) PartsSize() (int64, error) {
	var total int64
	for i := range m.Parts {
		s := m.Parts[i].Size
		if s < 0 || s > math.MaxInt64-total {
			return 0, fmt.Errorf("%w: part %d size %d: bad or overflowing total", ErrMalformed, i, s)
		}
		total += s
	}
	return total, nil
}

// Validate checks the consistency Unmarshal does not: at least one part;
// part numbers strictly increasing; every part with K ≥ 1, K+M ≤
// MaxOSDsPerPart, one OSD entry per shard and a non-zero chunk size; and
// part sizes adding up to Size. Readers call it (after verifying the
// signature) before doing offset arithmetic on a manifest.
func (m *Manifest) Validate() error {
	if len(m.Parts) == 0 {
		return fmt.Errorf("%w: no parts", ErrMalformed)
	}
	for i := range m.Parts {
		p := &m.Parts[i]
		if i > 0 && p.Number <= m.Parts[i-1].Number {
			return fmt.Errorf("%w: part %d numbered %d after %d", ErrMalformed, i, p.Number, m.Parts[i-1].Number)
		}
		shards := int(p.K) + int(p.M)
		if p.K == 0 || shards > MaxOSDsPerPart || len(p.OSDs) != shards || p.ChunkSize == 0 {
			return fmt.Errorf("%w: part %d: k=%d m=%d with %d OSDs, chunk size %d",
				ErrMalformed, p.Number, p.K, p.M, len(p.OSDs), p.ChunkSize)
		}
	}
	total, err := m.PartsSize()
	if err != nil {
		return err
	}
	if total != m.Size {
		return fmt.Errorf("%w: parts hold %d bytes, object size %d", ErrMalformed, total, m.Size)
	}
	return nil
}

// PartFor maps an object offset to the part holding it and the offset
// within that part. Empty parts hold no offset and are skipped. It returns
// (-1, 0) when offset is negative or not below the parts' total size.
func (m *Manifest) PartFor(offset int64) (idx int, partOffset int64) {
	if offset < 0 {
		return -1, 0
	}
	for i := range m.Parts {
		s := m.Parts[i].Size
		if s < 0 {
			return -1, 0
		}
		if offset < s {
			return i, offset
		}
		offset -= s
	}
	return -1, 0
}
