package tfjson

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfexpr"
)

// isMetaArg reports the meta-arguments of a resource block: they are not
// properties of the resource.
func isMetaArg(k string) bool {
	switch k {
	case "//", "depends_on", "lifecycle", "provider", "provisioner", "connection":
		return true
	}
	return false
}

// Read parses a Terraform JSON configuration. file is used in messages only.
func Read(file string, data []byte) (*inventory.Document, error) {
	raw, err := inventory.DecodeJSON(file, data)
	if err != nil {
		return nil, err
	}
	r := &reader{file: file, doc: &inventory.Document{Dialect: inventory.Terraform, Path: file}}
	if err := r.read(raw); err != nil {
		if e, ok := err.(*inventory.Error); ok && e.File == "" {
			e.File = file
		}
		return nil, err
	}
	r.doc.Sort()
	return r.doc, nil
}

type reader struct {
	file string
	doc  *inventory.Document

	locals     map[string]any
	localVals  map[string]inventory.Value
	localsBusy map[string]bool
}

type decl struct {
	res  *inventory.Resource
	body map[string]any
	path string
}

func (r *reader) read(raw any) error {
	top, ok := raw.(map[string]any)
	if !ok {
		return inventory.Errorf(inventory.ErrStructure, "", "top level is %s, want an object", inventory.JSONKind(raw))
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		switch k {
		case "//", "terraform", "provider", "resource", "data", "output", "locals", "variable":
		case "moved", "import", "removed", "check":
			// As in HCL (tfhcl): instructions to Terraform's plan — adopt a
			// resource into the state, forget one without destroying it —
			// that describe no infrastructure. What an import adopts is
			// compared as the resource it names; a removed resource is no
			// longer in the configuration at all.
			r.doc.Notes = append(r.doc.Notes, inventory.Note{Addr: k, Type: k, Reason: k + " blocks instruct Terraform's plan; they describe no infrastructure"})
		case "module":
			return inventory.Errorf(inventory.ErrUnsupported, k, "modules are not supported")
		default:
			return inventory.Errorf(inventory.ErrUnsupported, k, "unknown top-level block %q", k)
		}
	}

	if tf, ok := top["terraform"].(map[string]any); ok {
		if be, ok := tf["backend"].(map[string]any); ok {
			for _, kind := range slices.Sorted(maps.Keys(be)) {
				r.doc.Notes = append(r.doc.Notes, inventory.Note{Addr: "terraform.backend." + kind, Type: "backend",
					Reason: "where Terraform keeps its state, not infrastructure of the stack"})
			}
		}
	}
	var decls []decl
	for _, section := range []struct {
		key  string
		mode inventory.Mode
	}{{"resource", inventory.Managed}, {"data", inventory.Data}} {
		types, err := inventory.Section(top, section.key)
		if err != nil {
			return err
		}
		for _, typ := range slices.Sorted(maps.Keys(types)) {
			names, ok := types[typ].(map[string]any)
			if !ok {
				return inventory.Errorf(inventory.ErrStructure, section.key+"."+typ, "want an object of %s blocks, got %s", section.key, inventory.JSONKind(types[typ]))
			}
			for _, name := range slices.Sorted(maps.Keys(names)) {
				path := section.key + "." + typ + "." + name
				body, ok := names[name].(map[string]any)
				if !ok {
					return inventory.Errorf(inventory.ErrStructure, path, "want an object, got %s", inventory.JSONKind(names[name]))
				}
				if !validName(typ) || !validName(name) {
					return inventory.Errorf(inventory.ErrStructure, path, "invalid type or name")
				}
				addr := typ + "." + name
				if section.mode == inventory.Data {
					addr = "data." + addr
				}
				res := &inventory.Resource{Addr: addr, Mode: section.mode, Type: typ}
				if err := r.doc.Add(res); err != nil {
					return inventory.Errorf(inventory.ErrStructure, path, "%v", err)
				}
				decls = append(decls, decl{res: res, body: body, path: path})
			}
		}
	}
	vars, err := inventory.Section(top, "variable")
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		path := "variable." + name
		body, ok := vars[name].(map[string]any)
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, path, "want an object, got %s", inventory.JSONKind(vars[name]))
		}
		res := &inventory.Resource{Addr: "var." + name, Mode: inventory.Parameter, Type: "variable", Props: map[string]inventory.Value{}}
		if err := r.doc.Add(res); err != nil {
			return inventory.Errorf(inventory.ErrStructure, path, "%v", err)
		}
		if d, ok := body["default"]; ok {
			res.Props["default"] = inventory.FromJSON(d)
		}
		if t, ok := body["type"].(string); ok {
			res.Props["type"] = inventory.Lit(t)
		}
	}
	if r.locals, err = inventory.Section(top, "locals"); err != nil {
		return err
	}
	r.localVals = map[string]inventory.Value{}
	r.localsBusy = map[string]bool{}

	for _, d := range decls {
		if err := r.resource(d); err != nil {
			return err
		}
	}

	outs, err := inventory.Section(top, "output")
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(outs)) {
		path := "output." + name
		body, ok := outs[name].(map[string]any)
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, path, "want an object, got %s", inventory.JSONKind(outs[name]))
		}
		rawVal, ok := body["value"]
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, path, "output has no value")
		}
		v, err := r.value(rawVal, path+".value")
		if err != nil {
			return err
		}
		o := &inventory.Output{Name: name, Value: v}
		if d, ok := body["description"].(string); ok {
			o.Description = d
		}
		if dep, ok := body["depends_on"]; ok {
			if _, err := r.dependsOn(dep, path+".depends_on"); err != nil {
				return err
			}
		}
		r.doc.Outputs = append(r.doc.Outputs, o)
	}
	return nil
}

