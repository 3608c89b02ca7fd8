package tfjson

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// maxDepth bounds the nesting of expressions so that hostile input cannot
// exhaust the stack.
const maxDepth = 200

// parser evaluates one template string of the configuration. It works on
// the string directly: a template is literal text with ${expr}
// interpolations; an expression is the subset of Terraform's native syntax
// that static evaluation allows.
type parser struct {
	r     *reader
	src   string
	pos   int
	path  string
	depth int
}

func (p *parser) errf(kind error, format string, args ...any) error {
	return inventory.Errorf(kind, p.path, "%s (in %q at offset %d)", fmt.Sprintf(format, args...), abbrev(p.src), p.pos)
}

func abbrev(s string) string {
	if len(s) <= 80 {
		return s
	}
	cut := 77
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// template parses the whole source as a template. A template that is
// exactly one interpolation yields the expression's value itself (which may
// be a list or object); otherwise the parts are concatenated as strings.
func (p *parser) template() (inventory.Value, error) {
	v, end, err := p.templateUntil(false)
	if err != nil {
		return nil, err
	}
	_ = end
	return v, nil
}

// templateUntil parses template text up to the end of the source or, when
// quoted, up to the closing double quote (consumed), decoding escapes.
func (p *parser) templateUntil(quoted bool) (inventory.Value, bool, error) {
	var parts []inventory.Value
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, inventory.Lit(lit.String()))
			lit.Reset()
		}
	}
	closed := false
loop:
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case quoted && c == '"':
			p.pos++
			closed = true
			break loop
		case quoted && c == '\\':
			s, err := p.escape()
			if err != nil {
				return nil, false, err
			}
			lit.WriteString(s)
		case strings.HasPrefix(p.src[p.pos:], "$${"):
			lit.WriteString("${")
			p.pos += 3
		case strings.HasPrefix(p.src[p.pos:], "%%{"):
			lit.WriteString("%{")
			p.pos += 3
		case strings.HasPrefix(p.src[p.pos:], "%{"):
			return nil, false, p.errf(inventory.ErrUnsupported, "template directives (%%{...}) are not supported")
		case strings.HasPrefix(p.src[p.pos:], "${"):
			p.pos += 2
			if p.peekByte() == '~' {
				p.pos++
			}
			v, err := p.expr()
			if err != nil {
				return nil, false, err
			}
			p.space()
			if p.peekByte() == '~' {
				p.pos++
			}
			if p.peekByte() != '}' {
				return nil, false, p.errf(inventory.ErrSyntax, "interpolation not closed by }")
			}
			p.pos++
			flush()
			parts = append(parts, v)
		default:
			lit.WriteByte(c)
			p.pos++
		}
	}
	if quoted && !closed {
		return nil, false, p.errf(inventory.ErrSyntax, "unterminated string")
	}
	flush()
	if len(parts) == 1 {
		return parts[0], closed, nil
	}
	strs := make([]inventory.Str, 0, len(parts))
	for _, v := range parts {
		s, ok := v.(inventory.Str)
		if !ok {
			return nil, false, p.errf(inventory.ErrUnsupported, "cannot interpolate a list or object into a string")
		}
		strs = append(strs, s)
	}
	return inventory.Concat(strs...), closed, nil
}

func (p *parser) escape() (string, error) {
	p.pos++ // backslash
	if p.pos >= len(p.src) {
		return "", p.errf(inventory.ErrSyntax, "unterminated escape")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case 'n':
		return "\n", nil
	case 'r':
		return "\r", nil
	case 't':
		return "\t", nil
	case '"':
		return "\"", nil
	case '\\':
		return "\\", nil
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if p.pos+n > len(p.src) {
			return "", p.errf(inventory.ErrSyntax, "short unicode escape")
		}
		code, err := strconv.ParseUint(p.src[p.pos:p.pos+n], 16, 32)
		if err != nil || !utf8.ValidRune(rune(code)) {
			return "", p.errf(inventory.ErrSyntax, "bad unicode escape")
		}
		p.pos += n
		return string(rune(code)), nil
	}
	return "", p.errf(inventory.ErrSyntax, "unknown escape \\%c", c)
}

