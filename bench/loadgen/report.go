package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteSummaries prints one table row per summary.
func WriteSummaries(w io.Writer, ss []*Summary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "endpoint\tcase\tops\terrors\tMB/s\tobj/s\tp50 ms\tp90 ms\tp99 ms\tttfb p50 ms\tttfb p99 ms\tsrv CPU-s/GB\tcli CPU-s/GB")
	for _, s := range ss {
		srv := "-"
		if s.ServerCPUSeconds > 0 {
			srv = fmt.Sprintf("%.2f", s.ServerCPUPerGB)
		}
		fmt.Fprintf(tw, "%s\t%s %s c%d\t%d\t%d\t%.1f\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%.2f\n",
			s.Endpoint, s.Mode, s.Sizes, s.Concurrency, s.Ops, s.Errors, s.MBps, s.OpsPerSec,
			s.Latency.P50, s.Latency.P90, s.Latency.P99, s.TTFB.P50, s.TTFB.P99, srv, s.ClientCPUPerGB)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range ss {
		for _, e := range s.FirstErrors {
			fmt.Fprintf(w, "error (%s %s): %s\n", s.Endpoint, s.Mode, e)
		}
	}
	return nil
}

// WriteAB prints each A/B case's per-round figures and median ratio.
func WriteAB(w io.Writer, a, b string, cs []ABCase) error {
	fmt.Fprintf(w, "A = %s\nB = %s\n", a, b)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tmetric\tA per round\tB per round\tA/B per round\tmedian A/B")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f×\n", c.Case, c.Metric,
			figures(c.A, c.Metric), figures(c.B, c.Metric), join(c.Ratios, "%.2f"), c.Median)
		// Server CPU per GB, when both PIDs were given: the ratio is A's
		// cost over B's, so below 1 means A spends less CPU per byte.
		if ca, cb := cpuPerGB(c.A), cpuPerGB(c.B); ca != nil && cb != nil {
			r := make([]float64, 0, len(ca))
			for i := range ca {
				if i < len(cb) && cb[i] > 0 {
					r = append(r, ca[i]/cb[i])
				}
			}
			fmt.Fprintf(tw, "%s\tsrv CPU-s/GB\t%s\t%s\t%s\t%.2f×\n", c.Case,
				join(ca, "%.2f"), join(cb, "%.2f"), join(r, "%.2f"), median(r))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range cs {
		for i := range c.A {
			for _, s := range []*Summary{c.A[i], c.B[i]} {
				if s.Errors > 0 {
					fmt.Fprintf(w, "round %d %s on %s: %d errors, first: %s\n", i+1, c.Case, s.Endpoint, s.Errors, strings.Join(s.FirstErrors, "; "))
				}
			}
		}
	}
	return nil
}

// cpuPerGB lists each summary's server CPU-seconds per GB, or nil when a
// round has none (no --server-pid).
func cpuPerGB(ss []*Summary) []float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		if s.ServerCPUSeconds <= 0 {
			return nil
		}
		v[i] = s.ServerCPUPerGB
	}
	return v
}

// figures lists each summary's metric.
func figures(ss []*Summary, m string) string {
	v := make([]float64, len(ss))
	for i, s := range ss {
		_, v[i] = metric(s.Mode, s)
	}
	if m == "ops/s" {
		return join(v, "%.0f")
	}
	return join(v, "%.1f")
}

func join(v []float64, format string) string {
	p := make([]string, len(v))
	for i, x := range v {
		p[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(p, " ")
}

// WriteJSON writes v (summaries or A/B cases) as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
