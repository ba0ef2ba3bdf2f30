package server

import (
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/md5x"
)

// TestTraceCheck: tracing is refused only while the multi-buffer MD5
// kernel may run and the tracer unwinds by frame pointers.
func TestTraceCheck(t *testing.T) {
	for _, c := range []struct {
		impl, godebug string
		ok            bool
	}{
		{md5x.ImplScalar, "", true},
		{"avx512", "", false},
		{"avx512", "tracefpunwindoff=1", true},
		{"avx2", "madvdontneed=1,tracefpunwindoff=1", true},
		{"avx2", "tracefpunwindoff=1,tracefpunwindoff=0", false},
		{"avx2", "tracefpunwindoff=0", false},
		{"avx2", "xtracefpunwindoff=1", false},
	} {
		err := traceCheck(c.impl, c.godebug)
		if (err == nil) != c.ok {
			t.Errorf("traceCheck(%q, %q) = %v, want ok %v", c.impl, c.godebug, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "GODEBUG=tracefpunwindoff=1") {
			t.Errorf("error %q does not say how to trace", err)
		}
	}
}
