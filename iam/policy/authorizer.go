package policy

import (
	"context"
	"fmt"

	"github.com/tasmaniancloud/rustfs/iam"
)

// requestContextKey carries a request's condition keys through a
// context.Context, from the S3 front end to Authorizer.
type requestContextKey struct{}

// WithRequestContext returns ctx carrying the request's condition-key
// values, for Authorizer to read. The S3 layer calls it once per request.
func WithRequestContext(ctx context.Context, c Context) context.Context {
	return context.WithValue(ctx, requestContextKey{}, c)
}

// RequestContext returns the condition keys WithRequestContext stored, or
// nil.
func RequestContext(ctx context.Context) Context {
	c, _ := ctx.Value(requestContextKey{}).(Context)
	return c
}

// Authorizer puts the evaluator behind iam.Authorizer, so the request path
// keeps calling Authorize(ctx, iam.Request) unchanged. The store behind it
// is supplied as functions: this package holds no users or policies.
//
// The root account (iam.RootAccount) is not subject to identity policies,
// as an AWS account's root user is not; a bucket policy's explicit Deny
// still binds it, except on the bucket-policy actions themselves
// (s3:GetBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucketPolicy), so root
// can always repair a policy that locks everyone out, as in S3.
type Authorizer struct {
	// Evaluator decides; nil uses a zero Evaluator (wall clock, no cache).
	Evaluator *Evaluator
	// Principal maps an authenticated principal to its policy identity
	// (ARN and account). Nil maps root to RootARN(iam.RootAccount) and any
	// user to UserARN(Account, User), and any other account to a principal
	// with only its Account set, which matches account principals but no
	// user ARN.
	Principal func(iam.Principal) Principal
	// Identity returns the identity policies (user's and groups') of a
	// principal; nil means nobody has any. An error denies.
	Identity func(ctx context.Context, p Principal) ([]*Policy, error)
	// Bucket returns a bucket's policy (nil if it has none) and its owner
	// account; nil means no bucket has a policy. An error denies.
	Bucket func(ctx context.Context, bucket string) (p *Policy, owner string, err error)
}

// Authorize implements iam.Authorizer: nil when the policies allow r, an
// error wrapping iam.ErrAccessDenied when they do not, and any lookup
// error (which denies too).
func (a *Authorizer) Authorize(ctx context.Context, r iam.Request) error {
	d, err := a.Decide(ctx, r)
	if err != nil {
		return err
	}
	if d.Allowed() {
		return nil
	}
	res := "*"
	if r.Bucket != "" {
		res = ResourceARN(r.Bucket, r.Key)
	}
	if len(d.Statements) > 0 {
		return fmt.Errorf("%w: %s on %s denied by %s", iam.ErrAccessDenied, r.Action, res, d.Statements[0])
	}
	return fmt.Errorf("%w: no policy allows %s on %s", iam.ErrAccessDenied, r.Action, res)
}

// Decide returns the full decision for r (for the audit log's policy
// decision), with the root rules applied.
func (a *Authorizer) Decide(ctx context.Context, r iam.Request) (Decision, error) {
	req := Request{Action: string(r.Action), Context: RequestContext(ctx)}
	if r.Bucket != "" {
		req.Resource = ResourceARN(r.Bucket, r.Key)
	}
	switch {
	case r.Principal.Anonymous:
		req.Principal.Anonymous = true
	case a.Principal != nil:
		req.Principal = a.Principal(r.Principal)
	case r.Principal.User != "":
		req.Principal = Principal{ARN: UserARN(r.Principal.Account, r.Principal.User), Account: r.Principal.Account}
	case r.Principal.Account == iam.RootAccount:
		req.Principal = Principal{ARN: RootARN(iam.RootAccount), Account: iam.RootAccount}
	default:
		req.Principal = Principal{Account: r.Principal.Account}
	}
	root := !r.Principal.Anonymous && r.Principal.Account == iam.RootAccount && r.Principal.User == ""
	var ids []*Policy
	if !root && !req.Principal.Anonymous && a.Identity != nil {
		var err error
		if ids, err = a.Identity(ctx, req.Principal); err != nil {
			return Decision{}, fmt.Errorf("policy: identity policies of %s: %w", req.Principal.ARN, err)
		}
	}
	var bp *Policy
	if r.Bucket != "" && a.Bucket != nil {
		var err error
		if bp, req.ResourceAccount, err = a.Bucket(ctx, r.Bucket); err != nil {
			return Decision{}, fmt.Errorf("policy: bucket policy of %s: %w", r.Bucket, err)
		}
	}
	ev := a.Evaluator
	if ev == nil {
		ev = &Evaluator{}
	}
	d := ev.Evaluate(&req, ids, bp)
	if root && d.Effect != Deny {
		return Decision{Effect: Allow, Statements: d.Statements}, nil
	}
	if root && isBucketPolicyAction(r.Action) {
		return Decision{Effect: Allow}, nil
	}
	return d, nil
}

func isBucketPolicyAction(a iam.Action) bool {
	switch a {
	case "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy":
		return true
	}
	return false
}
