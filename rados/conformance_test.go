//go:build ceph

package rados

import (
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// TestConformance runs the shared backend suite against the cluster. Pieces
// and write buffers are made tiny so the suite's 300 KiB shards span several
// RADOS objects and every piece boundary path runs.
func TestConformance(t *testing.T) {
	o := testOptions(t)
	o.PieceSize = 128 << 10
	o.WriteSize = 64 << 10
	storagetest.Run(t, func(t *testing.T) storage.Backend {
		return openTest(t, o)
	})
}