func (p *parser) peekByte() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) space() {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.pos++
		case c == '#' || strings.HasPrefix(p.src[p.pos:], "//"):
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case strings.HasPrefix(p.src[p.pos:], "/*"):
			end := strings.Index(p.src[p.pos+2:], "*/")
			if end < 0 {
				p.pos = len(p.src)
				return
			}
			p.pos += end + 4
		default:
			return
		}
	}
}

// expr parses one expression. Operators and conditionals are not
// evaluated statically: they are reported as unsupported.
func (p *parser) expr() (inventory.Value, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, p.errf(inventory.ErrUnsupported, "expression nested too deeply")
	}
	v, err := p.postfix()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.src) && strings.ContainsRune("?+-*/%<>=!&|", rune(p.src[p.pos])) {
		if !strings.HasPrefix(p.src[p.pos:], "=") || strings.HasPrefix(p.src[p.pos:], "==") {
			return nil, p.errf(inventory.ErrUnsupported, "operators and conditionals are not evaluated")
		}
	}
	return v, nil
}

func (p *parser) postfix() (inventory.Value, error) {
	p.space()
	if p.pos >= len(p.src) {
		return nil, p.errf(inventory.ErrSyntax, "expression expected")
	}
	c := p.src[p.pos]
	var v inventory.Value
	var err error
	switch {
	case c == '"':
		p.pos++
		v, _, err = p.templateUntil(true)
	case c == '[':
		v, err = p.tuple()
	case c == '{':
		v, err = p.object()
	case c == '(':
		p.pos++
		v, err = p.expr()
		if err == nil {
			p.space()
			if p.peekByte() != ')' {
				return nil, p.errf(inventory.ErrSyntax, "missing )")
			}
			p.pos++
		}
	case c >= '0' && c <= '9':
		v, err = p.number()
	case c == '<' && strings.HasPrefix(p.src[p.pos:], "<<"):
		return nil, p.errf(inventory.ErrUnsupported, "heredoc strings are not supported")
	case isIdentStart(c):
		return p.identExpr()
	default:
		return nil, p.errf(inventory.ErrSyntax, "unexpected %q", c)
	}
	if err != nil {
		return nil, err
	}
	return p.indexes(v)
}

// indexes applies [i] and .attr steps to a computed value.
func (p *parser) indexes(v inventory.Value) (inventory.Value, error) {
	for {
		step, ok, err := p.step()
		if err != nil || !ok {
			return v, err
		}
		if v, err = p.index(v, step); err != nil {
			return nil, err
		}
	}
}

// step parses one traversal step (".name", ".0", "[expr]"); ok is false
// when the next token is not a step.
func (p *parser) step() (string, bool, error) {
	save := p.pos
	p.space()
	switch p.peekByte() {
	case '.':
		p.pos++
		if p.peekByte() == '*' {
			return "", false, p.errf(inventory.ErrUnsupported, "splat expressions are not supported")
		}
		start := p.pos
		for p.pos < len(p.src) && isIdentChar(p.src[p.pos]) {
			p.pos++
		}
		if p.pos == start {
			return "", false, p.errf(inventory.ErrSyntax, "attribute name expected after .")
		}
		return p.src[start:p.pos], true, nil
	case '[':
		p.pos++
		p.space()
		if p.peekByte() == '*' {
			return "", false, p.errf(inventory.ErrUnsupported, "splat expressions are not supported")
		}
		k, err := p.expr()
		if err != nil {
			return "", false, err
		}
		p.space()
		if p.peekByte() != ']' {
			return "", false, p.errf(inventory.ErrSyntax, "missing ]")
		}
		p.pos++
		s, ok := k.(inventory.Str)
		lit, isLit := s.Literal()
		if !ok || !isLit {
			return "", false, p.errf(inventory.ErrUnsupported, "index must be a constant")
		}
		return lit, true, nil
	}
	p.pos = save
	return "", false, nil
}

