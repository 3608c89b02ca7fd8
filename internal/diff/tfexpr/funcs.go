package tfexpr

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// stdlibFuncs are Terraform's functions that go-cty's standard library
// implements with the same meaning. They run when every argument is known.
func stdlibFunc(name string) (function.Function, bool) {
	var f function.Function
	switch name {
	case "abs":
		f = stdlib.AbsoluteFunc
	case "ceil":
		f = stdlib.CeilFunc
	case "floor":
		f = stdlib.FloorFunc
	case "log":
		f = stdlib.LogFunc
	case "max":
		f = stdlib.MaxFunc
	case "min":
		f = stdlib.MinFunc
	case "pow":
		f = stdlib.PowFunc
	case "signum":
		f = stdlib.SignumFunc
	case "parseint":
		f = stdlib.ParseIntFunc
	case "chomp":
		f = stdlib.ChompFunc
	case "formatlist":
		f = stdlib.FormatListFunc
	case "indent":
		f = stdlib.IndentFunc
	case "lower":
		f = stdlib.LowerFunc
	case "upper":
		f = stdlib.UpperFunc
	case "regex":
		f = stdlib.RegexFunc
	case "regexall":
		f = stdlib.RegexAllFunc
	case "strrev":
		f = stdlib.ReverseFunc
	case "substr":
		f = stdlib.SubstrFunc
	case "title":
		f = stdlib.TitleFunc
	case "trim":
		f = stdlib.TrimFunc
	case "trimprefix":
		f = stdlib.TrimPrefixFunc
	case "trimsuffix":
		f = stdlib.TrimSuffixFunc
	case "trimspace":
		f = stdlib.TrimSpaceFunc
	case "chunklist":
		f = stdlib.ChunklistFunc
	case "coalescelist":
		f = stdlib.CoalesceListFunc
	case "compact":
		f = stdlib.CompactFunc
	case "contains":
		f = stdlib.ContainsFunc
	case "distinct":
		f = stdlib.DistinctFunc
	case "index":
		f = stdlib.IndexFunc
	case "keys":
		f = stdlib.KeysFunc
	case "values":
		f = stdlib.ValuesFunc
	case "range":
		f = stdlib.RangeFunc
	case "reverse":
		f = stdlib.ReverseListFunc
	case "setintersection":
		f = stdlib.SetIntersectionFunc
	case "setproduct":
		f = stdlib.SetProductFunc
	case "setsubtract":
		f = stdlib.SetSubtractFunc
	case "setunion":
		f = stdlib.SetUnionFunc
	case "slice":
		f = stdlib.SliceFunc
	case "sort":
		f = stdlib.SortFunc
	case "zipmap":
		f = stdlib.ZipmapFunc
	case "csvdecode":
		f = stdlib.CSVDecodeFunc
	case "formatdate":
		f = stdlib.FormatDateFunc
	case "timeadd":
		f = stdlib.TimeAddFunc
	case "regex_replace":
		f = stdlib.RegexReplaceFunc
	default:
		return f, false
	}
	return f, true
}

