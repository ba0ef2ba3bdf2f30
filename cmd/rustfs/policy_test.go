package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicySimulate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The security model's example bucket policy.
	bucket := write("bucket.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::123456789:user/developer"},"Action":["s3:GetObject","s3:PutObject"],
		"Resource":"arn:aws:s3:::my-bucket/uploads/*",
		"Condition":{"IpAddress":{"aws:SourceIp":"10.0.40.0/22"},"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}}]}`)
	readOnly := write("ro.json", `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`)
	noDelete := write("nodelete.json", `{"Version":"2012-10-17","Statement":{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}}`)
	broken := write("broken.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualz":{"s3:prefix":"a"}}}]}`)
	dev := "arn:aws:iam::123456789:user/developer"

	cases := []struct {
		name  string
		args  []string
		code  int
		lines []string // expected stdout lines (prefix match after trimming)
		err   string   // expected in stderr
	}{
		{name: "seed policy allows from the VPN",
			args: []string{"--bucket-policy", bucket, "--principal", dev, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::my-bucket/uploads/x",
				"--context", "aws:SourceIp=10.0.40.7", "--context", "s3:x-amz-server-side-encryption=AES256"},
			code: 0, lines: []string{"Allow", "Allow " + bucket + "[0]"}},
		{name: "seed policy: implicit deny elsewhere",
			args: []string{"--bucket-policy", bucket, "--principal", dev, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::my-bucket/uploads/x",
				"--context", "aws:SourceIp=192.0.2.1", "--context", "s3:x-amz-server-side-encryption=AES256"},
			code: 1, lines: []string{"Deny", "implicit: no statement allows s3:PutObject on arn:aws:s3:::my-bucket/uploads/x"}},
		{name: "several files after one --policy, explicit deny",
			args: []string{"--policy", readOnly, noDelete, "--principal", dev, "--action", "s3:DeleteObject", "--resource", "arn:aws:s3:::b/k"},
			code: 1, lines: []string{"Deny", `Deny ` + noDelete + `[0] "NoDelete"`}},
		{name: "identity allow",
			args: []string{"--policy", readOnly, "--policy", noDelete, "--principal", dev, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"},
			code: 0, lines: []string{"Allow", `Allow ` + readOnly + `[0] "Read"`}},
		{name: "anonymous ignores identity policies",
			args: []string{"--policy", readOnly, "--principal", "anonymous", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"},
			code: 1, lines: []string{"Deny"}},
		{name: "malformed policy", args: []string{"--policy", broken, "--principal", dev, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"},
			code: 2, err: `unknown condition operator "StringEqualz"`},
		{name: "bucket policy for another bucket", args: []string{"--bucket-policy", bucket, "--principal", dev, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::other/k"},
			code: 2, err: "does not name bucket"},
		{name: "missing file", args: []string{"--policy", filepath.Join(dir, "nope.json"), "--principal", dev, "--action", "s3:GetObject"}, code: 2, err: "no such file"},
		{name: "no principal", args: []string{"--policy", readOnly, "--action", "s3:GetObject"}, code: 2, err: "--principal and --action are required"},
		{name: "bad principal", args: []string{"--policy", readOnly, "--principal", "alice", "--action", "s3:GetObject"}, code: 2, err: "not an IAM ARN"},
		{name: "bad context", args: []string{"--policy", readOnly, "--principal", dev, "--action", "s3:GetObject", "--context", "aws:SourceIp"}, code: 2, err: "not KEY=VALUE"},
		{name: "no policies", args: []string{"--principal", dev, "--action", "s3:GetObject"}, code: 2, err: "at least one"},
		{name: "unknown flag", args: []string{"--polcy", readOnly}, code: 2, err: "flag provided but not defined"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"policy", "simulate"}, c.args...), &out, &errb, func(string) string { return "" })
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (stdout %q, stderr %q)", c.name, code, c.code, out.String(), errb.String())
			continue
		}
		got := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
		for i, want := range c.lines {
			if i >= len(got) || strings.TrimSpace(got[i]) != want {
				t.Errorf("%s: stdout %q, want line %d %q", c.name, out.String(), i, want)
				break
			}
		}
		if c.err != "" && !strings.Contains(errb.String(), c.err) {
			t.Errorf("%s: stderr %q, want %q", c.name, errb.String(), c.err)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"policy"}, &out, &errb, func(string) string { return "" }); code != 2 || !strings.Contains(errb.String(), "usage: rustfs policy simulate") {
		t.Errorf("bare policy: exit %d, %q", code, errb.String())
	}
}
