package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/iam/policy"
)

// cmdPolicy dispatches `rustfs policy <subcommand>`.
func cmdPolicy(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "simulate" {
		fmt.Fprintln(stderr, "usage: rustfs policy simulate --policy FILE… [--bucket-policy FILE] --principal ARN --action ACTION --resource ARN [--context KEY=VALUE …]")
		return 2
	}
	return cmdPolicySimulate(args[1:], stdout, stderr, time.Now)
}

// cmdPolicySimulate evaluates one request against policy files with the
// evaluator the server uses. It prints Allow or Deny on the first line,
// then the deciding statements; exit 0 for Allow, 1 for Deny, 2 for an
// invalid policy or arguments.
func cmdPolicySimulate(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := flag.NewFlagSet("policy simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var idFiles, ctxPairs []string
	fs.Var(repeatFlag{&idFiles}, "policy", "identity policy `FILE` of the principal (repeatable; several files may follow one flag)")
	bucketFile := fs.String("bucket-policy", "", "bucket policy `FILE`")
	principal := fs.String("principal", "", "principal `ARN` (arn:aws:iam::ACCOUNT:user/NAME), or \"anonymous\"")
	action := fs.String("action", "", "action, e.g. s3:GetObject")
	resource := fs.String("resource", "", "resource `ARN`, e.g. arn:aws:s3:::bucket/key (empty for s3:ListAllMyBuckets)")
	owner := fs.String("bucket-owner", "", "account owning the bucket; when another account's principal asks, both policies must allow")
	fs.Var(repeatFlag{&ctxPairs}, "context", "condition key `KEY=VALUE` (repeatable; a key given twice is multi-valued)")
	if err := fs.Parse(expandPolicyFiles(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "policy simulate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *principal == "" || *action == "" {
		fmt.Fprintln(stderr, "policy simulate: --principal and --action are required")
		return 2
	}
	if len(idFiles) == 0 && *bucketFile == "" {
		fmt.Fprintln(stderr, "policy simulate: give at least one --policy or --bucket-policy")
		return 2
	}
	req := &policy.Request{Action: *action, Resource: *resource, ResourceAccount: *owner, Context: policy.Context{}}
	switch p := *principal; {
	case p == "anonymous" || p == "*":
		req.Principal.Anonymous = true
	case strings.HasPrefix(p, "arn:aws:iam::"):
		req.Principal.ARN = p
	default:
		fmt.Fprintf(stderr, "policy simulate: --principal %q is not an IAM ARN or \"anonymous\"\n", p)
		return 2
	}
	for _, kv := range ctxPairs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "policy simulate: --context %q is not KEY=VALUE\n", kv)
			return 2
		}
		req.Context.Add(k, v)
	}
	var ids []*policy.Policy
	for _, f := range idFiles {
		p, err := readPolicy(f, func(b []byte) (*policy.Policy, error) { return policy.ParseIdentity(f, b) })
		if err != nil {
			fmt.Fprintf(stderr, "policy simulate: %v\n", err)
			return 2
		}
		ids = append(ids, p)
	}
	var bp *policy.Policy
	if *bucketFile != "" {
		var err error
		bp, err = readPolicy(*bucketFile, func(b []byte) (*policy.Policy, error) {
			p, err := policy.ParseBucket(bucketOf(*resource), b)
			if p != nil {
				p.Name = *bucketFile
			}
			return p, err
		})
		if err != nil {
			fmt.Fprintf(stderr, "policy simulate: %v\n", err)
			return 2
		}
	}
	ev := &policy.Evaluator{Now: now}
	d := ev.Evaluate(req, ids, bp)
	if d.Allowed() {
		fmt.Fprintln(stdout, "Allow")
	} else {
		fmt.Fprintln(stdout, "Deny")
	}
	for _, s := range d.Statements {
		fmt.Fprintf(stdout, "  %s\n", s)
	}
	if d.Effect == policy.ImplicitDeny {
		res := *resource
		if res == "" {
			res = "*"
		}
		fmt.Fprintf(stdout, "  implicit: no statement allows %s on %s\n", *action, res)
	}
	if d.Allowed() {
		return 0
	}
	return 1
}

func readPolicy(path string, parse func([]byte) (*policy.Policy, error)) (*policy.Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := parse(b)
	if err != nil {
		if errors.Is(err, policy.ErrMalformed) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return p, nil
}

// bucketOf is the bucket of an S3 ARN, or "" (the bucket policy's resources
// are then not checked against it).
func bucketOf(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return ""
	}
	b, _, _ := strings.Cut(rest, "/")
	if strings.ContainsAny(b, "*?") {
		return ""
	}
	return b
}

// expandPolicyFiles rewrites `--policy a.json b.json` as `--policy a.json
// --policy b.json`, so several files may follow one flag as the command's
// synopsis shows.
func expandPolicyFiles(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		out = append(out, args[i])
		if args[i] != "--policy" && args[i] != "-policy" || i+1 >= len(args) {
			continue
		}
		out = append(out, args[i+1])
		i++
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			out = append(out, "--policy", args[i+1])
			i++
		}
	}
	return out
}

// repeatFlag collects every occurrence of a flag, commas and all (a
// condition value may contain commas).
type repeatFlag struct{ v *[]string }

// String implements flag.Value.
func (r repeatFlag) String() string {
	if r.v == nil {
		return ""
	}
	return strings.Join(*r.v, " ")
}

// Set implements flag.Value.
func (r repeatFlag) Set(s string) error {
	*r.v = append(*r.v, s)
	return nil
}
