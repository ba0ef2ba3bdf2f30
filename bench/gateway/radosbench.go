package gateway

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// RadosBench runs the `rados bench` tool against one pool: Ceph's own
// ceiling for 4 MiB object writes and reads, measured next to the gateway.
type RadosBench struct {
	// Conf, Keyring and User reach the cluster (rados -c, --keyring, --id).
	Conf, Keyring, User string
	// Pool is the pool to write to (rustfs.rack0).
	Pool string
	// Seconds bounds each phase (default 10).
	Seconds int
	// MaxObjects caps the objects a write phase creates (default 256, i.e.
	// 1 GiB): the micro-cluster keeps its data in RAM.
	MaxObjects int
	// RunName keeps concurrent runs apart (default "rustfs-gw-bench").
	RunName string
}

// RadosBenchResult is what one phase of `rados bench` reported.
type RadosBenchResult struct {
	MBps       float64       // "Bandwidth (MB/sec)", MB = 10^6 bytes
	IOPS       float64       // "Average IOPS"
	AvgLatency time.Duration // "Average Latency(s)"
	Objects    int           // "Total writes made" or "Total reads made"
}

// args returns the common arguments.
func (r RadosBench) args() []string {
	a := []string{"-p", r.Pool}
	if r.Conf != "" {
		a = append(a, "-c", r.Conf)
	}
	if r.Keyring != "" {
		a = append(a, "--keyring", r.Keyring)
	}
	if r.User != "" {
		a = append(a, "--id", r.User)
	}
	return a
}

// withDefaults fills empty fields.
func (r RadosBench) withDefaults() RadosBench {
	if r.Seconds <= 0 {
		r.Seconds = 10
	}
	if r.MaxObjects <= 0 {
		r.MaxObjects = 256
	}
	if r.RunName == "" {
		r.RunName = "rustfs-gw-bench"
	}
	return r
}

// run executes rados with args and returns its output.
func (r RadosBench) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "rados", append(r.args(), args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("gateway: rados %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Write runs `rados bench <s> write --no-cleanup` (16 concurrent 4 MiB
// writes), leaving the objects for Seq.
func (r RadosBench) Write(ctx context.Context) (RadosBenchResult, error) {
	r = r.withDefaults()
	out, err := r.run(ctx, "bench", strconv.Itoa(r.Seconds), "write", "--no-cleanup",
		"--max-objects", strconv.Itoa(r.MaxObjects), "--run-name", r.RunName)
	if err != nil {
		return RadosBenchResult{}, err
	}
	return ParseRadosBench(out)
}

// Seq runs `rados bench <s> seq`, reading back what Write left.
func (r RadosBench) Seq(ctx context.Context) (RadosBenchResult, error) {
	r = r.withDefaults()
	out, err := r.run(ctx, "bench", strconv.Itoa(r.Seconds), "seq", "--run-name", r.RunName)
	if err != nil {
		return RadosBenchResult{}, err
	}
	return ParseRadosBench(out)
}

// Cleanup removes the objects Write left.
func (r RadosBench) Cleanup(ctx context.Context) error {
	r = r.withDefaults()
	_, err := r.run(ctx, "cleanup", "--run-name", r.RunName)
	return err
}

// ParseRadosBench extracts the summary of `rados bench` output.
func ParseRadosBench(out string) (RadosBenchResult, error) {
	var res RadosBenchResult
	var haveBW bool
	for line := range strings.Lines(out) {
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(name) {
		case "Total writes made", "Total reads made":
			if n, err := strconv.Atoi(val); err == nil && n >= 0 {
				res.Objects = n
			}
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		switch strings.TrimSpace(name) {
		case "Bandwidth (MB/sec)":
			res.MBps, haveBW = v, true
		case "Average IOPS":
			res.IOPS = v
		case "Average Latency(s)":
			res.AvgLatency = time.Duration(v * float64(time.Second))
		}
	}
	if !haveBW || res.MBps <= 0 {
		return res, fmt.Errorf("gateway: no bandwidth in rados bench output:\n%s", out)
	}
	return res, nil
}
