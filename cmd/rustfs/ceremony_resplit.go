package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/tasmaniancloud/rustfs/server"
)

// cmdKeysResplit runs `rustfs keys resplit`: the same root, new custodians
// or threshold; the shares given are those of the current split.
func cmdKeysResplit(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs keys resplit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.DefaultConfig()
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (the keyring defaults to <data>/keys)")
	fs.StringVar(&cfg.KeyringDir, "keyring-dir", cfg.KeyringDir, "directory that holds ceremony.json (default <data>/keys)")
	n := fs.Int("shares", 0, "number of new key shares to write (N)")
	m := fs.Int("threshold", 0, "new shares needed to unseal (M, 2..N)")
	out := fs.String("out", "", "directory for the new share files (one per custodian; move them off this machine)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rustfs keys resplit [flags] --shares N --threshold M --out DIR SHARE-FILE...")
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = applyEnv(fs, getenv)
	}
	if err == nil && (*out == "" || *n == 0 || *m == 0) {
		err = errors.New("--shares, --threshold and --out are required")
	}
	if err == nil && fs.NArg() == 0 {
		err = errors.New("give the current split's share files (at least its threshold) as arguments")
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys resplit: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	rec, paths, err := server.ResplitCeremony(cfg, *out, *n, *m, fs.Args(), log)
	if rec == nil {
		fmt.Fprintf(stderr, "rustfs keys resplit: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Keyring %s split again (epoch %d) into %d shares; any %d unseal it.\n", rec.KeyringID, rec.CurrentEpoch(), rec.Shares, rec.Threshold)
	for _, p := range paths {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	fmt.Fprintln(stdout, "Every share of the earlier split is now refused. Give each new file to a different custodian and delete it here.")
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys resplit: %v\n", err)
		return 1
	}
	return 0
}

// cmdKeysLog runs `rustfs keys log`: it prints the keyring's ceremony
// events after checking their hash chain (exit 1 names the first bad line).
func cmdKeysLog(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs keys log", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := server.DefaultConfig()
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (the keyring defaults to <data>/keys)")
	fs.StringVar(&cfg.KeyringDir, "keyring-dir", cfg.KeyringDir, "directory that holds ceremony.log (default <data>/keys)")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = applyEnv(fs, getenv)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys log: %v\n", err)
		return 2
	}
	evs, path, err := server.VerifyCeremonyLog(cfg)
	for _, e := range evs {
		fmt.Fprintf(stdout, "%s %-7s keyring=%s shares=%d threshold=%d epoch=%d->%d host=%s %s\n",
			e.Time.Format("2006-01-02T15:04:05Z"), e.Event, e.KeyringID, e.Shares, e.Threshold, e.OldEpoch, e.NewEpoch, e.Host, e.Detail)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs keys log: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %d events, hash chain intact\n", path, len(evs))
	return 0
}