// call evaluates a function. Functions of deploy-time values stay symbolic
// where the result is still an identity (an element of a list attribute, a
// file hash, JSON around references); the others need known arguments.
func (ev *evaluator) call(name string, args []inventory.Value, rng hcl.Range) (inventory.Value, error) {
	if i := strings.Index(name, "::"); i >= 0 {
		if strings.HasPrefix(name, "provider::") {
			return nil, ev.errf(inventory.ErrUnsupported, rng, "provider function %s is not supported", name)
		}
		name = name[i+2:] // core::f
	}
	errf := func(kind error, format string, a ...any) error {
		return ev.errf(kind, rng, "%s: %s", name, fmt.Sprintf(format, a...))
	}
	nargs := func(min, max int) error {
		if len(args) < min || max >= 0 && len(args) > max {
			return errf(inventory.ErrStructure, "wrong number of arguments (%d)", len(args))
		}
		return nil
	}
	str := func(i int) (inventory.Str, error) {
		s, ok := args[i].(inventory.Str)
		if !ok {
			return nil, errf(inventory.ErrStructure, "argument %d must be a string", i+1)
		}
		return s, nil
	}
	lit := func(i int) (string, error) {
		s, err := str(i)
		if err != nil {
			return "", err
		}
		l, ok := s.Literal()
		if !ok {
			return "", errf(inventory.ErrUnsupported, "argument %d must be a constant", i+1)
		}
		return l, nil
	}
	// lits checks that there are exactly n arguments, each a constant
	// string, and returns them.
	lits := func(n int) ([]string, error) {
		if err := nargs(n, n); err != nil {
			return nil, err
		}
		out := make([]string, n)
		for i := range out {
			var err error
			if out[i], err = lit(i); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	list := func(i int) (inventory.List, error) {
		l, ok := args[i].(inventory.List)
		if !ok {
			return nil, errf(inventory.ErrUnsupported, "argument %d must be a constant list", i+1)
		}
		return l, nil
	}
	switch name {
	case "tolist", "toset", "tomap", "tostring", "tonumber", "tobool", "sensitive", "nonsensitive", "base64encode", "one":
		// base64encode is transparent: the inventory compares decoded text.
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		if name == "one" {
			if l, ok := args[0].(inventory.List); ok {
				switch len(l) {
				case 0:
					return inventory.Null{}, nil
				case 1:
					return l[0], nil
				}
				return nil, errf(inventory.ErrStructure, "list of %d elements", len(l))
			}
		}
		if name == "tonumber" {
			if n, ok := number(args[0]); ok {
				return numLit(n), nil
			}
		}
		return args[0], nil
	case "try", "can":
		return nil, errf(inventory.ErrUnsupported, "%s needs Terraform's own evaluation", name)
	case "jsonencode":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return inventory.EncodeJSON(args[0]), nil
	case "jsondecode":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		s, err := str(0)
		if err != nil {
			return nil, err
		}
		v, perr := inventory.ParseJSON(s)
		if perr != nil {
			return nil, errf(inventory.ErrSyntax, "%v", perr)
		}
		return v, nil
	case "base64decode":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		l, err := lit(0)
		if err != nil {
			return nil, err
		}
		b, derr := base64.StdEncoding.DecodeString(l)
		if derr != nil {
			return nil, errf(inventory.ErrStructure, "%v", derr)
		}
		return inventory.Lit(string(b)), nil
	case "file", "templatefile":
		if err := nargs(1, 2); err != nil {
			return nil, err
		}
		s, err := str(0)
		if err != nil {
			return nil, err
		}
		path, known := s.Literal()
		if !known || ev.s.ReadFile == nil {
			if name == "templatefile" {
				return nil, errf(inventory.ErrUnsupported, "template %s cannot be read here", s)
			}
			return inventory.RefStr(&inventory.Ref{Kind: inventory.ToFile, Addr: s.String(), Attr: name}), nil
		}
		data, rerr := ev.s.ReadFile(path)
		if rerr != nil {
			return nil, errf(inventory.ErrDangling, "%v", rerr)
		}
		if !utf8.Valid(data) {
			return nil, errf(inventory.ErrStructure, "%s is not UTF-8 text", path)
		}
		if name == "file" {
			if err := nargs(1, 1); err != nil {
				return nil, err
			}
			return inventory.Lit(string(data)), nil
		}
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		vars, ok := args[1].(inventory.Map)
		if !ok {
			return nil, errf(inventory.ErrUnsupported, "argument 2 must be an object")
		}
		tmpl, diags := hclsyntax.ParseTemplate(data, path, hcl.InitialPos)
		if diags.HasErrors() {
			return nil, errf(inventory.ErrSyntax, "%s", diagText(diags))
		}
		sub := &evaluator{s: Scope{Path: ev.s.Path, Bound: map[string]inventory.Value(vars), ReadFile: ev.s.ReadFile}, depth: ev.depth}
		return sub.eval(tmpl)
	case "filebase64", "filebase64sha256", "filebase64sha512", "filemd5", "filesha1", "filesha256", "filesha512", "fileexists", "abspath":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		s, err := str(0)
		if err != nil {
			return nil, err
		}
		return inventory.RefStr(&inventory.Ref{Kind: inventory.ToFile, Addr: s.String(), Attr: name}), nil
	case "join":
		if err := nargs(2, -1); err != nil {
			return nil, err
		}
		sep, err := str(0)
		if err != nil {
			return nil, err
		}
		var out []inventory.Str
		n := 0
		for i := 1; i < len(args); i++ {
			l, err := list(i)
			if err != nil {
				return nil, err
			}
			for _, e := range l {
				s, ok := e.(inventory.Str)
				if !ok {
					return nil, errf(inventory.ErrStructure, "list elements must be strings")
				}
				if n > 0 {
					out = append(out, sep)
				}
				out = append(out, s)
				n++
			}
		}
		return inventory.Concat(out...), nil
	case "element":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		idx, err := lit(1)
		if err != nil {
			return nil, err
		}
		if l, ok := args[0].(inventory.List); ok && len(l) > 0 {
			i, err := strconv.Atoi(idx)
			if err != nil || i < 0 {
				return nil, errf(inventory.ErrStructure, "bad index %q", idx)
			}
			return l[i%len(l)], nil
		}
		return ev.index(args[0], idx, rng)
	case "concat":
		out := inventory.List{}
		for i := range args {
			l, err := list(i)
			if err != nil {
				return nil, err
			}
			out = append(out, l...)
		}
		return out, nil
	case "flatten":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		l, err := list(0)
		if err != nil {
			return nil, err
		}
		return flatten(l), nil
	case "merge":
		out := inventory.Map{}
		for i := range args {
			if _, null := args[i].(inventory.Null); null {
				continue
			}
			m, ok := args[i].(inventory.Map)
			if !ok {
				return nil, errf(inventory.ErrUnsupported, "argument %d must be a constant object", i+1)
			}
			for k, v := range m {
				out[k] = v
			}
		}
		return out, nil
	case "lookup":
		if err := nargs(2, 3); err != nil {
			return nil, err
		}
		m, ok := args[0].(inventory.Map)
		if !ok {
			return nil, errf(inventory.ErrUnsupported, "argument 1 must be a constant object")
		}
		k, err := lit(1)
		if err != nil {
			return nil, err
		}
		if v, ok := m[k]; ok {
			return v, nil
		}
		if len(args) == 3 {
			return args[2], nil
		}
		return nil, errf(inventory.ErrDangling, "no key %q", k)
	case "length":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		switch x := args[0].(type) {
		case inventory.List:
			return inventory.Lit(strconv.Itoa(len(x))), nil
		case inventory.Map:
			return inventory.Lit(strconv.Itoa(len(x))), nil
		}
		l, err := lit(0)
		if err != nil {
			return nil, err
		}
		return inventory.Lit(strconv.Itoa(utf8.RuneCountInString(l))), nil
	case "split":
		ls, err := lits(2)
		if err != nil {
			return nil, err
		}
		out := inventory.List{}
		for _, e := range strings.Split(ls[1], ls[0]) {
			out = append(out, inventory.Lit(e))
		}
		return out, nil
	case "format":
		if err := nargs(1, -1); err != nil {
			return nil, err
		}
		f, err := lit(0)
		if err != nil {
			return nil, err
		}
		return ev.format(f, args[1:], rng)
	case "replace":
		ls, err := lits(3)
		if err != nil {
			return nil, err
		}
		if len(ls[1]) > 1 && strings.HasPrefix(ls[1], "/") && strings.HasSuffix(ls[1], "/") {
			return ev.stdlib("regex_replace", stdlib.RegexReplaceFunc, []inventory.Value{args[0], inventory.Lit(ls[1][1 : len(ls[1])-1]), args[2]}, rng)
		}
		return inventory.Lit(strings.ReplaceAll(ls[0], ls[1], ls[2])), nil
	case "coalesce":
		// Terraform's coalesce skips empty strings as well as nulls.
		for _, a := range args {
			if _, null := a.(inventory.Null); null {
				continue
			}
			if l, ok := literal(a); ok && l == "" {
				continue
			}
			return a, nil
		}
		return nil, errf(inventory.ErrStructure, "no non-null, non-empty argument")
	case "cidrsubnet":
		ls, err := lits(3)
		if err != nil {
			return nil, err
		}
		s, cerr := cidrSubnet(ls[0], ls[1], ls[2])
		if cerr != nil {
			return nil, errf(inventory.ErrStructure, "%v", cerr)
		}
		return inventory.Lit(s), nil
	case "cidrhost":
		ls, err := lits(2)
		if err != nil {
			return nil, err
		}
		s, cerr := cidrHost(ls[0], ls[1])
		if cerr != nil {
			return nil, errf(inventory.ErrStructure, "%v", cerr)
		}
		return inventory.Lit(s), nil
	}
	if f, ok := stdlibFunc(name); ok {
		return ev.stdlib(name, f, args, rng)
	}
	return nil, errf(inventory.ErrUnsupported, "function %s is not supported", name)
}

// stdlib calls a go-cty function on known arguments.
func (ev *evaluator) stdlib(name string, f function.Function, args []inventory.Value, rng hcl.Range) (v inventory.Value, err error) {
	cargs := make([]cty.Value, len(args))
	for i, a := range args {
		c, ok := toCty(a)
		if !ok {
			return nil, ev.errf(inventory.ErrUnsupported, rng, "%s: argument %d is known only at deploy time", name, i+1)
		}
		// Text stands for numbers and booleans too: convert each argument
		// to the type its parameter wants, as Terraform would.
		var want cty.Type
		if ps := f.Params(); i < len(ps) {
			want = ps[i].Type
		} else if vp := f.VarParam(); vp != nil {
			want = vp.Type
		}
		if want != cty.NilType && want != cty.DynamicPseudoType {
			if cv, cerr := convert.Convert(c, want); cerr == nil {
				c = cv
			}
		}
		cargs[i] = c
	}
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, ev.errf(inventory.ErrStructure, rng, "%s: %v", name, p)
		}
	}()
	out, cerr := f.Call(cargs)
	if cerr != nil {
		return nil, ev.errf(inventory.ErrStructure, rng, "%s: %v", name, cerr)
	}
	return FromCty(out), nil
}

