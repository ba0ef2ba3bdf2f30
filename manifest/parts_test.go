package manifest

import (
	"errors"
	"math"
	"testing"
)

func partsOf(sizes ...int64) *Manifest {
	m := &Manifest{}
	for i, s := range sizes {
		m.Parts = append(m.Parts, Part{Number: uint32(i + 1), Size: s, ChunkSize: 1 << 20, K: 4, M: 2, OSDs: make([]string, 6)})
		m.Size += s
	}
	return m
}

func TestPartFor(t *testing.T) {
	m := partsOf(10, 0, 5, 0, 1)
	tests := []struct {
		off     int64
		idx     int
		partOff int64
	}{
		{0, 0, 0}, {9, 0, 9}, {10, 2, 0}, {14, 2, 4}, {15, 4, 0},
		{16, -1, 0}, {1000, -1, 0}, {-1, -1, 0},
	}
	for _, tc := range tests {
		idx, po := m.PartFor(tc.off)
		if idx != tc.idx || po != tc.partOff {
			t.Errorf("PartFor(%d) = %d, %d; want %d, %d", tc.off, idx, po, tc.idx, tc.partOff)
		}
	}
	if idx, _ := (&Manifest{}).PartFor(0); idx != -1 {
		t.Errorf("PartFor on a manifest without parts = %d", idx)
	}
	if idx, _ := partsOf(0).PartFor(0); idx != -1 {
		t.Errorf("PartFor(0) on an empty object = %d", idx)
	}
}

func TestPartsSize(t *testing.T) {
	if n, err := partsOf(1, 2, 3).PartsSize(); err != nil || n != 6 {
		t.Fatalf("PartsSize = %d, %v", n, err)
	}
	if _, err := partsOf(math.MaxInt64, 1).PartsSize(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("overflow: %v", err)
	}
	m := partsOf(1)
	m.Parts[0].Size = -1
	if _, err := m.PartsSize(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("negative: %v", err)
	}
}

func TestValidate(t *testing.T) {
	if err := partsOf(5, 0, 7).Validate(); err != nil {
		t.Fatalf("valid manifest: %v", err)
	}
	if err := sample().Validate(); err != nil {
		t.Fatalf("sample: %v", err)
	}
	if err := single().Validate(); err != nil {
		t.Fatalf("single: %v", err)
	}
	bad := map[string]func(m *Manifest){
		"no parts":          func(m *Manifest) { m.Parts = nil; m.Size = 0 },
		"size mismatch":     func(m *Manifest) { m.Size++ },
		"unordered numbers": func(m *Manifest) { m.Parts[1].Number = 1 },
		"k zero":            func(m *Manifest) { m.Parts[0].K = 0 },
		"osd count":         func(m *Manifest) { m.Parts[0].OSDs = m.Parts[0].OSDs[:5] },
		"chunk size zero":   func(m *Manifest) { m.Parts[2].ChunkSize = 0 },
		"too many shards":   func(m *Manifest) { m.Parts[0].K, m.Parts[0].M = 60, 10 },
		"negative part":     func(m *Manifest) { m.Parts[0].Size = -5; m.Size -= 10 },
	}
	for name, mut := range bad {
		m := partsOf(5, 0, 7)
		mut(m)
		if err := m.Validate(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}
