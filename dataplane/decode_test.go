package dataplane

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tasmaniancloud/rustfs/erasure"
)

// retag fixes the tag of stripe i in shard j after its piece was altered, as
// anyone can (the mask needs no key): the frame verifies but lies.
func (f *fixture) retag(j int, i uint64) {
	fr := f.frame(j, i)
	p := len(fr) - erasure.FrameOverhead
	erasure.PutTag(fr[p:], erasure.NewIdentity(f.l.DataID).Tag(fr[:p], j, i))
}

// readAll opens the whole object and returns the bytes and degraded shards.
func readAll(t *testing.T, f *fixture) ([]byte, []int, error) {
	t.Helper()
	rd, err := f.e.Open(context.Background(), f.l, f.k, 0, -1)
	if err != nil {
		return nil, nil, err
	}
	defer rd.Close()
	var buf bytes.Buffer
	_, err = rd.WriteTo(&buf)
	return buf.Bytes(), rd.Degraded(), err
}

// TestForeignShards plants shards whose frames carry valid CRCs but belong
// elsewhere; the decoder must reject them like rot and read from the rest.
func TestForeignShards(t *testing.T) {
	size := 4*testChunk + 9
	tests := []struct {
		name    string
		damage  func(f *fixture)
		bad     []int // shards Degraded must name (only shards the read needed are seen)
		wantErr error
	}{
		{"from another object", func(f *fixture) {
			other := put(t, f.e, f.k, randBytes(7, size)).Layout
			f.setShard(2, bytes.Clone(f.b.osd(other.OSDs[2]).file(ShardName(other.DataID, 2))))
		}, []int{2}, nil},
		{"another shard index", func(f *fixture) {
			f.setShard(1, bytes.Clone(f.shard(4)))
		}, []int{1}, nil},
		{"shifted by a frame", func(f *fixture) {
			s := f.shard(0)
			f.setShard(0, bytes.Clone(s[f.g.frameOffset(1):]))
		}, []int{0}, nil},
		{"two foreign", func(f *fixture) {
			f.setShard(0, bytes.Clone(f.shard(3)))
			f.setShard(1, bytes.Clone(f.shard(3)))
		}, []int{0, 1}, nil},
		{"two rotten stripes and one foreign", func(f *fixture) {
			f.flipPiece(1, 1)
			f.flipPiece(3, 2)
			f.setShard(0, bytes.Clone(f.shard(4)))
		}, []int{0, 1, 3}, nil},
		{"retagged lie in a data piece", func(f *fixture) {
			f.flipPiece(0, 2)
			f.retag(0, 2)
		}, []int{0}, nil},
		{"retagged lie and a missing shard", func(f *fixture) {
			f.flipPiece(2, 1)
			f.retag(2, 1)
			f.dropShard(4)
		}, []int{2, 4}, nil},
		{"three foreign", func(f *fixture) {
			for _, j := range []int{0, 2, 4} {
				f.setShard(j, bytes.Clone(f.shard(1)))
			}
		}, nil, ErrUnrecoverable},
		{"two foreign and a retagged lie", func(f *fixture) {
			f.flipPiece(1, 0)
			f.retag(1, 0)
			f.setShard(3, bytes.Clone(f.shard(5)))
			f.setShard(4, bytes.Clone(f.shard(5)))
		}, nil, ErrUnrecoverable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, size)
			tc.damage(f)
			got, bad, err := readAll(t, f)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, f.data) {
				t.Fatal("wrong bytes")
			}
			for _, j := range tc.bad {
				if !slices.Contains(bad, j) {
					t.Fatalf("Degraded() = %v, missing shard %d", bad, j)
				}
			}
		})
	}
}

// TestOpenErrorsFirst shows that Open reports an unreadable first stripe
// before any byte is produced, and a good range opens with nothing degraded.
func TestOpenErrorsFirst(t *testing.T) {
	f := newFixture(t, 3*testChunk+7)
	rd, err := f.e.Open(context.Background(), f.l, f.k, testChunk, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := rd.Degraded(); len(d) != 0 {
		t.Fatalf("healthy read degraded %v", d)
	}
	rd.Close()
	rd.Close()
	for _, j := range []int{0, 3, 5} {
		f.dropShard(j)
	}
	if _, err := f.e.Open(context.Background(), f.l, f.k, 0, -1); !errors.Is(err, ErrUnrecoverable) {
		t.Fatalf("Open = %v, want ErrUnrecoverable", err)
	}
}
