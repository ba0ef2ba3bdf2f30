package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/tasmaniancloud/rustfs/iam/users"
	"github.com/tasmaniancloud/rustfs/s3api"
)

// pickGroup resolves the `rustfs admin group …` commands.
func (a *adminCmd) pickGroup(group, verb string) (func(context.Context) error, int) {
	if group != "group" {
		return nil, 0
	}
	switch verb {
	case "add":
		return a.groupCall(http.MethodPost, "groups", "created group %s\n", "name"), 1
	case "remove":
		return a.groupCall(http.MethodDelete, "groups", "removed group %s\n", "name"), 1
	case "list":
		return a.groupList, 0
	case "add-user":
		return a.groupCall(http.MethodPost, "groups/members", "added user %[2]s to group %[1]s\n", "group", "user"), 2
	case "remove-user":
		return a.groupCall(http.MethodDelete, "groups/members", "removed user %[2]s from group %[1]s\n", "group", "user"), 2
	}
	return nil, 0
}

// groupCall sends method to path with the positional arguments as the
// named parameters, and prints done with them on success.
func (a *adminCmd) groupCall(method, path, done string, params ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		q := url.Values{}
		args := make([]any, len(params))
		for i, p := range params {
			q.Set(p, a.args[i])
			args[i] = a.args[i]
		}
		if err := a.c.call(ctx, method, path, q, nil, nil); err != nil {
			return err
		}
		_, err := fmt.Fprintf(a.out, done, args...)
		return err
	}
}

func (a *adminCmd) groupList(ctx context.Context) error {
	var list []users.Group
	if err := a.c.call(ctx, http.MethodGet, "groups", nil, nil, &list); err != nil {
		return err
	}
	if a.json {
		return json.NewEncoder(a.out).Encode(list)
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tMEMBERS\tPOLICIES")
	dash := func(s []string) string {
		if len(s) == 0 {
			return "-"
		}
		return strings.Join(s, ",")
	}
	for _, g := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Name, dash(g.Members), dash(g.Policies))
	}
	return tw.Flush()
}

// simFlags are `rustfs admin policy simulate`'s own flags.
type simFlags struct {
	action, resource, principal *string
	context                     []string
}

func (f *simFlags) register(fs *flag.FlagSet) {
	f.action = fs.String("action", "", "action to simulate, e.g. s3:GetObject (policy simulate)")
	f.resource = fs.String("resource", "", "resource ARN, e.g. arn:aws:s3:::bucket/key (policy simulate)")
	f.principal = fs.String("principal", "", "\"root\" or \"anonymous\" instead of --user (policy simulate)")
	fs.Var(repeatFlag{&f.context}, "context", "condition key `KEY=VALUE` (policy simulate; repeatable)")
}

// errSimDenied makes `policy simulate` exit 1 after printing Deny.
var errSimDenied = errors.New("denied")

// policySimulate asks the server to evaluate its live policies, and
// prints Allow or Deny, then the deciding statements and the policies
// that were evaluated.
func (a *adminCmd) policySimulate(ctx context.Context) error {
	q := s3api.SimulateRequest{User: a.user, Principal: *a.sim.principal, Action: *a.sim.action, Resource: *a.sim.resource}
	if (q.User == "") == (q.Principal == "") || q.Action == "" {
		return usageError{errors.New("give --action and one of --user or --principal")}
	}
	for _, kv := range a.sim.context {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usageError{fmt.Errorf("--context %q is not KEY=VALUE", kv)}
		}
		if q.Context == nil {
			q.Context = map[string][]string{}
		}
		q.Context[k] = append(q.Context[k], v)
	}
	body, err := json.Marshal(q)
	if err != nil {
		return err
	}
	var res s3api.SimulateResult
	if err := a.c.call(ctx, http.MethodPost, "simulate", nil, body, &res); err != nil {
		return err
	}
	if a.json {
		if err := json.NewEncoder(a.out).Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.out, res.Decision)
		for _, s := range res.Statements {
			fmt.Fprintf(a.out, "  %s\n", s)
		}
		if res.Effect == "ImplicitDeny" {
			fmt.Fprintf(a.out, "  implicit: no statement allows %s\n", q.Action)
		}
		fmt.Fprintf(a.out, "  principal: %s; policies evaluated: %s\n", res.Principal, strings.Join(res.Policies, ", "))
	}
	if res.Decision != "Allow" {
		return errSimDenied
	}
	return nil
}
