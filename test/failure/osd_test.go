package failure

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage/faultinject"
)

// finishClass heals, checks full redundancy, reads everything back and
// measures the garbage left after GC: the end of every in-process class.
func finishClass(tr *trial, e *env) {
	t := tr.t
	ctx, cancel := ctxFor(t)
	defer cancel()
	e.fb.ClearAll()
	// Calls a Slow rule still holds would write their abandoned shards
	// later, racing the garbage check and the temp dir's removal.
	if err := e.fb.WaitIdle(ctx); err != nil {
		t.Errorf("waiting for held calls: %v", err)
	}
	if _, err := e.heal(ctx); err != nil {
		t.Errorf("heal: %v", err)
	}
	if err := e.checkRedundant(ctx, tr.l); err != nil {
		t.Errorf("after heal: %v", err)
	}
	e.restart()
	tr.l.verify(t, ctx, "after restart and heal", get(e))
	if err := e.collect(ctx); err != nil {
		t.Errorf("garbage collection: %v", err)
	}
	n, what, err := garbage(ctx, e.lb, e.sb.Meta())
	if err != nil {
		t.Errorf("measure garbage: %v", err)
		return
	}
	tr.st.garbageBytes.Add(n)
	if n != 0 {
		t.Errorf("%d garbage bytes left after GC with grace 0: %s", n, what)
	}
	tr.l.verify(t, ctx, "after GC", get(e))
}

// fired reports whether o injected anything since before.
func fired(o *faultinject.OSD, before int64) bool { return o.Total() > before }

// osdLostMidUpload takes one OSD away after a few stripes of a PUT were
// written to it: the PUT is acknowledged with 5 shards (at least the write
// quorum) and heal restores the sixth once the OSD is back.
func osdLostMidUpload(tr *trial) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor("lost-upload")
	tr.mkBucket(ctx, e, b)
	for i := range scale(16, 80) {
		o := e.fb.FaultOSDs()[tr.rng.IntN(fullShards)]
		before := o.Total()
		o.Set(faultinject.OpWrite, faultinject.Rule{Kind: faultinject.Down, Skip: 1 + tr.rng.IntN(2)})
		o.Set(faultinject.OpCommit, faultinject.Rule{Kind: faultinject.Down})
		data := tr.payload(2*chunkSize + tr.rng.IntN(2*chunkSize))
		if err := tr.put(ctx, e, b, key("o", i), data); err != nil {
			t.Errorf("PUT with one OSD lost mid-upload was refused (5 of 6 shards meet the quorum): %v", err)
		}
		o.ClearAll()
		if fired(o, before) {
			tr.fault(1)
		}
	}
	tr.l.verify(t, ctx, "degraded, before heal", get(e))
	finishClass(tr, e)
}

// osdLostMidDownload takes one or two OSDs away while a GET streams.
func osdLostMidDownload(tr *trial) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor("lost-download")
	tr.mkBucket(ctx, e, b)
	n := scale(16, 80)
	for i := range n {
		if err := tr.put(ctx, e, b, key("o", i), tr.payload(2*chunkSize+tr.rng.IntN(3*chunkSize))); err != nil {
			t.Fatalf("PUT: %v", err)
		}
	}
	for i := range n {
		lost := tr.rng.Perm(fullShards)[:1+i%2]
		var befores []int64
		for _, j := range lost {
			o := e.fb.FaultOSDs()[j]
			befores = append(befores, o.Total())
			o.Set(faultinject.OpRead, faultinject.Rule{Kind: faultinject.Down, Skip: 1 + tr.rng.IntN(2)})
		}
		r := get(e)(ctx, b, key("o", i))
		checkOne(tr, b, key("o", i), r, "GET with OSDs lost mid-download")
		for k, j := range lost {
			o := e.fb.FaultOSDs()[j]
			o.ClearAll()
			if fired(o, befores[k]) {
				tr.fault(1)
			}
		}
	}
	finishClass(tr, e)
}

