package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JSON text that contains references (a Terraform policy written as a
// string with ${...} inside, or the result of jsonencode) is handled by
// standing each reference in for a private-use marker, decoding, and putting
// the references back.
const (
	markOpen  = '\uE000'
	markClose = '\uE001'
)

// EncodeJSON renders v as JSON text; references stay references inside the
// string literals that hold them. Scalars become JSON strings.
func EncodeJSON(v Value) Str {
	var out []Str
	encodeJSON(v, &out)
	return Concat(out...)
}

func encodeJSON(v Value, out *[]Str) {
	switch x := v.(type) {
	case nil, Null:
		*out = append(*out, Lit("null"))
	case Str:
		*out = append(*out, Lit(`"`))
		for _, p := range x {
			if p.Ref != nil {
				*out = append(*out, Str{p})
				continue
			}
			*out = append(*out, Lit(jsonEscape(p.Lit)))
		}
		*out = append(*out, Lit(`"`))
	case List:
		*out = append(*out, Lit("["))
		for i, e := range x {
			if i > 0 {
				*out = append(*out, Lit(","))
			}
			encodeJSON(e, out)
		}
		*out = append(*out, Lit("]"))
	case Map:
		*out = append(*out, Lit("{"))
		for i, k := range x.Keys() {
			if i > 0 {
				*out = append(*out, Lit(","))
			}
			*out = append(*out, Lit(`"`+jsonEscape(k)+`":`))
			encodeJSON(x[k], out)
		}
		*out = append(*out, Lit("}"))
	}
}

func jsonEscape(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	q := strings.TrimSuffix(b.String(), "\n")
	return q[1 : len(q)-1]
}

// ParseJSON decodes JSON text that may contain references inside its string
// literals. A reference elsewhere (as a key, or as a bare value) is an error.
func ParseJSON(s Str) (Value, error) {
	var b strings.Builder
	var refs []*Ref
	for _, p := range s {
		if p.Ref != nil {
			b.WriteRune(markOpen)
			b.WriteString(strconv.Itoa(len(refs)))
			b.WriteRune(markClose)
			refs = append(refs, p.Ref)
			continue
		}
		if strings.ContainsRune(p.Lit, markOpen) || strings.ContainsRune(p.Lit, markClose) {
			return nil, fmt.Errorf("JSON text contains reserved character U+E000/U+E001")
		}
		b.WriteString(p.Lit)
	}
	v, err := DecodeJSON("", []byte(b.String()))
	if err != nil {
		if len(refs) > 0 {
			return nil, fmt.Errorf("JSON text with references: %w", err)
		}
		return nil, err
	}
	return fromJSONMarked(v, refs)
}

func fromJSONMarked(v any, refs []*Ref) (Value, error) {
	switch x := v.(type) {
	case string:
		return unmark(x, refs)
	case []any:
		l := make(List, len(x))
		for i, e := range x {
			ev, err := fromJSONMarked(e, refs)
			if err != nil {
				return nil, err
			}
			l[i] = ev
		}
		return l, nil
	case map[string]any:
		m := make(Map, len(x))
		for k, e := range x {
			if strings.ContainsRune(k, markOpen) {
				return nil, fmt.Errorf("reference in a JSON object key is not supported")
			}
			ev, err := fromJSONMarked(e, refs)
			if err != nil {
				return nil, err
			}
			m[k] = ev
		}
		return m, nil
	}
	return FromJSON(v), nil
}

func unmark(s string, refs []*Ref) (Str, error) {
	var parts []Str
	for {
		i := strings.IndexRune(s, markOpen)
		if i < 0 {
			parts = append(parts, Lit(s))
			break
		}
		parts = append(parts, Lit(s[:i]))
		rest := s[i+len(string(markOpen)):]
		j := strings.IndexRune(rest, markClose)
		if j < 0 {
			return nil, fmt.Errorf("broken reference marker in JSON text")
		}
		n, err := strconv.Atoi(rest[:j])
		if err != nil || n < 0 || n >= len(refs) {
			return nil, fmt.Errorf("broken reference marker in JSON text")
		}
		parts = append(parts, RefStr(refs[n]))
		s = rest[j+len(string(markClose)):]
	}
	return Concat(parts...), nil
}