func (p *parser) index(v inventory.Value, key string) (inventory.Value, error) {
	switch x := v.(type) {
	case inventory.Map:
		e, ok := x[key]
		if !ok {
			return nil, p.errf(inventory.ErrDangling, "object has no key %q", key)
		}
		return e, nil
	case inventory.List:
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(x) {
			return nil, p.errf(inventory.ErrDangling, "index %q out of range of a list of %d", key, len(x))
		}
		return x[i], nil
	case inventory.Str:
		if ref, ok := x.SingleRef(); ok {
			nr := *ref
			nr.Path = append(append([]string(nil), ref.Path...), key)
			return inventory.RefStr(&nr), nil
		}
	}
	return nil, p.errf(inventory.ErrUnsupported, "cannot index %s with %q", kindOf(v), key)
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

func (p *parser) number() (inventory.Value, error) {
	start := p.pos
	for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
		p.pos++
	}
	if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.src) && (p.src[p.pos] == '+' || p.src[p.pos] == '-') {
			p.pos++
		}
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
	}
	text := p.src[start:p.pos]
	if _, err := strconv.ParseFloat(text, 64); err != nil {
		return nil, p.errf(inventory.ErrSyntax, "bad number %q", text)
	}
	return inventory.Lit(inventory.NormalizeNumber(text)), nil
}

