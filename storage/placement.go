package storage

import (
	"errors"
	"fmt"
	"sort"
)

// ErrPlacement reports that Place cannot choose the requested number of OSDs
// under the rack-spread rule.
var ErrPlacement = errors.New("storage: placement impossible")

// Place chooses n distinct OSDs for the shards of the data stream dataID.
//
// Every OSD gets a pseudo-random weight from (dataID, OSD ID) and OSDs are
// taken in descending weight order (rendezvous, or highest-random-weight,
// hashing): adding or removing one OSD moves only the shards that land on it.
// An OSD is skipped when its rack already holds ceil(n/racks) of the chosen
// shards, where racks is the number of distinct racks, so losing any one rack
// loses at most that many shards (6 shards over 3 racks: exactly 2 per rack).
//
// The result is deterministic and ordered: element j holds shard j. It returns
// an error wrapping ErrPlacement when there are fewer than n OSDs, when the
// racks cannot hold n shards within the per-rack bound, or when two OSDs share
// an ID.
//
// Health: when at least n OSDs are Healthy, only those are candidates, and
// if their racks cannot hold n shards within the bound the bound is raised
// just enough (the rack rule kept as far as the healthy OSDs allow). When
// fewer than n are healthy, all OSDs are placed on as if healthy; the writer
// then fails the unhealthy ones at once.
func Place(osds []OSD, dataID [16]byte, n int) ([]OSD, error) {
	healthy := make([]OSD, 0, len(osds))
	for _, o := range osds {
		if Healthy(o) {
			healthy = append(healthy, o)
		}
	}
	if len(healthy) < n || len(healthy) == len(osds) {
		return place(osds, dataID, n, false)
	}
	return place(healthy, dataID, n, true)
}

// Rank orders osds by their rendezvous weight for dataID, highest first:
// the order Place takes them in before the rack rule. Repair uses it to pick
// replacement OSDs deterministically.
func Rank(osds []OSD, dataID [16]byte) []OSD {
	out := append([]OSD(nil), osds...)
	sort.SliceStable(out, func(i, j int) bool {
		wi, wj := placementWeight(dataID, out[i].ID()), placementWeight(dataID, out[j].ID())
		if wi != wj {
			return wi > wj
		}
		return out[i].ID() < out[j].ID()
	})
	return out
}

// place is Place over exactly osds; relax raises the per-rack bound until
// the racks can hold n shards instead of failing.
func place(osds []OSD, dataID [16]byte, n int, relax bool) ([]OSD, error) {
	if n < 1 {
		return nil, fmt.Errorf("storage: place %d shards: %w", n, ErrPlacement)
	}
	if len(osds) < n {
		return nil, fmt.Errorf("storage: place %d shards on %d OSDs: %w", n, len(osds), ErrPlacement)
	}

	type cand struct {
		w    uint64
		id   string
		rack int
		osd  OSD
	}
	cands := make([]cand, len(osds))
	rackIndex := make(map[string]int, 8)
	ids := make(map[string]struct{}, len(osds))
	for i, o := range osds {
		id := o.ID()
		if _, dup := ids[id]; dup {
			return nil, fmt.Errorf("storage: place: duplicate OSD id %q: %w", id, ErrPlacement)
		}
		ids[id] = struct{}{}
		r, ok := rackIndex[o.Rack()]
		if !ok {
			r = len(rackIndex)
			rackIndex[o.Rack()] = r
		}
		cands[i] = cand{w: placementWeight(dataID, id), id: id, rack: r, osd: o}
	}

	racks := len(rackIndex)
	perRack := (n + racks - 1) / racks
	size := make([]int, racks)
	for _, c := range cands {
		size[c.rack]++
	}
	roomFor := func(perRack int) int {
		room := 0
		for _, s := range size {
			room += min(s, perRack)
		}
		return room
	}
	room := roomFor(perRack)
	for relax && room < n {
		perRack++
		room = roomFor(perRack)
	}
	if room < n {
		return nil, fmt.Errorf("storage: place %d shards over %d racks (at most %d per rack, room for %d): %w",
			n, racks, perRack, room, ErrPlacement)
	}

	// Ties in weight are astronomically rare; breaking them by ID keeps the
	// result independent of the input order anyway.
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].w != cands[j].w {
			return cands[i].w > cands[j].w
		}
		return cands[i].id < cands[j].id
	})

	// Greedy in weight order is complete: every rack eventually receives
	// min(size, perRack) shards, and those sum to at least n.
	used := make([]int, racks)
	out := make([]OSD, 0, n)
	for _, c := range cands {
		if used[c.rack] == perRack {
			continue
		}
		used[c.rack]++
		out = append(out, c.osd)
		if len(out) == n {
			break
		}
	}
	return out, nil
}

// placementWeight hashes (dataID, id) to a uniformly spread 64-bit weight:
// FNV-1a over the bytes, then a strong 64-bit finaliser so that IDs differing
// in one character still get unrelated weights. The function is part of the
// placement contract: changing it moves shards of new objects only, since
// manifests record the OSDs actually used.
func placementWeight(dataID [16]byte, id string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for _, c := range dataID {
		h ^= uint64(c)
		h *= prime
	}
	h ^= 0xff // the dataID has a fixed size, so this only decorrelates the two halves
	h *= prime
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= prime
	}
	return mix64(h)
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
