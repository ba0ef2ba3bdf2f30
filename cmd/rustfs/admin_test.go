package main

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	j := fs.Bool("json", false, "")
	u := fs.String("user", "", "")
	pos, err := parseInterspersed(fs, []string{"alice", "--json", "--user", "bob", "file.json"})
	if err != nil || !*j || *u != "bob" || !slices.Equal(pos, []string{"alice", "file.json"}) {
		t.Fatalf("pos %v json %v user %q err %v", pos, *j, *u, err)
	}
}

func TestAdminUsageErrors(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"admin"},
		{"admin", "user"},
		{"admin", "user", "fly"},
		{"admin", "user", "add"},             // missing NAME
		{"admin", "user", "add", "a", "b"},   // one too many
		{"admin", "policy", "attach", "--x"}, // unknown flag
	} {
		var out, errb strings.Builder
		if code := run(t.Context(), args, &out, &errb, env); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
	// Well-formed but no credentials: a usage error too, before any I/O.
	var errb strings.Builder
	if code := run(t.Context(), []string{"admin", "user", "list"}, io.Discard, &errb, env); code != 2 || !strings.Contains(errb.String(), "credentials") {
		t.Fatalf("no credentials: exit %d: %s", code, errb.String())
	}
}

func TestPolicyNameFromFile(t *testing.T) {
	a := adminCmd{args: []string{"/tmp/dir/read-only.json"}}
	if got := a.policyName(); got != "read-only" {
		t.Fatalf("policyName = %q", got)
	}
	a.policy = "explicit"
	if got := a.policyName(); got != "explicit" {
		t.Fatalf("policyName with --name = %q", got)
	}
}
