// Package storagetest is the conformance suite every storage.Backend runs:
// the local backend in its unit tests, the RADOS backend under the ceph
// build tag. A backend that passes it honours the contracts documented in
// package storage (visibility on commit, conditional writes, byte-ordered
// listing, error wrapping), which is all the data plane and the object
// layer rely on.
//
// Usage, from a backend's tests:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Backend {
//			b, err := mybackend.Open(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return b
//		})
//	}
//
// The suite calls newBackend once per subtest and closes what it gets when
// the subtest ends. Backends may share state between calls (one Ceph
// cluster, one pool): every subtest uses its own namespaces and random shard
// names.
package storagetest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
)

// Run runs the whole suite against backends made by newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) storage.Backend) {
	token := randomHex(4)
	open := func(t *testing.T) *fixture {
		t.Helper()
		b := newBackend(t)
		if b == nil {
			t.Fatal("storagetest: newBackend returned nil")
		}
		t.Cleanup(func() {
			if err := b.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		ns := "storagetest-" + token + "/" + strings.ReplaceAll(t.Name(), "/", ".")
		return &fixture{b: b, ns: ns}
	}
	t.Run("OSD", func(t *testing.T) { runOSD(t, open) })
	t.Run("Meta", func(t *testing.T) { runMeta(t, open) })
	t.Run("List", func(t *testing.T) { runList(t, open) })
	t.Run("Races", func(t *testing.T) { runRaces(t, open) })
	t.Run("Durability", func(t *testing.T) { runDurability(t, open) })
}

// fixture is one subtest's backend and private namespace prefix.
type fixture struct {
	b  storage.Backend
	ns string
}

// name returns a namespace private to the subtest.
func (f *fixture) name(suffix string) string { return f.ns + "/" + suffix }

// shardName returns a fresh shard name in the production form
// hex(dataID) + "." + index.
func shardName(index int) string {
	return fmt.Sprintf("%s.%d", randomHex(16), index)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // documented never to fail since Go 1.24
	return hex.EncodeToString(b)
}

// pattern returns n bytes that differ by seed and position, so misplaced or
// mixed-up data is caught by comparison.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
