package chunker

import (
	"hash"
	"sync"
	"sync/atomic"
)

// DefaultDigestDepth is how many chunks each digest goroutine may lag behind
// the reader before Feed blocks (back-pressure instead of unbounded memory).
const DefaultDigestDepth = 8

// Digester computes whole-object hashes beside the data path. MD5 (the
// slowest, and inherently serial) runs in its own goroutine; every other hash
// runs in a second one. Both see the chunks in the order they were fed. The
// pipeline only pays for a channel send per chunk; it blocks only when a
// hash goroutine is more than the configured depth behind.
type Digester struct {
	groups  []*hashGroup
	aborted atomic.Bool
	once    sync.Once
	sums    map[string][]byte
}

// hashGroup is one goroutine and the hashes it runs.
type hashGroup struct {
	names []string
	hs    []hash.Hash
	ch    chan fed
	done  chan struct{}
}

// fed is one queued chunk.
type fed struct {
	b *Buf
	n int
}

// NewDigester starts the digest goroutines for hashes, keyed by name ("md5",
// "sha256", "crc32", "crc32c", "crc64nvme", "sha1", ...). A nil or empty map
// starts nothing, and Feed then costs nothing.
func NewDigester(hashes map[string]hash.Hash) *Digester {
	return NewDigesterDepth(hashes, DefaultDigestDepth)
}

// NewDigesterDepth is NewDigester with an explicit queue depth per goroutine
// (chunks buffered before Feed blocks); depth < 1 means DefaultDigestDepth.
func NewDigesterDepth(hashes map[string]hash.Hash, depth int) *Digester {
	if depth < 1 {
		depth = DefaultDigestDepth
	}
	d := &Digester{}
	var md5g, rest *hashGroup
	for name, h := range hashes {
		if h == nil {
			continue
		}
		g := &rest
		if name == "md5" {
			g = &md5g
		}
		if *g == nil {
			*g = &hashGroup{ch: make(chan fed, depth), done: make(chan struct{})}
			d.groups = append(d.groups, *g)
		}
		(*g).names = append((*g).names, name)
		(*g).hs = append((*g).hs, h)
	}
	for _, g := range d.groups {
		go d.run(g)
	}
	return d
}

// run hashes queued chunks in order until the queue is closed.
func (d *Digester) run(g *hashGroup) {
	defer close(g.done)
	for f := range g.ch {
		if !d.aborted.Load() {
			p := f.b.B[:f.n]
			for _, h := range g.hs {
				h.Write(p) // hash.Hash.Write never returns an error
			}
		}
		f.b.Release()
	}
}

// Feed queues b.B[:n] for every hash. It takes its own references on b, so
// the caller keeps (and must still release) its own. Feed must not be called
// after Close or Abort.
func (d *Digester) Feed(b *Buf, n int) {
	for _, g := range d.groups {
		b.Retain(1)
		g.ch <- fed{b: b, n: n}
	}
}

// Close waits for every queued chunk to be hashed and returns Sum(nil) per
// hash name. Calling it again returns the same map.
func (d *Digester) Close() map[string][]byte {
	d.once.Do(func() {
		d.stop()
		d.sums = make(map[string][]byte)
		for _, g := range d.groups {
			for i, h := range g.hs {
				d.sums[g.names[i]] = h.Sum(nil)
			}
		}
	})
	return d.sums
}

// Abort stops hashing, releases every queued buffer and waits for the
// goroutines to exit. Use it when the upload failed and the sums are moot.
func (d *Digester) Abort() {
	d.aborted.Store(true)
	d.once.Do(d.stop)
}

// stop closes the queues and waits for the goroutines.
func (d *Digester) stop() {
	for _, g := range d.groups {
		close(g.ch)
	}
	for _, g := range d.groups {
		<-g.done
	}
}
