package s3api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tasmaniancloud/rustfs/s3err"
)

// POST policy documents (browser form uploads): base64 JSON holding an
// expiration and a list of conditions every form field must satisfy.
// Conditions are {"field": "value"} (exact match), ["eq", "$field",
// "value"], ["starts-with", "$field", "prefix"] and
// ["content-length-range", min, max]. Checked as strictly as header
// auth: an expired policy, any failed condition, or a form field no
// condition names is AccessDenied.

// Limits on a policy document.
const (
	maxPolicyB64        = 64 << 10
	maxPolicyConditions = 100
)

type policyOp int

const (
	opEq policyOp = iota
	opStartsWith
)

// policyCondition is one field condition; field is lower-case without '$'.
type policyCondition struct {
	op    policyOp
	field string
	value string
}

// postPolicy is a decoded, validated policy document.
type postPolicy struct {
	expiration time.Time
	conds      []policyCondition
	// minLen/maxLen bound the file size (content-length-range); hasRange
	// says whether the policy set them.
	minLen, maxLen int64
	hasRange       bool
}

// policyDenied is the AccessDenied a policy violation answers.
func policyDenied(format string, args ...any) error {
	return s3err.Newf(s3err.AccessDenied, "Invalid according to Policy: "+format, args...)
}

// parsePostPolicy decodes the base64 policy form field.
func parsePostPolicy(b64 string) (*postPolicy, error) {
	if len(b64) > maxPolicyB64 {
		return nil, s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: the policy document is larger than %d bytes.", maxPolicyB64)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: Invalid 'Base64' encoding.")
	}
	var doc struct {
		Expiration *string           `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&doc); err != nil {
		return nil, s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: Invalid JSON.")
	}
	if d.More() {
		return nil, s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: trailing data after the JSON document.")
	}
	if doc.Expiration == nil {
		return nil, s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: Policy missing expiration.")
	}
	exp, err := time.Parse(time.RFC3339Nano, *doc.Expiration)
	if err != nil {
		return nil, s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: Invalid 'expiration' value: %q", *doc.Expiration)
	}
	if doc.Conditions == nil {
		return nil, s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: Policy missing conditions.")
	}
	if len(doc.Conditions) > maxPolicyConditions {
		return nil, s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: more than %d conditions.", maxPolicyConditions)
	}
	p := &postPolicy{expiration: exp}
	for _, c := range doc.Conditions {
		if err := p.addCondition(c); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// addCondition parses one element of the conditions array.
func (p *postPolicy) addCondition(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	bad := func(why string) error {
		return s3err.Newf(s3err.InvalidPolicyDocument, "Invalid Policy: Invalid Condition %s: %s", raw, why)
	}
	switch {
	case len(raw) > 0 && raw[0] == '{':
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil || len(m) != 1 {
			return bad("an object condition holds exactly one string field")
		}
		for k, v := range m {
			p.conds = append(p.conds, policyCondition{op: opEq, field: strings.ToLower(strings.TrimPrefix(k, "$")), value: v})
		}
		return nil
	case len(raw) > 0 && raw[0] == '[':
		var a []json.RawMessage
		if err := json.Unmarshal(raw, &a); err != nil || len(a) != 3 {
			return bad("an array condition has three elements")
		}
		var op string
		if err := json.Unmarshal(a[0], &op); err != nil {
			return bad("the operator must be a string")
		}
		switch strings.ToLower(op) {
		case "content-length-range":
			lo, ok1 := policyInt(a[1])
			hi, ok2 := policyInt(a[2])
			if !ok1 || !ok2 || lo < 0 || hi < lo {
				return bad("content-length-range takes two non-negative integers, min ≤ max")
			}
			p.minLen, p.maxLen, p.hasRange = lo, hi, true
			return nil
		case "eq", "starts-with":
			var field, value string
			if json.Unmarshal(a[1], &field) != nil || json.Unmarshal(a[2], &value) != nil {
				return bad("field and value must be strings")
			}
			if !strings.HasPrefix(field, "$") || len(field) < 2 {
				return bad("the field must be named as \"$name\"")
			}
			c := policyCondition{op: opEq, field: strings.ToLower(field[1:]), value: value}
			if strings.EqualFold(op, "starts-with") {
				c.op = opStartsWith
			}
			p.conds = append(p.conds, c)
			return nil
		}
		return bad("unknown operator " + strconv.Quote(op))
	}
	return bad("a condition is an object or an array")
}

// policyInt reads a JSON integer, or a string holding one (SDKs send both).
func policyInt(raw json.RawMessage) (int64, bool) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		v, err := strconv.ParseInt(string(n), 10, 64)
		return v, err == nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil
	}
	return 0, false
}

// postExempt are form fields no condition needs to name (S3's rule):
// the signature itself, the policy, the file, and x-ignore-* fields.
func postExempt(name string) bool {
	return name == "policy" || name == "x-amz-signature" || name == "file" || strings.HasPrefix(name, "x-ignore-")
}

// check evaluates the policy at now against the form fields (lower-case
// names; "bucket" is the addressed bucket, "key" after ${filename}
// substitution): expiration, every condition, and no field left uncovered.
func (p *postPolicy) check(now time.Time, fields map[string]string) error {
	if !now.Before(p.expiration) {
		return policyDenied("Policy expired.")
	}
	covered := map[string]bool{}
	for _, c := range p.conds {
		covered[c.field] = true
		v := fields[c.field]
		ok := v == c.value
		if c.op == opStartsWith {
			ok = strings.HasPrefix(v, c.value)
		}
		if !ok {
			name := "eq"
			if c.op == opStartsWith {
				name = "starts-with"
			}
			return policyDenied("Policy Condition failed: [%q, \"$%s\", %q]", name, c.field, c.value)
		}
	}
	for name := range fields {
		if name == "bucket" || postExempt(name) || covered[name] {
			continue
		}
		return policyDenied("Extra input fields: %s", name)
	}
	return nil
}

// lengthError reports a file size outside content-length-range.
func (p *postPolicy) lengthError(n int64) error {
	if n > p.maxLen && !p.hasRange {
		return s3err.New(s3err.EntityTooLarge)
	}
	if n > p.maxLen {
		return s3err.Newf(s3err.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size (content-length-range max %d).", p.maxLen)
	}
	return s3err.Newf(s3err.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size (content-length-range min %d).", p.minLen)
}
