package failure

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/tasmaniancloud/rustfs/object"
	"github.com/tasmaniancloud/rustfs/storage/faultinject"
)

// beyondTolerance injects faults the store cannot absorb and checks that
// it says so cleanly: with two OSDs refusing writes a PUT (new key or
// overwrite) is refused, since 4 shards are below the write quorum of 5,
// and the key keeps its old content; with three OSDs unreadable GET
// answers an error before the first byte (GetObject fails, instead of an
// object whose stream breaks), and everything reads back once they return.
func beyondTolerance(tr *trial) {
	t := tr.t
	e := newEnv(t)
	ctx, cancel := ctxFor(t)
	defer cancel()
	b := bucketFor("tolerance")
	tr.mkBucket(ctx, e, b)
	n := scale(8, 30)
	for i := range n {
		if err := tr.put(ctx, e, b, key("o", i), tr.payload(chunkSize+tr.rng.IntN(2*chunkSize))); err != nil {
			t.Fatalf("PUT: %v", err)
		}
	}
	osds := e.fb.FaultOSDs()
	for i := range n {
		down := tr.rng.Perm(fullShards)[:2]
		for _, j := range down {
			osds[j].SetAll(faultinject.WriteOps, faultinject.Rule{Kind: faultinject.Down})
		}
		tr.fault(2)
		data := tr.payload(tr.size())
		k := key("o", i)
		if i%2 == 1 {
			k = key("new", i)
		}
		_, err := e.store.PutObject(ctx, object.PutInput{Bucket: b, Key: k, Body: bytes.NewReader(data), Size: int64(len(data)), Owner: owner})
		if err == nil {
			// Acknowledged below the quorum: record it so the read-back
			// counts it if it is lost.
			tr.l.acked(b, k, data)
			t.Errorf("PUT %s with osd%d and osd%d refusing writes was acknowledged with at most 4 of 6 shards (write quorum 5)", k, down[0], down[1])
		} else if !errors.Is(err, object.ErrDataUnavailable) {
			t.Errorf("PUT %s below the write quorum: %v; want ErrDataUnavailable", k, err)
		}
		e.fb.ClearAll()
	}
	tr.l.verify(t, ctx, "after PUTs refused below the write quorum", get(e))
	for i := range n {
		down := tr.rng.Perm(fullShards)[:3]
		for _, j := range down {
			osds[j].SetAll(faultinject.ReadOps, faultinject.Rule{Kind: faultinject.Down})
		}
		tr.fault(3)
		obj, err := e.store.GetObject(ctx, object.GetInput{Bucket: b, Key: key("o", i)})
		if err == nil {
			_, werr := obj.WriteTo(ctx, io.Discard)
			t.Errorf("GET %s with 3 of 6 OSDs unreadable returned an object (its stream then failed: %v); the error must come before the first byte",
				key("o", i), werr)
		} else if !errors.Is(err, object.ErrDataUnavailable) {
			t.Errorf("GET %s with 3 of 6 OSDs unreadable: %v; want ErrDataUnavailable", key("o", i), err)
		}
		e.fb.ClearAll()
	}
	tr.l.verify(t, ctx, fmt.Sprintf("the %d OSDs back", fullShards), get(e))
	finishClass(tr, e)
}
