package storage

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// fakeOSD is an OSD that only has an identity; placement never does I/O.
type fakeOSD struct{ id, rack string }

func (f fakeOSD) ID() string   { return f.id }
func (f fakeOSD) Rack() string { return f.rack }
func (f fakeOSD) Create(context.Context, string) (ShardWriter, error) {
	return nil, errors.New("fake")
}
func (f fakeOSD) Open(context.Context, string) (ShardReader, error) {
	return nil, errors.New("fake")
}
func (f fakeOSD) Remove(context.Context, string) error { return nil }

// cluster builds n OSDs "osd<i>" with OSD i in rack i%racks.
func cluster(n, racks int) []OSD {
	out := make([]OSD, n)
	for i := range out {
		out[i] = fakeOSD{id: fmt.Sprintf("osd%d", i), rack: fmt.Sprintf("rack%d", i%racks)}
	}
	return out
}

func ids(osds []OSD) []string {
	s := make([]string, len(osds))
	for i, o := range osds {
		s[i] = o.ID()
	}
	return s
}

func TestPlaceTable(t *testing.T) {
	uneven := []OSD{
		fakeOSD{"a0", "A"}, fakeOSD{"a1", "A"}, fakeOSD{"a2", "A"}, fakeOSD{"a3", "A"},
		fakeOSD{"b0", "B"}, fakeOSD{"c0", "C"},
	}
	tests := []struct {
		name    string
		osds    []OSD
		n       int
		perRack int // expected bound; 0 = expect an error
	}{
		{"6 on 6 over 3 racks", cluster(6, 3), 6, 2},
		{"6 on 9 over 3 racks", cluster(9, 3), 6, 2},
		{"6 on 12 over 4 racks", cluster(12, 4), 6, 2},
		{"6 on 12 over 3 racks", cluster(12, 3), 6, 2},
		{"9 on 12 over 4 racks", cluster(12, 4), 9, 3},
		{"2 on 6 over 3 racks", cluster(6, 3), 2, 1},
		{"1 on 1", cluster(1, 1), 1, 1},
		{"6 on 6 in one rack", cluster(6, 1), 6, 6},
		{"too few OSDs", cluster(5, 3), 6, 0},
		{"zero shards", cluster(6, 3), 0, 0},
		{"negative shards", cluster(6, 3), -1, 0},
		{"no OSDs", nil, 1, 0},
		{"racks too small for the bound", uneven, 6, 0},
		{"uneven racks with room", uneven, 3, 1},
		{"duplicate ids", []OSD{fakeOSD{"x", "A"}, fakeOSD{"x", "B"}}, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Place(tc.osds, [16]byte{1, 2, 3}, tc.n)
			if tc.perRack == 0 {
				if !errors.Is(err, ErrPlacement) {
					t.Fatalf("Place = %v, %v; want ErrPlacement", ids(got), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Place: %v", err)
			}
			checkPlacement(t, got, tc.n, tc.perRack)
		})
	}
}

// checkPlacement asserts n distinct OSDs with at most perRack per rack.
func checkPlacement(t *testing.T, got []OSD, n, perRack int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("got %d OSDs %v, want %d", len(got), ids(got), n)
	}
	seen := map[string]bool{}
	perRackCount := map[string]int{}
	for _, o := range got {
		if seen[o.ID()] {
			t.Fatalf("OSD %s chosen twice in %v", o.ID(), ids(got))
		}
		seen[o.ID()] = true
		perRackCount[o.Rack()]++
	}
	for r, c := range perRackCount {
		if c > perRack {
			t.Fatalf("rack %s holds %d shards of %v, bound %d", r, c, ids(got), perRack)
		}
	}
}

func TestPlaceExactlyTwoPerRack(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, osds := range [][]OSD{cluster(6, 3), cluster(9, 3), cluster(12, 3)} {
		for range 500 {
			var id [16]byte
			fillRandom(rng, id[:])
			got, err := Place(osds, id, 6)
			if err != nil {
				t.Fatal(err)
			}
			per := map[string]int{}
			for _, o := range got {
				per[o.Rack()]++
			}
			for r, c := range per {
				if c != 2 {
					t.Fatalf("%d OSDs: rack %s holds %d shards of %v, want exactly 2", len(osds), r, c, ids(got))
				}
			}
		}
	}
}

func TestPlaceDeterministicAndOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	osds := cluster(12, 4)
	for range 200 {
		var id [16]byte
		fillRandom(rng, id[:])
		a, err := Place(osds, id, 6)
		if err != nil {
			t.Fatal(err)
		}
		shuffled := append([]OSD(nil), osds...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		b, err := Place(shuffled, id, 6)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids(a)) != fmt.Sprint(ids(b)) {
			t.Fatalf("placement depends on input order: %v vs %v", ids(a), ids(b))
		}
	}
}

