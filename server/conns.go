package server

import "github.com/tasmaniancloud/rustfs/s3api"

// Descriptors kept back from connections when --max-conns is derived from
// the descriptor limit, for OSD shard files, the metadata store and logs:
// small limits keep half their descriptors, up to maxHalfReserve; large
// ones keep a quarter.
const (
	maxHalfReserve  = 1024
	minDerivedConns = 64
)

// maxConnsFor returns the connection cap: configured when set, else what
// the descriptor limit nofile leaves after the storage reserve, at most
// s3api.DefaultMaxConns. nofile 0 (unknown) gives the s3api default.
func maxConnsFor(configured int, nofile uint64) int {
	if configured != 0 || nofile == 0 {
		return configured
	}
	reserve := max(nofile/4, min(nofile/2, maxHalfReserve))
	if nofile <= reserve+minDerivedConns {
		return minDerivedConns
	}
	return int(min(nofile-reserve, s3api.DefaultMaxConns))
}
