package main

import (
	"flag"

	"github.com/tasmaniancloud/rustfs/server"
)

// maintFlags registers the maintenance scheduler's flags of `rustfs server`.
func maintFlags(fs *flag.FlagSet, c *server.MaintConfig) {
	fs.Float64Var(&c.ScrubRateMB, "scrub-rate", c.ScrubRateMB, "background scrub and repair I/O limit in MB/s (0 = unlimited)")
	fs.DurationVar(&c.ScrubInterval, "scrub-interval", c.ScrubInterval, "time between full deep scrub passes (0 = background scrub off)")
	fs.DurationVar(&c.OrphanGrace, "orphan-grace", c.OrphanGrace, "age before a shard referenced by nothing is collected")
	fs.DurationVar(&c.HealEvery, "heal-every", c.HealEvery, "how often the durable heal queue is drained")
}