func (r *reader) resource(d decl) error {
	res := d.res
	res.Props = map[string]inventory.Value{}
	res.Meta = map[string]inventory.Value{}
	for _, k := range slices.Sorted(maps.Keys(d.body)) {
		path := d.path + "." + k
		switch k {
		case "count", "for_each":
			return inventory.Errorf(inventory.ErrUnsupported, path, "meta-argument %s is not supported (one block per resource expected)", k)
		case "depends_on":
			deps, err := r.dependsOn(d.body[k], path)
			if err != nil {
				return err
			}
			res.DependsOn = deps
			continue
		case "lifecycle", "provider":
			res.Meta[k] = inventory.FromJSON(d.body[k])
			continue
		}
		if isMetaArg(k) {
			continue
		}
		v, err := r.value(d.body[k], path)
		if err != nil {
			return err
		}
		res.Props[k] = v
	}
	return nil
}

func (r *reader) dependsOn(raw any, path string) ([]string, error) {
	list, ok := raw.([]any)
	if !ok {
		return nil, inventory.Errorf(inventory.ErrStructure, path, "want a list of addresses, got %s", inventory.JSONKind(raw))
	}
	var out []string
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, inventory.Errorf(inventory.ErrStructure, fmt.Sprintf("%s[%d]", path, i), "want an address string")
		}
		s = strings.TrimSuffix(strings.TrimPrefix(s, "${"), "}")
		if r.doc.Lookup(s) == nil {
			return nil, inventory.Errorf(inventory.ErrDangling, fmt.Sprintf("%s[%d]", path, i), "%q is not declared in the document", s)
		}
		out = append(out, s)
	}
	return out, nil
}

