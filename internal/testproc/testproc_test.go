package testproc

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for rustfs: with
// TESTPROC_FAKE_SERVER set it logs a line on stderr, prints the banner and
// exits cleanly on SIGTERM.
func TestMain(m *testing.M) {
	if os.Getenv("TESTPROC_FAKE_SERVER") != "" {
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		fmt.Fprintln(os.Stderr, "log-line")
		fmt.Println("starting")
		fmt.Println("serving S3 at https://127.0.0.1:9000")
		<-term
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestServeAndStop(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TESTPROC_FAKE_SERVER=1")
	p, err := Start(cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := p.WaitEndpoint(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ep != "https://127.0.0.1:9000" {
		t.Errorf("endpoint %q", ep)
	}
	sent, err := p.Stop(time.Minute)
	if !sent || err != nil {
		t.Errorf("Stop = %v, %v; want true, nil", sent, err)
	}
	if got := p.Stderr(); got != "log-line\n" {
		t.Errorf("stderr %q", got)
	}
}

func TestExitBeforeServing(t *testing.T) {
	p, err := Start(exec.Command("sh", "-c", "echo boom >&2; exit 3"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitEndpoint(time.Minute); err == nil || !strings.Contains(err.Error(), "exited before serving") {
		t.Fatalf("WaitEndpoint error %v", err)
	}
	sent, err := p.Stop(time.Minute)
	if sent || err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Stop = %v, %v; want false, exit status 3", sent, err)
	}
	if !strings.Contains(p.Stderr(), "boom") {
		t.Errorf("stderr %q", p.Stderr())
	}
}

func TestLockedBufferKeep(t *testing.T) {
	l := &lockedBuffer{keep: 8}
	for _, s := range []string{"0123", "4567", "89"} {
		if n, err := l.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := l.String(); got != "6789" {
		t.Errorf("kept %q, want the last half of the bound", got)
	}
}
