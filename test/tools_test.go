package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// clientsRequired reports whether RUSTFS_TEST_CLIENTS demands every client
// tool: then a missing tool fails the test instead of skipping it.
func clientsRequired() bool {
	return os.Getenv("RUSTFS_TEST_CLIENTS") != ""
}

// needTool returns the path of an external client tool, or skips (fails
// when clientsRequired) if it is not installed.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missingTool(t, name, err)
	}
	return p
}

// missingTool skips or fails for a tool that is not usable.
func missingTool(t testing.TB, name string, why error) {
	t.Helper()
	if clientsRequired() {
		t.Fatalf("%s is required (RUSTFS_TEST_CLIENTS is set) but not usable: %v", name, why)
	}
	t.Skipf("%s not usable (%v); set RUSTFS_TEST_CLIENTS=1 to make this a failure", name, why)
}

// toolEnv returns the process environment without AWS_* and RCLONE_*
// variables (a developer's own profile must not leak into a test) plus
// extra.
func toolEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "RCLONE_") || strings.HasPrefix(kv, "S3CMD") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// runTool runs a client command with env and returns its stdout; a non-zero
// exit fails the test with the command's output.
func runTool(t testing.TB, env []string, dir, name string, args ...string) string {
	t.Helper()
	out, errOut, err := execTool(t, env, dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, tail(out), tail(errOut))
	}
	return out
}

// execTool runs a client command and returns stdout, stderr and the error.
func execTool(t testing.TB, env []string, dir, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// tail returns the last 4 KiB of s, enough to show why a tool failed.
func tail(s string) string {
	if len(s) > 4096 {
		return "..." + s[len(s)-4096:]
	}
	return s
}
