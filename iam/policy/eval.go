package policy

import (
	"strconv"
	"strings"
	"time"
)

// Effect is a statement's effect, or the outcome of an evaluation.
type Effect uint8

// The effects. ImplicitDeny is the outcome when no statement applies; a
// statement is always Allow or Deny.
const (
	ImplicitDeny Effect = iota
	Allow
	Deny
)

// String returns "Allow", "Deny" or "ImplicitDeny".
func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "ImplicitDeny"
}

// Context holds a request's condition-key values. Keys are
// case-insensitive, as in AWS; Set stores them in lower case, which is the
// fast path for lookups. A key with several values is multi-valued (for
// ForAnyValue/ForAllValues).
type Context map[string][]string

// Set sets key to values.
func (c Context) Set(key string, values ...string) { c[strings.ToLower(key)] = values }

// Add appends value to key's values.
func (c Context) Add(key, value string) {
	k := strings.ToLower(key)
	c[k] = append(c[k], value)
}

// get looks up a lower-case key; keys stored in other cases are found by a
// scan, which does not allocate.
func (c Context) get(lower string) ([]string, bool) {
	if v, ok := c[lower]; ok {
		return v, true
	}
	for k, v := range c {
		if strings.EqualFold(k, lower) {
			return v, true
		}
	}
	return nil, false
}

// Request is one authorisation question.
type Request struct {
	// Principal made the request.
	Principal Principal
	// Action is the permission asked for, "s3:GetObject".
	Action string
	// Resource is the ARN acted on (see ResourceARN); empty for actions on
	// no resource (s3:ListAllMyBuckets), which only Resource "*" matches.
	Resource string
	// ResourceAccount owns the resource (the bucket owner). When set and not
	// the principal's account, both an identity policy and the bucket
	// policy must allow, as AWS requires across accounts.
	ResourceAccount string
	// Context holds the condition keys the request supplies (aws:SourceIp,
	// s3:prefix, …). aws:PrincipalArn, aws:PrincipalAccount,
	// aws:PrincipalType, aws:username and aws:userid come from Principal
	// (Context only fills those Principal leaves empty); aws:CurrentTime
	// and aws:EpochTime from the evaluator's clock unless Context sets them.
	Context Context
}

// ResourceARN is the S3 ARN of a bucket (key empty) or an object.
func ResourceARN(bucket, key string) string {
	if key == "" {
		return "arn:aws:s3:::" + bucket
	}
	return "arn:aws:s3:::" + bucket + "/" + key
}

// StatementRef names one statement of one policy.
type StatementRef struct {
	Policy string // Policy.Name
	Sid    string // may be empty
	Index  int    // position in the policy's Statement list, from 0
	Effect Effect
}

// String formats the reference for people: `Deny bucket/photos[1] "DenyOld"`.
func (r StatementRef) String() string {
	s := r.Effect.String() + " " + r.Policy + "[" + strconv.Itoa(r.Index) + "]"
	if r.Sid != "" {
		s += " " + strconv.Quote(r.Sid)
	}
	return s
}

// Decision is the outcome of an evaluation and the statements that made it:
// every applicable Deny for Deny, every applicable Allow for Allow, none for
// ImplicitDeny. A Decision from a Cache is shared: do not modify Statements.
type Decision struct {
	Effect     Effect
	Statements []StatementRef
}

// Allowed reports whether the request may proceed.
func (d Decision) Allowed() bool { return d.Effect == Allow }

// Evaluator decides requests against policies. The zero value is ready to
// use, reads the wall clock and caches nothing.
type Evaluator struct {
	// Now is the clock behind aws:CurrentTime and aws:EpochTime; nil means
	// time.Now.
	Now func() time.Time
	// Cache, when set, memoises decisions (see Cache).
	Cache *Cache
}

// Evaluate decides req against the principal's identity policies and the
// bucket policy (nil when the bucket has none), in the order the package
// documentation gives. Nil entries in identity are skipped.
func (e *Evaluator) Evaluate(req *Request, identity []*Policy, bucket *Policy) Decision {
	ec := newEvalCtx(req, e.Now)
	if e.Cache != nil {
		return e.Cache.evaluate(&ec, identity, bucket)
	}
	return evaluate(&ec, identity, bucket)
}

func evaluate(ec *evalCtx, identity []*Policy, bucket *Policy) Decision {
	var allows, denies []StatementRef
	idAllow, bucketAllow := false, false
	if !ec.req.Principal.Anonymous {
		for _, p := range identity {
			if p == nil {
				continue
			}
			allows, denies, idAllow = p.collect(ec, false, allows, denies, idAllow)
		}
	}
	if bucket != nil {
		allows, denies, bucketAllow = bucket.collect(ec, true, allows, denies, bucketAllow)
	}
	switch {
	case len(denies) > 0:
		return Decision{Effect: Deny, Statements: denies}
	case len(allows) == 0:
		return Decision{Effect: ImplicitDeny}
	case ec.crossAccount() && !(idAllow && bucketAllow):
		return Decision{Effect: ImplicitDeny}
	}
	return Decision{Effect: Allow, Statements: allows}
}

