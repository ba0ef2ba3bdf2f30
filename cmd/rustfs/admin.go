package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tasmaniancloud/rustfs/iam/users"
)

// adminUsage lists the `rustfs admin` commands.
const adminUsage = `usage: rustfs admin <command> [flags]

  user add NAME [--json]        create a user and its first access key (the secret is shown once)
  user list [--json]            users, their keys and attached policies
  user remove NAME              delete a user and its keys
  key create USER [--json]      another access key for USER
  key disable|enable|remove ACCESS_KEY
  policy attach (--user NAME | --group NAME) [--name POLICY] FILE
                                store FILE as the named identity policy (default: FILE's base
                                name without extension) and attach it to the user or group
  policy detach (--user NAME | --group NAME) (--name POLICY | FILE)
  policy list                   the named policies
  policy simulate --user NAME --action ACTION [--resource ARN] [--context KEY=VALUE]...
                                evaluate the live policies (the user's, its groups', the
                                bucket's) on the server; prints Allow or Deny and the deciding
                                statements; exit 0 Allow, 1 Deny
  group add|remove NAME         create or delete a group (a group with members or policies
                                cannot be deleted)
  group list [--json]           groups, their members and attached policies
  group add-user|remove-user GROUP USER

Connection flags (every command): --endpoint URL, --ca-cert FILE, --data DIR,
--credentials FILE; root credentials from RUSTFS_ACCESS_KEY/RUSTFS_SECRET_KEY.
`

