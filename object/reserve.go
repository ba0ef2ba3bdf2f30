package object

import "context"

// indexReserver is a Meta that can index a key ahead of the Put creating
// it (storage/sealed's ordered index). A PUT of a new key then pays the
// index write beside its data write instead of after it: one fsync round
// fewer between the last body byte and the answer.
type indexReserver interface {
	Reserve(ctx context.Context, ns, key string) (release func(), err error)
}

// reservation is an index reservation running beside a data write.
type reservation struct {
	done    chan struct{}
	release func() // nil when the reservation failed
}

// reserveIndex starts indexing key in ns in the background when the Meta
// supports it, and returns nil when it does not. A failed reservation is
// harmless: the commit's Put then indexes the key itself, as without one.
func (s *Store) reserveIndex(ctx context.Context, ns, key string) *reservation {
	ir, ok := s.meta.(indexReserver)
	if !ok {
		return nil
	}
	r := &reservation{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if rel, err := ir.Reserve(ctx, ns, key); err == nil {
			r.release = rel
		}
	}()
	return r
}

// wait returns once the reservation is made or has failed; the commit
// must not start before, or its Put could not skip the index insert.
func (r *reservation) wait() {
	if r != nil {
		<-r.done
	}
}

// end waits for the reservation and gives it back (after the commit, or
// when the PUT is abandoned).
func (r *reservation) end() {
	if r == nil {
		return
	}
	<-r.done
	if r.release != nil {
		r.release()
	}
}

// indexDropper is a Meta that keeps an index per namespace and can drop
// an emptied namespace's index (storage/sealed keeps the head leaf of every
// namespace ever written otherwise: one per multipart upload).
type indexDropper interface {
	DropEmptyIndex(ctx context.Context, ns string) (bool, error)
}

// dropEmptyIndex drops ns's index when the Meta has one and ns holds no
// record; it does nothing (nil) when ns holds one, e.g. a part committed
// late, whose own cleanup (partAfterUploadGone) drops the index after it.
func (s *Store) dropEmptyIndex(ctx context.Context, ns string) error {
	d, ok := s.meta.(indexDropper)
	if !ok {
		return nil
	}
	_, err := d.DropEmptyIndex(ctx, ns)
	return err
}
