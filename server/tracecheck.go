package server

import (
	"fmt"
	"strings"

	"github.com/tasmaniancloud/rustfs/md5x"
)

// traceCheck says whether Go's execution tracer may run in this process
// (--profile trace, /debug/pprof/trace). The tracer records stacks by
// following frame pointers, and the multi-buffer MD5 kernel (md5-simd's
// assembly) uses the frame-pointer register for data: a trace taken while
// concurrent PUTs hash with it crashed the server (SIGSEGV in
// runtime.fpTracebackPCs, docs/PERFORMANCE.md). GODEBUG=tracefpunwindoff=1
// makes the tracer unwind without frame pointers; that setting is read once
// at start, so it cannot be turned on here. md5Impl is md5x.Provider.Impl;
// godebug is $GODEBUG.
func traceCheck(md5Impl, godebug string) error {
	if md5Impl == md5x.ImplScalar || godebugValue(godebug, "tracefpunwindoff") == "1" {
		return nil
	}
	return fmt.Errorf("server: execution tracing needs GODEBUG=tracefpunwindoff=1 in the server's environment while MD5 uses the multi-buffer kernel (%s), whose assembly breaks the tracer's frame-pointer unwinding; or run the server with --md5 scalar", md5Impl)
}

// godebugValue is key's value in a GODEBUG list ("k=v,k2=v2"; the last
// setting of a key wins, as in the runtime), "" when unset.
func godebugValue(godebug, key string) string {
	v := ""
	for _, kv := range strings.Split(godebug, ",") {
		if k, val, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == key {
			v = val
		}
	}
	return v
}
