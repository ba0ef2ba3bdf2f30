//go:build ceph

package rados

import (
	"context"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/sealed"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// TestSealedConformance runs the shared suite over storage/sealed wrapping
// this backend, as the server runs it: names hashed, values sealed, order
// kept by the sealed index in omap values, with leaves small enough that
// the suite's namespaces split.
func TestSealedConformance(t *testing.T) {
	o := testOptions(t)
	key := func(context.Context, string) ([32]byte, string, error) {
		return [32]byte{1, 2, 3, 4, 5, 6, 7, 8}, "test-root", nil
	}
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		b, err := sealed.Open(t.Context(), openTest(t, o), key, sealed.Options{LeafBytes: 1})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
