package test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestUsersAndIdentityPolicies manages users through `rustfs admin` on the
// real binary, as scripts do, and then works as two users through
// aws-sdk-go-v2: alice with a read-only policy on one bucket, bob with no
// policy (default deny); a disabled key is refused, re-enabled it works.
func TestUsersAndIdentityPolicies(t *testing.T) {
	p := startBinary(t, t.TempDir())
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		return adminCLI(t, p, testAccessKey, testSecretKey, args...)
	}
	addUser := func(name string) created { t.Helper(); return addUserCLI(t, p, name) }

	root := p.sdk()
	b1, b2 := bucketName("users-b1"), bucketName("users-b2")
	createBucket(t, root, b1)
	createBucket(t, root, b2)
	put(t, root, b1, "doc", []byte("readable"))

	// Names unique to the run: on RADOS the user store outlives the test.
	aliceName, bobName := "alice-"+fx.runID, "bob-"+fx.runID
	alice, bob := addUser(aliceName), addUser(bobName)
	if _, _, code := cli("user", "add", aliceName); code != 1 {
		t.Fatalf("adding alice twice: exit %d, want 1", code)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
	 "Resource":["arn:aws:s3:::` + b1 + `","arn:aws:s3:::` + b1 + `/*"]}]}`
	file := filepath.Join(t.TempDir(), "read-b1.json")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := cli("policy", "attach", "--user", aliceName, file); code != 0 || !strings.Contains(out, "read-b1") {
		t.Fatalf("policy attach: exit %d: %s %s", code, out, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`), 0o600)
	if _, errs, code := cli("policy", "attach", "--user", bobName, bad); code != 1 || !strings.Contains(errs, "MalformedPolicy") {
		t.Fatalf("malformed policy: exit %d: %s", code, errs)
	}

	ac := p.sdk(withCreds(alice.AccessKey, alice.SecretKey), checksumsOff)
	bc := p.sdk(withCreds(bob.AccessKey, bob.SecretKey), checksumsOff)
	ctx := testCtx(t)
	canRead := func(c *s3.Client) error {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b1), Key: aws.String("doc")})
		return err
	}
	if err := canRead(ac); err != nil {
		t.Fatalf("alice GetObject: %v", err)
	}
	if _, err := ac.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b1)}); err != nil {
		t.Fatalf("alice ListObjectsV2: %v", err)
	}
	denied := func(who string, err error) {
		t.Helper()
		if errCode(err) != "AccessDenied" || httpStatus(err) != 403 {
			t.Errorf("%s: %v, want 403 AccessDenied", who, err)
		}
	}
	_, err := ac.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b1), Key: aws.String("new"), Body: strings.NewReader("x")})
	denied("alice PutObject", err)
	_, err = ac.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b1), Key: aws.String("doc")})
	denied("alice DeleteObject", err)
	_, err = ac.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b2)})
	denied("alice ListObjectsV2 other bucket", err)
	_, err = ac.ListBuckets(ctx, &s3.ListBucketsInput{})
	denied("alice ListBuckets", err)

	denied("bob GetObject", canRead(bc))
	_, err = bc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(b1)})
	denied("bob ListObjectsV2", err)
	_, err = bc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b1), Key: aws.String("new"), Body: strings.NewReader("x")})
	denied("bob PutObject", err)
	_, err = bc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName("users-bob"))})
	denied("bob CreateBucket", err)
	if _, err := root.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b1), Key: aws.String("doc")}); err != nil {
		t.Fatalf("the denied delete removed the object: %v", err)
	}

	// Disable alice's key: refused at authentication; re-enabled, it works.
	if _, errs, code := cli("key", "disable", alice.AccessKey); code != 0 {
		t.Fatalf("key disable: %s", errs)
	}
	if err := canRead(ac); errCode(err) != "InvalidAccessKeyId" || httpStatus(err) != 403 {
		t.Fatalf("disabled key: %v, want 403 InvalidAccessKeyId", err)
	}
	out, _, code := cli("user", "list")
	if code != 0 || !strings.Contains(out, alice.AccessKey+"  Inactive") || !strings.Contains(out, "read-b1") {
		t.Fatalf("user list:\n%s", out)
	}
	if _, errs, code := cli("key", "enable", alice.AccessKey); code != 0 {
		t.Fatalf("key enable: %s", errs)
	}
	if err := canRead(ac); err != nil {
		t.Fatalf("re-enabled key: %v", err)
	}

	// Detach: back to default deny. Remove bob: his key is unknown.
	if _, errs, code := cli("policy", "detach", "--user", aliceName, "--name", "read-b1"); code != 0 {
		t.Fatalf("policy detach: %s", errs)
	}
	denied("alice after detach", canRead(ac))
	if _, errs, code := cli("user", "remove", bobName); code != 0 {
		t.Fatalf("user remove: %s", errs)
	}
	if err := canRead(bc); errCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("removed user's key: %v, want InvalidAccessKeyId", err)
	}
	// A user's key never opens the admin API.
	if _, errs, code := adminCLI(t, p, alice.AccessKey, alice.SecretKey, "user", "list"); code != 1 || !strings.Contains(errs, "AccessDenied") {
		t.Fatalf("alice on the admin API: exit %d: %s", code, errs)
	}
}

