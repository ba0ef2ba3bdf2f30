package sealed

import (
	"context"
	"sync"
)

// reservations counts the keys indexed ahead of their first Put (Reserve),
// per plaintext namespace and key, so Put can skip an insert already done.
type reservations struct {
	mu sync.Mutex
	n  map[string]int
}

func resKey(ns, key string) string { return ns + "\x00" + key }

func (r *reservations) add(k string, d int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	if r.n[k] += d; r.n[k] <= 0 {
		delete(r.n, k)
	}
}

func (r *reservations) has(k string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[k] > 0
}

// Reserve enters key into ns's index ahead of the Put that will create it,
// so a writer that stores data first (an object PUT) can overlap the index
// write with the data write instead of paying it after. The entry is
// durable when Reserve returns; until release is called, Put of the key
// skips its own index insert (its check after the record write still
// re-indexes a key a concurrent delete pruned meanwhile). An abandoned
// reservation leaves an index entry without a record, which List skips
// and prunes, as after a crash. release is idempotent.
func (m *Meta) Reserve(ctx context.Context, ns, key string) (release func(), err error) {
	if err := check(ns, key); err != nil {
		return nil, err
	}
	if err := m.ix.change(ctx, ns, key, false); err != nil {
		return nil, err
	}
	k := resKey(ns, key)
	m.res.add(k, 1)
	var once sync.Once
	return func() { once.Do(func() { m.res.add(k, -1) }) }, nil
}
