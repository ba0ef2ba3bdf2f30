package gateway

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tasmaniancloud/rustfs/internal/testproc"
)

// BuildBinary builds cmd/rustfs of the module this package belongs to into
// dir and returns the binary's path. tags are Go build tags ("ceph").
func BuildBinary(ctx context.Context, dir string, tags ...string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("gateway: go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	out := filepath.Join(dir, "rustfs")
	args := []string{"build", "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "./cmd/rustfs")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("gateway: go %s: %w\n%s", strings.Join(args, " "), err, b)
	}
	return out, nil
}

// Process is a gateway running as the real rustfs binary, whose memory
// and CPU time the benchmarks read from /proc.
type Process struct {
	*Gateway
	proc *testproc.Process
}

// StartProcess runs `bin server` on a random loopback port with a fresh
// data directory and credentials, and returns once it serves.
func StartProcess(bin string, o Options) (*Process, error) {
	o = o.withDefaults()
	dir, own, cleanup, err := dataDir(o)
	if err != nil {
		return nil, err
	}
	ak, sk, err := randomKeys()
	if err != nil {
		cleanup()
		return nil, err
	}
	args := []string{"server", "--address", "127.0.0.1:0", "--data", dir, "--fsync", o.Fsync,
		"--etag", o.ETag, "--log-level", "warn", "--multipart-expiry", "0", "--shutdown-timeout", "10s"}
	if o.Plaintext {
		args = append(args, "--insecure-plaintext")
	}
	if o.Backend != "local" {
		args = append(args, "--backend", o.Backend)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"--workers", o.Workers}, {"--inflight", o.InFlight}, {"--chunk-size", o.ChunkSize}} {
		if f.v > 0 {
			args = append(args, f.name, strconv.Itoa(f.v))
		}
	}
	args = append(args, o.Args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), o.Env...), "RUSTFS_ACCESS_KEY="+ak, "RUSTFS_SECRET_KEY="+sk)
	proc, err := testproc.Start(cmd, 64<<10)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("gateway: %w", err)
	}
	ep, err := proc.WaitEndpoint(2 * time.Minute)
	if err != nil {
		proc.Kill() // a no-op when it already exited
		cleanup()
		return nil, fmt.Errorf("gateway: %s %v\n%s", bin, err, proc.Stderr())
	}
	p := &Process{proc: proc}
	g := &Gateway{Endpoint: ep, AccessKey: ak, SecretKey: sk, Dir: dir, ownDir: own, Pid: proc.Pid(), stop: sync.OnceValue(p.stop)}
	if !o.Plaintext {
		g.CAFile = filepath.Join(dir, "tls", "cert.pem")
	}
	p.Gateway = g
	return p, nil
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 30 s). A
// process that died on its own reports its exit status here.
func (p *Process) stop() error {
	_, err := p.proc.Stop(30 * time.Second)
	switch {
	case errors.Is(err, testproc.ErrKilled):
		return fmt.Errorf("gateway: rustfs (pid %d) ignored SIGTERM for 30 s", p.Pid)
	case err != nil:
		return fmt.Errorf("gateway: rustfs (pid %d) exited with %v\n%s", p.Pid, err, p.proc.Stderr())
	}
	return nil
}

// Stderr returns the tail of the process's log output.
func (p *Process) Stderr() string { return p.proc.Stderr() }

// PeakRSS is the process's peak resident set (VmHWM) in bytes.
func (p *Process) PeakRSS() (int64, error) { return ProcStatus(p.Pid, "VmHWM") }

// RSS is the process's current resident set (VmRSS) in bytes.
func (p *Process) RSS() (int64, error) { return ProcStatus(p.Pid, "VmRSS") }

// CPU is the user+system CPU time the process has used so far.
func (p *Process) CPU() (time.Duration, error) { return ProcCPU(p.Pid) }

// ProcStatus reads one "kB" field of /proc/<pid>/status (VmHWM, VmRSS,
// ...) and returns it in bytes.
func ProcStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("gateway: %w", err)
	}
	return parseStatusField(string(b), field)
}

// parseStatusField finds "field:   <n> kB" in a /proc status text.
func parseStatusField(status, field string) (int64, error) {
	for line := range strings.Lines(status) {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("gateway: /proc status %s: unexpected %q", field, strings.TrimSpace(rest))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("gateway: /proc status %s: unexpected %q", field, f[0])
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("gateway: /proc status has no %s", field)
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat: fixed at 100
// by the Linux ABI (USER_HZ), whatever the kernel's internal HZ.
const userHZ = 100

// ProcCPU returns the user+system CPU time of process pid (all threads)
// from /proc/<pid>/stat.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("gateway: %w", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU extracts utime+stime from a /proc/<pid>/stat line. The
// command name in parentheses may hold spaces and parentheses, so fields
// are counted after its last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("gateway: /proc stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("gateway: /proc stat: %d fields", len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("gateway: /proc stat: bad CPU time %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / userHZ), nil
}

// SelfCPU is the user+system CPU time of this process so far.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
