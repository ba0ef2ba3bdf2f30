package server

import (
	"testing"
	"time"
)

func TestFailLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newFailLimiter(3, time.Minute)
	l.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if l.blocked("192.0.2.1:1234") {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("192.0.2.1:1234")
	}
	if !l.blocked("192.0.2.1:999") {
		t.Fatal("not blocked after 3 failures (other port, same address)")
	}
	if l.blocked("192.0.2.2:1234") {
		t.Fatal("another address blocked")
	}
	// IPv6 clients are limited by /64.
	for i := 0; i < 3; i++ {
		l.fail("[2001:db8::1]:80")
	}
	if !l.blocked("[2001:db8::ffff]:80") || l.blocked("[2001:db8:0:1::1]:80") {
		t.Fatal("IPv6 /64 grouping wrong")
	}
	now = now.Add(time.Minute)
	if l.blocked("192.0.2.1:1234") {
		t.Fatal("still blocked after the window")
	}
	off := newFailLimiter(-1, time.Minute)
	off.fail("192.0.2.1:1")
	if off.blocked("192.0.2.1:1") {
		t.Fatal("a disabled limiter blocked")
	}
}
