package server

import "github.com/tasmaniancloud/rustfs/s3api"

// Descriptors kept back from connections when --max-conns is derived from
// the descriptor limit: OSD shard files, the metadata store, logs.
const (
	minFileReserve  = 256
	minDerivedConns = 64
)

// maxConnsFor returns the connection cap: cfg's when set, else what the
// descriptor limit nofile leaves after a reserve of a quarter (at least
// minFileReserve), at most s3api.DefaultMaxConns. nofile 0 (unknown) gives
// the default.
func maxConnsFor(configured int, nofile uint64) int {
	if configured != 0 || nofile == 0 {
		return configured
	}
	reserve := max(nofile/4, minFileReserve)
	if nofile <= reserve {
		return minDerivedConns
	}
	return int(min(max(nofile-reserve, minDerivedConns), s3api.DefaultMaxConns))
}
