package dataplane

import (
	"sync/atomic"
	"time"
)

// Stage names a step of the PUT pipeline whose busy time Stats adds up.
type Stage int

// The PUT pipeline's stages: cutting chunks from the body (socket reads
// included), sealing plus erasure coding, and shard writes.
const (
	StageRead Stage = iota
	StageSeal
	StageWrite
	NumStages
)

// String is the stage's metric label.
func (s Stage) String() string {
	switch s {
	case StageRead:
		return "read"
	case StageSeal:
		return "seal"
	case StageWrite:
		return "write"
	}
	return "unknown"
}

// Stats are counters an Engine updates per stripe when Options.Stats is
// set: lock-free atomics, no allocation, one clock read per stage. Readers
// (the metrics exporter) may load them at any time. A nil *Stats records
// nothing.
type Stats struct {
	busy      [NumStages]atomic.Int64 // nanoseconds spent in each stage, summed over goroutines
	stripes   atomic.Int64            // stripes sealed
	inFlight  atomic.Int64            // PUT stripes between reader and writers now
	shortfall atomic.Int64            // PUTs that lost their write quorum
}

// Busy is the total time spent in stage s.
func (s *Stats) Busy(st Stage) time.Duration { return time.Duration(s.busy[st].Load()) }

// Stripes is the number of stripes sealed so far.
func (s *Stats) Stripes() int64 { return s.stripes.Load() }

// InFlight is the number of PUT stripes now queued or being processed
// between the body reader and the shard writers: the pipeline's queue
// depth.
func (s *Stats) InFlight() int64 { return s.inFlight.Load() }

// QuorumShortfalls counts PUTs that failed because fewer shards than the
// write quorum could be written.
func (s *Stats) QuorumShortfalls() int64 { return s.shortfall.Load() }

// begin returns the start time of a stage (zero when s is nil, sparing
// the clock read).
func (s *Stats) begin() time.Time {
	if s == nil {
		return time.Time{}
	}
	return time.Now()
}

// end adds the time since t to stage st.
func (s *Stats) end(st Stage, t time.Time) {
	if s == nil {
		return
	}
	s.busy[st].Add(int64(time.Since(t)))
	if st == StageSeal {
		s.stripes.Add(1)
	}
}

// queued moves the in-flight gauge by d.
func (s *Stats) queued(d int64) {
	if s != nil {
		s.inFlight.Add(d)
	}
}

// lostQuorum counts a PUT failing its write quorum.
func (s *Stats) lostQuorum() {
	if s != nil {
		s.shortfall.Add(1)
	}
}