// cmdAdmin runs `rustfs admin user|key|policy …` against a running server.
func cmdAdmin(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) < 2 {
		fmt.Fprint(stderr, adminUsage)
		return 2
	}
	name := "rustfs admin " + args[0] + " " + args[1]
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	client := adminFlags(fs, getenv)
	asJSON := fs.Bool("json", false, "print JSON")
	user := fs.String("user", "", "user name (policy attach/detach/simulate)")
	group := fs.String("group", "", "group name (policy attach/detach)")
	var sim simFlags
	sim.register(fs)
	pname := fs.String("name", "", "policy name (default: the file's base name)")
	pos, err := parseInterspersed(fs, args[2:])
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	cmd := adminCmd{out: stdout, json: *asJSON, user: *user, group: *group, policy: *pname, args: pos, sim: sim}
	run, nargs := cmd.pick(args[0], args[1])
	if run == nil || len(pos) != nargs {
		fmt.Fprint(stderr, adminUsage)
		return 2
	}
	if cmd.c, err = client(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	if err := run(ctx); err != nil {
		if errors.Is(err, errSimDenied) {
			return 1 // Deny is printed; exit 1 as `rustfs policy simulate` does
		}
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

// usageError is a command-line mistake found after parsing (exit 2).
type usageError struct{ error }

// parseInterspersed parses flags wherever they appear among the
// positional arguments ("user add alice --json") and returns the latter.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// adminCmd is one parsed admin command.
type adminCmd struct {
	c      *adminClient
	out    io.Writer
	json   bool
	user   string
	group  string
	policy string
	args   []string
	sim    simFlags
}

// pick returns the command's function and how many positional arguments
// it takes.
func (a *adminCmd) pick(group, verb string) (func(context.Context) error, int) {
	switch group + " " + verb {
	case "user add":
		return a.userAdd, 1
	case "user list":
		return a.userList, 0
	case "user remove":
		return a.simple(http.MethodDelete, "users", "name"), 1
	case "key create":
		return a.keyCreate, 1
	case "key disable":
		return a.keyStatus(users.StatusInactive), 1
	case "key enable":
		return a.keyStatus(users.StatusActive), 1
	case "key remove":
		return a.simple(http.MethodDelete, "keys", "accessKey"), 1
	case "policy attach":
		return a.policyAttach, 1
	case "policy detach":
		if a.policy != "" {
			return a.policyDetach, 0
		}
		return a.policyDetach, 1
	case "policy list":
		return a.policyList, 0
	case "policy simulate":
		return a.policySimulate, 0
	}
	return a.pickGroup(group, verb)
}

func (a *adminCmd) userAdd(ctx context.Context) error {
	var c users.Created
	if err := a.c.call(ctx, http.MethodPost, "users", url.Values{"name": {a.args[0]}}, nil, &c); err != nil {
		return err
	}
	return a.printCreated(c)
}

func (a *adminCmd) keyCreate(ctx context.Context) error {
	var c users.Created
	if err := a.c.call(ctx, http.MethodPost, "keys", url.Values{"user": {a.args[0]}}, nil, &c); err != nil {
		return err
	}
	return a.printCreated(c)
}

// printCreated prints a new key: with --json exactly one object
// {"user","arn","accessKey","secretKey"} (the command contract).
func (a *adminCmd) printCreated(c users.Created) error {
	if a.json {
		return json.NewEncoder(a.out).Encode(c)
	}
	_, err := fmt.Fprintf(a.out, "User:       %s\nARN:        %s\nAccessKey:  %s\nSecretKey:  %s\n(the secret key is shown only now)\n",
		c.User, c.ARN, c.AccessKey, c.SecretKey)
	return err
}

func (a *adminCmd) userList(ctx context.Context) error {
	var list []users.User
	if err := a.c.call(ctx, http.MethodGet, "users", nil, nil, &list); err != nil {
		return err
	}
	if a.json {
		return json.NewEncoder(a.out).Encode(list)
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tACCESS KEY\tSTATUS\tLAST USED\tPOLICIES")
	for _, u := range list {
		pol := strings.Join(u.Policies, ",")
		if pol == "" {
			pol = "-"
		}
		if len(u.Keys) == 0 {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t%s\n", u.Name, pol)
		}
		for _, k := range u.Keys {
			used := "never"
			if !k.LastUsed.IsZero() {
				used = k.LastUsed.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, k.AccessKey, k.Status, used, pol)
		}
	}
	return tw.Flush()
}

func (a *adminCmd) keyStatus(status string) func(context.Context) error {
	return func(ctx context.Context) error {
		return a.c.call(ctx, http.MethodPatch, "keys", url.Values{"accessKey": {a.args[0]}, "status": {status}}, nil, nil)
	}
}

// simple sends method to path with the one positional argument as param.
func (a *adminCmd) simple(method, path, param string) func(context.Context) error {
	return func(ctx context.Context) error {
		return a.c.call(ctx, method, path, url.Values{param: {a.args[0]}}, nil, nil)
	}
}

// policyName is --name, else FILE's base name without its extension.
func (a *adminCmd) policyName() string {
	if a.policy != "" {
		return a.policy
	}
	base := filepath.Base(a.args[0])
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// attachTarget is where policy attach/detach apply: exactly one of
// --user and --group. It returns the admin path, the query parameter
// naming the target, the target and a word for messages.
func (a *adminCmd) attachTarget() (path, param, target, what string, err error) {
	switch {
	case a.user != "" && a.group != "":
		return "", "", "", "", usageError{errors.New("give --user or --group, not both")}
	case a.user != "":
		return "users/policies", "user", a.user, "user", nil
	case a.group != "":
		return "groups/policies", "group", a.group, "group", nil
	}
	return "", "", "", "", usageError{errors.New("--user or --group is required")}
}

func (a *adminCmd) policyAttach(ctx context.Context) error {
	path, param, target, what, err := a.attachTarget()
	if err != nil {
		return err
	}
	doc, err := os.ReadFile(a.args[0])
	if err != nil {
		return err
	}
	name := a.policyName()
	if err := a.c.call(ctx, http.MethodPut, "policies", url.Values{"name": {name}}, doc, nil); err != nil {
		return err
	}
	if err := a.c.call(ctx, http.MethodPost, path, url.Values{param: {target}, "policy": {name}}, nil, nil); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.out, "attached policy %s to %s %s\n", name, what, target)
	return err
}

func (a *adminCmd) policyDetach(ctx context.Context) error {
	path, param, target, what, err := a.attachTarget()
	if err != nil {
		return err
	}
	name := a.policyName()
	if err := a.c.call(ctx, http.MethodDelete, path, url.Values{param: {target}, "policy": {name}}, nil, nil); err != nil {
		return err
	}
	_, err = fmt.Fprintf(a.out, "detached policy %s from %s %s\n", name, what, target)
	return err
}

func (a *adminCmd) policyList(ctx context.Context) error {
	var m map[string]json.RawMessage
	if err := a.c.call(ctx, http.MethodGet, "policies", nil, nil, &m); err != nil {
		return err
	}
	return json.NewEncoder(a.out).Encode(m)
}

// adminErrorMessage pulls Code and Message out of an S3 error document.
func adminErrorMessage(b []byte) string {
	s := string(b)
	code := between(s, "<Code>", "</Code>")
	msg := between(s, "<Message>", "</Message>")
	if code == "" {
		return strings.TrimSpace(s)
	}
	return code + ": " + msg
}

func between(s, open, close string) string {
	_, rest, ok := strings.Cut(s, open)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, close)
	return v
}
