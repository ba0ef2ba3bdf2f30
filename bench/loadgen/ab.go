package loadgen

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// ABCase is the outcome of one case in A/B mode.
type ABCase struct {
	// Case names the case ("put 64M c1").
	Case string `json:"case"`
	// Metric is what the ratio compares: "MB/s", or "ops/s" for list and
	// delete.
	Metric string `json:"metric"`
	// Ratios holds A/B of Metric per round; Median is their median.
	Ratios []float64 `json:"ratios"`
	Median float64   `json:"median_ratio"`
	// A and B are each round's summaries.
	A []*Summary `json:"a"`
	B []*Summary `json:"b"`
}

// CaseName is the short name of a case: mode, sizes and concurrency.
func CaseName(o Options) string {
	sizes := o.Sizes
	if len(sizes) == 0 {
		sizes = Sizes{{Size: 1 << 20, Weight: 1}}
	}
	return o.Mode + " " + sizes.String() + " c" + strconv.Itoa(max(o.Concurrency, 1))
}

// metric is the throughput figure a case is compared by.
func metric(mode string, s *Summary) (string, float64) {
	if mode == "list" || mode == "delete" {
		return "ops/s", s.OpsPerSec
	}
	return "MB/s", s.MBps
}

// RunAB runs every case against a and b for rounds rounds. Within a round
// each case runs on both endpoints back to back, and the endpoint that goes
// first alternates from round to round and case to case, so drift on a
// noisy machine falls on both sides alike. A case whose run fails to start
// on either side ends RunAB with that error.
func RunAB(ctx context.Context, a, b Target, cases []Options, rounds int, progress io.Writer) ([]ABCase, error) {
	rounds = max(rounds, 1)
	pat := NewPattern()
	out := make([]ABCase, len(cases))
	for i, o := range cases {
		out[i].Case = CaseName(o)
	}
	for r := range rounds {
		for i, o := range cases {
			first, second := a, b
			aFirst := (r+i)%2 == 0
			if !aFirst {
				first, second = b, a
			}
			s1, err := runWith(ctx, first, o, progress, pat)
			if err != nil {
				return out, fmt.Errorf("loadgen: A/B round %d, %s on %s: %w", r+1, out[i].Case, first.Endpoint, err)
			}
			s2, err := runWith(ctx, second, o, progress, pat)
			if err != nil {
				return out, fmt.Errorf("loadgen: A/B round %d, %s on %s: %w", r+1, out[i].Case, second.Endpoint, err)
			}
			if !aFirst {
				s1, s2 = s2, s1
			}
			c := &out[i]
			c.A, c.B = append(c.A, s1), append(c.B, s2)
			var va, vb float64
			c.Metric, va = metric(s1.Mode, s1)
			_, vb = metric(s2.Mode, s2)
			if vb > 0 {
				c.Ratios = append(c.Ratios, va/vb)
			}
		}
	}
	for i := range out {
		out[i].Median = median(out[i].Ratios)
	}
	return out, nil
}

// median of v (0 when empty).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
