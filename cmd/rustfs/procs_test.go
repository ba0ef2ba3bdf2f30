package main

import (
	"flag"
	"io"
	"testing"
)

// TestServerProcs: the flag wins; without it the CPU count is raised to
// minProcs, unless $GOMAXPROCS chose the runtime's value.
func TestServerProcs(t *testing.T) {
	for _, c := range []struct {
		flag, cpus int
		envSet     bool
		want       int
	}{
		{0, 2, false, minProcs},
		{0, 1, false, minProcs},
		{0, 32, false, 32},
		{0, 2, true, 2},
		{3, 2, false, 3},
		{3, 16, true, 3},
	} {
		if got := serverProcs(c.flag, c.cpus, c.envSet); got != c.want {
			t.Errorf("serverProcs(%d, %d, %v) = %d, want %d", c.flag, c.cpus, c.envSet, got, c.want)
		}
	}
}

// TestParseProcs: --procs and RUSTFS_PROCS reach the config; the default
// is 0 (automatic).
func TestParseProcs(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want int
	}{
		{nil, nil, 0},
		{[]string{"--procs", "6"}, nil, 6},
		{nil, map[string]string{"RUSTFS_PROCS": "12"}, 12},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg, err := parseServer(c.args, env(c.env), fs)
		if err != nil || cfg.Procs != c.want {
			t.Errorf("%v %v: procs %d, %v; want %d", c.args, c.env, cfg.Procs, err, c.want)
		}
	}
}
