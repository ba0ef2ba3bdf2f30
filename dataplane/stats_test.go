package dataplane

import (
	"testing"
)

// TestStatsCount checks the pipeline counters move with a Put and settle
// back to no stripes in flight.
func TestStatsCount(t *testing.T) {
	var st Stats
	e := mustEngine(t, newMemBackend(6), Options{Stats: &st})
	put(t, e, newKey(t), randBytes(1, 3*testChunk+5))
	if st.Stripes() != 4 || st.Busy(StageSeal) <= 0 || st.Busy(StageWrite) <= 0 || st.Busy(StageRead) <= 0 {
		t.Fatalf("stripes %d busy read %v seal %v write %v", st.Stripes(), st.Busy(StageRead), st.Busy(StageSeal), st.Busy(StageWrite))
	}
	if st.InFlight() != 0 {
		t.Fatalf("%d stripes still in flight after Put", st.InFlight())
	}
	var nilStats *Stats
	nilStats.end(StageSeal, nilStats.begin()) // a nil Stats records nothing and must not panic
}
