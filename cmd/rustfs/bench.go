package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tasmaniancloud/rustfs/bench/loadgen"
)

// benchFlags are the `rustfs bench` settings that are not loadgen.Options
// fields as they stand: lists that expand into cases, and endpoint B.
type benchFlags struct {
	modes, sizes, concurrency, ratio string
	partSize, rangeSize              string
	rounds                           int
	json, noProgress                 bool
	a, b                             loadgen.Target
}

// cmdBench runs `rustfs bench`: one or more cases against --endpoint, or
// A/B against --endpoint and --endpoint-b.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("rustfs bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f benchFlags
	var o loadgen.Options
	fs.StringVar(&f.a.Endpoint, "endpoint", "http://127.0.0.1:9000", "S3 endpoint (A in A/B mode)")
	fs.StringVar(&f.a.Region, "region", "us-east-1", "SigV4 region")
	fs.StringVar(&f.a.CACert, "ca-cert", "", "PEM certificate to trust for https")
	fs.BoolVar(&f.a.Insecure, "insecure", false, "skip TLS certificate verification")
	fs.IntVar(&f.a.ServerPID, "server-pid", 0, "PID of the server on this machine, for its CPU-seconds per GB")
	fs.StringVar(&f.b.Endpoint, "endpoint-b", "", "second endpoint: A/B mode, alternating the two case by case")
	fs.StringVar(&f.b.AccessKey, "access-key-b", "", "access key of B (default RUSTFS_BENCH_B_ACCESS_KEY, else A's)")
	fs.StringVar(&f.b.SecretKey, "secret-key-b", "", "secret key of B (default RUSTFS_BENCH_B_SECRET_KEY, else A's; prefer the variable)")
	fs.StringVar(&f.b.Region, "region-b", "", "SigV4 region of B (default A's)")
	fs.StringVar(&f.b.CACert, "ca-cert-b", "", "PEM certificate to trust for B (default A's)")
	fs.IntVar(&f.b.ServerPID, "server-pid-b", 0, "PID of B's server, for its CPU-seconds per GB")
	fs.IntVar(&f.rounds, "rounds", 3, "A/B rounds; each case's ratio is the median over them")
	fs.StringVar(&f.modes, "mode", "put", "workload(s), comma separated: "+strings.Join(loadgen.Modes, "|"))
	fs.StringVar(&f.sizes, "size", "1M", `object size, or a distribution "1M:50,64M:50"`)
	fs.StringVar(&f.concurrency, "concurrency", "1", "parallel workers; a comma-separated list runs one case per value")
	fs.StringVar(&o.Bucket, "bucket", "rustfs-bench", "bucket (created if missing)")
	fs.StringVar(&o.Prefix, "prefix", "rustfs-bench/", "key prefix")
	fs.DurationVar(&o.Duration, "duration", 0, "length of each case (default 10s unless --count)")
	fs.IntVar(&o.Count, "count", 0, "operations per case (instead of --duration)")
	fs.StringVar(&f.partSize, "part-size", "16M", "multipart part size")
	fs.IntVar(&o.PartsInFlight, "parts-in-flight", 4, "multipart parts uploaded at once per object")
	fs.StringVar(&f.rangeSize, "range-size", "1M", "bytes per range-get")
	fs.IntVar(&o.Objects, "objects", 0, "working set for get, range-get, mixed, list and delete (default 2×concurrency; 100 for list and delete)")
	fs.StringVar(&f.ratio, "ratio", "1:1", "mixed mode get:put")
	fs.StringVar(&o.Checksum, "checksum", "none", "upload checksum: none|crc32|crc32c|sha256")
	fs.StringVar(&o.Payload, "payload", "unsigned", "payload signing: unsigned|signed")
	fs.BoolVar(&o.NoVerify, "no-verify", false, "do not compare downloaded bytes with what was written")
	fs.BoolVar(&o.Cleanup, "cleanup", true, "delete the objects each case wrote")
	fs.BoolVar(&f.json, "json", false, "print the results as JSON")
	fs.BoolVar(&f.noProgress, "quiet", false, "no progress on stderr")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var cases []loadgen.Options
	if err == nil {
		cases, err = f.cases(o)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rustfs bench: %v\n", err)
		return 2
	}
	f.a.AccessKey, f.a.SecretKey = credentials(getenv)
	var progress io.Writer = stderr
	if f.noProgress {
		progress = nil
	}
	if f.b.Endpoint != "" {
		return f.runAB(ctx, cases, stdout, stderr, progress, getenv)
	}
	var sums []*loadgen.Summary
	failed := false
	for _, c := range cases {
		s, err := loadgen.Run(ctx, f.a, c, progress)
		if err != nil {
			fmt.Fprintf(stderr, "rustfs bench: %s: %v\n", loadgen.CaseName(c), err)
			failed = true
		}
		if s != nil {
			sums = append(sums, s)
			failed = failed || s.Errors > 0
		}
		if ctx.Err() != nil {
			break
		}
	}
	if f.json {
		err = loadgen.WriteJSON(stdout, sums)
	} else {
		err = loadgen.WriteSummaries(stdout, sums)
	}
	if err != nil || failed {
		return 1
	}
	return 0
}

