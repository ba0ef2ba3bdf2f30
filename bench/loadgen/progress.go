package loadgen

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress redraws one status line on a terminal (or prints a plain line
// every few seconds elsewhere) until stopped.
type progress struct {
	w     io.Writer
	tty   bool
	label string
	total time.Duration // the planned duration, 0 when Count bounds the run
	count int64
	live  *counters
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startProgress begins reporting on w; nil w reports nothing.
func startProgress(w io.Writer, label string, o Options, live *counters) *progress {
	p := &progress{w: w, tty: isTerminal(w), label: label, total: o.Duration, count: int64(o.Count),
		live: live, start: time.Now(), stop: make(chan struct{})}
	if w == nil {
		return p
	}
	every := 2 * time.Second
	if p.tty {
		every = 250 * time.Millisecond
	}
	p.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				if p.tty {
					p.draw()
					fmt.Fprintln(p.w)
				}
				return
			case <-t.C:
				p.draw()
			}
		}
	})
	return p
}

// draw prints the current state.
func (p *progress) draw() {
	el := time.Since(p.start)
	ops, bytes, errs := p.live.ops.Load(), p.live.bytes.Load(), p.live.errors.Load()
	frac := 0.0
	switch {
	case p.count > 0:
		frac = float64(ops+errs) / float64(p.count)
	case p.total > 0:
		frac = el.Seconds() / p.total.Seconds()
	}
	frac = min(max(frac, 0), 1)
	mbps := float64(bytes) / 1e6 / max(el.Seconds(), 1e-9)
	stats := fmt.Sprintf("%s %5.1fs %d ops %.1f MB/s %d errors", p.label, el.Seconds(), ops, mbps, errs)
	if !p.tty {
		fmt.Fprintln(p.w, stats)
		return
	}
	const width = 30
	bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
	fmt.Fprintf(p.w, "\r[%s] %3.0f%% %s\x1b[K", bar, frac*100, stats)
}

// end stops reporting.
func (p *progress) end() {
	close(p.stop)
	p.wg.Wait()
}
