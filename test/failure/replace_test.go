package failure

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// replacedOSD empties one OSD directory (a new disk in its slot), restarts,
// and heals: the store must accept the empty directory as a replacement and
// refill it, so that afterwards losing a whole other rack loses nothing.
func replacedOSD(tr *trial) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor("replaced")
	tr.mkBucket(ctx, e, b)
	n := scale(24, 100)
	for i := range n {
		if err := tr.put(ctx, e, b, key("o", i), tr.payload(tr.size())); err != nil {
			t.Fatalf("PUT: %v", err)
		}
	}
	for trial := range scale(2, 6) {
		k := tr.rng.IntN(fullShards)
		p := filepath.Join(e.dir, fmt.Sprintf("osd%d", k))
		e.close()
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		tr.fault(1)
		if err := e.open(); err != nil {
			t.Fatalf("trial %d: the store refused an empty replacement for osd%d: %v", trial, k, err)
		}
		if _, err := e.heal(ctx); err != nil {
			t.Errorf("trial %d: heal after replacing osd%d: %v", trial, k, err)
		}
		if err := e.checkRedundant(ctx, tr.l); err != nil {
			t.Errorf("trial %d: replaced osd%d not refilled: %v", trial, k, err)
		}
		if shardBytes(p) == 0 {
			t.Errorf("trial %d: replaced osd%d holds no shard after heal", trial, k)
		}
		// Now lose a whole rack other than the replaced OSD's.
		r := (k%3 + 1 + tr.rng.IntN(2)) % 3
		restore, err := loseRack(tr, e, r)
		if err != nil {
			t.Errorf("trial %d: rack %d lost: %v", trial, r, err)
			break
		}
		tr.fault(2)
		tr.l.verify(t, ctx, fmt.Sprintf("osd%d replaced and healed, rack %d lost", k, r), get(e))
		restore()
		if t.Failed() {
			break
		}
	}
	finishClass(tr, e)
}

// shardBytes sums the sizes of the committed shards under an OSD path.
func shardBytes(osd string) int64 {
	var n int64
	_ = filepath.WalkDir(filepath.Join(osd, "shards"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
