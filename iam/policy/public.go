package policy

import "strings"

// restrictingKeys are the condition keys that, pinned to fixed values, keep
// a Principal "*" statement from being public, as S3's Block Public Access
// judges it.
func restrictingKey(k string) bool {
	switch k {
	case "aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn",
		"aws:sourceaccount", "aws:sourceowner", "aws:principalaccount",
		"aws:principalarn", "aws:principalorgid", "aws:userid", "aws:username":
		return true
	}
	return false
}

// IsPublic reports whether the policy grants access to everyone: some Allow
// statement names Principal "*" (or {"AWS": "*"}) without a condition that
// pins a restricting key (aws:SourceIp, aws:SourceVpc, aws:SourceVpce,
// aws:SourceArn, aws:SourceAccount, aws:SourceOwner, aws:PrincipalAccount,
// aws:PrincipalArn, aws:PrincipalOrgID, aws:userid, aws:username) to fixed
// values. A pin is a positive operator (no IfExists, no ForAllValues, which
// pass when the key is absent) whose values hold no wildcard or variable;
// an aws:SourceIp range must be no wider than an IPv4 /8 or an IPv6 /32.
// S3's public-access block refuses such policies.
func IsPublic(p *Policy) bool {
	if p == nil {
		return false
	}
	for i := range p.Statements {
		st := &p.Statements[i]
		if st.Effect != Allow || !st.grantsEveryone() {
			continue
		}
		if !st.restricted() {
			return true
		}
	}
	return false
}

func (st *Statement) grantsEveryone() bool {
	if st.notPrincipal {
		return true // only accepted with Deny, but judge it safely
	}
	for _, pp := range st.principals {
		if pp.any {
			return true
		}
	}
	return false
}

func (st *Statement) restricted() bool {
	for i := range st.conditions {
		c := &st.conditions[i]
		if !restrictingKey(c.key) || c.negated || c.ifExists || c.qual == qualAllValues || c.op == opNull || c.op == opBool {
			continue
		}
		fixed := true
		for _, v := range c.values {
			if v.vars || strings.ContainsAny(v.raw, "*?") && (c.op == opStringLike || c.op == opArnLike) {
				fixed = false
			}
			if c.op == opIPAddress && (v.prefix.Addr().Is4() && v.prefix.Bits() < 8 || v.prefix.Addr().Is6() && v.prefix.Bits() < 32) {
				fixed = false
			}
		}
		if fixed {
			return true
		}
	}
	return false
}
