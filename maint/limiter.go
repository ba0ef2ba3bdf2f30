package maint

import (
	"context"
	"sync"
	"time"
)

// Throttle is called before n bytes are read or written by background
// work; it blocks until the rate limit allows them (or ctx ends). Its
// signature matches object.HealOptions.Throttle.
type Throttle func(ctx context.Context, n int) error

// Limiter is a token bucket in bytes per second shared by scrub reads and
// repair writes, so that background work as a whole keeps to one budget.
// A request larger than the bucket is admitted by going into debt: the
// caller sleeps until the debt is repaid, which keeps the long-run rate
// exact whatever the request sizes.
type Limiter struct {
	clk   Clock
	rate  float64 // bytes per second; <= 0 means unlimited
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter of rate bytes per second with a bucket of
// burst bytes (burst <= 0: a tenth of a second's worth, at least 64 KiB).
// A rate <= 0 never throttles. clk nil means the wall clock.
func NewLimiter(rate, burst int64, clk Clock) *Limiter {
	if clk == nil {
		clk = realClock{}
	}
	if burst <= 0 {
		burst = max(rate/10, 64<<10)
	}
	return &Limiter{clk: clk, rate: float64(rate), burst: float64(burst), tokens: float64(burst), last: clk.Now()}
}

// Rate returns the limit in bytes per second (0 when unlimited).
func (l *Limiter) Rate() int64 {
	if l == nil || l.rate <= 0 {
		return 0
	}
	return int64(l.rate)
}

// Wait takes n bytes from the bucket, sleeping while it is in debt. A
// cancelled wait returns ctx's error and gives the bytes back.
func (l *Limiter) Wait(ctx context.Context, n int) error {
	if l == nil || l.rate <= 0 || n <= 0 {
		return ctx.Err()
	}
	l.mu.Lock()
	now := l.clk.Now()
	if el := now.Sub(l.last); el > 0 {
		l.tokens = min(l.burst, l.tokens+el.Seconds()*l.rate)
		l.last = now
	}
	l.tokens -= float64(n)
	debt := -l.tokens
	l.mu.Unlock()
	if debt <= 0 {
		return nil
	}
	d := time.Duration(debt / l.rate * float64(time.Second))
	if err := l.clk.Sleep(ctx, d); err != nil {
		l.mu.Lock()
		l.tokens = min(l.burst, l.tokens+float64(n))
		l.mu.Unlock()
		return err
	}
	return nil
}

// Throttle returns l.Wait as a Throttle.
func (l *Limiter) Throttle() Throttle { return l.Wait }
