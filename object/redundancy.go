package object

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/erasure"
	"github.com/tasmaniancloud/rustfs/storage"
)

// Redundancy is how a bucket's object data is stored: K data shards and M
// parity shards, erasure-coded. Replication is the case K = 1: "3x" is 1+2,
// three full-size (encrypted) copies in three racks. The zero value means
// "the store's default".
type Redundancy struct {
	K, M int
}

// Redundancies every store offers.
var (
	// RedundancyEC42 is 4+2 erasure coding: 1.5× raw space, any two OSDs
	// (or one rack of two) may be lost.
	RedundancyEC42 = Redundancy{K: 4, M: 2}
	// Redundancy3x is three-way replication: 3× raw space, any two copies
	// may be lost; reads and heals need no decoding arithmetic.
	Redundancy3x = Redundancy{K: 1, M: 2}
)

// IsZero reports whether r is the zero value ("the store's default").
func (r Redundancy) IsZero() bool { return r.K == 0 && r.M == 0 }

// String formats r as ParseRedundancy reads it: "3x" style for
// replication, "k+m" otherwise.
func (r Redundancy) String() string {
	if r.IsZero() {
		return ""
	}
	if r.K == 1 {
		return strconv.Itoa(1+r.M) + "x"
	}
	return strconv.Itoa(r.K) + "+" + strconv.Itoa(r.M)
}

// minParity is the parity every layout must have: the store promises that
// an acknowledged object survives the loss of any two OSDs.
const minParity = 2

// ParseRedundancy reads "k+m" (erasure coding, e.g. "4+2") or "Nx"
// (N-way replication, e.g. "3x"). Layouts that would not survive the loss
// of two OSDs are refused, as are ones beyond what erasure coding supports;
// whether the cluster has enough OSDs and racks is checked by the Store.
func ParseRedundancy(s string) (Redundancy, error) {
	var r Redundancy
	var err error
	switch {
	case strings.HasSuffix(s, "x") || strings.HasSuffix(s, "X"):
		var n int
		n, err = strconv.Atoi(s[:len(s)-1])
		r = Redundancy{K: 1, M: n - 1}
	case strings.Contains(s, "+"):
		ks, ms, _ := strings.Cut(s, "+")
		r.K, err = strconv.Atoi(ks)
		if err == nil {
			r.M, err = strconv.Atoi(ms)
		}
	default:
		err = fmt.Errorf("want k+m (like 4+2) or Nx (like 3x)")
	}
	if err != nil {
		return Redundancy{}, fmt.Errorf("%w: redundancy %q: %v", ErrInvalidArgument, s, err)
	}
	if r.K < 1 || r.M < minParity || r.K+r.M > erasure.MaxShards {
		return Redundancy{}, fmt.Errorf("%w: redundancy %q: need at least 1 data shard and %d parity shards (copies beyond the first), at most %d shards",
			ErrInvalidArgument, s, minParity, erasure.MaxShards)
	}
	return r, nil
}

// checkRedundancy verifies that the backend can place r under the rack
// rule: k+m OSDs, and no rack holding more than m shards, so that losing
// any one rack (or any m OSDs) loses at most m shards.
func checkRedundancy(osds []storage.OSD, r Redundancy) error {
	n := r.K + r.M
	if n > len(osds) {
		return fmt.Errorf("%w: redundancy %s needs %d OSDs, the store has %d", ErrInvalidArgument, r, n, len(osds))
	}
	racks := map[string]bool{}
	for _, o := range osds {
		racks[o.Rack()] = true
	}
	// One rack (a laptop) has no rack loss to survive.
	if perRack := (n + len(racks) - 1) / len(racks); len(racks) > 1 && perRack > r.M {
		return fmt.Errorf("%w: redundancy %s over %d racks puts %d shards in one rack, more than its %d parity shards",
			ErrInvalidArgument, r, len(racks), perRack, r.M)
	}
	return nil
}

// layoutOf is the layout new data of bucket bk takes: its own, else the
// store's default (zero leaves the choice to the engine).
func (s *Store) layoutOf(bk *bucketRecord) Redundancy {
	if bk != nil && bk.K != 0 {
		return Redundancy{K: bk.K, M: bk.M}
	}
	return s.red
}
