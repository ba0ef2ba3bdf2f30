package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/tasmaniancloud/rustfs/cpu"
	"github.com/tasmaniancloud/rustfs/internal/gcpace"
	"github.com/tasmaniancloud/rustfs/server"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

// cmdServer runs `rustfs server` until ctx is cancelled (SIGINT/SIGTERM).
func cmdServer(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := parseServer(args, getenv, fs)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs server: %v\n", err)
		return 2
	}
	cfg.Out = stdout
	// The memory limit is the process's: set here, not in server.Run.
	pace := gcpace.Start(gcpace.Options{Headroom: cfg.GCHeadroom, Limit: cfg.MemoryLimit})
	defer pace.Stop()
	cpus := setProcs(cfg.Procs, getenv)
	defer runtime.GOMAXPROCS(cpus) // a test that runs the command keeps its own
	if cfg.Workers == 0 {
		cfg.Workers = cpus
	}
	if err := server.Run(ctx, cfg, nil); err != nil {
		// Run's errors name their package ("server: ..."); a second
		// "rustfs server:" in front would only repeat it.
		fmt.Fprintf(stderr, "rustfs: %v\n", err)
		return 1
	}
	return 0
}

// cmdKeysRotate runs `rustfs keys rotate`.
func cmdKeysRotate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs keys rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.DefaultConfig()
	storageFlags(fs, &cfg)
	var o server.RotateOptions
	fs.BoolVar(&o.DryRun, "dry-run", false, "verify and count, write nothing")
	fs.Var(listFlag{&cfg.UnsealShares}, "unseal-share", "key share file, when the local keyring is sealed (repeatable)")
	fs.Var(listFlag{&o.Buckets}, "bucket", "limit to these buckets (repeatable or comma separated)")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = applyEnv(fs, getenv)
	}
	if err == nil {
		err = bindBackend(&cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys rotate: %v\n", err)
		return 2
	}
	rep, err := server.RotateKeys(ctx, cfg, o)
	fmt.Fprintln(stdout, rep.String())
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys rotate: %v\n", err)
		return 1
	}
	if rep.Tampered > 0 {
		fmt.Fprintf(stderr, "rustfs keys rotate: %d manifests failed verification and were left untouched\n", rep.Tampered)
		return 1
	}
	return 0
}

// cmdCPU prints the detected features and the kernels they select.
func cmdCPU(stdout io.Writer) int {
	fmt.Fprintf(stdout, "features: %s\nkernels:  %s\n", cpu.Detect(), cpu.Paths())
	return 0
}

// cmdVersion prints the version, the Go toolchain and the VCS revision.
func cmdVersion(stdout io.Writer) int {
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = " " + s.Value
			}
		}
	}
	fmt.Fprintf(stdout, "rustfs %s%s (%s %s/%s)\n", version, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
