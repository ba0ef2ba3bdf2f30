// Package testproc runs the real `rustfs server` binary as a child process
// for end-to-end tests and benchmarks: it reads the endpoint from the
// start-up banner, keeps the child's stderr for failure messages, and stops
// it with SIGTERM as an operator would.
package testproc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// ErrKilled is returned by Stop when the process ignored SIGTERM for the
// whole grace period and had to be killed.
var ErrKilled = errors.New("testproc: process ignored SIGTERM and was killed")

// servingLine is the banner line that reports the endpoint.
var servingLine = regexp.MustCompile(`serving S3 at (https?://\S+)`)

// Process is a started child whose stdout is scanned for the serving
// banner and whose stderr is kept.
type Process struct {
	cmd      *exec.Cmd
	stderr   *lockedBuffer
	endpoint chan string
	exited   chan struct{} // closed once cmd.Wait has returned
	err      error         // cmd.Wait's result; read only after exited
}

// Start starts cmd, whose Stdout and Stderr must be unset. keep bounds the
// stderr kept in memory (when more arrives, the oldest half is dropped);
// 0 keeps all of it.
func Start(cmd *exec.Cmd, keep int) (*Process, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("testproc: %w", err)
	}
	p := &Process{
		cmd:      cmd,
		stderr:   &lockedBuffer{keep: keep},
		endpoint: make(chan string, 1),
		exited:   make(chan struct{}),
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testproc: start %s: %w", cmd.Path, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case p.endpoint <- m[1]:
				default:
				}
			}
		}
		// Keep draining so a chatty child never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stderr returns the stderr kept so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// WaitEndpoint waits up to limit for the banner and returns the endpoint
// URL it names. It fails when the process exits first or limit passes;
// the process is left as it is either way.
func (p *Process) WaitEndpoint(limit time.Duration) (string, error) {
	select {
	case ep := <-p.endpoint:
		return ep, nil
	case <-p.exited:
		return "", fmt.Errorf("exited before serving: %v", p.err)
	case <-time.After(limit):
		return "", fmt.Errorf("did not report its endpoint within %v", limit)
	}
}

// Stop sends SIGTERM and waits up to grace for the exit, killing the
// process after that. sent reports whether the signal reached the process
// (false when it had already exited and been reaped); err is its exit
// status (nil for a clean exit), or ErrKilled when grace ran out.
func (p *Process) Stop(grace time.Duration) (sent bool, err error) {
	sent = p.cmd.Process.Signal(syscall.SIGTERM) == nil
	select {
	case <-p.exited:
		return sent, p.err
	case <-time.After(grace):
		p.Kill()
		return sent, ErrKilled
	}
}

// Kill kills the process, if it still runs, and waits for its exit.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill() // fails only when it already exited
	<-p.exited
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and a
// reader, optionally bounded to its last keep bytes.
type lockedBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	keep int
}

// Write implements io.Writer.
func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.keep > 0 && l.b.Len() > l.keep {
		l.b.Next(l.b.Len() - l.keep/2)
	}
	return len(p), nil
}

// String returns what was kept.
func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
