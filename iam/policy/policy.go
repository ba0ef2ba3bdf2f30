package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrMalformed is wrapped by every parse error, so callers can answer S3's
// MalformedPolicy with errors.Is whatever the detail.
var ErrMalformed = errors.New("policy: MalformedPolicy")

// Size limits, as AWS sets them: a bucket policy may be 20 KiB; an identity
// policy 6,144 characters not counting white space (a managed policy's
// limit).
const (
	MaxBucketPolicySize   = 20 << 10
	MaxIdentityPolicySize = 6144
)

// Policy versions. "2008-10-17" (also assumed when Version is absent) has no
// policy variables: ${…} is literal text there, as in AWS.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Kind says which grammar a policy follows: identity policies name no
// Principal; resource (bucket) policies must.
type Kind uint8

// The policy kinds.
const (
	IdentityPolicy Kind = iota
	BucketPolicy
)

// Policy is a parsed, validated, immutable policy document.
type Policy struct {
	// Name identifies the policy in decisions ("user/alice/readonly",
	// "bucket/photos"); it is the parser's name argument, else the Id.
	Name string
	// Version and ID are the document's Version and Id elements.
	Version string
	ID      string
	// Kind is the grammar the policy was parsed under.
	Kind Kind
	// Statements in document order.
	Statements []Statement

	hash [sha256.Size]byte // of the document bytes, for cache keys
	keys []string          // condition keys any statement reads, lower case
}

// Statement is one parsed statement. Only Sid and Effect are exported: the
// rest is evaluated by Evaluator.
type Statement struct {
	// Sid is the statement's optional id.
	Sid string
	// Effect is Allow or Deny.
	Effect Effect

	principals   []principalPattern // nil: no Principal element (identity policy)
	notPrincipal bool
	actions      []string
	notAction    bool
	resources    []resourcePattern
	notResource  bool
	conditions   []condition
}

// resourcePattern is one Resource entry; vars marks ${…} to substitute.
type resourcePattern struct {
	raw  string
	vars bool
}

// Hash is the SHA-256 of the policy document as given, which changes with
// every edit; caches key on it.
func (p *Policy) Hash() [sha256.Size]byte { return p.hash }

// ParseIdentity parses an identity policy (attached to a user or group).
// name labels its statements in decisions.
func ParseIdentity(name string, doc []byte) (*Policy, error) {
	return parse(name, doc, IdentityPolicy, "")
}

// ParseBucket parses the bucket policy of bucket. Every Resource must be an
// S3 ARN that can match bucket or its objects; an empty bucket skips that
// check (as the simulator does).
func ParseBucket(bucket string, doc []byte) (*Policy, error) {
	name := "bucket"
	if bucket != "" {
		name = "bucket/" + bucket
	}
	return parse(name, doc, BucketPolicy, bucket)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func parse(name string, doc []byte, kind Kind, bucket string) (*Policy, error) {
	if kind == BucketPolicy && len(doc) > MaxBucketPolicySize {
		return nil, malformed("bucket policy is %d bytes, the limit is %d", len(doc), MaxBucketPolicySize)
	}
	if kind == IdentityPolicy {
		// AWS does not count white space; a bound on the raw size still
		// keeps a padded document from costing unbounded parse work.
		if len(doc) > 8*MaxIdentityPolicySize {
			return nil, malformed("identity policy is %d bytes, the limit is %d", len(doc), 8*MaxIdentityPolicySize)
		}
		if n := nonSpace(doc); n > MaxIdentityPolicySize {
			return nil, malformed("identity policy has %d characters, the limit is %d", n, MaxIdentityPolicySize)
		}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, malformed("not a JSON object: %v", err)
	}
	p := &Policy{Name: name, Kind: kind, hash: sha256.Sum256(doc), Version: Version2008}
	for k, v := range top {
		var err error
		switch k {
		case "Version":
			err = json.Unmarshal(v, &p.Version)
		case "Id":
			err = json.Unmarshal(v, &p.ID)
		case "Statement":
		default:
			return nil, malformed("unknown policy element %q", k)
		}
		if err != nil {
			return nil, malformed("%s must be a string", k)
		}
	}
	if p.Version != Version2012 && p.Version != Version2008 {
		return nil, malformed("unsupported Version %q (want %s or %s)", p.Version, Version2012, Version2008)
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, malformed("missing Statement")
	}
	var list []json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		list = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, malformed("Statement must be an object or a list of objects")
	}
	if len(list) == 0 {
		return nil, malformed("Statement is empty")
	}
	sids := map[string]bool{}
	for i, r := range list {
		st, err := parseStatement(r, kind, p.Version == Version2012, bucket)
		if err != nil {
			return nil, fmt.Errorf("%w (statement %d)", err, i)
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, malformed("duplicate Sid %q (statement %d)", st.Sid, i)
			}
			sids[st.Sid] = true
		}
		p.Statements = append(p.Statements, st)
		for _, c := range st.conditions {
			p.keys = append(p.keys, c.key)
			for _, v := range c.values {
				if v.vars {
					p.keys, _ = checkVars(v.raw, p.keys)
				}
			}
		}
		for _, r := range st.resources {
			if r.vars {
				p.keys, _ = checkVars(r.raw, p.keys)
			}
		}
	}
	slices.Sort(p.keys)
	p.keys = slices.Compact(p.keys)
	return p, nil
}

