package failure

import (
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"sort"
	"sync"
	"testing"

	"github.com/tasmaniancloud/rustfs/object"
)

// want is what a key may hold after the faults of a trial: exactly one
// content once an operation was acknowledged, several while an operation
// was in flight when the server died (the old or the new content), and
// possibly nothing after an acknowledged or interrupted delete.
type want struct {
	sums     [][32]byte
	sizes    []int64
	absentOK bool
	present  bool // some content is acceptable
}

// ledger records what the suite was told is stored.
type ledger struct {
	mu   sync.Mutex
	objs map[[2]string]*want
	st   *stats
}

func newLedger(st *stats) *ledger { return &ledger{objs: map[[2]string]*want{}, st: st} }

// acked records an acknowledged write of data: the key holds exactly it.
func (l *ledger) acked(bucket, key string, data []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.objs[[2]string{bucket, key}] = &want{sums: [][32]byte{sha256.Sum256(data)}, sizes: []int64{int64(len(data))}, present: true}
	l.st.written.Add(1)
}

// deleted records an acknowledged delete: the key must not be found.
func (l *ledger) deleted(bucket, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.objs[[2]string{bucket, key}] = &want{absentOK: true}
}

// doubt records an operation whose outcome is unknown (the server died
// during it): data (nil for a delete) becomes acceptable besides what was
// acceptable before.
func (l *ledger) doubt(bucket, key string, data []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := [2]string{bucket, key}
	w := l.objs[k]
	if w == nil {
		w = &want{absentOK: true}
		l.objs[k] = w
	}
	if data == nil {
		w.absentOK = true
		return
	}
	w.sums = append(w.sums, sha256.Sum256(data))
	w.sizes = append(w.sizes, int64(len(data)))
	w.present = true
}

// forget drops a key whose loss the trial caused on purpose (a fault
// beyond the advertised tolerance).
func (l *ledger) forget(bucket, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.objs, [2]string{bucket, key})
}

// keys lists the recorded keys in order.
func (l *ledger) keys() [][2]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([][2]string, 0, len(l.objs))
	for k := range l.objs {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// readResult is what one read-back saw.
type readResult struct {
	sum     [32]byte
	n       int64
	missing bool // the key does not exist
	err     error
}

// getter reads one object back.
type getter func(ctx context.Context, bucket, key string) readResult

// verify reads every recorded key back and compares it with what may be
// there. Bytes of an acknowledged object that cannot be read count as lost,
// bytes that differ from every acceptable content as wrong. Once read, an
// in-doubt key is pinned to what was found.
func (l *ledger) verify(t *testing.T, ctx context.Context, what string, get getter) {
	t.Helper()
	failures := 0
	report := func(format string, args ...any) {
		failures++
		if failures <= 3 {
			t.Errorf(format, args...)
		}
	}
	defer func() {
		if failures > 3 {
			t.Errorf("%s: %d more failed reads", what, failures-3)
		}
	}()
	for _, k := range l.keys() {
		l.mu.Lock()
		w := l.objs[k]
		l.mu.Unlock()
		r := get(ctx, k[0], k[1])
		switch {
		case r.err != nil:
			if w.present && !w.absentOK {
				l.st.lostBytes.Add(maxSize(w.sizes))
			}
			report("%s: read %s/%s: %v", what, k[0], k[1], r.err)
		case r.missing:
			if !w.absentOK {
				l.st.lostBytes.Add(maxSize(w.sizes))
				report("%s: acknowledged object %s/%s is gone", what, k[0], k[1])
				continue
			}
			l.mu.Lock()
			l.objs[k] = &want{absentOK: true}
			l.mu.Unlock()
			l.st.verified.Add(1)
		default:
			i := indexOf(w.sums, r.sum)
			if i < 0 {
				l.st.wrongBytes.Add(r.n)
				report("%s: %s/%s served %d bytes that are none of the acknowledged contents", what, k[0], k[1], r.n)
				continue
			}
			l.mu.Lock()
			l.objs[k] = &want{sums: [][32]byte{w.sums[i]}, sizes: []int64{w.sizes[i]}, present: true}
			l.mu.Unlock()
			l.st.verified.Add(1)
		}
	}
}

func indexOf(sums [][32]byte, s [32]byte) int {
	for i, x := range sums {
		if x == s {
			return i
		}
	}
	return -1
}

func maxSize(s []int64) int64 {
	var m int64
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

// countingHash hashes what it is written and counts it.
type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// storeGetter reads through an in-process object.Store.
func storeGetter(s func() *object.Store) getter {
	return func(ctx context.Context, bucket, key string) readResult {
		obj, err := s().GetObject(ctx, object.GetInput{Bucket: bucket, Key: key})
		if errors.Is(err, object.ErrNoSuchKey) {
			return readResult{missing: true}
		}
		if err != nil {
			return readResult{err: err}
		}
		ch := &countingHash{h: sha256.New()}
		if _, err := obj.WriteTo(ctx, ch); err != nil {
			return readResult{err: err}
		}
		var r readResult
		copy(r.sum[:], ch.h.Sum(nil))
		r.n = ch.n
		return r
	}
}
