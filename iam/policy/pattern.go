package policy

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// globMatch reports whether s matches the pattern p, in which '*' matches
// any run of characters (also none, also across '/' and ':') and '?'
// exactly one. fold compares ASCII letters case-insensitively (actions);
// escaped lets a backslash quote the next byte, which only patterns built
// by resolve use, so a variable's value or ${*} stays literal. It runs in
// O(len(p)·len(s)) without allocating.
func globMatch(p, s string, fold, escaped bool) bool {
	px, sx := 0, 0
	nextP, nextS := 0, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			c := p[px]
			switch {
			case c == '*':
				nextP, nextS = px, sx+1
				px++
				continue
			case c == '?':
				if sx < len(s) {
					_, n := utf8.DecodeRuneInString(s[sx:])
					px++
					sx += n
					continue
				}
			default:
				w := 1
				if escaped && c == '\\' && px+1 < len(p) {
					c, w = p[px+1], 2
				}
				if sx < len(s) && byteEq(c, s[sx], fold) {
					px += w
					sx++
					continue
				}
			}
		}
		if nextS > 0 && nextS <= len(s) {
			px, sx = nextP, nextS
			continue
		}
		return false
	}
	return true
}

func byteEq(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}

// checkVars validates the ${…} policy variables in s and appends the
// condition keys they name (lower case) to keys. A variable is ${key},
// ${key, 'default'}, or one of the escapes ${*}, ${?}, ${$}.
func checkVars(s string, keys []string) ([]string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) || s[i+1] != '{' {
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return keys, fmt.Errorf("unterminated policy variable in %q", s)
		}
		key, _, hasDef, err := splitVar(s[i+2 : i+end])
		if err != nil {
			return keys, fmt.Errorf("policy variable in %q: %w", s, err)
		}
		if key != "*" && key != "?" && key != "$" || hasDef {
			keys = append(keys, strings.ToLower(key))
		}
		i += end
	}
	return keys, nil
}

// splitVar splits the inside of ${…} into its key and optional default.
func splitVar(in string) (key, def string, hasDef bool, err error) {
	key = strings.TrimSpace(in)
	if k, d, ok := strings.Cut(in, ","); ok {
		key = strings.TrimSpace(k)
		d = strings.TrimSpace(d)
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return "", "", false, fmt.Errorf("default value must be quoted: %q", in)
		}
		def, hasDef = d[1:len(d)-1], true
	}
	if key == "*" || key == "?" || key == "$" {
		if hasDef {
			return "", "", false, fmt.Errorf("escape ${%s} takes no default", key)
		}
		return key, "", false, nil
	}
	if !validKeyName(key) {
		return "", "", false, fmt.Errorf("bad condition key %q", key)
	}
	return key, def, hasDef, nil
}

// validKeyName accepts prefix:name keys such as aws:SourceIp or
// s3:ExistingObjectTag/team.
func validKeyName(k string) bool {
	pre, name, ok := strings.Cut(k, ":")
	if !ok || pre == "" || name == "" || len(k) > 256 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c == '$' || c == '{' || c == '}' || c == ',' || c == '\'' || c >= 0x7f {
			return false
		}
	}
	return true
}

// resolve substitutes the policy variables of s from the request. With
// escapeGlob the result is a pattern for globMatch(…, escaped=true): the
// pattern's own wildcards stay wildcards, while ${*}, ${?} and variable
// values are quoted. Without it the result is a literal string. ok is false
// when a variable has no value (and no default): AWS then treats the
// element as not matching.
func resolve(s string, ec *evalCtx, escapeGlob bool) (string, bool) {
	var b strings.Builder
	b.Grow(len(s) + 16)
	lit := func(v string) {
		for i := 0; i < len(v); i++ {
			if escapeGlob && (v[i] == '*' || v[i] == '?' || v[i] == '\\') {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", false
			}
			key, def, hasDef, err := splitVar(s[i+2 : i+end])
			if err != nil {
				return "", false
			}
			switch key {
			case "*", "?", "$":
				lit(key)
			default:
				v := ec.get(strings.ToLower(key))
				switch {
				case len(v) == 1:
					lit(v[0])
				case hasDef:
					lit(def)
				default:
					return "", false
				}
			}
			i += end
			continue
		}
		if escapeGlob && c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String(), true
}