// TestUsersAcrossGateways: a user made through one gateway authenticates
// through another on the same backend within seconds, and a key disabled
// through one is refused by the other within seconds.
func TestUsersAcrossGateways(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "shared")
	a, b := startBinary(t, data), startBinary(t, data)
	carolName := "carol-" + fx.runID
	carol := addUserCLI(t, a, carolName)
	file := filepath.Join(t.TempDir(), "list-all.json")
	os.WriteFile(file, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`), 0o600)
	if _, errs, code := adminCLI(t, a, testAccessKey, testSecretKey, "policy", "attach", "--user", carolName, file); code != 0 {
		t.Fatalf("policy attach: %s", errs)
	}
	cb := b.sdk(withCreds(carol.AccessKey, carol.SecretKey))
	list := func() error {
		_, err := cb.ListBuckets(testCtx(t), &s3.ListBucketsInput{})
		return err
	}
	within := func(what string, ok func(error) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := list()
			if ok(err) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %v after 10 s", what, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	within("carol through B", func(err error) bool { return err == nil })
	if _, errs, code := adminCLI(t, a, testAccessKey, testSecretKey, "key", "disable", carol.AccessKey); code != 0 {
		t.Fatalf("key disable: %s", errs)
	}
	within("disabled key through B", func(err error) bool { return errCode(err) == "InvalidAccessKeyId" })
}

// adminCLI runs `rustfs admin ARGS` against p with the given credentials.
func adminCLI(t *testing.T, p *process, ak, sk string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(rustfsBinary(t), append([]string{"admin"}, append(args, "--endpoint", p.Endpoint, "--ca-cert", fx.ca.CertFile)...)...)
	cmd.Env = append(os.Environ(), "RUSTFS_ACCESS_KEY="+ak, "RUSTFS_SECRET_KEY="+sk)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

type created struct{ User, ARN, AccessKey, SecretKey string }

// addUserCLI runs `rustfs admin user add NAME --json` and checks the
// contract: exactly one JSON object {"user","arn","accessKey","secretKey"}.
func addUserCLI(t *testing.T, p *process, name string) created {
	t.Helper()
	out, errs, code := adminCLI(t, p, testAccessKey, testSecretKey, "user", "add", name, "--json")
	if code != 0 {
		t.Fatalf("user add %s: exit %d: %s", name, code, errs)
	}
	var raw map[string]string
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&raw); err != nil || dec.More() || len(raw) != 4 {
		t.Fatalf("user add --json printed %q (%v)", out, err)
	}
	c := created{raw["user"], raw["arn"], raw["accessKey"], raw["secretKey"]}
	if c.User != name || c.ARN != "arn:aws:iam::root:user/"+name || c.AccessKey == "" || len(c.SecretKey) < 16 {
		t.Fatalf("user add --json: %+v", raw)
	}
	return c
}

// TestGroupsAndSimulateCLI: `rustfs admin group …` on the real binary; a
// member gets the group's policies (and its explicit Deny), through
// aws-sdk-go-v2; `rustfs admin policy simulate` answers from the same live
// policies with the documented exit codes.
func TestGroupsAndSimulateCLI(t *testing.T) {
	p := startBinary(t, t.TempDir())
	cli := func(args ...string) (string, string, int) {
		t.Helper()
		return adminCLI(t, p, testAccessKey, testSecretKey, args...)
	}
	root := p.sdk()
	b := bucketName("groups")
	createBucket(t, root, b)
	put(t, root, b, "doc", []byte("readable"))
	erin := "erin-" + fx.runID
	group := "readers-" + fx.runID
	e := addUserCLI(t, p, erin)
	dir := t.TempDir()
	write := func(name, doc string) string {
		f := filepath.Join(dir, name+".json")
		if err := os.WriteFile(f, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	read := write("read-"+fx.runID, `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::`+b+`/*"}]}`)
	noPut := write("noput-"+fx.runID, `{"Version":"2012-10-17","Statement":[{"Sid":"NoPut","Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::`+b+`/*"}]}`)
	for _, args := range [][]string{
		{"group", "add", group},
		{"group", "add-user", group, erin},
		{"policy", "attach", "--group", group, read},
	} {
		if out, errs, code := cli(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, out, errs)
		}
	}
	if _, errs, code := cli("policy", "attach", "--user", erin, "--group", group, read); code != 2 || !strings.Contains(errs, "not both") {
		t.Fatalf("--user and --group: exit %d: %s", code, errs)
	}
	out, _, code := cli("group", "list")
	if code != 0 || !strings.Contains(out, group) || !strings.Contains(out, erin) || !strings.Contains(out, "read-"+fx.runID) {
		t.Fatalf("group list:\n%s", out)
	}
	ec := p.sdk(withCreds(e.AccessKey, e.SecretKey), checksumsOff)
	ctx := testCtx(t)
	if _, err := ec.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("doc")}); err != nil {
		t.Fatalf("member GetObject: %v", err)
	}
	putObj := func() error {
		_, err := ec.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String("new"), Body: strings.NewReader("x")})
		return err
	}
	if err := putObj(); err != nil {
		t.Fatalf("member PutObject: %v", err)
	}
	sim := func(action string, ctxKV ...string) (string, int) {
		args := []string{"policy", "simulate", "--user", erin, "--action", action, "--resource", "arn:aws:s3:::" + b + "/new"}
		for _, kv := range ctxKV {
			args = append(args, "--context", kv)
		}
		out, errs, code := cli(args...)
		if code == 2 {
			t.Fatalf("simulate: %s", errs)
		}
		return out, code
	}
	if out, code := sim("s3:PutObject"); code != 0 || !strings.HasPrefix(out, "Allow\n") || !strings.Contains(out, `"Read"`) {
		t.Fatalf("simulate before the Deny: exit %d\n%s", code, out)
	}
	if _, _, code := cli("policy", "attach", "--group", group, noPut); code != 0 {
		t.Fatal("attach the Deny")
	}
	if out, code := sim("s3:PutObject", "aws:SourceIp=10.0.40.7"); code != 1 || !strings.HasPrefix(out, "Deny\n") || !strings.Contains(out, `"NoPut"`) {
		t.Fatalf("simulate after the Deny: exit %d\n%s", code, out)
	}
	if err := putObj(); errCode(err) != "AccessDenied" {
		t.Fatalf("member PutObject after the group's Deny: %v", err)
	}
	if _, errs, code := cli("group", "remove", group); code != 1 || !strings.Contains(errs, "DeleteConflict") {
		t.Fatalf("removing a group with members: exit %d: %s", code, errs)
	}
	// Out of the group: nothing is allowed any more.
	if _, errs, code := cli("group", "remove-user", group, erin); code != 0 {
		t.Fatal(errs)
	}
	if _, err := ec.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("doc")}); errCode(err) != "AccessDenied" {
		t.Fatalf("former member GetObject: %v", err)
	}
	for _, args := range [][]string{
		{"policy", "detach", "--group", group, read},
		{"policy", "detach", "--group", group, noPut},
		{"group", "remove", group},
	} {
		if out, errs, code := cli(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s %s", args, code, out, errs)
		}
	}
}