// collect appends the policy's applicable statements to allows or denies.
func (p *Policy) collect(ec *evalCtx, resourcePolicy bool, allows, denies []StatementRef, allowed bool) ([]StatementRef, []StatementRef, bool) {
	for i := range p.Statements {
		st := &p.Statements[i]
		if resourcePolicy && !st.principalApplies(&ec.req.Principal, ec.account) {
			continue
		}
		if !st.applies(ec, p.Version == Version2012) {
			continue
		}
		ref := StatementRef{Policy: p.Name, Sid: st.Sid, Index: i, Effect: st.Effect}
		if st.Effect == Deny {
			denies = append(denies, ref)
		} else {
			allows = append(allows, ref)
			allowed = true
		}
	}
	return allows, denies, allowed
}

// applies reports whether the statement's action, resource and conditions
// all match the request.
func (st *Statement) applies(ec *evalCtx, vars bool) bool {
	in := false
	for _, a := range st.actions {
		if globMatch(a, ec.req.Action, true, false) {
			in = true
			break
		}
	}
	if in == st.notAction {
		return false
	}
	in, unresolved := false, false
	for _, r := range st.resources {
		m, ok := r.match(ec, vars)
		if !ok {
			// A variable without a value: this entry matches nothing.
			unresolved = true
			continue
		}
		if m {
			in = true
			break
		}
	}
	if st.notResource && !in && unresolved {
		// Whether the resource is excluded cannot be known: fail closed,
		// applying a Deny and not an Allow.
		return st.Effect == Deny && st.conditionsHold(ec)
	}
	if in == st.notResource {
		return false
	}
	return st.conditionsHold(ec)
}

// conditionsHold reports whether every condition holds. A condition whose
// policy value names a variable without a value cannot be decided: it
// fails closed, holding for a Deny and not for an Allow, so a negated
// operator never turns a missing variable into a grant.
func (st *Statement) conditionsHold(ec *evalCtx) bool {
	for i := range st.conditions {
		ec.unresolved = false
		ok := st.conditions[i].eval(ec)
		if ec.unresolved {
			ok = st.Effect == Deny
		}
		if !ok {
			return false
		}
	}
	return true
}

func (r resourcePattern) match(ec *evalCtx, vars bool) (matched, ok bool) {
	res := ec.req.Resource
	if res == "" {
		return r.raw == "*", true
	}
	if !r.vars || !vars {
		return globMatch(r.raw, res, false, false), true
	}
	p, ok := resolve(r.raw, ec, true)
	if !ok {
		return false, false
	}
	return globMatch(p, res, false, true), true
}

// evalCtx is one evaluation's view of the request: its context map plus the
// keys derived from the principal and the clock. Single values live in
// small arrays so lookups return slices without allocating.
type evalCtx struct {
	req     *Request
	account string
	now     func() time.Time

	arn, acct, ptype, user, userid [1]string
	timeDone                       bool
	unresolved                     bool // a condition met a variable without a value
	curTime, epoch                 [1]string
}

func newEvalCtx(req *Request, now func() time.Time) evalCtx {
	ec := evalCtx{req: req, account: req.Principal.account(), now: now}
	p := &req.Principal
	ec.arn[0], ec.acct[0], ec.userid[0] = p.ARN, ec.account, p.UserID
	ec.user[0] = userName(p.ARN)
	switch {
	case p.Anonymous:
		ec.ptype[0] = "Anonymous"
	case strings.HasSuffix(p.ARN, ":root"):
		ec.ptype[0] = "Account"
	default:
		ec.ptype[0] = "User"
	}
	return ec
}

func (ec *evalCtx) crossAccount() bool {
	ra := ec.req.ResourceAccount
	return ra != "" && !ec.req.Principal.Anonymous && ra != ec.account
}

// get returns the values of a lower-case condition key; none when absent.
// The principal's keys come from Request.Principal first, so a context
// filled from request headers can never claim another identity; the clock
// keys come from the context first, so a simulation can set the time.
func (ec *evalCtx) get(key string) []string {
	var derived *[1]string
	switch key {
	case "aws:principalarn":
		derived = &ec.arn
	case "aws:principalaccount":
		derived = &ec.acct
	case "aws:principaltype":
		derived = &ec.ptype
	case "aws:username":
		derived = &ec.user
	case "aws:userid":
		derived = &ec.userid
	}
	if derived != nil && derived[0] != "" {
		return derived[:]
	}
	if v, ok := ec.req.Context.get(key); ok {
		return v
	}
	if key != "aws:currenttime" && key != "aws:epochtime" {
		return nil
	}
	if !ec.timeDone {
		now := time.Now
		if ec.now != nil {
			now = ec.now
		}
		t := now().UTC()
		ec.curTime[0] = t.Format(time.RFC3339)
		ec.epoch[0] = strconv.FormatInt(t.Unix(), 10)
		ec.timeDone = true
	}
	if key == "aws:currenttime" {
		return ec.curTime[:]
	}
	return ec.epoch[:]
}
