package maint

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

func TestLimiterKeepsRate(t *testing.T) {
	for _, step := range []int{4 << 10, 64 << 10, 3 << 20} {
		clk := newFakeClock()
		const rate = 10_000_000
		l := NewLimiter(rate, 1_000_000, clk)
		total := 0
		for total < 100_000_000 {
			if err := l.Wait(context.Background(), step); err != nil {
				t.Fatal(err)
			}
			total += step
		}
		// The bucket starts full, so the first burst is free.
		want := time.Duration(float64(total-1_000_000) / rate * float64(time.Second))
		got := clk.slept
		if math.Abs(float64(got-want)) > float64(want)/100 {
			t.Errorf("step %d: %d bytes took %v of sleep, want %v ±1%%", step, total, got, want)
		}
	}
}

func TestLimiterBurstIsFree(t *testing.T) {
	clk := newFakeClock()
	l := NewLimiter(1_000_000, 500_000, clk)
	if err := l.Wait(context.Background(), 500_000); err != nil {
		t.Fatal(err)
	}
	if clk.slept != 0 {
		t.Fatalf("a burst-sized first wait slept %v", clk.slept)
	}
	_ = l.Wait(context.Background(), 100_000)
	if want := 100 * time.Millisecond; clk.slept != want {
		t.Fatalf("debt of 100 kB at 1 MB/s slept %v, want %v", clk.slept, want)
	}
}

func TestLimiterUnlimitedAndCancel(t *testing.T) {
	clk := newFakeClock()
	if err := NewLimiter(-1, 0, clk).Wait(context.Background(), 1<<30); err != nil || clk.slept != 0 {
		t.Fatalf("unlimited limiter: err %v, slept %v", err, clk.slept)
	}
	l := NewLimiter(1000, 1000, clk)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, 5000); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	// The cancelled bytes were given back: a burst still passes free.
	if err := l.Wait(context.Background(), 1000); err != nil || clk.slept != 0 {
		t.Fatalf("after a cancelled wait: err %v, slept %v", err, clk.slept)
	}
}
