package test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
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

// servingLine is the banner line that reports the endpoint.
var servingLine = regexp.MustCompile(`serving S3 at (https?://\S+)`)

// process is a rustfs server running as a separate process.
type process struct {
	*gateway
	cmd    *exec.Cmd
	stderr *lockedBuffer
	done   chan error
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBinary starts `rustfs server` on 127.0.0.1:0 with dataDir, the test
// CA's certificate and the root credentials, on the selected backend, and
// waits until it is ready. The process is stopped (SIGTERM) when the test
// ends; its stderr is shown if the test failed.
func startBinary(t *testing.T, dataDir string) *process {
	t.Helper()
	bin := rustfsBinary(t)
	args := []string{"server", "--address", "127.0.0.1:0", "--data", dataDir,
		"--tls-cert", fx.ca.CertFile, "--tls-key", fx.ca.KeyFile, "--log-level", "warn"}
	if fx.backend == backendRados {
		// The backend's own settings come from the environment
		// (RUSTFS_CEPH_CONF, RUSTFS_CEPH_KEYRING, RUSTFS_CEPH_USER).
		args = append(args, "--backend", string(backendRados))
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "RUSTFS_ACCESS_KEY="+testAccessKey, "RUSTFS_SECRET_KEY="+testSecretKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	endpoint := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case endpoint <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("rustfs (pid %d) stderr:\n%s", cmd.Process.Pid, tail(p.stderr.String()))
		}
	})

	select {
	case ep := <-endpoint:
		addr := ep[len("https://"):]
		p.gateway = &gateway{Addr: addr, Endpoint: ep}
	case err := <-p.done:
		p.done <- err
		t.Fatalf("rustfs exited before serving: %v\n%s", err, tail(p.stderr.String()))
	case <-time.After(2 * time.Minute):
		t.Fatalf("rustfs did not report its endpoint within 2 minutes\n%s", tail(p.stderr.String()))
	}
	if err := waitReady(context.Background(), fx, p.gateway); err != nil {
		t.Fatal(err)
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit (killing after 30 s).
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return // already gone; the exit status was reported elsewhere
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("rustfs (pid %d) exited with %v after SIGTERM", p.cmd.Process.Pid, err)
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("rustfs (pid %d) did not stop within 30 s of SIGTERM", p.cmd.Process.Pid)
	}
}
