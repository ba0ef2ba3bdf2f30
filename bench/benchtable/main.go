// Command benchtable reads `go test -bench` output on stdin and prints one
// table of the figures that matter across packages: every ratio a
// benchmark reports (units ending in "-%" such as BenchmarkTargets'
// "put/seal-%", or starting with "x-" such as the gateway's
// "x-rados-write"), and each benchmark's throughput (MB/s) and other
// custom metrics. ns/op, B/op and allocs/op are left out unless a
// benchmark reports nothing else. `make bench` pipes into it.
//
// Usage:
//
//	go test -run '^$' -bench Targets -benchtime 1x ./bench | go run ./bench/benchtable
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
)

// row is one metric of one benchmark.
type row struct {
	pkg, bench, unit string
	value            float64
}

// isRatio reports whether unit is a ratio the table lists first.
func isRatio(unit string) bool { return strings.HasSuffix(unit, "-%") || strings.HasPrefix(unit, "x-") }

// standard are go test's own units, listed only when nothing else is.
var standard = map[string]bool{"ns/op": true, "B/op": true, "allocs/op": true}

// parse reads benchmark output and returns its rows, and the lines that
// report failures (FAIL, panics, build errors) to echo.
func parse(r io.Reader) (rows []row, failures []string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pkg := ""
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "pkg:":
			pkg = f[1]
		case strings.HasPrefix(line, "--- FAIL") || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "panic:") ||
			strings.HasPrefix(line, "# "):
			failures = append(failures, line)
		case len(f) >= 4 && strings.HasPrefix(f[0], "Benchmark"):
			if _, err := strconv.Atoi(f[1]); err != nil {
				continue // a log line that happens to start with a benchmark name
			}
			var own, all []row
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					break
				}
				x := row{pkg: pkg, bench: f[0], unit: f[i+1], value: v}
				all = append(all, x)
				if !standard[x.unit] {
					own = append(own, x)
				}
			}
			if len(own) == 0 {
				own = all
			}
			rows = append(rows, own...)
		}
	}
	return rows, failures, sc.Err()
}

// write prints the ratios first, then everything else, in input order.
func write(w io.Writer, rows []row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "package\tbenchmark\tmetric\tvalue\t")
	for _, ratios := range []bool{true, false} {
		for _, r := range rows {
			if isRatio(r.unit) != ratios {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", strings.TrimPrefix(r.pkg, "github.com/tasmaniancloud/rustfs/"),
				strings.TrimPrefix(r.bench, "Benchmark"), r.unit, format(r.value))
		}
	}
	return tw.Flush()
}

// format prints v with three significant digits, without exponents.
func format(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

func main() {
	rows, failures, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if err := write(os.Stdout, rows); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	for _, f := range failures {
		fmt.Fprintln(os.Stderr, f)
	}
	if len(failures) > 0 || len(rows) == 0 {
		os.Exit(1)
	}
}
