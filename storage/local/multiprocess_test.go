package local

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/tasmaniancloud/rustfs/storage"
	"github.com/tasmaniancloud/rustfs/storage/storagetest"
)

// helperEnv names the environment variable that turns the test binary into
// a helper process working on a shared directory.
const helperEnv = "RUSTFS_LOCAL_HELPER_DIR"

const (
	procIncrements = 40 // CAS increments per process
	procClaims     = 30 // IfAbsent keys every process races for
)

// TestHelperProcess is not a test: when re-executed with helperEnv set it
// races CAS increments and IfAbsent claims against its siblings, printing
// the keys it won as "won <key>" lines.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	b, err := Open(Options{Dir: dir, Fsync: FsyncNever})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer b.Close()
	m := b.Meta()
	ctx := t.Context()
	for i := range procIncrements {
		if err := storagetest.Increment(ctx, m, "shared", "counter"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// Interleave claims with increments so both kinds of writes overlap
		// across processes.
		if i < procClaims {
			key := fmt.Sprintf("claim-%02d", i)
			_, err := m.Put(ctx, "claims", key, []byte(strconv.Itoa(os.Getpid())), storage.Cond{IfAbsent: true})
			switch {
			case err == nil:
				fmt.Printf("won %s\n", key)
			case !errors.Is(err, storage.ErrPrecondition):
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
		}
	}
}

// TestCrossProcessCAS re-executes the test binary three times on one data
// directory: the flock-guarded metadata writes must give exactly one winner
// per IfAbsent key and lose no CAS increment.
func TestCrossProcessCAS(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	b := openTest(t, Options{Dir: dir, Fsync: FsyncNever})
	m := b.Meta()
	if _, err := m.Put(t.Context(), "shared", "counter", []byte("0"), storage.Cond{IfAbsent: true}); err != nil {
		t.Fatal(err)
	}

	const procs = 3
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir)
		outs[i] = new(bytes.Buffer)
		cmd.Stdout = outs[i]
		cmd.Stderr = outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	// This process races too, through its own Backend.
	for range procIncrements {
		if err := storagetest.Increment(t.Context(), m, "shared", "counter"); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i])
		}
	}

	got, _, err := m.Get(t.Context(), "shared", "counter")
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa((procs + 1) * procIncrements); string(got) != want {
		t.Fatalf("counter = %s, want %s", got, want)
	}

	winners := map[string]int{}
	for i, out := range outs {
		sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
		for sc.Scan() {
			if key, ok := strings.CutPrefix(sc.Text(), "won "); ok {
				if prev, dup := winners[key]; dup {
					t.Fatalf("%s won by helpers %d and %d", key, prev, i)
				}
				winners[key] = i
			}
		}
	}
	if len(winners) != procClaims {
		t.Fatalf("%d of %d claims have a winner", len(winners), procClaims)
	}
	es, err := m.List(t.Context(), "claims", "", "", 1000)
	if err != nil || len(es) != procClaims {
		t.Fatalf("List claims = %d entries, %v", len(es), err)
	}
	for _, e := range es {
		pid := strconv.Itoa(cmds[winners[e.Key]].Process.Pid)
		if string(e.Value) != pid {
			t.Fatalf("claim %s holds pid %s, winner was pid %s", e.Key, e.Value, pid)
		}
	}
}
