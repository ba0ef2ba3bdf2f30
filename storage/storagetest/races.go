package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

func runRaces(t *testing.T, open func(*testing.T) *fixture) {
	t.Run("IfAbsentOneWinner", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		const racers, rounds = 16, 5
		for r := range rounds {
			key := fmt.Sprintf("contended-%d", r)
			versions := make([]storage.Version, racers)
			errs := make([]error, racers)
			var wg sync.WaitGroup
			for g := range racers {
				wg.Go(func() {
					versions[g], errs[g] = m.Put(t.Context(), ns, key, []byte(strconv.Itoa(g)), storage.Cond{IfAbsent: true})
				})
			}
			wg.Wait()
			winner := -1
			for g, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("key %s: racers %d and %d both won IfAbsent", key, winner, g)
				case err == nil:
					winner = g
				case !errors.Is(err, storage.ErrPrecondition):
					t.Fatalf("key %s: racer %d: %v, want ErrPrecondition", key, g, err)
				}
			}
			if winner < 0 {
				t.Fatalf("key %s: no racer won IfAbsent", key)
			}
			checkGet(t, m, ns, key, []byte(strconv.Itoa(winner)), versions[winner])
		}
	})

	t.Run("IfVersionOneWinner", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		const racers = 12
		v0 := put(t, m, ns, "k", []byte("base"), storage.Cond{})
		wins := make([]bool, racers)
		errs := make(chan error, racers)
		var wg sync.WaitGroup
		for g := range racers {
			wg.Go(func() {
				_, err := m.Put(t.Context(), ns, "k", []byte(strconv.Itoa(g)), storage.Cond{IfVersion: v0})
				if err == nil {
					wins[g] = true
				} else if !errors.Is(err, storage.ErrPrecondition) {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		n := 0
		for _, w := range wins {
			if w {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d racers won the same IfVersion, want exactly 1", n)
		}
	})

	t.Run("CASCounter", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		const workers, increments = 6, 20
		put(t, m, ns, "counter", []byte("0"), storage.Cond{IfAbsent: true})
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				for range increments {
					if err := Increment(t.Context(), m, ns, "counter"); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got, _, err := m.Get(t.Context(), ns, "counter")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != strconv.Itoa(workers*increments) {
			t.Fatalf("counter = %s after %d CAS increments", got, workers*increments)
		}
	})

	t.Run("DeleteIfVersionOneWinner", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		const racers = 8
		v := put(t, m, ns, "k", []byte("x"), storage.Cond{})
		var wg sync.WaitGroup
		results := make([]error, racers)
		for g := range racers {
			wg.Go(func() { results[g] = m.Delete(t.Context(), ns, "k", storage.Cond{IfVersion: v}) })
		}
		wg.Wait()
		n := 0
		for g, err := range results {
			switch {
			case err == nil:
				n++
			case !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, storage.ErrPrecondition):
				t.Fatalf("racer %d: %v", g, err)
			}
		}
		if n != 1 {
			t.Fatalf("%d racers deleted the same version, want exactly 1", n)
		}
		wantMissing(t, m, ns, "k")
	})

	t.Run("DistinctKeysInParallel", func(t *testing.T) {
		f := open(t)
		m, ns := f.b.Meta(), f.name("ns")
		const workers, each = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for g := range workers {
			wg.Go(func() {
				for i := range each {
					k := fmt.Sprintf("w%d/k%02d", g, i)
					if _, err := m.Put(t.Context(), ns, k, []byte(k), storage.Cond{IfAbsent: true}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		es, err := m.List(t.Context(), ns, "", "", workers*each+1)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != workers*each {
			t.Fatalf("listed %d keys, want %d", len(es), workers*each)
		}
		for _, e := range es {
			if string(e.Value) != e.Key {
				t.Fatalf("key %q holds %q", e.Key, e.Value)
			}
		}
	})
}

// Increment adds one to the decimal counter stored under key with a
// Get + Put(IfVersion) loop, retrying on ErrPrecondition. Backend tests use
// it to race increments from other goroutines or processes.
func Increment(ctx context.Context, m storage.Meta, ns, key string) error {
	for attempt := 0; ; attempt++ {
		if attempt == 10000 {
			return fmt.Errorf("increment %s/%s: no progress after %d attempts", ns, key, attempt)
		}
		val, v, err := m.Get(ctx, ns, key)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(val))
		if err != nil {
			return fmt.Errorf("increment %s/%s: value %q: %w", ns, key, val, err)
		}
		nv, err := m.Put(ctx, ns, key, []byte(strconv.Itoa(n+1)), storage.Cond{IfVersion: v})
		if errors.Is(err, storage.ErrPrecondition) {
			continue
		}
		if err != nil {
			return err
		}
		if nv == v {
			return fmt.Errorf("increment %s/%s: version %d unchanged by a CAS", ns, key, v)
		}
		return nil
	}
}
