package dataplane

import (
	"fmt"
	"runtime"
	"time"

	"github.com/tasmaniancloud/rustfs/chunker"
)

// Chunk size bounds accepted by New.
const (
	MinChunkSize = 64 << 10
	MaxChunkSize = 16 << 20
)

// DefaultMaxSize is PutRequest.MaxSize when zero: S3's 5 GiB single-PUT and
// part limit.
const DefaultMaxSize = 5 << 30

// Options configures an Engine. Zero fields take the documented defaults.
type Options struct {
	Workers     int // seal/encode workers (default GOMAXPROCS)
	InFlight    int // stripes in flight (default 2*Workers+2); memory ≈ InFlight·ChunkSize·(k+m)/k
	ChunkSize   int // default 1 MiB; 64 KiB..16 MiB
	K, M        int // default 4, 2
	WriteQuorum int // shards that must commit (default K+1); a stream of another k+m uses it when k ≤ it ≤ k+m, else k+1
	ReadAhead   int // stripes fetched ahead on GET (default 4)

	// ShardTimeout bounds every Create, Open, ReadAt, Write and Commit on
	// one shard (default DefaultShardTimeout; negative disables). A shard
	// past it is treated as unavailable: reads go on from the others, a
	// write drops it and goes on if the quorum holds.
	ShardTimeout time.Duration
	// Stats, when set, receives per-stripe pipeline counters (metrics).
	Stats *Stats
}

// keep is how many idle chunk buffers, and idle stripes of the engine's own
// geometry, stay allocated between streams out of the garbage collector's
// reach: more than one stream holds (InFlight stripes; InFlight chunks
// queued for the workers, InFlight for the digests and the one being
// read). At the defaults (InFlight 6, 1 MiB chunks, 4+2) that is 14 stripes
// of 1.5 MiB and 14 chunks of 1 MiB, 35 MiB once used. Concurrent streams
// beyond it reuse buffers through a sync.Pool.
func (o Options) keep() int { return 2*o.InFlight + 2 }

// DefaultShardTimeout is Options.ShardTimeout when zero.
const DefaultShardTimeout = 10 * time.Second

// withDefaults fills zero fields and validates the result.
func (o Options) withDefaults() (Options, error) {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.InFlight <= 0 {
		o.InFlight = 2*o.Workers + 2
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = chunker.DefaultChunkSize
	}
	if o.K == 0 {
		o.K = 4
	}
	if o.M == 0 {
		o.M = 2
	}
	if o.WriteQuorum == 0 {
		o.WriteQuorum = o.K + 1
	}
	if o.ReadAhead <= 0 {
		o.ReadAhead = 4
	}
	if o.ShardTimeout == 0 {
		o.ShardTimeout = DefaultShardTimeout
	}
	switch {
	case o.ChunkSize < MinChunkSize || o.ChunkSize > MaxChunkSize:
		return o, fmt.Errorf("dataplane: chunk size %d outside %d..%d", o.ChunkSize, MinChunkSize, MaxChunkSize)
	case o.K < 1 || o.M < 1 || o.K+o.M > 64:
		return o, fmt.Errorf("dataplane: invalid erasure layout %d+%d", o.K, o.M)
	case o.WriteQuorum < o.K || o.WriteQuorum > o.K+o.M:
		return o, fmt.Errorf("dataplane: write quorum %d outside %d..%d", o.WriteQuorum, o.K, o.K+o.M)
	}
	return o, nil
}
