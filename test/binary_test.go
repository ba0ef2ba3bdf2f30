package test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tasmaniancloud/rustfs/internal/testproc"
)

// binaryBuild builds the rustfs binary once per test run.
var binaryBuild struct {
	once sync.Once
	path string
	err  error
}

// rustfsBinary returns the path of the rustfs binary built from this
// checkout (with the ceph tag when the tests have it), building it on
// first use into the run's scratch directory.
func rustfsBinary(t testing.TB) string {
	t.Helper()
	binaryBuild.once.Do(func() {
		out := filepath.Join(fx.dir, "bin", "rustfs")
		args := []string{"build", "-o", out}
		if cephBuild {
			args = append(args, "-tags", "ceph")
		}
		args = append(args, "./cmd/rustfs")
		cmd := exec.Command("go", args...)
		cmd.Dir = ".." // the module root
		if b, err := cmd.CombinedOutput(); err != nil {
			binaryBuild.err = fmt.Errorf("go %v: %v\n%s", args, err, b)
			return
		}
		binaryBuild.path = out
	})
	if binaryBuild.err != nil {
		t.Fatal(binaryBuild.err)
	}
	return binaryBuild.path
}

// process is a rustfs server running as a separate process.
type process struct {
	*gateway
	proc *testproc.Process
}

// startBinary starts `rustfs server` on 127.0.0.1:0 with dataDir, the test
// CA's certificate and the root credentials, on the selected backend, and
// waits until it is ready; extra flags are appended. The process is
// stopped (SIGTERM) when the test ends; its stderr is shown if the test
// failed.
func startBinary(t *testing.T, dataDir string, extra ...string) *process {
	t.Helper()
	return startBinaryWith(t, dataDir, binaryOpts{args: extra})
}

// binaryOpts adjusts how startBinaryWith runs the server.
type binaryOpts struct {
	// args are extra `rustfs server` flags.
	args []string
	// nofile, when positive, is the RLIMIT_NOFILE (soft and hard) the
	// server runs under, set by a shell's ulimit before it execs rustfs.
	nofile int
}

// startBinaryWith is startBinary with extra flags and limits.
func startBinaryWith(t *testing.T, dataDir string, o binaryOpts) *process {
	t.Helper()
	bin := rustfsBinary(t)
	args := []string{"server", "--address", "127.0.0.1:0", "--data", dataDir,
		"--tls-cert", fx.ca.CertFile, "--tls-key", fx.ca.KeyFile, "--log-level", "warn"}
	if fx.backend == backendRados {
		// The backend's own settings come from the environment
		// (RUSTFS_CEPH_CONF, RUSTFS_CEPH_KEYRING, RUSTFS_CEPH_USER).
		args = append(args, "--backend", string(backendRados), "--ceph-namespace", radosNamespace(dataDir))
	}
	args = append(args, o.args...)
	cmd := exec.Command(bin, args...)
	if o.nofile > 0 {
		// sh's ulimit -n sets the soft and the hard limit, so the server
		// cannot raise it again; exec keeps the pid.
		cmd = exec.Command("sh", append([]string{"-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, o.nofile), bin}, args...)...)
	}
	cmd.Env = append(os.Environ(), "RUSTFS_ACCESS_KEY="+testAccessKey, "RUSTFS_SECRET_KEY="+testSecretKey)
	proc, err := testproc.Start(cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{proc: proc}
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("rustfs (pid %d) stderr:\n%s", proc.Pid(), tail(proc.Stderr()))
		}
	})

	ep, err := proc.WaitEndpoint(2 * time.Minute)
	if err != nil {
		t.Fatalf("rustfs %v\n%s", err, tail(proc.Stderr()))
	}
	p.gateway = &gateway{Addr: ep[len("https://"):], Endpoint: ep}
	if err := waitReady(context.Background(), fx, p.gateway); err != nil {
		t.Fatal(err)
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit (killing after 30 s).
func (p *process) stop(t *testing.T) {
	t.Helper()
	sent, err := p.proc.Stop(30 * time.Second)
	switch {
	case !sent:
		// already gone; the exit status was reported elsewhere
	case errors.Is(err, testproc.ErrKilled):
		t.Errorf("rustfs (pid %d) did not stop within 30 s of SIGTERM", p.proc.Pid())
	case err != nil:
		t.Errorf("rustfs (pid %d) exited with %v after SIGTERM", p.proc.Pid(), err)
	}
}