// checkOne compares one read with the ledger, counting lost and wrong bytes.
func checkOne(tr *trial, bucket, k string, r readResult, what string) {
	tr.l.mu.Lock()
	w := tr.l.objs[[2]string{bucket, k}]
	tr.l.mu.Unlock()
	switch {
	case r.err != nil || r.missing:
		tr.st.lostBytes.Add(maxSize(w.sizes))
		tr.t.Errorf("%s: %s/%s unreadable: missing=%v err=%v", what, bucket, k, r.missing, r.err)
	case indexOf(w.sums, r.sum) < 0:
		tr.st.wrongBytes.Add(r.n)
		tr.t.Errorf("%s: %s/%s served %d wrong bytes", what, bucket, k, r.n)
	default:
		tr.st.verified.Add(1)
	}
}

// loseRack makes both OSD directories of rack r unusable (moved away, a
// plain file in their place), reopens the stack and returns a function
// that undoes it and reopens again.
func loseRack(tr *trial, e *env, r int) (restore func(), err error) {
	e.close()
	var moved []string
	for _, i := range []int{r, r + 3} {
		p := filepath.Join(e.dir, fmt.Sprintf("osd%d", i))
		if err := os.Rename(p, p+".lost"); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte("this disk is gone\n"), 0o600); err != nil {
			return nil, err
		}
		moved = append(moved, p)
	}
	restore = func() {
		e.close()
		for _, p := range moved {
			_ = os.Remove(p)
			if err := os.Rename(p+".lost", p); err != nil {
				tr.t.Fatalf("restore %s: %v", p, err)
			}
		}
		if err := e.open(); err != nil {
			tr.t.Fatalf("reopen after the rack came back: %v", err)
		}
	}
	if err := e.open(); err != nil {
		restore()
		return nil, fmt.Errorf("the store must start with one rack (2 OSDs) unusable: %w", err)
	}
	return restore, nil
}

// outageThenRackLoss writes while one OSD is briefly unreachable, lets it
// come back (heal runs), then loses a whole rack: every acknowledged
// object, including those written during the outage, must stay readable.
func outageThenRackLoss(tr *trial) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor("outage-rack")
	tr.mkBucket(ctx, e, b)
	next := 0
	for trial := range scale(3, 9) {
		o := e.fb.FaultOSDs()[tr.rng.IntN(fullShards)]
		before := o.Total()
		o.SetAll(faultinject.WriteOps, faultinject.Rule{Kind: faultinject.Down})
		for range scale(8, 20) {
			if err := tr.put(ctx, e, b, key("o", next), tr.payload(tr.size())); err != nil {
				t.Errorf("PUT during a one-OSD outage: %v", err)
			}
			next++
		}
		o.ClearAll()
		if fired(o, before) {
			tr.fault(1)
		}
		if _, err := e.heal(ctx); err != nil {
			t.Errorf("heal after the outage: %v", err)
		}
		rack := trial % 3
		restore, err := loseRack(tr, e, rack)
		if err != nil {
			t.Errorf("rack %d lost: %v", rack, err)
			continue
		}
		tr.fault(2)
		tr.l.verify(t, ctx, fmt.Sprintf("rack %d lost after an outage", rack), get(e))
		if _, err := e.store.ListObjects(ctx, object.ListInput{Bucket: b, MaxKeys: 1000}); err != nil {
			t.Errorf("list with rack %d lost: %v", rack, err)
		}
		restore()
	}
	finishClass(tr, e)
}

