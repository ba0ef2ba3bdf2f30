package server

import (
	"testing"

	"github.com/tasmaniancloud/rustfs/s3api"
)

// TestMaxConnsFor: a configured cap wins; otherwise the descriptor limit
// leaves room for storage files and the result stays within bounds.
func TestMaxConnsFor(t *testing.T) {
	for _, c := range []struct {
		configured int
		nofile     uint64
		want       int
	}{
		{500, 1024, 500},
		{-1, 1024, -1},
		{0, 0, 0}, // unknown limit: s3api's default applies
		{0, 100, minDerivedConns},
		{0, 1024, 512},
		{0, 4096, 3072},
		{0, 20000, s3api.DefaultMaxConns},
		{0, 1 << 20, s3api.DefaultMaxConns},
	} {
		if got := maxConnsFor(c.configured, c.nofile); got != c.want {
			t.Errorf("maxConnsFor(%d, %d) = %d, want %d", c.configured, c.nofile, got, c.want)
		}
	}
}
