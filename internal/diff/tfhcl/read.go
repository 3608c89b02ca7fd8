package tfhcl

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfexpr"
)

// File is one source file of a module.
type File struct {
	Path string
	Data []byte
}

// Options are the inputs of a module besides its files.
type Options struct {
	// Vars are -var values: text, or an HCL expression when it starts
	// with [ or { (as terraform -var reads complex types).
	Vars map[string]string
	// VarFiles are .tfvars files, applied in order before Vars.
	VarFiles []File
	// ReadFile reads a file relative to the module for file() and
	// templatefile(); nil keeps file contents symbolic.
	ReadFile func(name string) ([]byte, error)
}

// Read parses the .tf files of one module. The document's Path is dir.
func Read(dir string, files []File, opts Options) (*inventory.Document, error) {
	r := &reader{
		opts:       opts,
		doc:        &inventory.Document{Dialect: inventory.Terraform, Path: dir},
		vars:       map[string]inventory.Value{},
		locals:     map[string]*hclsyntax.Attribute{},
		localVals:  map[string]inventory.Value{},
		localsBusy: map[string]bool{},
		counted:    map[string]inventory.Value{},
	}
	if err := r.read(files); err != nil {
		return nil, err
	}
	r.doc.Sort()
	return r.doc, nil
}

type reader struct {
	opts Options
	doc  *inventory.Document

	vars       map[string]inventory.Value // known variable values
	locals     map[string]*hclsyntax.Attribute
	localVals  map[string]inventory.Value
	localsBusy map[string]bool
	// counted maps the address of a resource with count or for_each to
	// its instance keys (a List of index literals or a Map of each.value).
	counted map[string]inventory.Value
	// bases are the declared resource addresses, instances not yet known.
	bases map[string]bool
}

type decl struct {
	addr  string // without instance key
	mode  inventory.Mode
	typ   string
	block *hclsyntax.Block
}

func posOf(rng hcl.Range) string { return fmt.Sprintf("%s:%d", rng.Filename, rng.Start.Line) }

func errAt(kind error, rng hcl.Range, path, format string, args ...any) *inventory.Error {
	e := inventory.Errorf(kind, path, format, args...)
	e.File, e.Line, e.Col = rng.Filename, rng.Start.Line, rng.Start.Column
	return e
}

func (r *reader) note(addr, typ, reason string) {
	r.doc.Notes = append(r.doc.Notes, inventory.Note{Addr: addr, Type: typ, Reason: reason})
}