func nonSpace(b []byte) int {
	n := 0
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			n++
		}
	}
	return n
}

func parseStatement(raw json.RawMessage, kind Kind, vars bool, bucket string) (Statement, error) {
	var el map[string]json.RawMessage
	if err := json.Unmarshal(raw, &el); err != nil {
		return Statement{}, malformed("statement must be an object")
	}
	var st Statement
	for k := range el {
		switch k {
		case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
		default:
			return st, malformed("unknown statement element %q", k)
		}
	}
	if v, ok := el["Sid"]; ok {
		if err := json.Unmarshal(v, &st.Sid); err != nil {
			return st, malformed("Sid must be a string")
		}
	}
	var effect string
	if err := json.Unmarshal(el["Effect"], &effect); err != nil || (effect != "Allow" && effect != "Deny") {
		return st, malformed("Effect must be \"Allow\" or \"Deny\"")
	}
	st.Effect = Allow
	if effect == "Deny" {
		st.Effect = Deny
	}

	pr, hasP := el["Principal"]
	npr, hasNP := el["NotPrincipal"]
	switch {
	case kind == IdentityPolicy && (hasP || hasNP):
		return st, malformed("an identity policy names no Principal or NotPrincipal")
	case kind == BucketPolicy && hasP == hasNP:
		return st, malformed("a bucket policy statement needs exactly one of Principal and NotPrincipal")
	case hasNP && st.Effect == Allow:
		// AWS advises against it and its meaning is easy to get wrong: it
		// would allow everybody not named, including anonymous users.
		return st, malformed("NotPrincipal is only accepted with Effect Deny")
	case hasP:
		ps, err := parsePrincipal(pr)
		if err != nil {
			return st, err
		}
		st.principals = ps
	case hasNP:
		ps, err := parsePrincipal(npr)
		if err != nil {
			return st, err
		}
		st.principals, st.notPrincipal = ps, true
	}

	acts, neg, err := pickList(el, "Action", "NotAction")
	if err != nil {
		return st, err
	}
	for _, a := range acts {
		if err := checkAction(a); err != nil {
			return st, err
		}
	}
	st.actions, st.notAction = acts, neg

	res, neg, err := pickList(el, "Resource", "NotResource")
	if err != nil {
		return st, err
	}
	for _, r := range res {
		if err := checkResource(r, kind, bucket); err != nil {
			return st, err
		}
		rp := resourcePattern{raw: r}
		if vars {
			if _, err := checkVars(r, nil); err != nil {
				return st, malformed("Resource %q: %v", r, err)
			}
			rp.vars = strings.Contains(r, "${")
		}
		st.resources = append(st.resources, rp)
	}
	st.notResource = neg

	if c, ok := el["Condition"]; ok {
		conds, err := parseConditionBlock(c, vars)
		if err != nil {
			return st, malformed("%v", err)
		}
		st.conditions = conds
	}
	return st, nil
}

// pickList reads exactly one of the elements pos and neg, each a string or
// a non-empty list of strings.
func pickList(el map[string]json.RawMessage, pos, neg string) ([]string, bool, error) {
	p, hasP := el[pos]
	n, hasN := el[neg]
	if hasP == hasN {
		return nil, false, malformed("a statement needs exactly one of %s and %s", pos, neg)
	}
	name, raw := pos, p
	if hasN {
		name, raw = neg, n
	}
	list, err := stringList(raw)
	if err != nil {
		return nil, false, malformed("%s: %v", name, err)
	}
	return list, hasN, nil
}

func stringList(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("must be a string or a list of strings")
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	return list, nil
}

// checkAction accepts "*" and service:Name with a service this store
// implements (s3, rustfs, iam); Name may hold wildcards.
func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || name == "" {
		return malformed("action %q is not service:Name", a)
	}
	switch strings.ToLower(svc) {
	case "s3", "rustfs", "iam":
	default:
		return malformed("action %q: unknown service %q (want s3, rustfs or iam)", a, svc)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '*' || c == '?') {
			return malformed("action %q: bad character %q", a, c)
		}
	}
	return nil
}

// checkResource accepts "*" and ARNs (six colon-separated fields). A bucket
// policy's resources must be S3 ARNs that can name the bucket or objects in
// it, as S3 demands.
func checkResource(r string, kind Kind, bucket string) error {
	if r == "*" {
		if kind == BucketPolicy {
			return malformed("Resource \"*\" is not accepted in a bucket policy; use arn:aws:s3:::bucket/*")
		}
		return nil
	}
	if !strings.HasPrefix(r, "arn:") || strings.Count(r, ":") < 5 {
		return malformed("Resource %q is not an ARN", r)
	}
	if kind != BucketPolicy {
		return nil
	}
	rest, ok := strings.CutPrefix(r, "arn:aws:s3:::")
	if !ok {
		return malformed("Resource %q is not an S3 ARN (arn:aws:s3:::bucket/key)", r)
	}
	if bucket == "" {
		return nil
	}
	bpat, _, hasKey := strings.Cut(rest, "/")
	if globMatch(bpat, bucket, false, false) || hasKey && globMatch(rest, bucket+"/x", false, false) {
		return nil
	}
	return malformed("Resource %q does not name bucket %q or its objects", r, bucket)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
