package tfexpr

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// maxDepth bounds the nesting of expressions so that hostile input cannot
// exhaust the stack.
const maxDepth = 200

// Scope is what an expression can see.
type Scope struct {
	// Path locates the expression for messages (a JSON path, an address).
	Path string
	// Traverse resolves a reference rooted at a name the evaluator does not
	// bind itself (var, local, data, a resource type, path, terraform):
	// steps are the attribute names and constant indexes that follow.
	Traverse func(root string, steps []string) (inventory.Value, error)
	// Bound are names bound around the expression: count, each, the
	// variables of an enclosing for expression or template.
	Bound map[string]inventory.Value
	// ReadFile reads a file for file() and templatefile(), relative to the
	// module directory. nil keeps file contents symbolic (a file on the
	// deployer's machine).
	ReadFile func(name string) ([]byte, error)
}

// Eval evaluates an expression.
func Eval(e hclsyntax.Expression, s Scope) (inventory.Value, error) {
	ev := &evaluator{s: s}
	return ev.eval(e)
}

// EvalTemplate parses src as a Terraform string template and evaluates it:
// the ${...} strings of a .tf.json document. A template that is exactly one
// interpolation yields the expression's value itself (which may be a list
// or object).
func EvalTemplate(src string, s Scope) (inventory.Value, error) {
	if !strings.Contains(src, "${") && !strings.Contains(src, "%{") {
		return inventory.Lit(src), nil
	}
	e, diags := hclsyntax.ParseTemplate([]byte(src), "", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, inventory.Errorf(inventory.ErrSyntax, s.Path, "%s (in %q)", diagText(diags), abbrev(src))
	}
	return Eval(e, s)
}

func diagText(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			msg := strings.ToLower(strings.TrimSuffix(d.Summary, "."))
			if d.Detail != "" {
				msg += ": " + strings.TrimSuffix(d.Detail, ".")
			}
			if d.Subject != nil && d.Subject.Filename != "" {
				return fmt.Sprintf("%s:%d: %s", d.Subject.Filename, d.Subject.Start.Line, msg)
			}
			return msg
		}
	}
	return diags.Error()
}

func abbrev(s string) string {
	if len(s) <= 80 {
		return s
	}
	r := []rune(s)
	if len(r) <= 80 {
		return s
	}
	return string(r[:77]) + "..."
}

type evaluator struct {
	s     Scope
	anon  map[*hclsyntax.AnonSymbolExpr]inventory.Value
	depth int
}

func (ev *evaluator) errf(kind error, rng hcl.Range, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if rng.Filename != "" {
		msg = fmt.Sprintf("%s:%d: %s", rng.Filename, rng.Start.Line, msg)
	}
	return inventory.Errorf(kind, ev.s.Path, "%s", msg)
}