func (r *reader) read(files []File) error {
	var bodies []*hclsyntax.Body
	for _, f := range files {
		file, diags := hclsyntax.ParseConfig(f.Data, f.Path, hcl.InitialPos)
		if diags.HasErrors() {
			return syntaxError(f.Path, diags)
		}
		bodies = append(bodies, file.Body.(*hclsyntax.Body))
	}
	var decls []decl
	var outputs, variables []*hclsyntax.Block
	for _, body := range bodies {
		if len(body.Attributes) > 0 {
			for _, a := range sortedAttrs(body.Attributes) {
				return errAt(inventory.ErrStructure, a.SrcRange, a.Name, "argument %q is not valid at the top level of a module", a.Name)
			}
		}
		for _, b := range body.Blocks {
			switch b.Type {
			case "terraform":
				what := "terraform settings (required versions and providers): tool configuration, not infrastructure"
				for _, nb := range b.Body.Blocks {
					if nb.Type == "backend" || nb.Type == "cloud" {
						what = "terraform settings and the " + strings.Join(append([]string{nb.Type}, nb.Labels...), " ") + " block: where Terraform keeps its state, not infrastructure of the stack"
					}
				}
				r.note("terraform", "terraform", what)
			case "provider":
				r.note("provider."+strings.Join(b.Labels, "."), "provider", "provider configuration (region, credentials, endpoints, default tags): where and how to deploy, not what")
			case "moved", "import", "removed", "check":
				r.note(b.Type, b.Type, b.Type+" blocks instruct Terraform's plan; they describe no infrastructure")
			case "variable":
				if len(b.Labels) != 1 {
					return errAt(inventory.ErrStructure, b.DefRange(), "variable", "a variable block takes one label")
				}
				variables = append(variables, b)
			case "locals":
				for name, a := range b.Body.Attributes {
					if _, dup := r.locals[name]; dup {
						return errAt(inventory.ErrStructure, a.SrcRange, "local."+name, "local.%s is declared twice", name)
					}
					r.locals[name] = a
				}
			case "output":
				if len(b.Labels) != 1 {
					return errAt(inventory.ErrStructure, b.DefRange(), "output", "an output block takes one label")
				}
				outputs = append(outputs, b)
			case "resource", "data":
				if len(b.Labels) != 2 {
					return errAt(inventory.ErrStructure, b.DefRange(), b.Type, "a %s block takes two labels (type and name)", b.Type)
				}
				d := decl{addr: b.Labels[0] + "." + b.Labels[1], mode: inventory.Managed, typ: b.Labels[0], block: b}
				if b.Type == "data" {
					d.addr, d.mode = "data."+d.addr, inventory.Data
				}
				decls = append(decls, d)
			case "module":
				return errAt(inventory.ErrUnsupported, b.DefRange(), "module."+strings.Join(b.Labels, "."), "module calls are not supported: compare the module's own directory")
			default:
				return errAt(inventory.ErrStructure, b.DefRange(), b.Type, "unknown top-level block %q", b.Type)
			}
		}
	}
	if err := r.variables(variables); err != nil {
		return err
	}
	r.bases = map[string]bool{}
	for _, d := range decls {
		r.bases[d.addr] = true
	}
	// Declare every resource instance first: references need to know
	// what exists, not what it holds.
	type inst struct {
		d     decl
		res   *inventory.Resource
		bound map[string]inventory.Value
	}
	var insts []inst
	for _, d := range decls {
		keys, bounds, err := r.instances(d)
		if err != nil {
			return err
		}
		for i, k := range keys {
			res := &inventory.Resource{Addr: d.addr + k, Mode: d.mode, Type: d.typ, Pos: posOf(d.block.DefRange())}
			if err := r.doc.Add(res); err != nil {
				return errAt(inventory.ErrStructure, d.block.DefRange(), d.addr, "%v", err)
			}
			insts = append(insts, inst{d, res, bounds[i]})
		}
	}
	for _, in := range insts {
		if err := r.resource(in.res, in.d.block.Body, in.bound); err != nil {
			return err
		}
	}
	slices.SortFunc(outputs, func(a, b *hclsyntax.Block) int { return strings.Compare(a.Labels[0], b.Labels[0]) })
	for i, b := range outputs {
		if i > 0 && outputs[i-1].Labels[0] == b.Labels[0] {
			return errAt(inventory.ErrStructure, b.DefRange(), "output."+b.Labels[0], "output %q is declared twice", b.Labels[0])
		}
		path := "output." + b.Labels[0]
		a, ok := b.Body.Attributes["value"]
		if !ok {
			return errAt(inventory.ErrStructure, b.DefRange(), path, "output has no value")
		}
		v, err := r.eval(a.Expr, path+".value", nil)
		if err != nil {
			return err
		}
		o := &inventory.Output{Name: b.Labels[0], Value: v}
		if d, ok := b.Body.Attributes["description"]; ok {
			dv, err := r.eval(d.Expr, path+".description", nil)
			if err != nil {
				return err
			}
			o.Description, _ = literal(dv)
		}
		r.doc.Outputs = append(r.doc.Outputs, o)
	}
	return nil
}

func syntaxError(file string, diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		e := &inventory.Error{File: file, Kind: inventory.ErrSyntax, Reason: strings.ToLower(strings.TrimSuffix(d.Summary, "."))}
		if d.Detail != "" {
			e.Reason += ": " + strings.TrimSuffix(d.Detail, ".")
		}
		if d.Subject != nil {
			e.Line, e.Col = d.Subject.Start.Line, d.Subject.Start.Column
		}
		return e
	}
	return &inventory.Error{File: file, Kind: inventory.ErrSyntax, Reason: diags.Error()}
}

