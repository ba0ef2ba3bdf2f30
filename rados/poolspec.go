package rados

import (
	"fmt"
	"strings"
)

// DataPool names one rack's data pool: a pool whose CRUSH rule keeps every
// object inside rack Rack.
type DataPool struct {
	Pool string
	Rack string
}

// DefaultDataPools returns the pools scripts/ceph-up.sh creates:
// rustfs.rack0..2 in racks rack0..2.
func DefaultDataPools() []DataPool {
	return []DataPool{
		{Pool: "rustfs.rack0", Rack: "rack0"},
		{Pool: "rustfs.rack1", Rack: "rack1"},
		{Pool: "rustfs.rack2", Rack: "rack2"},
	}
}

// ParseDataPools parses a flag or environment value of the form
// "rack0=rustfs.rack0,rack1=rustfs.rack1,rack2=rustfs.rack2": comma-separated
// rack=pool pairs, spaces around items ignored. Racks must be valid names
// ([A-Za-z0-9._-], not starting with '.') and distinct; pool names must be
// non-empty and free of control characters. An empty string yields nil
// (the defaults).
func ParseDataPools(s string) ([]DataPool, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []DataPool
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		rack, pool, ok := strings.Cut(item, "=")
		rack, pool = strings.TrimSpace(rack), strings.TrimSpace(pool)
		switch {
		case !ok:
			return nil, fmt.Errorf("rados: data pool %q: want rack=pool", item)
		case !validName(rack):
			return nil, fmt.Errorf("rados: data pool %q: rack %q: want [A-Za-z0-9._-]", item, rack)
		case pool == "" || len(pool) > maxNameLen || strings.ContainsFunc(pool, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			return nil, fmt.Errorf("rados: data pool %q: bad pool name %q", item, pool)
		case seen[rack]:
			return nil, fmt.Errorf("rados: data pools: rack %q appears twice", rack)
		}
		seen[rack] = true
		out = append(out, DataPool{Pool: pool, Rack: rack})
	}
	return out, nil
}

// FormatDataPools renders pools in the form ParseDataPools reads.
func FormatDataPools(pools []DataPool) string {
	parts := make([]string, len(pools))
	for i, p := range pools {
		parts[i] = p.Rack + "=" + p.Pool
	}
	return strings.Join(parts, ",")
}
