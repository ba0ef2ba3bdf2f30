package object

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
)

// TestConcurrentPutSameKey races PUTs of one key, on two Stores: every PUT
// succeeds (last writer wins), the survivor is one complete body, and the
// shards of every overwritten version are gone.
func TestConcurrentPutSameKey(t *testing.T) {
	e := newEnv(t)
	stores := []*Store{e.s, e.open()}
	e.bucket("data")
	const writers = 6
	bodies := make([][]byte, writers)
	for i := range bodies {
		bodies[i] = randBytes(uint64(100+i), 2*testChunk+i)
	}
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = stores[i%2].PutObject(context.Background(), PutInput{
					Bucket: "data", Key: "hot", Body: bytes.NewReader(bodies[i]), Size: int64(len(bodies[i])),
				})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d writer %d: %v", round, i, err)
			}
		}
		got := mustRead(t, e.s, "data", "hot")
		found := false
		for _, b := range bodies {
			found = found || bytes.Equal(got, b)
		}
		if !found {
			t.Fatalf("round %d: survivor is none of the bodies", round)
		}
		e.wantShards(6)
	}
}

// TestReadRetriesAfterOverwrite covers a reader whose manifest's shards were
// deleted by an overwrite between GetObject and WriteTo.
func TestReadRetriesAfterOverwrite(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.bucket("data")
	data := randBytes(1, testChunk+10)
	put(t, e.s, "data", "k", data)

	// Same bytes re-uploaded: same ETag, the retry serves them.
	obj, err := e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	put(t, e.s, "data", "k", data)
	var buf bytes.Buffer
	if _, err := obj.WriteTo(ctx, &buf); err != nil || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("retry after identical overwrite: %v", err)
	}

	// Different bytes: the opened reader either still serves the complete
	// old bytes (its shards were opened before they went) or, since the
	// headers already sent would lie, fails with 503 before any byte.
	obj, err = e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	second := randBytes(2, 100)
	put(t, e.s, "data", "k", second)
	buf.Reset()
	n, err := obj.WriteTo(ctx, &buf)
	if err == nil && !bytes.Equal(buf.Bytes(), data) {
		t.Fatal("read across an overwrite served other bytes")
	}
	if err != nil {
		if n != 0 {
			t.Fatalf("wrote %d bytes of a vanished object", n)
		}
		wantErr(t, err, ErrDataUnavailable)
	}

	// Deleted: the complete old bytes, or NoSuchKey.
	obj, err = e.s.GetObject(ctx, GetInput{Bucket: "data", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.DeleteObject(ctx, "data", "k"); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err = obj.WriteTo(ctx, &buf); err != nil {
		wantErr(t, err, ErrNoSuchKey)
	} else if !bytes.Equal(buf.Bytes(), second) {
		t.Fatal("read across a delete served other bytes")
	}
}

// TestReadDuringOverwrites runs readers against a key being overwritten:
// a read either returns one complete version or fails cleanly; it never
// returns mixed or foreign bytes and never reports tampering.
func TestReadDuringOverwrites(t *testing.T) {
	e := newEnv(t)
	e.bucket("data")
	versions := make([][]byte, 8)
	for i := range versions {
		versions[i] = randBytes(uint64(200+i), 2*testChunk)
	}
	put(t, e.s, "data", "k", versions[0])
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	reads, failures := 0, 0
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				obj, err := e.s.GetObject(context.Background(), GetInput{Bucket: "data", Key: "k"})
				if err != nil {
					t.Errorf("GetObject: %v", err)
					return
				}
				var buf bytes.Buffer
				_, err = obj.WriteTo(context.Background(), &buf)
				mu.Lock()
				if err != nil {
					failures++
					if errors.Is(err, ErrTampered) {
						t.Errorf("read during overwrite reported tampering: %v", err)
					}
				} else {
					reads++
					ok := false
					for _, v := range versions {
						ok = ok || bytes.Equal(buf.Bytes(), v)
					}
					if !ok {
						t.Errorf("read returned bytes of no version")
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := 1; i < len(versions)*3; i++ {
		put(t, e.s, "data", "k", versions[i%len(versions)])
	}
	cancel()
	wg.Wait()
	t.Logf("%d clean reads, %d clean failures during overwrites", reads, failures)
	e.wantShards(6)
}
