package dataplane

import (
	"context"
	"fmt"
	"sync"

	"github.com/tasmaniancloud/rustfs/storage"
)

// shardSet opens a stream's shards lazily and shares the readers between a
// GET's fetchers. A shard that cannot be opened is remembered as dead, so
// later stripes go straight to parity instead of retrying it.
type shardSet struct {
	ctx context.Context
	e   *Engine
	l   Layout

	mu      sync.Mutex
	readers []storage.ShardReader
	dead    []error // why shard j is unusable; nil = fine or not yet opened
}

func newShardSet(ctx context.Context, e *Engine, l Layout) *shardSet {
	return &shardSet{ctx: ctx, e: e, l: l,
		readers: make([]storage.ShardReader, len(l.OSDs)), dead: make([]error, len(l.OSDs))}
}

// reader returns shard j's reader, opening it on first use; nil when the
// shard is missing or its OSD is unknown.
func (s *shardSet) reader(j int) storage.ShardReader {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.readers[j]; r != nil || s.dead[j] != nil {
		return r
	}
	id := s.l.OSDs[j]
	if id == "" {
		s.dead[j] = fmt.Errorf("shard %d: not written", j)
		return nil
	}
	osd := s.e.osdByID(id)
	if osd == nil {
		s.dead[j] = fmt.Errorf("shard %d: unknown OSD %q", j, id)
		return nil
	}
	r, err := osd.Open(s.ctx, ShardName(s.l.DataID, j))
	if err != nil {
		s.dead[j] = fmt.Errorf("shard %d on %s: %w", j, id, err)
		return nil
	}
	s.readers[j] = r
	return r
}

// close closes every opened reader.
func (s *shardSet) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for j, r := range s.readers {
		if r != nil {
			r.Close()
			s.readers[j] = nil
		}
	}
}