// credentials are A's keys: RUSTFS_ACCESS_KEY/RUSTFS_SECRET_KEY, else the
// AWS variables.
func credentials(getenv func(string) string) (string, string) {
	if ak, sk := getenv("RUSTFS_ACCESS_KEY"), getenv("RUSTFS_SECRET_KEY"); ak != "" && sk != "" {
		return ak, sk
	}
	return getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
}

// cases expands the list flags into one Options per mode × concurrency.
func (f *benchFlags) cases(o loadgen.Options) ([]loadgen.Options, error) {
	var err error
	if o.Sizes, err = loadgen.ParseSizes(f.sizes); err != nil {
		return nil, err
	}
	if o.PartSize, err = loadgen.ParseBytes(f.partSize); err != nil {
		return nil, err
	}
	if o.RangeSize, err = loadgen.ParseBytes(f.rangeSize); err != nil {
		return nil, err
	}
	if o.GetRatio, o.PutRatio, err = loadgen.ParseRatio(f.ratio); err != nil {
		return nil, err
	}
	var out []loadgen.Options
	for _, m := range strings.Split(f.modes, ",") {
		for _, cs := range strings.Split(f.concurrency, ",") {
			var c int
			if _, err := fmt.Sscan(strings.TrimSpace(cs), &c); err != nil || c < 1 {
				return nil, fmt.Errorf("concurrency %q: want positive numbers", cs)
			}
			x := o
			x.Mode, x.Concurrency = strings.TrimSpace(m), c
			out = append(out, x)
		}
	}
	return out, nil
}

// runAB runs the cases against A and B, alternating, and prints the ratios.
func (f *benchFlags) runAB(ctx context.Context, cases []loadgen.Options, stdout, stderr, progress io.Writer, getenv func(string) string) int {
	b := f.b
	if b.AccessKey == "" {
		b.AccessKey = getenv("RUSTFS_BENCH_B_ACCESS_KEY")
	}
	if b.SecretKey == "" {
		b.SecretKey = getenv("RUSTFS_BENCH_B_SECRET_KEY")
	}
	if b.AccessKey == "" && b.SecretKey == "" {
		b.AccessKey, b.SecretKey = f.a.AccessKey, f.a.SecretKey
	}
	if b.Region == "" {
		b.Region = f.a.Region
	}
	if b.CACert == "" {
		b.CACert = f.a.CACert
	}
	b.Insecure = f.a.Insecure
	res, err := loadgen.RunAB(ctx, f.a, b, cases, f.rounds, progress)
	if err != nil {
		fmt.Fprintf(stderr, "rustfs bench: %v\n", err)
	}
	var werr error
	if f.json {
		werr = loadgen.WriteJSON(stdout, res)
	} else {
		werr = loadgen.WriteAB(stdout, f.a.Endpoint, b.Endpoint, res)
	}
	if err != nil || werr != nil {
		return 1
	}
	return 0
}