func (ev *evaluator) eval(e hclsyntax.Expression) (inventory.Value, error) {
	ev.depth++
	defer func() { ev.depth-- }()
	if ev.depth > maxDepth {
		return nil, ev.errf(inventory.ErrUnsupported, e.Range(), "expression nested too deeply")
	}
	switch x := e.(type) {
	case *hclsyntax.LiteralValueExpr:
		return FromCty(x.Val), nil
	case *hclsyntax.TemplateWrapExpr:
		return ev.eval(x.Wrapped)
	case *hclsyntax.ParenthesesExpr:
		return ev.eval(x.Expression)
	case *hclsyntax.TemplateExpr:
		if len(x.Parts) == 1 {
			if l, ok := x.Parts[0].(*hclsyntax.LiteralValueExpr); ok {
				return FromCty(l.Val), nil
			}
		}
		var strs []inventory.Str
		for _, p := range x.Parts {
			v, err := ev.eval(p)
			if err != nil {
				return nil, err
			}
			s, ok := v.(inventory.Str)
			if !ok {
				return nil, ev.errf(inventory.ErrUnsupported, p.Range(), "cannot interpolate %s into a string", kindOf(v))
			}
			strs = append(strs, s)
		}
		return inventory.Concat(strs...), nil
	case *hclsyntax.TemplateJoinExpr:
		v, err := ev.eval(x.Tuple)
		if err != nil {
			return nil, err
		}
		l, ok := v.(inventory.List)
		if !ok {
			return nil, ev.errf(inventory.ErrUnsupported, x.Range(), "template loop over %s", kindOf(v))
		}
		var strs []inventory.Str
		for _, e := range l {
			s, ok := e.(inventory.Str)
			if !ok {
				return nil, ev.errf(inventory.ErrUnsupported, x.Range(), "cannot interpolate %s into a string", kindOf(e))
			}
			strs = append(strs, s)
		}
		return inventory.Concat(strs...), nil
	case *hclsyntax.ScopeTraversalExpr:
		return ev.traversal(x.Traversal, x.SrcRange)
	case *hclsyntax.RelativeTraversalExpr:
		v, err := ev.eval(x.Source)
		if err != nil {
			return nil, err
		}
		return ev.walk(v, x.Traversal, x.SrcRange)
	case *hclsyntax.IndexExpr:
		coll, err := ev.eval(x.Collection)
		if err != nil {
			return nil, err
		}
		k, err := ev.eval(x.Key)
		if err != nil {
			return nil, err
		}
		key, ok := literal(k)
		if !ok {
			return nil, ev.errf(inventory.ErrUnsupported, x.Key.Range(), "index must be a constant")
		}
		return ev.index(coll, key, x.SrcRange)
	case *hclsyntax.TupleConsExpr:
		l := make(inventory.List, 0, len(x.Exprs))
		for _, e := range x.Exprs {
			v, err := ev.eval(e)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case *hclsyntax.ObjectConsExpr:
		m := make(inventory.Map, len(x.Items))
		for _, it := range x.Items {
			key, err := ev.key(it.KeyExpr)
			if err != nil {
				return nil, err
			}
			v, err := ev.eval(it.ValueExpr)
			if err != nil {
				return nil, err
			}
			m[key] = v
		}
		return m, nil
	case *hclsyntax.ObjectConsKeyExpr:
		k, err := ev.key(x)
		if err != nil {
			return nil, err
		}
		return inventory.Lit(k), nil
	case *hclsyntax.FunctionCallExpr:
		args := make([]inventory.Value, 0, len(x.Args))
		for _, a := range x.Args {
			v, err := ev.eval(a)
			if err != nil {
				return nil, err
			}
			args = append(args, v)
		}
		if x.ExpandFinal && len(args) > 0 {
			last, ok := args[len(args)-1].(inventory.List)
			if !ok {
				return nil, ev.errf(inventory.ErrUnsupported, x.Range(), "%s: cannot expand %s with ...", x.Name, kindOf(args[len(args)-1]))
			}
			args = append(args[:len(args)-1], last...)
		}
		return ev.call(x.Name, args, x.Range())
	case *hclsyntax.ConditionalExpr:
		c, err := ev.eval(x.Condition)
		if err != nil {
			return nil, err
		}
		b, ok := boolOf(c)
		if !ok {
			return nil, ev.errf(inventory.ErrUnsupported, x.Condition.Range(), "conditionals are evaluated only when the condition is known statically (got %s)", c)
		}
		if b {
			return ev.eval(x.TrueResult)
		}
		return ev.eval(x.FalseResult)
	case *hclsyntax.BinaryOpExpr:
		return ev.binary(x)
	case *hclsyntax.UnaryOpExpr:
		v, err := ev.eval(x.Val)
		if err != nil {
			return nil, err
		}
		switch x.Op {
		case hclsyntax.OpLogicalNot:
			if b, ok := boolOf(v); ok {
				return inventory.Lit(strconv.FormatBool(!b)), nil
			}
		case hclsyntax.OpNegate:
			if n, ok := number(v); ok {
				return numLit(new(big.Float).Neg(n)), nil
			}
		}
		return nil, ev.errf(inventory.ErrUnsupported, x.Range(), "operator on a value known only at deploy time")
	case *hclsyntax.ForExpr:
		return ev.forExpr(x)
	case *hclsyntax.SplatExpr:
		src, err := ev.eval(x.Source)
		if err != nil {
			return nil, err
		}
		var items inventory.List
		switch v := src.(type) {
		case inventory.List:
			items = v
		case inventory.Null:
			return inventory.List{}, nil
		case inventory.Map:
			items = inventory.List{v}
		default:
			if r, ok := v.(inventory.Str).SingleRef(); ok && r.Kind == inventory.ToResource {
				return nil, ev.errf(inventory.ErrUnsupported, x.Range(), "splat over %s, whose length is known only at deploy time", r)
			}
			items = inventory.List{v}
		}
		if ev.anon == nil {
			ev.anon = map[*hclsyntax.AnonSymbolExpr]inventory.Value{}
		}
		out := make(inventory.List, 0, len(items))
		for _, it := range items {
			ev.anon[x.Item] = it
			v, err := ev.eval(x.Each)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		delete(ev.anon, x.Item)
		return out, nil
	case *hclsyntax.AnonSymbolExpr:
		if v, ok := ev.anon[x]; ok {
			return v, nil
		}
		return nil, ev.errf(inventory.ErrStructure, x.Range(), "splat item outside a splat")
	}
	return nil, ev.errf(inventory.ErrUnsupported, e.Range(), "expression %T is not supported", e)
}

// key evaluates an object key: a bare identifier is its own name.
func (ev *evaluator) key(e hclsyntax.Expression) (string, error) {
	if k, ok := e.(*hclsyntax.ObjectConsKeyExpr); ok {
		if !k.ForceNonLiteral {
			if name := hcl.ExprAsKeyword(k.Wrapped); name != "" {
				return name, nil
			}
		}
		e = k.Wrapped
	}
	v, err := ev.eval(e)
	if err != nil {
		return "", err
	}
	s, ok := literal(v)
	if !ok {
		return "", ev.errf(inventory.ErrUnsupported, e.Range(), "object key must be a constant")
	}
	return s, nil
}

// steps turns a traversal's steps into names and constant indexes.
func (ev *evaluator) steps(tr hcl.Traversal, rng hcl.Range) ([]string, error) {
	out := make([]string, 0, len(tr))
	for _, st := range tr {
		switch s := st.(type) {
		case hcl.TraverseRoot:
			out = append(out, s.Name)
		case hcl.TraverseAttr:
			out = append(out, s.Name)
		case hcl.TraverseIndex:
			k, ok := literal(FromCty(s.Key))
			if !ok {
				return nil, ev.errf(inventory.ErrUnsupported, rng, "index must be a constant")
			}
			out = append(out, k)
		default:
			return nil, ev.errf(inventory.ErrUnsupported, rng, "splat (legacy .*) is not supported")
		}
	}
	return out, nil
}

func (ev *evaluator) traversal(tr hcl.Traversal, rng hcl.Range) (inventory.Value, error) {
	steps, err := ev.steps(tr, rng)
	if err != nil {
		return nil, err
	}
	root := steps[0]
	if v, ok := ev.s.Bound[root]; ok {
		for _, k := range steps[1:] {
			if v, err = ev.index(v, k, rng); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	if ev.s.Traverse == nil {
		return nil, ev.errf(inventory.ErrDangling, rng, "%s is not declared", strings.Join(steps, "."))
	}
	v, err := ev.s.Traverse(root, steps[1:])
	if err != nil {
		if e, ok := err.(*inventory.Error); ok && e.Path == "" {
			e.Path = ev.s.Path
			if rng.Filename != "" {
				e.Reason = fmt.Sprintf("%s:%d: %s", rng.Filename, rng.Start.Line, e.Reason)
			}
		}
		return nil, err
	}
	return v, nil
}

func (ev *evaluator) walk(v inventory.Value, tr hcl.Traversal, rng hcl.Range) (inventory.Value, error) {
	steps, err := ev.steps(tr, rng)
	if err != nil {
		return nil, err
	}
	for _, k := range steps {
		if v, err = ev.index(v, k, rng); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Index looks key up in v: an object's key, a list's element, or a
// further step into a reference.
func Index(v inventory.Value, key string) (inventory.Value, error) {
	switch x := v.(type) {
	case inventory.Map:
		e, ok := x[key]
		if !ok {
			return nil, inventory.Errorf(inventory.ErrDangling, "", "object has no key %q", key)
		}
		return e, nil
	case inventory.List:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(x) {
			return nil, inventory.Errorf(inventory.ErrDangling, "", "index %q out of range of a list of %d", key, len(x))
		}
		return x[i], nil
	case inventory.Str:
		if ref, ok := x.SingleRef(); ok {
			nr := *ref
			if nr.Attr == "" && nr.Kind == inventory.ToResource && !strings.HasPrefix(nr.Addr, "var.") {
				nr.Attr = key
			} else {
				nr.Path = append(append([]string(nil), ref.Path...), key)
			}
			return inventory.RefStr(&nr), nil
		}
	}
	return nil, inventory.Errorf(inventory.ErrUnsupported, "", "cannot index %s with %q", kindOf(v), key)
}

func (ev *evaluator) index(v inventory.Value, key string, rng hcl.Range) (inventory.Value, error) {
	out, err := Index(v, key)
	if err != nil {
		e := err.(*inventory.Error)
		return nil, ev.errf(e.Kind, rng, "%s", e.Reason)
	}
	return out, nil
}

func (ev *evaluator) forExpr(x *hclsyntax.ForExpr) (inventory.Value, error) {
	coll, err := ev.eval(x.CollExpr)
	if err != nil {
		return nil, err
	}
	items, ok := inventory.Items(coll)
	if !ok {
		return nil, ev.errf(inventory.ErrUnsupported, x.CollExpr.Range(), "for expressions need a collection known statically (got %s)", kindOf(coll))
	}
	saved := ev.s.Bound
	bound := make(map[string]inventory.Value, len(saved)+2)
	for k, v := range saved {
		bound[k] = v
	}
	ev.s.Bound = bound
	defer func() { ev.s.Bound = saved }()
	var outL inventory.List
	outM := inventory.Map{}
	for _, it := range items {
		if x.KeyVar != "" {
			bound[x.KeyVar] = inventory.Lit(it.Key)
		}
		bound[x.ValVar] = it.Value
		if x.CondExpr != nil {
			c, err := ev.eval(x.CondExpr)
			if err != nil {
				return nil, err
			}
			b, ok := boolOf(c)
			if !ok {
				return nil, ev.errf(inventory.ErrUnsupported, x.CondExpr.Range(), "for expression condition known only at deploy time")
			}
			if !b {
				continue
			}
		}
		v, err := ev.eval(x.ValExpr)
		if err != nil {
			return nil, err
		}
		if x.KeyExpr == nil {
			outL = append(outL, v)
			continue
		}
		k, err := ev.eval(x.KeyExpr)
		if err != nil {
			return nil, err
		}
		ks, ok := literal(k)
		if !ok {
			return nil, ev.errf(inventory.ErrUnsupported, x.KeyExpr.Range(), "for expression key known only at deploy time")
		}
		if x.Group {
			l, _ := outM[ks].(inventory.List)
			outM[ks] = append(l, v)
			continue
		}
		outM[ks] = v
	}
	if x.KeyExpr == nil {
		if outL == nil {
			outL = inventory.List{}
		}
		return outL, nil
	}
	return outM, nil
}

func (ev *evaluator) binary(x *hclsyntax.BinaryOpExpr) (inventory.Value, error) {
	l, err := ev.eval(x.LHS)
	if err != nil {
		return nil, err
	}
	// && and || short-circuit on a known left side.
	if x.Op == hclsyntax.OpLogicalAnd || x.Op == hclsyntax.OpLogicalOr {
		if b, ok := boolOf(l); ok && b == (x.Op == hclsyntax.OpLogicalOr) {
			return inventory.Lit(strconv.FormatBool(b)), nil
		}
	}
	r, err := ev.eval(x.RHS)
	if err != nil {
		return nil, err
	}
	unknown := func() error {
		return ev.errf(inventory.ErrUnsupported, x.Range(), "operator on a value known only at deploy time (%s, %s)", l, r)
	}
	switch x.Op {
	case hclsyntax.OpEqual, hclsyntax.OpNotEqual:
		if hasRef(l) || hasRef(r) {
			return nil, unknown()
		}
		eq := canon(l) == canon(r)
		return inventory.Lit(strconv.FormatBool(eq == (x.Op == hclsyntax.OpEqual))), nil
	case hclsyntax.OpLogicalAnd, hclsyntax.OpLogicalOr:
		a, ok1 := boolOf(l)
		b, ok2 := boolOf(r)
		if !ok1 || !ok2 {
			return nil, unknown()
		}
		if x.Op == hclsyntax.OpLogicalAnd {
			return inventory.Lit(strconv.FormatBool(a && b)), nil
		}
		return inventory.Lit(strconv.FormatBool(a || b)), nil
	}
	a, ok1 := number(l)
	b, ok2 := number(r)
	if !ok1 || !ok2 {
		return nil, unknown()
	}
	switch x.Op {
	case hclsyntax.OpAdd:
		return numLit(new(big.Float).Add(a, b)), nil
	case hclsyntax.OpSubtract:
		return numLit(new(big.Float).Sub(a, b)), nil
	case hclsyntax.OpMultiply:
		return numLit(new(big.Float).Mul(a, b)), nil
	case hclsyntax.OpDivide:
		if b.Sign() == 0 {
			return nil, ev.errf(inventory.ErrStructure, x.Range(), "division by zero")
		}
		return numLit(new(big.Float).Quo(a, b)), nil
	case hclsyntax.OpModulo:
		ai, _ := a.Int64()
		bi, _ := b.Int64()
		if bi == 0 {
			return nil, ev.errf(inventory.ErrStructure, x.Range(), "modulo by zero")
		}
		return inventory.Lit(strconv.FormatInt(ai%bi, 10)), nil
	case hclsyntax.OpGreaterThan:
		return inventory.Lit(strconv.FormatBool(a.Cmp(b) > 0)), nil
	case hclsyntax.OpGreaterThanOrEqual:
		return inventory.Lit(strconv.FormatBool(a.Cmp(b) >= 0)), nil
	case hclsyntax.OpLessThan:
		return inventory.Lit(strconv.FormatBool(a.Cmp(b) < 0)), nil
	case hclsyntax.OpLessThanOrEqual:
		return inventory.Lit(strconv.FormatBool(a.Cmp(b) <= 0)), nil
	}
	return nil, unknown()
}

// canon renders a value for equality: numbers by value.
func canon(v inventory.Value) string {
	if n, ok := number(v); ok {
		return n.Text('g', 40)
	}
	return v.String()
}

func hasRef(v inventory.Value) bool {
	found := false
	inventory.Refs(v, func(*inventory.Ref) { found = true })
	return found
}

func literal(v inventory.Value) (string, bool) {
	s, ok := v.(inventory.Str)
	if !ok {
		return "", false
	}
	return s.Literal()
}

func boolOf(v inventory.Value) (bool, bool) {
	s, ok := literal(v)
	if !ok {
		return false, false
	}
	b, err := strconv.ParseBool(s)
	return b, err == nil
}

func number(v inventory.Value) (*big.Float, bool) {
	s, ok := literal(v)
	if !ok {
		return nil, false
	}
	f, _, err := big.ParseFloat(s, 10, 512, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	return f, true
}

func numLit(f *big.Float) inventory.Str {
	return inventory.Lit(inventory.NormalizeNumber(f.Text('g', -1)))
}

func kindOf(v inventory.Value) string {
	switch v.(type) {
	case inventory.Map:
		return "an object"
	case inventory.List:
		return "a list"
	case inventory.Null:
		return "null"
	}
	return "a string"
}

// FromCty converts a known cty value into an inventory value: numbers and
// booleans become literal text, collections lists and maps.
func FromCty(v cty.Value) inventory.Value {
	if v.IsNull() || !v.IsKnown() {
		return inventory.Null{}
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return inventory.Lit(v.AsString())
	case t == cty.Number:
		return inventory.Lit(inventory.NormalizeNumber(v.AsBigFloat().Text('g', -1)))
	case t == cty.Bool:
		return inventory.Lit(strconv.FormatBool(v.True()))
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		l := inventory.List{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			l = append(l, FromCty(e))
		}
		return l
	case t.IsMapType() || t.IsObjectType():
		m := inventory.Map{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			m[k.AsString()] = FromCty(e)
		}
		return m
	}
	return inventory.Lit(v.GoString())
}

// toCty converts a value without references into cty: text stays a string
// (functions convert it to the number or bool they want).
func toCty(v inventory.Value) (cty.Value, bool) {
	switch x := v.(type) {
	case nil, inventory.Null:
		return cty.NullVal(cty.DynamicPseudoType), true
	case inventory.Str:
		s, ok := x.Literal()
		if !ok {
			return cty.NilVal, false
		}
		return cty.StringVal(s), true
	case inventory.List:
		if len(x) == 0 {
			return cty.EmptyTupleVal, true
		}
		vals := make([]cty.Value, len(x))
		for i, e := range x {
			c, ok := toCty(e)
			if !ok {
				return cty.NilVal, false
			}
			vals[i] = c
		}
		return cty.TupleVal(vals), true
	case inventory.Map:
		if len(x) == 0 {
			return cty.EmptyObjectVal, true
		}
		vals := make(map[string]cty.Value, len(x))
		for k, e := range x {
			c, ok := toCty(e)
			if !ok {
				return cty.NilVal, false
			}
			vals[k] = c
		}
		return cty.ObjectVal(vals), true
	}
	return cty.NilVal, false
}
