package failure

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
)

var (
	longMode = flag.Bool("failure.long", os.Getenv("RUSTFS_FAILURE_LONG") != "", "run the long failure-injection mode (more trials of every class)")
	seedFlag = flag.Uint64("failure.seed", envSeed(), "seed of the random choices (printed in the summary line)")
)

// envSeed reads RUSTFS_FAILURE_SEED.
func envSeed() uint64 {
	v, _ := strconv.ParseUint(os.Getenv("RUSTFS_FAILURE_SEED"), 10, 64)
	return v
}

// minFaults is what one full run (every class) must inject at least.
const minFaults = 1000

// stats are the suite's totals, printed as the summary line.
type stats struct {
	written, faults, verified atomic.Int64
	lostBytes, wrongBytes     atomic.Int64
	garbageBytes              atomic.Int64
}

func (s *stats) line(seed uint64) string {
	return fmt.Sprintf("failure: seed %d: objects written %d, faults injected %d, objects verified %d, "+
		"acknowledged bytes lost %d, wrong bytes served %d, garbage bytes left after GC %d",
		seed, s.written.Load(), s.faults.Load(), s.verified.Load(),
		s.lostBytes.Load(), s.wrongBytes.Load(), s.garbageBytes.Load())
}

// scale picks the short- or long-mode size of a class.
func scale(short, long int) int {
	if *longMode {
		return long
	}
	return short
}

func TestMain(m *testing.M) {
	flag.Parse()
	// kdf warns about the development keyring; the suite stays quiet.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// defaultSeed makes every run of `make test` inject the same faults.
const defaultSeed = 20261205

// suiteSeed returns the run's seed.
func suiteSeed() uint64 {
	if *seedFlag != 0 {
		return *seedFlag
	}
	return defaultSeed
}
