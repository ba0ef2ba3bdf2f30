package main

import (
	"flag"
	"strings"

	"github.com/tasmaniancloud/rustfs/server"
)

// opsFlags registers the operator flags of `rustfs server`: profiling, heap
// pacing and the admin listener (pprof and Prometheus metrics).
func opsFlags(fs *flag.FlagSet, c *server.Config) {
	fs.StringVar(&c.Profile, "profile", c.Profile, "write a profile at shutdown: "+strings.Join(server.Profiles, "|")+" (default off)")
	fs.StringVar(&c.ProfileDir, "profile-dir", c.ProfileDir, "directory for --profile output (default <data>/profiles)")
	fs.Var(memFlag{&c.GCHeadroom}, "gc-headroom", "how far the Go heap may grow above its live size before a collection (the larger of this and live/8; default 16M; off: GOGC's doubling)")
	fs.Var(memFlag{&c.MemoryLimit}, "memory-limit", "fixed soft ceiling on the process's Go memory, as GOMEMLIMIT (K/M/G/T; default none or $GOMEMLIMIT; a live heap above it is collected continuously)")
	fs.IntVar(&c.Procs, "procs", c.Procs, "Go scheduler Ps, GOMAXPROCS (0: the CPU count, at least 8, unless $GOMAXPROCS is set; the default --workers stays the CPU count)")
	fs.StringVar(&c.AdminAddress, "admin-address", c.AdminAddress, "serve /metrics and /debug/pprof/ here, unauthenticated (\":6060\" binds 127.0.0.1; default off)")
}
