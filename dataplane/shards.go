package dataplane

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/tasmaniancloud/rustfs/storage"
)

// shardSet opens a stream's shards lazily and shares the readers between a
// GET's fetchers. A shard that cannot be opened is remembered as dead, so
// later stripes go straight to parity instead of retrying it; a shard with a
// bad frame is remembered as corrupt (for read-repair) but still used for
// the stripes whose frames verify.
type shardSet struct {
	ctx context.Context
	e   *Engine
	l   Layout

	mu      sync.Mutex
	readers []storage.ShardReader
	dead    []error      // why shard j is unusable; nil = fine or not yet opened
	state   []ShardState // worst state seen per shard
	later   []bool       // read only when the others do not suffice (unhealthy OSD)
}

func newShardSet(ctx context.Context, e *Engine, l Layout) *shardSet {
	n := len(l.OSDs)
	s := &shardSet{ctx: ctx, e: e, l: l, readers: make([]storage.ShardReader, n),
		dead: make([]error, n), state: make([]ShardState, n), later: make([]bool, n)}
	for j, id := range l.OSDs {
		if osd := e.osdByID(id); osd != nil && !storage.Healthy(osd) {
			s.later[j] = true
		}
	}
	return s
}

// reader returns shard j's reader, opening it on first use; nil when the
// shard is missing or its OSD is unknown or failing.
func (s *shardSet) reader(j int) storage.ShardReader {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.readers[j]; r != nil || s.dead[j] != nil {
		return r
	}
	id := s.l.OSDs[j]
	if id == "" {
		s.dead[j], s.state[j] = fmt.Errorf("shard %d: not written", j), ShardMissing
		return nil
	}
	osd := s.e.osdByID(id)
	if osd == nil {
		s.dead[j], s.state[j] = fmt.Errorf("shard %d: unknown OSD %q", j, id), ShardUnavailable
		return nil
	}
	if s.e.o.ShardTimeout >= 0 {
		r := s.e.lazyShard(s.ctx, osd, ShardName(s.l.DataID, j))
		s.readers[j] = r
		return r
	}
	r, err := osd.Open(s.ctx, ShardName(s.l.DataID, j))
	if err != nil {
		s.dead[j] = fmt.Errorf("shard %d on %s: %w", j, id, err)
		switch {
		case s.ctx.Err() != nil: // cancelled, not the shard's fault (see mark)
		case errors.Is(err, storage.ErrNotFound):
			s.state[j] = ShardMissing
		default:
			s.state[j] = ShardUnavailable
		}
		return nil
	}
	s.readers[j] = r
	return r
}

// order says when to read shard j: 0 first, 1 only if the others do not
// suffice (unhealthy OSD, or a bad frame seen before), -1 never (dead).
func (s *shardSet) order(j int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.dead[j] != nil:
		return -1
	case s.later[j] || s.state[j] != ShardOK:
		return 1
	}
	return 0
}

// mark records state st for shard j unless a worse one is known; st =
// ShardUnavailable or ShardMissing also stops further reads of the shard.
//
// Once the read's context has ended, failures are the caller's, not the
// shard's: the shard stops being read but its state is left alone, so a
// hung-up GET or copy reports nothing degraded and queues no heal.
func (s *shardSet) mark(j int, st ShardState, why error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		if s.dead[j] == nil {
			s.dead[j] = fmt.Errorf("shard %d: %w", j, s.ctx.Err())
		}
		return
	}
	if st > s.state[j] {
		s.state[j] = st
	}
	if (st == ShardUnavailable || st == ShardMissing) && s.dead[j] == nil {
		s.dead[j] = why
	}
}

// degraded lists the shards found missing, corrupt or unavailable.
func (s *shardSet) degraded() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for j, st := range s.state {
		if st != ShardOK {
			out = append(out, j)
		}
	}
	return out
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
