package local

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// TestConcurrentDeleteKeepsNamespace is the regression test for
// DeleteObjects answering InternalError: many goroutines put and delete keys
// of one namespace, so the namespace repeatedly becomes empty while other
// writes and deletes in it are in flight. No call may fail.
func TestConcurrentDeleteKeepsNamespace(t *testing.T) {
	for _, commit := range []string{CommitEach, CommitGroup} {
		t.Run(commit, func(t *testing.T) { concurrentDeleteKeepsNamespace(t, commit) })
	}
}

func concurrentDeleteKeepsNamespace(t *testing.T, commit string) {
	b := openTest(t, Options{Fsync: FsyncAlways, Commit: commit})
	m := b.Meta()
	ctx := context.Background()
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				// Two keys per round: the deletes of the last keys of the
				// namespace run at the same time as puts of new ones.
				keys := []string{fmt.Sprintf("a%02d-%03d", w, r), fmt.Sprintf("b%02d-%03d", w, r)}
				for _, key := range keys {
					if _, err := m.Put(ctx, "ns", key, []byte(key), storage.Cond{}); err != nil {
						errs <- fmt.Errorf("put %s: %w", key, err)
					}
				}
				for _, key := range keys {
					if err := m.Delete(ctx, "ns", key, storage.Cond{}); err != nil {
						errs <- fmt.Errorf("delete %s: %w", key, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n < 5 {
			t.Error(err)
		}
		n++
	}
	if n > 0 {
		t.Fatalf("%d of %d operations failed", n, workers*rounds*4)
	}
	es, err := m.List(ctx, "ns", "", "", 10)
	if err != nil || len(es) != 0 {
		t.Fatalf("List after all deletes = %d entries, %v", len(es), err)
	}
}