// TestPlaceProperty checks, over many random data ids and several cluster
// shapes, the rack bound, distinctness, and that load spreads evenly.
func TestPlaceProperty(t *testing.T) {
	const rounds = 3000
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range []struct{ osds, racks, n int }{
		{6, 3, 6}, {9, 3, 6}, {12, 3, 6}, {12, 4, 6}, {9, 3, 3}, {12, 4, 9}, {8, 4, 6}, {9, 3, 4},
	} {
		t.Run(fmt.Sprintf("%dosd_%dracks_n%d", shape.osds, shape.racks, shape.n), func(t *testing.T) {
			osds := cluster(shape.osds, shape.racks)
			perRack := (shape.n + shape.racks - 1) / shape.racks
			load := map[string]int{}
			first := map[string]int{}
			for range rounds {
				var id [16]byte
				fillRandom(rng, id[:])
				got, err := Place(osds, id, shape.n)
				if err != nil {
					t.Fatal(err)
				}
				checkPlacement(t, got, shape.n, perRack)
				for _, o := range got {
					load[o.ID()]++
				}
				first[got[0].ID()]++
			}
			// With equal rack sizes every OSD carries n/osds of all shards and
			// is shard 0 for 1/osds of the streams. Allow ±25 %: far wider than
			// the statistical noise at 3000 rounds, far narrower than a bias.
			wantLoad := float64(rounds*shape.n) / float64(shape.osds)
			wantFirst := float64(rounds) / float64(shape.osds)
			for _, o := range osds {
				if l := float64(load[o.ID()]); l < 0.75*wantLoad || l > 1.25*wantLoad {
					t.Errorf("OSD %s carries %.0f shards, want about %.0f", o.ID(), l, wantLoad)
				}
				if f := float64(first[o.ID()]); f < 0.75*wantFirst || f > 1.25*wantFirst {
					t.Errorf("OSD %s is shard 0 %.0f times, want about %.0f", o.ID(), f, wantFirst)
				}
			}
		})
	}
}

// TestPlaceMinimalDisruption checks the rendezvous property: removing one OSD
// only moves the streams that had a shard on it.
func TestPlaceMinimalDisruption(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	osds := cluster(12, 4)
	without := append([]OSD(nil), osds[:11]...) // osd11 (rack3) leaves
	unaffected, moved := 0, 0
	for range 1000 {
		var id [16]byte
		fillRandom(rng, id[:])
		before, err := Place(osds, id, 4)
		if err != nil {
			t.Fatal(err)
		}
		after, err := Place(without, id, 4)
		if err != nil {
			t.Fatal(err)
		}
		hit := false
		for _, o := range before {
			if o.ID() == "osd11" {
				hit = true
			}
		}
		if !hit {
			unaffected++
			if fmt.Sprint(ids(before)) != fmt.Sprint(ids(after)) {
				moved++
			}
		}
	}
	if unaffected == 0 || moved != 0 {
		t.Fatalf("%d of %d streams without a shard on the removed OSD moved", moved, unaffected)
	}
}

func fillRandom(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

func BenchmarkPlace6of6(b *testing.B) {
	osds := cluster(6, 3)
	var id [16]byte
	b.SetBytes(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id[0], id[1] = byte(i), byte(i>>8)
		if _, err := Place(osds, id, 6); err != nil {
			b.Fatal(err)
		}
	}
}

// sickOSD is a placement OSD that reports its health.
type sickOSD struct {
	fakeOSD
	down bool
}

func (o sickOSD) Healthy() bool { return !o.down }

func TestPlaceHealthy(t *testing.T) {
	mk := func(down ...int) []OSD {
		var osds []OSD
		for i := range 9 {
			o := sickOSD{fakeOSD: fakeOSD{id: fmt.Sprintf("osd%d", i), rack: fmt.Sprintf("rack%d", i%3)}}
			o.down = slices.Contains(down, i)
			osds = append(osds, o)
		}
		return osds
	}
	var id [16]byte
	for seed := range 50 {
		id[0] = byte(seed)
		// One down of nine: six healthy OSDs, two per rack.
		got, err := Place(mk(4), id, 6)
		if err != nil {
			t.Fatal(err)
		}
		racks := map[string]int{}
		for _, o := range got {
			if !Healthy(o) {
				t.Fatalf("placed on unhealthy %s", o.ID())
			}
			racks[o.Rack()]++
		}
		for r, c := range racks {
			if c != 2 {
				t.Fatalf("rack %s holds %d shards", r, c)
			}
		}
		// A whole rack down (osd2, 5, 8): six healthy in two racks, three per
		// rack: the rule is relaxed, never an unhealthy OSD used.
		got, err = Place(mk(2, 5, 8), id, 6)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range got {
			if !Healthy(o) {
				t.Fatalf("placed on unhealthy %s", o.ID())
			}
		}
		// Four down: fewer than six healthy, so placement covers all.
		got, err = Place(mk(0, 1, 2, 3), id, 6)
		if err != nil || len(got) != 6 {
			t.Fatalf("Place over all = %v, %v", got, err)
		}
	}
}
