package diff_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/internal/diff"
	"github.com/twinstack/twinstack/internal/diff/cfn"
	"github.com/twinstack/twinstack/internal/diff/entity"
	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfhcl"
)

// indexes are the list positions in a leaf's path.
var indexes = regexp.MustCompile(`\[\d+\]`)

// leaf is one value of a resource in a document: the resource, its path
// and a setter that replaces it.
type leaf struct {
	res  *inventory.Resource
	path string
	get  func() inventory.Value
	set  func(inventory.Value)
}

// leaves enumerates every value at every depth of every resource of a
// document (its properties, and a CloudFormation UpdatePolicy or
// CreationPolicy), from the document itself (not from any list of the
// comparer's): the keys the readers found in the input.
func leaves(doc *inventory.Document) []leaf {
	var out []leaf
	var walk func(res *inventory.Resource, path string, get func() inventory.Value, set func(inventory.Value))
	walk = func(res *inventory.Resource, path string, get func() inventory.Value, set func(inventory.Value)) {
		switch x := get().(type) {
		case inventory.Map:
			for _, k := range x.Keys() {
				walk(res, path+"."+k, func() inventory.Value { return x[k] }, func(v inventory.Value) { x[k] = v })
			}
		case inventory.List:
			for i := range x {
				walk(res, path+"["+strconv.Itoa(i)+"]", func() inventory.Value { return x[i] }, func(v inventory.Value) { x[i] = v })
			}
		case inventory.Str:
			out = append(out, leaf{res, path, get, set})
		}
	}
	for _, res := range doc.Resources {
		if res.Mode != inventory.Managed {
			continue
		}
		for _, k := range sortedKeys(res.Props) {
			props := res.Props
			walk(res, k, func() inventory.Value { return props[k] }, func(v inventory.Value) { props[k] = v })
		}
		// The resource attributes that change what a stack update does.
		for _, k := range []string{"UpdatePolicy", "CreationPolicy"} {
			if _, ok := res.Meta[k]; ok {
				meta := res.Meta
				walk(res, k, func() inventory.Value { return meta[k] }, func(v inventory.Value) { meta[k] = v })
			}
		}
	}
	return out
}

func sortedKeys(m map[string]inventory.Value) []string {
	return inventory.Map(m).Keys()
}

// valueChanges are the changes tried on a value, each of the same shape: a
// boolean flips, a number steps by one, more than doubles or becomes zero,
// text gains a suffix, a reference becomes a literal. A value is noticed
// when one of them changes the verdict: a normalisation may rightly absorb
// some (201% of one server is still two, a batch of three in a group of
// one replaces one).
func valueChanges(v inventory.Value) []inventory.Value {
	s := v.(inventory.Str)
	l, ok := s.Literal()
	switch {
	case !ok:
		return []inventory.Value{inventory.Lit("mutated")}
	case l == "true":
		return []inventory.Value{inventory.Lit("false")}
	case l == "false":
		return []inventory.Value{inventory.Lit("true")}
	}
	if n, err := strconv.Atoi(l); err == nil {
		out := []inventory.Value{inventory.Lit(strconv.Itoa(n + 1)), inventory.Lit(strconv.Itoa(2*n + 1))}
		if n != 0 {
			out = append(out, inventory.Lit("0"))
		}
		return out
	}
	return []inventory.Value{inventory.Lit(l + "-mutated")}
}

// TestNothingDropped: for the hand-written pair, every value of every key
// at every depth of every resource, on either side, when changed, either
// changes the verdict (compared: a difference, or reported as not
// compared) or belongs to a property ignored with a stated reason.
func TestNothingDropped(t *testing.T) {
	hcl, readFn := readModule(t, handTF)
	yaml := readFile(t, handCFN)
	files := make([]tfhcl.File, len(hcl.Files))
	for i, f := range hcl.Files {
		files[i] = tfhcl.File{Path: f.Path, Data: f.Data}
	}
	tdoc, err := tfhcl.Read(hcl.Path, files, tfhcl.Options{ReadFile: readFn})
	if err != nil {
		t.Fatal(err)
	}
	cdoc, err := cfn.Read(yaml.Path, yaml.Data)
	if err != nil {
		t.Fatal(err)
	}
	build := func() *diff.Report {
		ts, err := entity.FromTerraform(tdoc)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := entity.FromCloudFormation(cdoc)
		if err != nil {
			t.Fatal(err)
		}
		ts.Resolve("{region}", "us-east-1")
		cs.Resolve("{region}", "us-east-1")
		return diff.Compare(ts, cs)
	}
	if r := build(); r.Status != diff.Equivalent {
		t.Fatalf("baseline: %s", r.Summary())
	}
	for _, doc := range []*inventory.Document{tdoc, cdoc} {
		ls := leaves(doc)
		if len(ls) < 100 {
			t.Fatalf("%s: only %d values found", doc.Path, len(ls))
		}
		base := build()
		ignoredProps := map[string]string{} // "addr property" -> reason, from the report
		for _, n := range base.Ignored {
			if rest, ok := strings.CutPrefix(n.Reason, "property "); ok {
				prop, reason, _ := strings.Cut(rest, ": ")
				ignoredProps[n.Addr+" "+prop] = reason
			}
		}
		compared, ignored := 0, 0
		for _, l := range ls {
			path := indexes.ReplaceAllString(l.path, "")
			top, _, _ := strings.Cut(path, ".")
			reason, ok := entity.NotCompared(doc.Dialect, l.res.Type, top)
			if !ok {
				reason, ok = entity.NotCompared(doc.Dialect, l.res.Type, path)
			}
			if !ok {
				reason, ok = ignoredProps[l.res.Addr+" "+top]
			}
			if ok {
				if reason == "" {
					t.Errorf("%s %s: ignored without a reason", l.res.Addr, l.path)
				}
				ignored++
				continue
			}
			orig := l.get()
			noticed := false
			for _, m := range valueChanges(orig) {
				l.set(m)
				noticed = build().Status != diff.Equivalent
				l.set(orig)
				if noticed {
					break
				}
			}
			if !noticed {
				t.Errorf("%s: %s.%s changed and the report still says equivalent", doc.Dialect, l.res.Addr, l.path)
				continue
			}
			compared++
		}
		t.Logf("%s: %d values, %d noticed when changed, %d ignored with a reason", doc.Dialect, len(ls), compared, ignored)
	}
}
