package s3api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// maxSimulateBody bounds POST simulate's body.
const maxSimulateBody = 64 << 10

// SimulateRequest is the body of the admin API's POST simulate: one
// authorization question asked of the live policies.
type SimulateRequest struct {
	// User names a user of the user store; Principal may instead be
	// "root" or "anonymous". Exactly one of them is given.
	User      string `json:"user,omitempty"`
	Principal string `json:"principal,omitempty"`
	// Action is the permission, e.g. "s3:GetObject".
	Action string `json:"action"`
	// Resource is an S3 ARN (arn:aws:s3:::bucket or …:::bucket/key), or
	// empty for a service-level action such as s3:ListAllMyBuckets.
	Resource string `json:"resource,omitempty"`
	// Context holds condition-key values (aws:SourceIp, s3:prefix, …).
	Context map[string][]string `json:"context,omitempty"`
}

// SimulateResult is the answer: the decision and what made it.
type SimulateResult struct {
	// Decision is "Allow" or "Deny"; Effect tells an explicit Deny from
	// the implicit one ("Allow", "Deny", "ImplicitDeny").
	Decision string `json:"decision"`
	Effect   string `json:"effect"`
	// Principal is the ARN evaluated.
	Principal string `json:"principal"`
	// Statements are the deciding statements, as the CLI prints them.
	Statements []string `json:"statements"`
	// Policies names the policies evaluated: the identity policies of the
	// user and its groups, then "bucket:<bucket>" when the bucket has one.
	Policies []string `json:"policies"`
}

// parseSimulateRequest decodes and checks a simulate body: unknown fields,
// trailing data, a missing action, a malformed action or resource and an
// ambiguous principal are refused.
func parseSimulateRequest(b []byte) (SimulateRequest, error) {
	var q SimulateRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return q, fmt.Errorf("simulate: body: %w", err)
	}
	if dec.More() {
		return q, fmt.Errorf("simulate: body: data after the request object")
	}
	switch {
	case q.User == "" && q.Principal == "":
		return q, fmt.Errorf("simulate: give user or principal")
	case q.User != "" && q.Principal != "":
		return q, fmt.Errorf("simulate: give user or principal, not both")
	case q.Principal != "" && q.Principal != "root" && q.Principal != "anonymous":
		return q, fmt.Errorf("simulate: principal must be \"root\" or \"anonymous\" (name users with user)")
	}
	svc, name, ok := strings.Cut(q.Action, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(q.Action, "*? ") {
		return q, fmt.Errorf("simulate: action %q is not service:Name", q.Action)
	}
	if q.Resource != "" {
		rest, ok := strings.CutPrefix(q.Resource, "arn:aws:s3:::")
		if !ok || rest == "" || strings.HasPrefix(rest, "/") || strings.ContainsAny(rest, "*?") {
			return q, fmt.Errorf("simulate: resource %q is not arn:aws:s3:::bucket[/key]", q.Resource)
		}
	}
	for k := range q.Context {
		if k == "" {
			return q, fmt.Errorf("simulate: empty condition key")
		}
	}
	return q, nil
}

// adminSimulate answers POST simulate with the server's own authorizer:
// the live identity policies (the user's and its groups') and the live
// bucket policy, the same evaluator and the same root rules as a real
// request.
func (r *request) adminSimulate() error {
	a, ok := r.s.o.Authorizer.(*policy.Authorizer)
	if !ok {
		return s3err.Newf(s3err.NotImplemented, "This server's authorizer cannot simulate.")
	}
	body, err := r.readSmallBody(maxSimulateBody)
	if err != nil {
		return err
	}
	q, err := parseSimulateRequest(body)
	if err != nil {
		return s3err.Newf(s3err.InvalidRequest, "%v", err)
	}
	req := iam.Request{Action: iam.Action(q.Action)}
	if rest, ok := strings.CutPrefix(q.Resource, "arn:aws:s3:::"); ok {
		req.Bucket, req.Key, _ = strings.Cut(rest, "/")
	}
	res := SimulateResult{Statements: []string{}, Policies: []string{}}
	switch {
	case q.Principal == "anonymous":
		req.Principal = iam.Principal{Anonymous: true}
		res.Principal = "*"
	case q.Principal == "root":
		req.Principal = iam.Principal{Account: iam.RootAccount}
		res.Principal = policy.RootARN(iam.RootAccount)
	default:
		st, err := r.userStore()
		if err != nil {
			return err
		}
		u, err := st.Get(q.User)
		if err != nil {
			return userError(err)
		}
		req.Principal = iam.Principal{Account: iam.RootAccount, User: u.Name}
		res.Principal = u.ARN
		res.Policies = append(res.Policies, u.Policies...)
		for _, g := range u.Groups {
			if gr, err := st.GetGroup(g); err == nil {
				res.Policies = append(res.Policies, gr.Policies...)
			}
		}
	}
	c := make(policy.Context, len(q.Context))
	for k, v := range q.Context {
		c.Set(k, v...)
	}
	cx := policy.WithRequestContext(r.cx, c)
	if req.Principal.Anonymous {
		cx = withAnonymous(cx)
	}
	d, err := a.Decide(cx, req)
	if err != nil {
		return err
	}
	if req.Bucket != "" && a.Bucket != nil {
		if bp, _, err := a.Bucket(r.cx, req.Bucket); err == nil && bp != nil {
			res.Policies = append(res.Policies, "bucket:"+req.Bucket)
		}
	}
	res.Effect, res.Decision = d.Effect.String(), "Deny"
	if d.Allowed() {
		res.Decision = "Allow"
	}
	for _, s := range d.Statements {
		res.Statements = append(res.Statements, s.String())
	}
	return r.writeJSON(http.StatusOK, res)
}