func (ev *evaluator) format(f string, args []inventory.Value, rng hcl.Range) (inventory.Value, error) {
	var out []inventory.Str
	n := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			out = append(out, inventory.Lit(f[i:i+1]))
			continue
		}
		i++
		if i >= len(f) {
			return nil, ev.errf(inventory.ErrStructure, rng, "format: trailing %%")
		}
		switch f[i] {
		case '%':
			out = append(out, inventory.Lit("%"))
		case 's', 'd', 'v':
			if n >= len(args) {
				return nil, ev.errf(inventory.ErrStructure, rng, "format: not enough arguments")
			}
			s, ok := args[n].(inventory.Str)
			if !ok {
				return nil, ev.errf(inventory.ErrUnsupported, rng, "format: argument %d must be a string", n+2)
			}
			out = append(out, s)
			n++
		default:
			return nil, ev.errf(inventory.ErrUnsupported, rng, "format: verb %%%c is not supported", f[i])
		}
	}
	return inventory.Concat(out...), nil
}

func flatten(l inventory.List) inventory.List {
	out := inventory.List{}
	for _, e := range l {
		if sub, ok := e.(inventory.List); ok {
			out = append(out, flatten(sub)...)
			continue
		}
		out = append(out, e)
	}
	return out
}

// cidrSubnet is Terraform's cidrsubnet for IPv4 and IPv6 prefixes.
func cidrSubnet(prefix, newbits, netnum string) (string, error) {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return "", err
	}
	nb, err := strconv.Atoi(newbits)
	if err != nil || nb < 0 {
		return "", fmt.Errorf("bad newbits %q", newbits)
	}
	num, ok := new(big.Int).SetString(netnum, 10)
	if !ok || num.Sign() < 0 {
		return "", fmt.Errorf("bad netnum %q", netnum)
	}
	p = p.Masked()
	total := p.Addr().BitLen()
	bits := p.Bits() + nb
	if bits > total {
		return "", fmt.Errorf("%d new bits extend the prefix beyond %d bits", nb, total)
	}
	if num.BitLen() > nb {
		return "", fmt.Errorf("netnum %s does not fit in %d bits", netnum, nb)
	}
	base := new(big.Int).SetBytes(p.Addr().AsSlice())
	base.Or(base, num.Lsh(num, uint(total-bits)))
	return fromInt(base, total).String() + "/" + strconv.Itoa(bits), nil
}

// cidrHost is Terraform's cidrhost (non-negative host numbers).
func cidrHost(prefix, hostnum string) (string, error) {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return "", err
	}
	num, ok := new(big.Int).SetString(hostnum, 10)
	if !ok || num.Sign() < 0 {
		return "", fmt.Errorf("bad host number %q", hostnum)
	}
	p = p.Masked()
	total := p.Addr().BitLen()
	if num.BitLen() > total-p.Bits() {
		return "", fmt.Errorf("host number %s does not fit in %s", hostnum, prefix)
	}
	base := new(big.Int).SetBytes(p.Addr().AsSlice())
	base.Or(base, num)
	return fromInt(base, total).String(), nil
}

func fromInt(n *big.Int, bits int) netip.Addr {
	b := make([]byte, bits/8)
	n.FillBytes(b)
	a, _ := netip.AddrFromSlice(b)
	return a
}
