package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// baseOp is a condition operator with its negation, IfExists and set
// qualifier stripped off.
type baseOp uint8

const (
	opStringEquals baseOp = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opIPAddress
	opArnLike
	opNull
)

// qualifier is a condition's set operator.
type qualifier uint8

const (
	qualNone qualifier = iota
	qualAnyValue
	qualAllValues
)

// lookupOperator maps an operator name (without ForAnyValue:/ForAllValues:
// and IfExists) to its base and whether it is the negated form.
func lookupOperator(name string) (op baseOp, negated, ok bool) {
	switch name {
	case "StringEquals":
		return opStringEquals, false, true
	case "StringNotEquals":
		return opStringEquals, true, true
	case "StringEqualsIgnoreCase":
		return opStringEqualsIgnoreCase, false, true
	case "StringNotEqualsIgnoreCase":
		return opStringEqualsIgnoreCase, true, true
	case "StringLike":
		return opStringLike, false, true
	case "StringNotLike":
		return opStringLike, true, true
	case "NumericEquals":
		return opNumericEquals, false, true
	case "NumericNotEquals":
		return opNumericEquals, true, true
	case "NumericLessThan":
		return opNumericLessThan, false, true
	case "NumericLessThanEquals":
		return opNumericLessThanEquals, false, true
	case "NumericGreaterThan":
		return opNumericGreaterThan, false, true
	case "NumericGreaterThanEquals":
		return opNumericGreaterThanEquals, false, true
	case "DateEquals":
		return opDateEquals, false, true
	case "DateNotEquals":
		return opDateEquals, true, true
	case "DateLessThan":
		return opDateLessThan, false, true
	case "DateLessThanEquals":
		return opDateLessThanEquals, false, true
	case "DateGreaterThan":
		return opDateGreaterThan, false, true
	case "DateGreaterThanEquals":
		return opDateGreaterThanEquals, false, true
	case "Bool":
		return opBool, false, true
	case "IpAddress":
		return opIPAddress, false, true
	case "NotIpAddress":
		return opIPAddress, true, true
	case "ArnEquals", "ArnLike":
		// AWS gives ArnEquals and ArnLike the same wildcard semantics.
		return opArnLike, false, true
	case "ArnNotEquals", "ArnNotLike":
		return opArnLike, true, true
	case "Null":
		return opNull, false, true
	}
	return 0, false, false
}

// condition is one (operator, key) pair of a Condition block with its
// policy values, pre-parsed for the operator's type.
type condition struct {
	operator string // as written, for messages
	op       baseOp
	negated  bool
	ifExists bool
	qual     qualifier
	key      string // lower case: condition keys are case-insensitive
	values   []condValue
}

// condValue is one policy value. raw is the text; the typed fields hold
// its parsed form when it contains no policy variable.
type condValue struct {
	raw    string
	vars   bool
	num    float64
	time   time.Time
	prefix netip.Prefix
	b      bool
}

