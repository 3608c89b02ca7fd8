package diff_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// doc is a decoded JSON document that tests edit in place.
type doc = map[string]any

func decode(t testing.TB, b []byte) doc {
	t.Helper()
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func encode(t testing.TB, d doc) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at walks a path of object keys, list indexes and list selectors
// ("[AttributeName=image_id]": the element whose field has that value) and
// returns the container holding the last step and the step itself.
func at(t testing.TB, d any, path string) (parent any, last string) {
	t.Helper()
	steps := split(path)
	cur := d
	for _, s := range steps[:len(steps)-1] {
		cur = step(t, cur, s, path)
	}
	return cur, steps[len(steps)-1]
}

// split cuts a path at dots outside brackets.
func split(path string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range path {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				out = append(out, path[start:i])
				start = i + 1
			}
		}
	}
	return append(out, path[start:])
}

func step(t testing.TB, cur any, s, path string) any {
	t.Helper()
	switch c := cur.(type) {
	case map[string]any:
		v, ok := c[s]
		if !ok {
			t.Fatalf("%s: no key %q", path, s)
		}
		return v
	case []any:
		if strings.HasPrefix(s, "[") {
			k, v, _ := strings.Cut(strings.Trim(s, "[]"), "=")
			for _, e := range c {
				if m, ok := e.(map[string]any); ok && fmt.Sprint(m[k]) == v {
					return e
				}
			}
			t.Fatalf("%s: no element with %s=%s", path, k, v)
		}
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= len(c) {
			t.Fatalf("%s: bad index %q", path, s)
		}
		return c[i]
	}
	t.Fatalf("%s: cannot step into %T at %q", path, cur, s)
	return nil
}

// set assigns v at path (creating the last key of an object).
func set(t testing.TB, d any, path string, v any) {
	t.Helper()
	parent, last := at(t, d, path)
	switch p := parent.(type) {
	case map[string]any:
		p[last] = v
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(p) {
			t.Fatalf("%s: bad index", path)
		}
		p[i] = v
	default:
		t.Fatalf("%s: cannot set in %T", path, parent)
	}
}

// get returns the value at path.
func get(t testing.TB, d any, path string) any {
	t.Helper()
	parent, last := at(t, d, path)
	return step(t, parent, last, path)
}

// del removes the key at path.
func del(t testing.TB, d any, path string) {
	t.Helper()
	parent, last := at(t, d, path)
	m, ok := parent.(map[string]any)
	if !ok {
		t.Fatalf("%s: not an object", path)
	}
	if _, ok := m[last]; !ok {
		t.Fatalf("%s: no key %q", path, last)
	}
	delete(m, last)
}

// appendTo appends v to the list at path.
func appendTo(t testing.TB, d any, path string, v any) {
	t.Helper()
	l, ok := get(t, d, path).([]any)
	if !ok {
		t.Fatalf("%s: not a list", path)
	}
	set(t, d, path, append(l, v))
}

// replaceText replaces old by new in every string under path ("" for the
// whole document) and fails if old occurs nowhere.
func replaceText(t testing.TB, d any, path, old, new string) {
	t.Helper()
	root := d
	if path != "" {
		root = get(t, d, path)
	}
	n := 0
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			if strings.Contains(x, old) {
				n++
				return strings.ReplaceAll(x, old, new)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = walk(x[k])
			}
		}
		return v
	}
	out := walk(root)
	if path != "" {
		set(t, d, path, out)
	}
	if n == 0 {
		t.Fatalf("%q not found under %q", old, path)
	}
}

// replaceRefs replaces every CloudFormation Ref or Fn::GetAtt of logical ID
// id by a literal naming what it stood for.
func replaceRefs(d any, id string) any {
	switch x := d.(type) {
	case []any:
		for i := range x {
			x[i] = replaceRefs(x[i], id)
		}
	case map[string]any:
		if len(x) == 1 {
			if r, ok := x["Ref"].(string); ok && r == id {
				return "removed-" + id
			}
			if g, ok := x["Fn::GetAtt"].([]any); ok && len(g) == 2 && g[0] == id {
				return fmt.Sprintf("removed-%s-%v", id, g[1])
			}
		}
		for k := range x {
			x[k] = replaceRefs(x[k], id)
		}
	}
	return d
}