func sortedAttrs(m hclsyntax.Attributes) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

func literal(v inventory.Value) (string, bool) {
	s, ok := v.(inventory.Str)
	if !ok {
		return "", false
	}
	return s.Literal()
}

// variables records every variable and its value: -var, then variable
// files, then the default. Without any, references stay symbolic.
func (r *reader) variables(blocks []*hclsyntax.Block) error {
	given := map[string]inventory.Value{}
	for _, f := range r.opts.VarFiles {
		file, diags := hclsyntax.ParseConfig(f.Data, f.Path, hcl.InitialPos)
		if diags.HasErrors() {
			return syntaxError(f.Path, diags)
		}
		for _, a := range sortedAttrs(file.Body.(*hclsyntax.Body).Attributes) {
			v, err := tfexpr.Eval(a.Expr, tfexpr.Scope{Path: a.Name})
			if err != nil {
				return err
			}
			given[a.Name] = v
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.opts.Vars)) {
		text := r.opts.Vars[name]
		if t := strings.TrimSpace(text); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
			e, diags := hclsyntax.ParseExpression([]byte(t), "-var "+name, hcl.InitialPos)
			if diags.HasErrors() {
				return syntaxError("-var "+name, diags)
			}
			v, err := tfexpr.Eval(e, tfexpr.Scope{Path: "var." + name})
			if err != nil {
				return err
			}
			given[name] = v
			continue
		}
		given[name] = inventory.Lit(text)
	}
	declared := map[string]bool{}
	for _, b := range blocks {
		name := b.Labels[0]
		path := "var." + name
		if declared[name] {
			return errAt(inventory.ErrStructure, b.DefRange(), path, "variable %q is declared twice", name)
		}
		declared[name] = true
		res := &inventory.Resource{Addr: path, Mode: inventory.Parameter, Type: "variable", Props: map[string]inventory.Value{}, Pos: posOf(b.DefRange())}
		if a, ok := b.Body.Attributes["default"]; ok {
			v, err := tfexpr.Eval(a.Expr, tfexpr.Scope{Path: path + ".default"})
			if err != nil {
				return err
			}
			res.Props["default"] = v
			r.vars[name] = v
		}
		if v, ok := given[name]; ok {
			res.Props["default"] = v
			r.vars[name] = v
		}
		if err := r.doc.Add(res); err != nil {
			return errAt(inventory.ErrStructure, b.DefRange(), path, "%v", err)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		if !declared[name] {
			return inventory.Errorf(inventory.ErrDangling, "var."+name, "a value is given for variable %q, which the module does not declare", name)
		}
	}
	return nil
}

// instances expands count and for_each: the instance keys ("" when
// neither is set) and what each instance binds.
func (r *reader) instances(d decl) ([]string, []map[string]inventory.Value, error) {
	attrs := d.block.Body.Attributes
	if c, ok := attrs["count"]; ok {
		v, err := r.eval(c.Expr, d.addr+".count", nil)
		if err != nil {
			return nil, nil, err
		}
		s, _ := literal(v)
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 0 {
			return nil, nil, errAt(inventory.ErrUnsupported, c.SrcRange, d.addr+".count", "count must be a whole number known statically, got %s", v)
		}
		keys := make([]string, n)
		bounds := make([]map[string]inventory.Value, n)
		idx := make(inventory.List, n)
		for i := range n {
			keys[i] = "[" + strconv.Itoa(i) + "]"
			bounds[i] = map[string]inventory.Value{"count": inventory.Map{"index": inventory.Lit(strconv.Itoa(i))}}
			idx[i] = inventory.Lit(strconv.Itoa(i))
		}
		r.counted[d.addr] = idx
		return keys, bounds, nil
	}
	if fe, ok := attrs["for_each"]; ok {
		v, err := r.eval(fe.Expr, d.addr+".for_each", nil)
		if err != nil {
			return nil, nil, err
		}
		m := inventory.Map{}
		switch x := v.(type) {
		case inventory.Map:
			m = x
		case inventory.List:
			for _, e := range x {
				s, ok := literal(e)
				if !ok {
					return nil, nil, errAt(inventory.ErrUnsupported, fe.SrcRange, d.addr+".for_each", "for_each over a set needs strings known statically")
				}
				m[s] = e
			}
		default:
			return nil, nil, errAt(inventory.ErrUnsupported, fe.SrcRange, d.addr+".for_each", "for_each must be a map or set known statically, got %s", v)
		}
		var keys []string
		var bounds []map[string]inventory.Value
		for _, k := range m.Keys() {
			keys = append(keys, "["+strconv.Quote(k)+"]")
			bounds = append(bounds, map[string]inventory.Value{"each": inventory.Map{"key": inventory.Lit(k), "value": m[k]}})
		}
		r.counted[d.addr] = m
		return keys, bounds, nil
	}
	return []string{""}, []map[string]inventory.Value{nil}, nil
}