// value evaluates a JSON value of the configuration: strings are templates.
func (r *reader) value(raw any, path string) (inventory.Value, error) {
	switch x := raw.(type) {
	case string:
		return r.template(x, path)
	case []any:
		l := make(inventory.List, 0, len(x))
		for i, e := range x {
			v, err := r.value(e, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case map[string]any:
		m := make(inventory.Map, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if k == "//" {
				continue
			}
			v, err := r.value(x[k], path+"."+k)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	}
	return inventory.FromJSON(raw), nil
}

func (r *reader) template(s, path string) (inventory.Value, error) {
	return tfexpr.EvalTemplate(s, tfexpr.Scope{Path: path, Traverse: func(root string, steps []string) (inventory.Value, error) {
		return r.traverse(root, steps, path)
	}})
}

// traverse resolves a reference to the element it names.
func (r *reader) traverse(root string, steps []string, path string) (inventory.Value, error) {
	ref := func(addr string, rest []string) (inventory.Value, error) {
		ref := &inventory.Ref{Kind: inventory.ToResource, Addr: addr}
		if len(rest) > 0 {
			ref.Attr = rest[0]
			ref.Path = append([]string(nil), rest[1:]...)
		}
		return inventory.RefStr(ref), nil
	}
	need := func(n int, what string) error {
		if len(steps) < n {
			return inventory.Errorf(inventory.ErrSyntax, "", "incomplete reference %s: want %s", strings.Join(append([]string{root}, steps...), "."), what)
		}
		return nil
	}
	switch root {
	case "data":
		if err := need(2, "data.TYPE.NAME"); err != nil {
			return nil, err
		}
		addr := "data." + steps[0] + "." + steps[1]
		if res := r.doc.Lookup(addr); res == nil || res.Mode != inventory.Data {
			return nil, inventory.Errorf(inventory.ErrDangling, "", "%s is not declared in the document", addr)
		}
		return ref(addr, steps[2:])
	case "var":
		if err := need(1, "var.NAME"); err != nil {
			return nil, err
		}
		addr := "var." + steps[0]
		if r.doc.Lookup(addr) == nil {
			return nil, inventory.Errorf(inventory.ErrDangling, "", "%s is not declared in the document", addr)
		}
		return inventory.RefStr(&inventory.Ref{Kind: inventory.ToResource, Addr: addr, Path: append([]string(nil), steps[1:]...)}), nil
	case "local":
		if err := need(1, "local.NAME"); err != nil {
			return nil, err
		}
		v, err := r.local(steps[0], path)
		if err != nil {
			return nil, err
		}
		for _, s := range steps[1:] {
			if v, err = tfexpr.Index(v, s); err != nil {
				return nil, err
			}
		}
		return v, nil
	case "path", "terraform":
		if err := need(1, root+".NAME"); err != nil {
			return nil, err
		}
		return inventory.RefStr(&inventory.Ref{Kind: inventory.ToPseudo, Addr: inventory.PseudoPath, Attr: root + "." + steps[0]}), nil
	case "count", "each", "self", "module":
		return nil, inventory.Errorf(inventory.ErrUnsupported, "", "%s references are not supported", root)
	}
	if err := need(1, "TYPE.NAME"); err != nil {
		return nil, err
	}
	addr := root + "." + steps[0]
	if res := r.doc.Lookup(addr); res == nil || res.Mode != inventory.Managed {
		return nil, inventory.Errorf(inventory.ErrDangling, "", "%s is not declared in the document", addr)
	}
	return ref(addr, steps[1:])
}

// local evaluates local.name once; cycles are errors.
func (r *reader) local(name, path string) (inventory.Value, error) {
	if v, ok := r.localVals[name]; ok {
		return v, nil
	}
	raw, ok := r.locals[name]
	if !ok {
		return nil, inventory.Errorf(inventory.ErrDangling, path, "local.%s is not declared", name)
	}
	if r.localsBusy[name] {
		return nil, inventory.Errorf(inventory.ErrStructure, path, "local.%s refers to itself", name)
	}
	r.localsBusy[name] = true
	v, err := r.value(raw, "locals."+name)
	delete(r.localsBusy, name)
	if err != nil {
		return nil, err
	}
	r.localVals[name] = v
	return v, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c == '-' || c >= '0' && c <= '9'):
		default:
			return false
		}
	}
	return true
}
