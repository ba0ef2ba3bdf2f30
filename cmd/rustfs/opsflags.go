package main

import (
	"flag"
	"strings"

	"github.com/tasmaniancloud/rustfs/server"
)

// opsFlags registers the operator flags of `rustfs server`: profiling and
// the admin listener (pprof and Prometheus metrics).
func opsFlags(fs *flag.FlagSet, c *server.Config) {
	fs.StringVar(&c.Profile, "profile", c.Profile, "write a profile at shutdown: "+strings.Join(server.Profiles, "|")+" (default off)")
	fs.StringVar(&c.ProfileDir, "profile-dir", c.ProfileDir, "directory for --profile output (default <data>/profiles)")
	fs.StringVar(&c.AdminAddress, "admin-address", c.AdminAddress, "serve /metrics and /debug/pprof/ here, unauthenticated (\":6060\" binds 127.0.0.1; default off)")
}