func (r *reader) resource(res *inventory.Resource, body *hclsyntax.Body, bound map[string]inventory.Value) error {
	res.Props = map[string]inventory.Value{}
	res.Meta = map[string]inventory.Value{}
	for _, a := range sortedAttrs(body.Attributes) {
		path := res.Addr + "." + a.Name
		switch a.Name {
		case "count", "for_each":
			continue
		case "depends_on":
			deps, err := r.dependsOn(a)
			if err != nil {
				return err
			}
			res.DependsOn = deps
			continue
		case "provider":
			res.Meta["provider"] = inventory.Lit(string(a.Expr.Range().SliceBytes(nil)))
			if tr, diags := hcl.AbsTraversalForExpr(a.Expr); !diags.HasErrors() {
				res.Meta["provider"] = inventory.Lit(strings.Join(traversalNames(tr), "."))
			}
			continue
		}
		v, err := r.eval(a.Expr, path, bound)
		if err != nil {
			return err
		}
		res.Props[a.Name] = v
	}
	blocks, err := r.blocks(res.Addr, body.Blocks, bound, 0)
	if err != nil {
		return err
	}
	for _, k := range blocks.Keys() {
		switch k {
		case "lifecycle", "provisioner", "connection":
			res.Meta[k] = blocks[k]
			continue
		}
		res.Props[k] = blocks[k]
	}
	return nil
}

func traversalNames(tr hcl.Traversal) []string {
	var out []string
	for _, s := range tr {
		switch x := s.(type) {
		case hcl.TraverseRoot:
			out = append(out, x.Name)
		case hcl.TraverseAttr:
			out = append(out, x.Name)
		}
	}
	return out
}

// blocks evaluates nested blocks: each type becomes a list of objects, in
// source order; dynamic blocks expand when their for_each is known.
func (r *reader) blocks(path string, blocks hclsyntax.Blocks, bound map[string]inventory.Value, depth int) (inventory.Map, error) {
	if depth > 50 {
		return nil, inventory.Errorf(inventory.ErrUnsupported, path, "blocks nested too deeply")
	}
	out := inventory.Map{}
	add := func(typ string, m inventory.Map) {
		l, _ := out[typ].(inventory.List)
		out[typ] = append(l, m)
	}
	for _, b := range blocks {
		bpath := path + "." + b.Type
		if b.Type != "dynamic" {
			m, err := r.object(bpath, b.Body, bound, depth)
			if err != nil {
				return nil, err
			}
			add(b.Type, m)
			continue
		}
		if len(b.Labels) != 1 {
			return nil, errAt(inventory.ErrStructure, b.DefRange(), bpath, "a dynamic block takes one label")
		}
		typ := b.Labels[0]
		bpath = path + ".dynamic." + typ
		fe, ok := b.Body.Attributes["for_each"]
		if !ok {
			return nil, errAt(inventory.ErrStructure, b.DefRange(), bpath, "dynamic block without for_each")
		}
		coll, err := r.eval(fe.Expr, bpath+".for_each", bound)
		if err != nil {
			return nil, err
		}
		iter := typ
		if it, ok := b.Body.Attributes["iterator"]; ok {
			iter = hcl.ExprAsKeyword(it.Expr)
		}
		var content *hclsyntax.Block
		for _, cb := range b.Body.Blocks {
			if cb.Type == "content" {
				content = cb
			}
		}
		if content == nil {
			return nil, errAt(inventory.ErrStructure, b.DefRange(), bpath, "dynamic block without content")
		}
		items, ok := inventory.Items(coll)
		if !ok {
			return nil, errAt(inventory.ErrUnsupported, fe.SrcRange, bpath+".for_each", "dynamic block over a value known only at deploy time")
		}
		for _, it := range items {
			nb := maps.Clone(bound)
			if nb == nil {
				nb = map[string]inventory.Value{}
			}
			nb[iter] = inventory.Map{"key": inventory.Lit(it.Key), "value": it.Value}
			m, err := r.object(bpath, content.Body, nb, depth)
			if err != nil {
				return nil, err
			}
			add(typ, m)
		}
		if _, ok := out[typ]; !ok {
			out[typ] = inventory.List{}
		}
	}
	return out, nil
}

