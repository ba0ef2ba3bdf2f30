package policy

import (
	"encoding/json"
	"strings"
)

// Principal is who made a request, as authentication established it.
type Principal struct {
	// ARN is the principal's ARN: arn:aws:iam::<account>:user/<name>, or
	// arn:aws:iam::<account>:root for an account's root user. Empty for
	// anonymous requests.
	ARN string
	// Account is the principal's account id; when empty it is taken from
	// the ARN.
	Account string
	// UserID is the value of aws:userid (a user's unique id); optional.
	UserID string
	// Anonymous is true for requests that carried no credentials.
	Anonymous bool
}

// UserARN is the ARN of user name in account, as policies name it.
func UserARN(account, name string) string {
	return "arn:aws:iam::" + account + ":user/" + name
}

// RootARN is the ARN of account's root user; as a policy principal it
// stands for every principal of the account.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// account returns the principal's account id.
func (p *Principal) account() string {
	if p.Account != "" || p.Anonymous {
		return p.Account
	}
	return arnAccount(p.ARN)
}

// arnAccount extracts the account field of an IAM ARN
// (arn:aws:iam::<account>:…), or "".
func arnAccount(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return ""
	}
	acct, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return acct
}

// userName is aws:username: the last path element of a user ARN.
func userName(arn string) string {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return ""
	}
	_, res, _ := strings.Cut(rest, ":")
	path, ok := strings.CutPrefix(res, "user/")
	if !ok {
		return ""
	}
	return path[strings.LastIndexByte(path, '/')+1:]
}

// principalPattern is one entry of a Principal element.
type principalPattern struct {
	any     bool   // "*": everyone, anonymous included
	account string // an account id or its :root ARN: every principal of it
	arn     string // one principal exactly
	other   bool   // Service, CanonicalUser, Federated: never one of ours
}

// parsePrincipal reads "*" or {"AWS": ARN | account | list, …}.
func parsePrincipal(raw json.RawMessage) ([]principalPattern, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s != "*" {
			return nil, malformed("Principal %q: a string Principal must be \"*\"; use {\"AWS\": ARN}", s)
		}
		return []principalPattern{{any: true}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, malformed("Principal must be \"*\" or {\"AWS\": …}")
	}
	var out []principalPattern
	for _, k := range sortedKeys(m) {
		list, err := stringList(m[k])
		if err != nil {
			return nil, malformed("Principal %s: %v", k, err)
		}
		switch k {
		case "AWS":
			for _, v := range list {
				pp, err := parseAWSPrincipal(v)
				if err != nil {
					return nil, err
				}
				out = append(out, pp)
			}
		case "Service", "CanonicalUser", "Federated":
			// Valid AWS grammar for principals this store never has.
			out = append(out, principalPattern{other: true})
		default:
			return nil, malformed("unknown Principal type %q", k)
		}
	}
	return out, nil
}

func parseAWSPrincipal(v string) (principalPattern, error) {
	switch {
	case v == "*":
		return principalPattern{any: true}, nil
	case isAccountID(v):
		return principalPattern{account: v}, nil
	case strings.HasPrefix(v, "arn:aws:iam::"):
		acct := arnAccount(v)
		_, res, _ := strings.Cut(strings.TrimPrefix(v, "arn:aws:iam::"), ":")
		if !validAccount(acct) || res == "" {
			return principalPattern{}, malformed("Principal %q is not arn:aws:iam::<account>:user/<name> or :root", v)
		}
		if strings.ContainsAny(v, "*?") {
			return principalPattern{}, malformed("Principal %q: wildcards are only accepted as \"*\"", v)
		}
		if res == "root" {
			return principalPattern{account: acct}, nil
		}
		return principalPattern{arn: v}, nil
	}
	return principalPattern{}, malformed("Principal %q is not \"*\", an account id or an IAM ARN", v)
}

// isAccountID accepts a bare numeric account id (AWS's are 12 digits; the
// security model's example uses 9, so any 1 to 12 digits).
func isAccountID(s string) bool {
	if s == "" || len(s) > 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validAccount accepts the account field of an ARN: digits as AWS, or the
// letters, digits, '-' and '_' this store's own account names may use.
func validAccount(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// matches reports whether pattern pp names the request's principal.
func (pp *principalPattern) matches(p *Principal, account string) bool {
	switch {
	case pp.any:
		return true
	case p.Anonymous || pp.other:
		return false
	case pp.account != "":
		return account == pp.account
	}
	return p.ARN == pp.arn
}

// principalApplies reports whether a bucket-policy statement's Principal or
// NotPrincipal selects the principal.
func (st *Statement) principalApplies(p *Principal, account string) bool {
	in := false
	for i := range st.principals {
		if st.principals[i].matches(p, account) {
			in = true
			break
		}
	}
	return in != st.notPrincipal
}
