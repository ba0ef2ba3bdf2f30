package failure

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/object"
)

// trial is what every fault class gets: the run's totals, a seeded random
// source of its own and a ledger.
type trial struct {
	t    *testing.T
	st   *stats
	rng  *rand.Rand
	seed uint64
	l    *ledger
	// red is the layout of the trial's buckets (zero: the store default,
	// 4+2).
	red object.Redundancy
}

// fault counts n injected faults.
func (tr *trial) fault(n int64) { tr.st.faults.Add(n) }

// payload returns n random bytes.
func (tr *trial) payload(n int) []byte {
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := tr.rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(tr.rng.Uint32())
	}
	return b
}

// size returns a small object size: 0 to 4 stripes of 64 KiB.
func (tr *trial) size() int { return tr.rng.IntN(4*chunkSize + 1) }

// put stores data under bucket/key and records it when acknowledged.
func (tr *trial) put(ctx context.Context, e *env, bucket, key string, data []byte) error {
	_, err := e.store.PutObject(ctx, object.PutInput{Bucket: bucket, Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), Owner: owner})
	if err == nil {
		tr.l.acked(bucket, key, data)
	}
	return err
}

// owner is the account every object of the suite belongs to.
const owner = "failure-suite"

// mkBucket creates bucket or fails the class.
func (tr *trial) mkBucket(ctx context.Context, e *env, bucket string) {
	tr.t.Helper()
	if err := e.store.CreateBucketWith(ctx, object.CreateBucketInput{Bucket: bucket, Owner: owner, Region: "us-east-1", Redundancy: tr.red}); err != nil {
		tr.t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// get returns an in-process getter over the env's current store.
func get(e *env) getter { return storeGetter(func() *object.Store { return e.store }) }

// class is one fault class of the suite.
type class struct {
	name string
	run  func(tr *trial)
}

// classes lists the fault classes in the order they run.
var classes = []class{
	{"osd-lost-mid-upload", osdLostMidUpload},
	{"osd-lost-mid-download", osdLostMidDownload},
	{"outage-then-rack-loss", outageThenRackLoss},
	{"eio", eioClass},
	{"enospc", enospcClass},
	{"hung-io", hungIO},
	{"shard-bitflip", func(tr *trial) { shardCorruption(tr, corruptFlip) }},
	{"shard-truncate", func(tr *trial) { shardCorruption(tr, corruptTruncate) }},
	{"foreign-shard", func(tr *trial) { shardCorruption(tr, corruptForeign) }},
	{"metadata-records", metaRecords},
	{"replaced-empty-osd", replacedOSD},
	{"beyond-tolerance", beyondTolerance},
	{"kill9", kill9},
	// 3x replication keeps the same promise under the same faults.
	{"3x-outage-then-rack-loss", replicated(outageThenRackLoss)},
	{"3x-shard-bitflip", replicated(func(tr *trial) { shardCorruption(tr, corruptFlip) })},
	{"3x-replaced-empty-osd", replicated(replacedOSD)},
}

// replicated runs a class with its buckets stored 3x instead of 4+2.
func replicated(run func(tr *trial)) func(tr *trial) {
	return func(tr *trial) {
		tr.red = object.Redundancy3x
		run(tr)
	}
}

// TestFailure runs every fault class as its own subtest and prints the
// summary line. Its totals must show nothing lost, nothing wrong served
// and no garbage left, and a full run must inject at least minFaults.
func TestFailure(t *testing.T) {
	seed := suiteSeed()
	st := &stats{}
	complete := 0
	for i, c := range classes {
		ok := t.Run(c.name, func(t *testing.T) {
			tr := &trial{t: t, st: st, seed: seed, rng: rand.New(rand.NewPCG(seed, uint64(i))), l: newLedger(st)}
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("replay with: go test ./test/failure/ -run 'TestFailure/%s$' -failure.seed=%d%s", c.name, seed, longArg())
				}
			})
			c.run(tr)
			complete++
		})
		_ = ok
	}
	line := st.line(seed)
	fmt.Println(line)
	if st.lostBytes.Load() != 0 || st.wrongBytes.Load() != 0 || st.garbageBytes.Load() != 0 {
		t.Errorf("durability broken: %s", line)
	}
	if complete == len(classes) && st.faults.Load() < minFaults {
		t.Errorf("only %d faults injected, want at least %d", st.faults.Load(), minFaults)
	}
}

func longArg() string {
	if *longMode {
		return " -failure.long"
	}
	return ""
}

// key names object i of a class.
func key(prefix string, i int) string { return fmt.Sprintf("%s/%05d", prefix, i) }

// bucketFor turns a class name into a bucket name.
func bucketFor(name string) string { return "f-" + strings.ReplaceAll(name, "_", "-") }

// newRand returns a random source seeded from seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