func (r *reader) object(path string, body *hclsyntax.Body, bound map[string]inventory.Value, depth int) (inventory.Map, error) {
	m := inventory.Map{}
	for _, a := range sortedAttrs(body.Attributes) {
		v, err := r.eval(a.Expr, path+"."+a.Name, bound)
		if err != nil {
			return nil, err
		}
		m[a.Name] = v
	}
	sub, err := r.blocks(path, body.Blocks, bound, depth+1)
	if err != nil {
		return nil, err
	}
	for k, v := range sub {
		m[k] = v
	}
	return m, nil
}

func (r *reader) dependsOn(a *hclsyntax.Attribute) ([]string, error) {
	tup, ok := a.Expr.(*hclsyntax.TupleConsExpr)
	if !ok {
		return nil, errAt(inventory.ErrStructure, a.SrcRange, "depends_on", "want a list of references")
	}
	var out []string
	for _, e := range tup.Exprs {
		tr, diags := hcl.AbsTraversalForExpr(e)
		if diags.HasErrors() {
			return nil, errAt(inventory.ErrStructure, e.Range(), "depends_on", "want a reference")
		}
		names := traversalNames(tr)
		addr := strings.Join(names, ".")
		if len(names) >= 2 && names[0] != "data" {
			addr = names[0] + "." + names[1]
		} else if len(names) >= 3 {
			addr = strings.Join(names[:3], ".")
		}
		if r.doc.Lookup(addr) == nil && r.counted[addr] == nil {
			return nil, errAt(inventory.ErrDangling, e.Range(), "depends_on", "%q is not declared in the module", addr)
		}
		out = append(out, addr)
	}
	return out, nil
}

func (r *reader) eval(e hclsyntax.Expression, path string, bound map[string]inventory.Value) (inventory.Value, error) {
	return tfexpr.Eval(e, tfexpr.Scope{
		Path:     path,
		Bound:    bound,
		ReadFile: r.opts.ReadFile,
		Traverse: func(root string, steps []string) (inventory.Value, error) {
			return r.traverse(root, steps, path)
		},
	})
}

// local evaluates local.name once; cycles are errors.
func (r *reader) local(name string) (inventory.Value, error) {
	if v, ok := r.localVals[name]; ok {
		return v, nil
	}
	a, ok := r.locals[name]
	if !ok {
		return nil, inventory.Errorf(inventory.ErrDangling, "", "local.%s is not declared", name)
	}
	if r.localsBusy[name] {
		return nil, inventory.Errorf(inventory.ErrStructure, "", "local.%s refers to itself", name)
	}
	r.localsBusy[name] = true
	v, err := r.eval(a.Expr, "local."+name, nil)
	delete(r.localsBusy, name)
	if err != nil {
		return nil, err
	}
	r.localVals[name] = v
	return v, nil
}