// eioClass returns EIO from one OSD on one operation for a few calls while
// objects are written and read.
func eioClass(tr *trial) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor("eio")
	tr.mkBucket(ctx, e, b)
	ops := []faultinject.Op{faultinject.OpCreate, faultinject.OpWrite, faultinject.OpCommit, faultinject.OpOpen, faultinject.OpRead}
	for i := range scale(40, 200) {
		o := e.fb.FaultOSDs()[tr.rng.IntN(fullShards)]
		before := o.Total()
		op := ops[tr.rng.IntN(len(ops))]
		o.Set(op, faultinject.Rule{Kind: faultinject.EIO, Times: 1 + tr.rng.IntN(3)})
		if err := tr.put(ctx, e, b, key("o", i), tr.payload(tr.size())); err != nil {
			t.Errorf("PUT with EIO on %s of %s: %v", op, o.ID(), err)
		}
		j := tr.rng.IntN(i + 1)
		if _, ok := tr.l.objs[[2]string{b, key("o", j)}]; ok {
			checkOne(tr, b, key("o", j), get(e)(ctx, b, key("o", j)), fmt.Sprintf("GET with EIO on %s of %s", op, o.ID()))
		}
		o.ClearAll()
		if fired(o, before) {
			tr.fault(1)
		}
	}
	finishClass(tr, e)
}

// enospcClass fills one OSD's disk during a batch of PUTs, then crashes
// the gateway: the durable heal queue alone must bring every object back
// to six shards once the disk has room again.
func enospcClass(tr *trial) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor("enospc")
	tr.mkBucket(ctx, e, b)
	next := 0
	for range scale(6, 24) {
		o := e.fb.FaultOSDs()[tr.rng.IntN(fullShards)]
		before := o.Total()
		o.SetAll(faultinject.WriteOps, faultinject.Rule{Kind: faultinject.ENOSPC})
		for range 3 {
			if err := tr.put(ctx, e, b, key("o", next), tr.payload(tr.size())); err != nil {
				t.Errorf("PUT with %s full: %v", o.ID(), err)
			}
			next++
		}
		o.ClearAll()
		if fired(o, before) {
			tr.fault(1)
		}
	}
	e.crash()
	if _, err := e.healQueued(ctx); err != nil {
		t.Errorf("heal queue after a crash: %v", err)
	}
	if err := e.checkRedundant(ctx, tr.l); err != nil {
		t.Errorf("the durable heal queue did not cover every degraded write: %v", err)
	}
	finishClass(tr, e)
}

// hungIO hangs one OSD's reads (or opens, or writes) until released, or
// slows them past the deadline: the per-shard deadline must move GET and
// PUT past it.
func hungIO(tr *trial) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor("hung")
	tr.mkBucket(ctx, e, b)
	n := scale(16, 40)
	for i := range n {
		if err := tr.put(ctx, e, b, key("o", i), tr.payload(chunkSize+tr.rng.IntN(3*chunkSize))); err != nil {
			t.Fatalf("PUT: %v", err)
		}
	}
	bound := 10*shardTimeout + 5*time.Second
	ops := []faultinject.Op{faultinject.OpRead, faultinject.OpOpen, faultinject.OpWrite, faultinject.OpCommit}
	for i := range n {
		o := e.fb.FaultOSDs()[tr.rng.IntN(fullShards)]
		before := o.Total()
		op := ops[i%len(ops)]
		rule := faultinject.Rule{Kind: faultinject.Hang}
		if (i/len(ops))%2 == 1 {
			// A disk slower than the deadline counts as unavailable too.
			rule = faultinject.Rule{Kind: faultinject.Slow, Delay: 2 * shardTimeout}
		}
		o.Set(op, rule)
		data := tr.payload(tr.size())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if op == faultinject.OpRead || op == faultinject.OpOpen {
				checkOne(tr, b, key("o", i), get(e)(ctx, b, key("o", i)), fmt.Sprintf("GET with %s hung on %s", op, o.ID()))
				return
			}
			if err := tr.put(ctx, e, b, key("w", i), data); err != nil {
				t.Errorf("PUT with %s hung on %s: %v", op, o.ID(), err)
			}
		}()
		select {
		case <-done:
		case <-time.After(bound):
			t.Errorf("request with %s hung on %s did not finish within %v", op, o.ID(), bound)
			o.ClearAll()
			<-done
		}
		o.ClearAll()
		if fired(o, before) {
			tr.fault(1)
		}
	}
	finishClass(tr, e)
}