// parseConditionBlock parses a statement's Condition element.
func parseConditionBlock(raw json.RawMessage, vars bool) ([]condition, error) {
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil {
		return nil, fmt.Errorf("Condition must map operators to {key: values}: %v", err)
	}
	var out []condition
	for _, name := range sortedKeys(block) {
		keys := block[name]
		rest, qual := name, qualNone
		if r, ok := strings.CutPrefix(rest, "ForAnyValue:"); ok {
			rest, qual = r, qualAnyValue
		} else if r, ok := strings.CutPrefix(rest, "ForAllValues:"); ok {
			rest, qual = r, qualAllValues
		}
		base, ifExists := strings.CutSuffix(rest, "IfExists")
		op, negated, ok := lookupOperator(base)
		if !ok {
			return nil, fmt.Errorf("unknown condition operator %q", name)
		}
		if op == opNull && (ifExists || qual != qualNone) {
			return nil, fmt.Errorf("condition operator %q: Null takes no IfExists or set qualifier", name)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("condition operator %q has no keys", name)
		}
		for _, key := range sortedKeys(keys) {
			if !validKeyName(key) {
				return nil, fmt.Errorf("condition %s: bad condition key %q", name, key)
			}
			strs, err := conditionValues(keys[key])
			if err != nil {
				return nil, fmt.Errorf("condition %s %s: %w", name, key, err)
			}
			c := condition{operator: name, op: op, negated: negated, ifExists: ifExists, qual: qual, key: strings.ToLower(key)}
			for _, s := range strs {
				v, err := parseCondValue(op, s, vars)
				if err != nil {
					return nil, fmt.Errorf("condition %s %s: %w", name, key, err)
				}
				c.values = append(c.values, v)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues reads a condition's value: a string, number or boolean,
// or a non-empty list of them.
func conditionValues(raw json.RawMessage) ([]string, error) {
	raw = json.RawMessage(strings.TrimSpace(string(raw)))
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("bad value list: %v", err)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("empty value list")
		}
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, err := scalar(item)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := scalar(raw)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// scalar turns a JSON string, number or boolean into its text.
func scalar(raw json.RawMessage) (string, error) {
	t := strings.TrimSpace(string(raw))
	switch {
	case strings.HasPrefix(t, `"`):
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("bad string value: %v", err)
		}
		return s, nil
	case t == "true" || t == "false":
		return t, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil || n == "" {
		return "", fmt.Errorf("value must be a string, number or boolean, not %.40s", t)
	}
	return n.String(), nil
}

// parseCondValue checks a policy value against its operator's type. Values
// with policy variables are checked when resolved, at evaluation.
func parseCondValue(op baseOp, s string, vars bool) (condValue, error) {
	v := condValue{raw: s}
	switch op {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opArnLike:
		if vars {
			if _, err := checkVars(s, nil); err != nil {
				return v, err
			}
			v.vars = strings.Contains(s, "${")
		}
		return v, nil
	}
	var err error
	switch op {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		v.num, err = parseNumber(s)
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		v.time, err = parseDate(s)
	case opBool, opNull:
		v.b, err = parseBool(s)
	case opIPAddress:
		v.prefix, err = parsePrefix(s)
	}
	return v, err
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return f, nil
}

// parseDate accepts the ISO 8601 forms AWS documents (with or without
// fractional seconds, a date alone) and epoch seconds.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < 1<<40 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (ISO 8601 or epoch seconds)", s)
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// parsePrefix accepts an IPv4 or IPv6 CIDR or a bare address (a /32 or
// /128). IPv4-mapped IPv6 addresses are unmapped so both forms match.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// eval decides the condition against the request.
func (c *condition) eval(ec *evalCtx) bool {
	vals := ec.get(c.key)
	if c.op == opNull {
		// Null:true asks that the key be absent, Null:false that it be present.
		present := len(vals) > 0
		for _, v := range c.values {
			if v.b != present {
				return true
			}
		}
		return false
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists:
			return true
		case c.qual == qualAllValues:
			return true // vacuously: no value fails the test
		case c.qual == qualAnyValue:
			return false
		}
		return c.negated
	}
	switch c.qual {
	case qualAnyValue:
		for _, v := range vals {
			if c.matchAny(v, ec) != c.negated {
				return true
			}
		}
		return false
	case qualAllValues:
		for _, v := range vals {
			if c.matchAny(v, ec) == c.negated {
				return false
			}
		}
		return true
	}
	// Without a qualifier: a positive operator needs some request value to
	// match some policy value; a negated one needs none to (NOR).
	for _, v := range vals {
		if c.matchAny(v, ec) {
			return !c.negated
		}
	}
	return c.negated
}

// matchAny reports whether the request value rv matches any policy value
// under the positive form of the operator.
func (c *condition) matchAny(rv string, ec *evalCtx) bool {
	for i := range c.values {
		if c.match(rv, &c.values[i], ec) {
			return true
		}
	}
	return false
}

func (c *condition) match(rv string, pv *condValue, ec *evalCtx) bool {
	switch c.op {
	case opStringEquals, opStringEqualsIgnoreCase:
		want := pv.raw
		if pv.vars {
			var ok bool
			if want, ok = resolve(pv.raw, ec, false); !ok {
				ec.unresolved = true
				return false
			}
		}
		if c.op == opStringEqualsIgnoreCase {
			return strings.EqualFold(rv, want)
		}
		return rv == want
	case opStringLike, opArnLike:
		p, esc := pv.raw, false
		if pv.vars {
			var ok bool
			if p, ok = resolve(pv.raw, ec, true); !ok {
				ec.unresolved = true
				return false
			}
			esc = true
		}
		if c.op == opArnLike {
			return arnMatch(p, rv, esc)
		}
		return globMatch(p, rv, false, esc)
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, err := strconv.ParseFloat(strings.TrimSpace(rv), 64)
		if err != nil || math.IsNaN(n) {
			return false
		}
		return compare(c.op-opNumericEquals, cmpFloat(n, pv.num))
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, err := parseDate(rv)
		if err != nil {
			return false
		}
		return compare(c.op-opDateEquals, t.Compare(pv.time))
	case opBool:
		b, err := parseBool(rv)
		return err == nil && b == pv.b
	case opIPAddress:
		a, err := netip.ParseAddr(strings.TrimSpace(rv))
		if err != nil {
			ap, err2 := netip.ParseAddrPort(strings.TrimSpace(rv))
			if err2 != nil {
				return false
			}
			a = ap.Addr()
		}
		return pv.prefix.Contains(a.Unmap())
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compare applies the comparison at offset rel from the Equals operator of
// its family (Numeric and Date list theirs in the same order).
func compare(rel baseOp, c int) bool {
	switch rel {
	case 0:
		return c == 0
	case 1:
		return c < 0
	case 2:
		return c <= 0
	case 3:
		return c > 0
	case 4:
		return c >= 0
	}
	return false
}

// arnMatch matches an ARN against an ARN pattern field by field, as AWS's
// Arn operators do: the first five colon-separated fields (arn, partition,
// service, region, account) each match on their own, so a '*' there never
// spans a colon; the resource field is the rest of the string.
func arnMatch(p, s string, escaped bool) bool {
	if p == "*" {
		return true // a bare "*" matches any value, ARN or not
	}
	for range 5 {
		pf, prest, ok1 := strings.Cut(p, ":")
		sf, srest, ok2 := strings.Cut(s, ":")
		if !ok1 || !ok2 || !globMatch(pf, sf, false, escaped) {
			return false
		}
		p, s = prest, srest
	}
	return globMatch(p, s, false, escaped)
}