// traverse resolves a reference to the element it names.
func (r *reader) traverse(root string, steps []string, path string) (inventory.Value, error) {
	walk := func(v inventory.Value, rest []string) (inventory.Value, error) {
		var err error
		for _, s := range rest {
			if v, err = tfexpr.Index(v, s); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	need := func(n int, what string) error {
		if len(steps) < n {
			return inventory.Errorf(inventory.ErrSyntax, "", "incomplete reference %s: want %s", strings.Join(append([]string{root}, steps...), "."), what)
		}
		return nil
	}
	switch root {
	case "var":
		if err := need(1, "var.NAME"); err != nil {
			return nil, err
		}
		addr := "var." + steps[0]
		if r.doc.Lookup(addr) == nil {
			return nil, inventory.Errorf(inventory.ErrDangling, "", "%s is not declared in the module", addr)
		}
		if v, ok := r.vars[steps[0]]; ok {
			return walk(v, steps[1:])
		}
		return inventory.RefStr(&inventory.Ref{Kind: inventory.ToResource, Addr: addr, Path: append([]string(nil), steps[1:]...)}), nil
	case "local":
		if err := need(1, "local.NAME"); err != nil {
			return nil, err
		}
		v, err := r.local(steps[0])
		if err != nil {
			return nil, err
		}
		return walk(v, steps[1:])
	case "path", "terraform":
		if err := need(1, root+".NAME"); err != nil {
			return nil, err
		}
		if root == "path" && (steps[0] == "module" || steps[0] == "root") {
			// Files are read relative to the module: its path is ".".
			return inventory.Lit("."), nil
		}
		return inventory.RefStr(&inventory.Ref{Kind: inventory.ToPseudo, Addr: inventory.PseudoPath, Attr: root + "." + steps[0]}), nil
	case "count", "each", "self", "module":
		return nil, inventory.Errorf(inventory.ErrUnsupported, "", "%s references are not supported here", root)
	}
	base, rest := "", steps
	if root == "data" {
		if err := need(2, "data.TYPE.NAME"); err != nil {
			return nil, err
		}
		base, rest = "data."+steps[0]+"."+steps[1], steps[2:]
	} else {
		if err := need(1, "TYPE.NAME"); err != nil {
			return nil, err
		}
		base, rest = root+"."+steps[0], steps[1:]
	}
	instRef := func(addr string, rest []string) (inventory.Value, error) {
		ref := &inventory.Ref{Kind: inventory.ToResource, Addr: addr}
		if len(rest) > 0 {
			ref.Attr = rest[0]
			ref.Path = append([]string(nil), rest[1:]...)
		}
		return inventory.RefStr(ref), nil
	}
	if keys, ok := r.counted[base]; ok {
		if len(rest) > 0 {
			k := rest[0]
			if _, isMap := keys.(inventory.Map); isMap {
				k = strconv.Quote(k)
			}
			addr := base + "[" + k + "]"
			if r.doc.Lookup(addr) == nil {
				return nil, inventory.Errorf(inventory.ErrDangling, "", "%s is not declared in the module", addr)
			}
			return instRef(addr, rest[1:])
		}
		// The whole resource: a list (count) or map (for_each) of its
		// instances.
		switch x := keys.(type) {
		case inventory.List:
			l := inventory.List{}
			for _, k := range x {
				ks, _ := literal(k)
				v, _ := instRef(base+"["+ks+"]", nil)
				l = append(l, v)
			}
			return l, nil
		case inventory.Map:
			m := inventory.Map{}
			for _, k := range x.Keys() {
				v, _ := instRef(base+"["+strconv.Quote(k)+"]", nil)
				m[k] = v
			}
			return m, nil
		}
	}
	res := r.doc.Lookup(base)
	if res == nil && r.bases[base] {
		// Declared, its instances not expanded yet (a count that refers
		// to another resource): known only at deploy time.
		return instRef(base, rest)
	}
	if res == nil || (root == "data") != (res.Mode == inventory.Data) {
		return nil, inventory.Errorf(inventory.ErrDangling, "", "%s is not declared in the module", base)
	}
	return instRef(base, rest)
}