func (p *parser) tuple() (inventory.Value, error) {
	p.pos++ // [
	l := inventory.List{}
	for {
		p.space()
		if p.peekByte() == ']' {
			p.pos++
			return l, nil
		}
		if p.keyword("for") {
			return nil, p.errf(inventory.ErrUnsupported, "for expressions are not supported")
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		p.space()
		switch p.peekByte() {
		case ',':
			p.pos++
		case ']':
		default:
			return nil, p.errf(inventory.ErrSyntax, "expected , or ] in list")
		}
	}
}

func (p *parser) object() (inventory.Value, error) {
	p.pos++ // {
	m := inventory.Map{}
	for {
		p.space()
		if p.peekByte() == '}' {
			p.pos++
			return m, nil
		}
		if p.keyword("for") {
			return nil, p.errf(inventory.ErrUnsupported, "for expressions are not supported")
		}
		var key string
		switch c := p.peekByte(); {
		case c == '"':
			p.pos++
			kv, _, err := p.templateUntil(true)
			if err != nil {
				return nil, err
			}
			ks, ok := kv.(inventory.Str)
			lit, isLit := ks.Literal()
			if !ok || !isLit {
				return nil, p.errf(inventory.ErrUnsupported, "object keys must be constants")
			}
			key = lit
		case isIdentStart(c):
			start := p.pos
			for p.pos < len(p.src) && isIdentChar(p.src[p.pos]) {
				p.pos++
			}
			key = p.src[start:p.pos]
		case c == '(':
			return nil, p.errf(inventory.ErrUnsupported, "computed object keys are not supported")
		default:
			return nil, p.errf(inventory.ErrSyntax, "object key expected")
		}
		p.space()
		if c := p.peekByte(); c != '=' && c != ':' {
			return nil, p.errf(inventory.ErrSyntax, "expected = or : after object key %q", key)
		}
		p.pos++
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		m[key] = v
		p.space()
		if p.peekByte() == ',' {
			p.pos++
		}
	}
}

// keyword reports whether the identifier kw starts at the current position
// (without consuming it).
func (p *parser) keyword(kw string) bool {
	if !strings.HasPrefix(p.src[p.pos:], kw) {
		return false
	}
	end := p.pos + len(kw)
	return end < len(p.src) && !isIdentChar(p.src[end])
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c == '-' || c >= '0' && c <= '9'
}

// identExpr parses a keyword, a function call or a traversal.
func (p *parser) identExpr() (inventory.Value, error) {
	start := p.pos
	for p.pos < len(p.src) && isIdentChar(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	switch name {
	case "true", "false":
		return p.indexes(inventory.Lit(name))
	case "null":
		return inventory.Null{}, nil
	}
	p.space()
	if strings.HasPrefix(p.src[p.pos:], "::") {
		return nil, p.errf(inventory.ErrUnsupported, "provider functions are not supported")
	}
	if p.peekByte() == '(' {
		p.pos++
		args, err := p.args()
		if err != nil {
			return nil, err
		}
		v, err := p.call(name, args)
		if err != nil {
			return nil, err
		}
		return p.indexes(v)
	}
	var steps []string
	for {
		s, ok, err := p.step()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		steps = append(steps, s)
	}
	return p.traversal(name, steps)
}

func (p *parser) args() ([]inventory.Value, error) {
	var args []inventory.Value
	for {
		p.space()
		if p.peekByte() == ')' {
			p.pos++
			return args, nil
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, v)
		p.space()
		switch {
		case strings.HasPrefix(p.src[p.pos:], "..."):
			return nil, p.errf(inventory.ErrUnsupported, "argument expansion (...) is not supported")
		case p.peekByte() == ',':
			p.pos++
		case p.peekByte() == ')':
		default:
			return nil, p.errf(inventory.ErrSyntax, "expected , or ) in call")
		}
	}
}

// traversal resolves a reference to the element it names.
func (p *parser) traversal(root string, steps []string) (inventory.Value, error) {
	ref := func(addr string, rest []string) (inventory.Value, error) {
		r := &inventory.Ref{Kind: inventory.ToResource, Addr: addr}
		if len(rest) > 0 {
			r.Attr = rest[0]
			r.Path = append([]string(nil), rest[1:]...)
		}
		return inventory.RefStr(r), nil
	}
	need := func(n int, what string) error {
		if len(steps) < n {
			return p.errf(inventory.ErrSyntax, "incomplete reference %s: want %s", strings.Join(append([]string{root}, steps...), "."), what)
		}
		return nil
	}
	switch root {
	case "data":
		if err := need(2, "data.TYPE.NAME"); err != nil {
			return nil, err
		}
		addr := "data." + steps[0] + "." + steps[1]
		if res := p.r.doc.Lookup(addr); res == nil || res.Mode != inventory.Data {
			return nil, p.errf(inventory.ErrDangling, "%s is not declared in the document", addr)
		}
		return ref(addr, steps[2:])
	case "var":
		if err := need(1, "var.NAME"); err != nil {
			return nil, err
		}
		addr := "var." + steps[0]
		if p.r.doc.Lookup(addr) == nil {
			return nil, p.errf(inventory.ErrDangling, "%s is not declared in the document", addr)
		}
		r := &inventory.Ref{Kind: inventory.ToResource, Addr: addr, Path: append([]string(nil), steps[1:]...)}
		return inventory.RefStr(r), nil
	case "local":
		if err := need(1, "local.NAME"); err != nil {
			return nil, err
		}
		v, err := p.r.local(steps[0], p.path)
		if err != nil {
			return nil, err
		}
		for _, s := range steps[1:] {
			if v, err = p.index(v, s); err != nil {
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
		return nil, p.errf(inventory.ErrUnsupported, "%s references are not supported", root)
	}
	if err := need(1, "TYPE.NAME"); err != nil {
		return nil, err
	}
	addr := root + "." + steps[0]
	if res := p.r.doc.Lookup(addr); res == nil || res.Mode != inventory.Managed {
		return nil, p.errf(inventory.ErrDangling, "%s is not declared in the document", addr)
	}
	return ref(addr, steps[1:])
}

// call evaluates the functions cdktf emits. Functions of deploy-time values
// are kept symbolic where the result is still an identity (element of a
// list attribute, file hash); others require constant arguments.
func (p *parser) call(name string, args []inventory.Value) (inventory.Value, error) {
	nargs := func(min, max int) error {
		if len(args) < min || max >= 0 && len(args) > max {
			return p.errf(inventory.ErrStructure, "%s: wrong number of arguments (%d)", name, len(args))
		}
		return nil
	}
	str := func(i int) (inventory.Str, error) {
		s, ok := args[i].(inventory.Str)
		if !ok {
			return nil, p.errf(inventory.ErrStructure, "%s: argument %d must be a string", name, i+1)
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
			return "", p.errf(inventory.ErrUnsupported, "%s: argument %d must be a constant", name, i+1)
		}
		return l, nil
	}
	list := func(i int) (inventory.List, error) {
		l, ok := args[i].(inventory.List)
		if !ok {
			return nil, p.errf(inventory.ErrUnsupported, "%s: argument %d must be a constant list", name, i+1)
		}
		return l, nil
	}
	switch name {
	case "tolist", "toset", "tomap", "tostring", "tonumber", "tobool", "sensitive", "nonsensitive", "base64encode":
		// base64encode is transparent: the inventory compares decoded text.
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		return args[0], nil
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
		v, err := inventory.ParseJSON(s)
		if err != nil {
			return nil, p.errf(inventory.ErrSyntax, "jsondecode: %v", err)
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
			return nil, p.errf(inventory.ErrStructure, "base64decode: %v", derr)
		}
		return inventory.Lit(string(b)), nil
	case "file", "filebase64", "filebase64sha256", "filebase64sha512", "filemd5", "filesha1", "filesha256", "filesha512":
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
		for i := 1; i < len(args); i++ {
			l, err := list(i)
			if err != nil {
				return nil, err
			}
			for _, e := range l {
				s, ok := e.(inventory.Str)
				if !ok {
					return nil, p.errf(inventory.ErrStructure, "join: list elements must be strings")
				}
				if len(out) > 0 {
					out = append(out, sep)
				}
				out = append(out, s)
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
				return nil, p.errf(inventory.ErrStructure, "element: bad index %q", idx)
			}
			return l[i%len(l)], nil
		}
		return p.index(args[0], idx)
	case "concat":
		var out inventory.List
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
			m, ok := args[i].(inventory.Map)
			if !ok {
				return nil, p.errf(inventory.ErrUnsupported, "merge: argument %d must be a constant object", i+1)
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
			return nil, p.errf(inventory.ErrUnsupported, "lookup: argument 1 must be a constant object")
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
		return nil, p.errf(inventory.ErrDangling, "lookup: no key %q", k)
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
	case "lower", "upper", "trimspace", "chomp":
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		l, err := lit(0)
		if err != nil {
			return nil, err
		}
		switch name {
		case "lower":
			l = strings.ToLower(l)
		case "upper":
			l = strings.ToUpper(l)
		case "trimspace":
			l = strings.TrimSpace(l)
		case "chomp":
			l = strings.TrimRight(l, "\r\n")
		}
		return inventory.Lit(l), nil
	case "split":
		if err := nargs(2, 2); err != nil {
			return nil, err
		}
		sep, err := lit(0)
		if err != nil {
			return nil, err
		}
		s, err := lit(1)
		if err != nil {
			return nil, err
		}
		var out inventory.List
		for _, e := range strings.Split(s, sep) {
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
		return p.format(f, args[1:])
	case "replace":
		if err := nargs(3, 3); err != nil {
			return nil, err
		}
		var ls [3]string
		for i := range ls {
			var err error
			if ls[i], err = lit(i); err != nil {
				return nil, err
			}
		}
		return inventory.Lit(strings.ReplaceAll(ls[0], ls[1], ls[2])), nil
	}
	return nil, p.errf(inventory.ErrUnsupported, "function %s is not supported", name)
}

func (p *parser) format(f string, args []inventory.Value) (inventory.Value, error) {
	var out []inventory.Str
	n := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			out = append(out, inventory.Lit(f[i:i+1]))
			continue
		}
		i++
		if i >= len(f) {
			return nil, p.errf(inventory.ErrStructure, "format: trailing %%")
		}
		switch f[i] {
		case '%':
			out = append(out, inventory.Lit("%"))
		case 's', 'd', 'v':
			if n >= len(args) {
				return nil, p.errf(inventory.ErrStructure, "format: not enough arguments")
			}
			s, ok := args[n].(inventory.Str)
			if !ok {
				return nil, p.errf(inventory.ErrUnsupported, "format: argument %d must be a string", n+2)
			}
			out = append(out, s)
			n++
		default:
			return nil, p.errf(inventory.ErrUnsupported, "format: verb %%%c is not supported", f[i])
		}
	}
	return inventory.Concat(out...), nil
}

func flatten(l inventory.List) inventory.List {
	var out inventory.List
	for _, e := range l {
		if sub, ok := e.(inventory.List); ok {
			out = append(out, flatten(sub)...)
			continue
		}
		out = append(out, e)
	}
	return out
}
