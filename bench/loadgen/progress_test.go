package loadgen

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressPlainLines checks that a non-terminal gets plain status
// lines (no carriage returns or escapes) with the live counters.
func TestProgressPlainLines(t *testing.T) {
	var live counters
	live.ops.Store(12)
	live.bytes.Store(5e6)
	live.errors.Store(1)
	var buf bytes.Buffer
	p := &progress{w: &buf, label: "put 1M c2", total: 10 * time.Second, live: &live, start: time.Now().Add(-time.Second)}
	p.draw()
	line := buf.String()
	if strings.ContainsAny(line, "\r\x1b") || !strings.Contains(line, "put 1M c2") || !strings.Contains(line, "12 ops") ||
		!strings.Contains(line, "1 errors") || !strings.HasSuffix(line, "\n") {
		t.Fatalf("plain progress line %q", line)
	}
	buf.Reset()
	p.tty = true
	p.draw()
	if !strings.HasPrefix(buf.String(), "\r[===") {
		t.Fatalf("terminal progress %q", buf.String())
	}
	if isTerminal(&buf) {
		t.Fatal("a buffer is not a terminal")
	}
}
