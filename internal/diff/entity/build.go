package entity

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// dialect is what differs between the two vocabularies when turning
// references into entity references.
type dialect interface {
	// special resolves references that are values rather than entities:
	// data sources, parameters, variables.
	special(b *builder, res *inventory.Resource, r *inventory.Ref) (Expr, bool)
	// attr canonicalises an attribute of a resource type ("bucket" ->
	// "name"; CloudFormation's Ref is attr "").
	attr(res *inventory.Resource, attr string) string
	// post rewrites a built Expr (CloudFormation: the CDK bootstrap bucket
	// by role).
	post(e Expr) Expr
	// notCompared says why a property of a resource type needs no
	// comparison (tags are labels, a hash is compared by role, ...).
	notCompared(typ, prop string) (reason string, ok bool)
}

type builder struct {
	doc   *inventory.Document
	d     dialect
	set   *Set
	owner map[string]*Entity // address -> entity it is folded into
	used  map[string]bool    // addresses accounted for
	keys  map[Kind]map[string]bool
	// managed caches expanded AWS managed policies by name.
	managed map[string][]statement
	// read records the top-level properties of each resource that a
	// comparison used; the others are reported unless the dialect says
	// why they need no comparison.
	seen map[*inventory.Resource]map[string]bool
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func newBuilder(doc *inventory.Document, d dialect) *builder {
	return &builder{
		doc:   doc,
		d:     d,
		set:   &Set{Dialect: doc.Dialect, Path: doc.Path},
		owner: map[string]*Entity{},
		used:  map[string]bool{},
		keys:  map[Kind]map[string]bool{},
	}
}

// entity creates an entity for the resource at addr with a key unique in
// its kind.
func (b *builder) entity(k Kind, key, addr string) *Entity {
	if key == "" {
		key = "#" + addr
	}
	if b.keys[k] == nil {
		b.keys[k] = map[string]bool{}
	}
	if b.keys[k][key] {
		key += " #" + addr
	}
	b.keys[k][key] = true
	e := &Entity{Kind: k, Key: key, Props: map[string]Prop{}}
	b.set.Entities = append(b.set.Entities, e)
	if addr != "" {
		b.fold(e, addr)
	}
	return e
}

// fold records that the resource at addr is part of e.
func (b *builder) fold(e *Entity, addr string) {
	if _, ok := b.owner[addr]; !ok {
		b.owner[addr] = e
	}
	b.used[addr] = true
	e.Sources = append(e.Sources, addr)
}

// ignoreProps records properties of res that are deliberately not
// compared, with the reason, in the report.
func (b *builder) ignoreProps(res *inventory.Resource, reason string, keys ...string) {
	for _, k := range keys {
		if _, ok := res.Props[k]; ok {
			b.consume(res, k)
			b.set.Ignored = append(b.set.Ignored, Note{Addr: res.Addr, Type: res.Type, Reason: "property " + k + ": " + reason})
		}
	}
}

// ignore records a resource that is deliberately not compared.
func (b *builder) ignore(res *inventory.Resource, reason string) {
	b.used[res.Addr] = true
	b.set.Ignored = append(b.set.Ignored, Note{Addr: res.Addr, Type: res.Type, Reason: reason})
}

// unsupported records a resource whose meaning is not compared.
func (b *builder) unsupported(res *inventory.Resource, reason string) {
	b.used[res.Addr] = true
	b.set.Unsupported = append(b.set.Unsupported, Note{Addr: res.Addr, Type: res.Type, Reason: reason})
}

// finish lists every resource not accounted for, and every property of a
// compared resource that no comparison read, as unsupported; and sorts.
func (b *builder) finish() *Set {
	for _, res := range b.doc.Resources {
		if res.Pos != "" {
			if b.set.Pos == nil {
				b.set.Pos = map[string]string{}
			}
			b.set.Pos[res.Addr] = res.Pos
		}
	}
	for _, n := range b.doc.Notes {
		b.set.Ignored = append(b.set.Ignored, Note{Addr: n.Addr, Type: n.Type, Reason: n.Reason})
	}
	for _, res := range b.doc.Resources {
		o := b.owner[res.Addr]
		if res.Mode != inventory.Managed || o == nil {
			continue
		}
		for _, k := range sortedKeys(res.Props) {
			if _, ok := b.d.notCompared(res.Type, k); ok {
				continue
			}
			missed := map[string]bool{}
			b.uncovered(res, k, res.Props[k], missed)
			for _, p := range sortedKeys(missed) {
				if _, ok := b.d.notCompared(res.Type, p); ok {
					continue
				}
				b.set.Unsupported = append(b.set.Unsupported, Note{Addr: res.Addr, Type: res.Type, Reason: "property " + p + " is not compared by diff"})
			}
		}
	}
	for _, res := range b.doc.Resources {
		if b.used[res.Addr] {
			continue
		}
		switch res.Mode {
		case inventory.Managed:
			b.unsupported(res, "resource type not understood by diff")
		case inventory.Data:
			b.unsupported(res, "data source not understood by diff")
		case inventory.Parameter:
			b.ignore(res, "parameter not referenced by any compared property")
		}
	}
	for _, res := range b.doc.Resources {
		if res.Undecided {
			b.set.Unsupported = append(b.set.Unsupported, Note{Addr: res.Addr, Type: res.Type, Reason: "condition " + res.Condition + " is decided only at deploy time"})
		}
	}
	b.set.sort()
	return b.set
}

// target returns the resource a value refers to when it is exactly one
// reference to a resource.
func (b *builder) target(v inventory.Value) *inventory.Resource {
	s, ok := v.(inventory.Str)
	if !ok {
		return nil
	}
	r, ok := s.SingleRef()
	if !ok || r.Kind != inventory.ToResource {
		return nil
	}
	return b.doc.Lookup(r.Addr)
}

// ownerOf returns the entity that the value refers to.
func (b *builder) ownerOf(v inventory.Value) *Entity {
	res := b.target(v)
	if res == nil {
		return nil
	}
	return b.owner[res.Addr]
}

// vpcKey names a gateway by the VPC it is attached to.
func (b *builder) vpcKey(v inventory.Value) string {
	if o := b.ownerOf(v); o != nil && o.Kind == VPC {
		return "in vpc " + o.Key
	}
	return b.text(v)
}

// expr converts a value to an Expr with entity references.
func (b *builder) expr(v inventory.Value) Expr {
	switch x := v.(type) {
	case nil:
		return Text(Unset)
	case inventory.Str:
		var out []Expr
		for _, p := range x {
			if p.Ref == nil {
				out = append(out, Text(p.Lit))
				continue
			}
			out = append(out, b.ref(p.Ref))
		}
		return b.d.post(Join(out...))
	case inventory.List:
		if len(x) == 1 {
			return b.expr(x[0])
		}
	}
	return Text(v.String())
}

// text is expr rendered without aliases: for keys and literal settings.
func (b *builder) text(v inventory.Value) string { return b.expr(v).String() }

func (b *builder) ref(r *inventory.Ref) Expr {
	switch r.Kind {
	case inventory.ToPseudo:
		switch r.Addr {
		case inventory.PseudoAZs:
			if len(r.Path) == 1 {
				return Text("{az:" + r.Path[0] + "}")
			}
			return Text("{azs}")
		case inventory.PseudoPath:
			return Text("{" + r.Attr + "}")
		case inventory.PseudoURLSuffix:
			return Text("{url-suffix}")
		}
		return Text("{" + r.Addr + "}")
	case inventory.ToFile:
		return Text("{" + r.Attr + ":" + r.Addr + "}")
	case inventory.ToImport:
		return Text("{import:" + r.Addr + "}")
	}
	res := b.doc.Lookup(r.Addr)
	if res == nil {
		return Text("<" + r.String() + ">")
	}
	if e, ok := b.d.special(b, res, r); ok {
		return e
	}
	if o := b.owner[r.Addr]; o != nil {
		attr := b.d.attr(res, r.Attr)
		for _, p := range r.Path {
			attr += "[" + p + "]"
		}
		return RefExpr(o.Kind, o.Key, attr)
	}
	return Text("<" + r.String() + ">")
}

// read returns a property of res (see prop) and records that it is
// compared.
func (b *builder) read(res *inventory.Resource, path ...string) inventory.Value {
	if res != nil && len(path) > 0 {
		b.consume(res, strings.Join(path, "."))
	}
	return prop(res, path...)
}

// covered reports whether a comparison read the property at path (dotted)
// or a property enclosing it.
func (b *builder) covered(res *inventory.Resource, path string) bool {
	m := b.seen[res]
	for {
		if m[path] {
			return true
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return false
		}
		path = path[:i]
	}
}

// uncovered lists the paths of the values in v (at path) that no
// comparison read: every key at every depth, list elements sharing their
// list's path.
func (b *builder) uncovered(res *inventory.Resource, path string, v inventory.Value, out map[string]bool) {
	if b.covered(res, path) {
		return
	}
	switch x := v.(type) {
	case nil, inventory.Null:
		return
	case inventory.Map:
		if len(x) == 0 {
			out[path] = true
		}
		for k, e := range x {
			b.uncovered(res, path+"."+k, e, out)
		}
	case inventory.List:
		if len(x) == 0 {
			out[path] = true
		}
		for _, e := range x {
			b.uncovered(res, path, e, out)
		}
	default:
		out[path] = true
	}
}

// consume records that properties of res are compared.
func (b *builder) consume(res *inventory.Resource, keys ...string) {
	if b.seen == nil {
		b.seen = map[*inventory.Resource]map[string]bool{}
	}
	m := b.seen[res]
	if m == nil {
		m = map[string]bool{}
		b.seen[res] = m
	}
	for _, k := range keys {
		m[k] = true
	}
}

// get walks a value through map keys and list indexes; a single-element
// list stands for its element (Terraform renders a nested block either as
// an object or a list of one).
func get(v inventory.Value, path ...string) inventory.Value {
	for _, k := range path {
		v = one(v)
		m, ok := v.(inventory.Map)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return one(v)
}

func one(v inventory.Value) inventory.Value {
	if l, ok := v.(inventory.List); ok && len(l) == 1 {
		return l[0]
	}
	return v
}

// list returns a value as a list: a scalar is a list of one, absent is empty.
func list(v inventory.Value) inventory.List {
	switch x := v.(type) {
	case nil, inventory.Null:
		return nil
	case inventory.List:
		return x
	}
	return inventory.List{v}
}

func prop(res *inventory.Resource, path ...string) inventory.Value {
	if res == nil || len(path) == 0 {
		return nil
	}
	v := res.Props[path[0]]
	if len(path) > 1 {
		v = get(v, path[1:]...)
	}
	return v
}

// literal returns the literal text of v, or def when absent.
func literal(v inventory.Value, def string) string {
	v = one(v)
	if v == nil {
		return def
	}
	if _, ok := v.(inventory.Null); ok {
		return def
	}
	s, ok := v.(inventory.Str)
	if !ok {
		return v.String()
	}
	if l, ok := s.Literal(); ok {
		return l
	}
	return s.String()
}

// boolText canonicalises a boolean setting.
func boolText(v inventory.Value, def bool) string {
	l := strings.ToLower(literal(v, strconv.FormatBool(def)))
	return l
}

func numText(v inventory.Value, def string) string {
	return inventory.NormalizeNumber(literal(v, def))
}

// exprs converts each element of a list value.
func (b *builder) exprs(v inventory.Value) []Expr {
	var out []Expr
	for _, e := range list(v) {
		out = append(out, b.expr(e))
	}
	return out
}

// refSet is a set property of references (subnets, security groups).
func (b *builder) refSet(v inventory.Value) Prop {
	return SetOf(b.exprs(v)...)
}

// ---- IAM policies -----------------------------------------------------

// statement is one IAM statement in canonical parts.
type statement struct {
	effect     string
	principals []Expr // "*", "service:ec2.amazonaws.com", "aws:<expr>"; nil in identity policies
	actions    []string
	resources  []Expr
	conditions Expr
}

// statements reads a policy document (a Map in IAM JSON form).
func (b *builder) statements(doc inventory.Value) ([]statement, error) {
	m, ok := one(doc).(inventory.Map)
	if !ok {
		if doc == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("policy is not a JSON object")
	}
	// Id and Sid are labels. Every other key is compared, or makes the
	// policy not compared.
	for _, k := range m.Keys() {
		switch k {
		case "Statement", "Id":
		case "Version":
			if v := literal(m[k], ""); v != "2012-10-17" {
				return nil, fmt.Errorf("policy language version %q is not compared (only 2012-10-17)", v)
			}
		default:
			return nil, fmt.Errorf("policy key %q is not compared", k)
		}
	}
	var out []statement
	for _, sv := range list(m["Statement"]) {
		sm, ok := sv.(inventory.Map)
		if !ok {
			return nil, fmt.Errorf("policy statement is not an object")
		}
		for _, k := range sm.Keys() {
			switch k {
			case "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition":
			default:
				return nil, fmt.Errorf("policy statement key %q is not compared", k)
			}
		}
		st := statement{effect: literal(sm["Effect"], "Allow")}
		for _, k := range []string{"Principal", "NotPrincipal"} {
			if p, ok := sm[k]; ok {
				for _, e := range b.principals(p) {
					if k == "NotPrincipal" {
						e = Join(Text("not "), e)
					}
					st.principals = append(st.principals, e)
				}
			}
		}
		for _, k := range []string{"Action", "NotAction"} {
			for _, a := range list(sm[k]) {
				act := literal(a, "")
				if k == "NotAction" {
					act = "not " + act
				}
				st.actions = append(st.actions, act)
			}
		}
		for _, k := range []string{"Resource", "NotResource"} {
			for _, r := range list(sm[k]) {
				e := b.expr(r)
				if k == "NotResource" {
					e = Join(Text("not "), e)
				}
				st.resources = append(st.resources, e)
			}
		}
		if len(st.resources) == 0 {
			st.resources = []Expr{Text("(none)")}
		}
		st.conditions = b.conditions(sm["Condition"])
		out = append(out, st)
	}
	return out, nil
}

func (b *builder) principals(v inventory.Value) []Expr {
	if s, ok := v.(inventory.Str); ok {
		if l, _ := s.Literal(); l == "*" {
			return []Expr{Text("*")}
		}
		return []Expr{Join(Text("aws:"), b.expr(s))}
	}
	m, ok := v.(inventory.Map)
	if !ok {
		return []Expr{Text(v.String())}
	}
	var out []Expr
	for _, k := range m.Keys() {
		for _, id := range list(m[k]) {
			e := b.expr(id)
			if k == "AWS" && e.String() == "*" {
				out = append(out, Text("*"))
				continue
			}
			out = append(out, Join(Text(strings.ToLower(k)+":"), e))
		}
	}
	return out
}

func (b *builder) conditions(v inventory.Value) Expr {
	m, ok := v.(inventory.Map)
	if !ok || len(m) == 0 {
		return nil
	}
	var parts []Expr
	for _, op := range m.Keys() {
		km, ok := m[op].(inventory.Map)
		if !ok {
			parts = append(parts, Text(op+" "+m[op].String()))
			continue
		}
		for _, k := range km.Keys() {
			vals := b.exprs(km[k])
			rendered := make([]string, len(vals))
			idx := make([]int, len(vals))
			for i, e := range vals {
				rendered[i], idx[i] = e.String(), i
			}
			sort.Slice(idx, func(i, j int) bool { return rendered[idx[i]] < rendered[idx[j]] })
			e := Text(op + " " + k + "=")
			for n, i := range idx {
				if n > 0 {
					e = Join(e, Text("|"))
				}
				e = Join(e, vals[i])
			}
			parts = append(parts, e)
		}
	}
	out := Text(" when ")
	for i, p := range parts {
		if i > 0 {
			out = Join(out, Text(", "))
		}
		out = Join(out, p)
	}
	return out
}

// permissions explodes statements into (effect, action, resource[,
// principal], condition) items.
func permissions(sts []statement) []Expr {
	var out []Expr
	for _, st := range sts {
		principals := st.principals
		if len(principals) == 0 {
			principals = []Expr{nil}
		}
		for _, p := range principals {
			for _, a := range st.actions {
				for _, r := range st.resources {
					item := Join(Text(st.effect+" "+a+" on "), r)
					if p != nil {
						item = Join(item, Text(" for "), p)
					}
					out = append(out, Join(item, st.conditions))
				}
			}
		}
	}
	return out
}

// trust lists the principals allowed to assume a role, and the key that
// identifies the role by its trust.
func trust(sts []statement) (items []Expr, key string) {
	var principals []string
	for _, st := range sts {
		if st.effect != "Allow" {
			continue
		}
		for _, p := range st.principals {
			principals = append(principals, p.String())
		}
	}
	sort.Strings(principals)
	return permissions(sts), strings.Join(dedupe(principals), " ")
}

// managedPolicyName extracts "service-role/AWSLambdaBasicExecutionRole"
// from an AWS managed policy ARN in any partition; ok is false for other
// ARNs.
func managedPolicyName(arn string) (string, bool) {
	for _, prefix := range []string{"arn:{partition}:iam::aws:policy/", "arn:aws:iam::aws:policy/", "arn:aws-cn:iam::aws:policy/", "arn:aws-us-gov:iam::aws:policy/"} {
		if rest, ok := strings.CutPrefix(arn, prefix); ok {
			return rest, true
		}
	}
	return "", false
}

// managedStatements returns the statements of an attached managed policy:
// expanded when the policy is known, else one opaque item that still
// compares by ARN.
func (b *builder) managedStatements(arn Expr) []statement {
	name, ok := managedPolicyName(arn.String())
	if ok {
		if sts, known := b.managed[name]; known {
			return sts
		}
		if sts, known := knownManagedPolicy(name); known {
			if b.managed == nil {
				b.managed = map[string][]statement{}
			}
			b.managed[name] = sts
			return sts
		}
	}
	return []statement{{effect: "Attach", actions: []string{"managed-policy"}, resources: []Expr{arn}}}
}

// ---- security-group rules ----------------------------------------------

// rule is one security-group rule in canonical form.
type rule struct {
	protocol string
	from, to string
	peer     Expr
}

func protocolName(p string) string {
	switch strings.ToLower(p) {
	case "-1", "all", "":
		return "all"
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	case "58":
		return "icmpv6"
	}
	return strings.ToLower(p)
}

// isPlaceholder reports CDK's "disallow all traffic" egress rule, which it
// adds to a group created with allowAllOutbound: false and no egress rule
// so that CloudFormation does not add its default allow-all rule.
func (r rule) isPlaceholder() bool {
	return r.protocol == "icmp" && r.from == "252" && r.to == "86" && r.peer.String() == "255.255.255.255/32"
}

// item renders the rule for direction "ingress" or "egress".
func (r rule) item(direction string) Expr {
	var ports string
	switch r.protocol {
	case "all":
	case "icmp", "icmpv6":
		t, c := r.from, r.to
		if t == "-1" || t == "" {
			t = "any"
		}
		if c == "-1" || c == "" {
			c = "any"
		}
		ports = " type " + t + " code " + c
	default:
		from, to := r.from, r.to
		switch {
		case (from == "0" || from == "-1" || from == "") && (to == "65535" || to == "-1" || to == ""):
			ports = " all-ports"
		case from == to:
			ports = " " + from
		default:
			ports = " " + from + "-" + to
		}
	}
	dir := " from "
	if direction == "egress" {
		dir = " to "
	}
	return Join(Text(r.protocol+ports+dir), r.peer)
}

// ---- user data -------------------------------------------------------------

// userData splits an instance start-up script into the command that
// fetches the server binary (compared by role: where it comes from and
// where it goes), the service environment, and the rest of the script.
func userData(script Expr) (fetch Prop, env Prop, rest Prop) {
	if len(script) == 0 || script.String() == Unset {
		u := ScalarText(Unset)
		return u, SetOf(), u
	}
	lines := splitLines(script)
	var restLines []Expr
	var envItems []Expr
	fetch = ScalarText("none")
	envMarked := false
	fetched := false
	funcs := map[string]bool{} // shell functions the script defines
	for _, l := range lines {
		text := l.String()
		if name, _, ok := strings.Cut(text, "() {"); ok && shellName(name) {
			funcs[name] = true
		}
		// The fetch may run through a function of the script (a retry
		// wrapper): the wrapper stays in the rest of the script, so a side
		// without it differs there.
		wrapper, cmd := "", l
		if name, after, ok := strings.Cut(text, " "); ok && funcs[name] && strings.HasPrefix(after, "aws s3 cp ") {
			wrapper, cmd = name+" ", trimPrefix(l, name+" ")
		}
		switch {
		case !fetched && strings.HasPrefix(cmd.String(), "aws s3 cp "):
			fetched = true
			fetch = Scalar(fetchCommand(cmd))
			restLines = append(restLines, Text(wrapper+"<fetch server binary>"))
		case strings.HasPrefix(text, "Environment="):
			envItems = append(envItems, trimPrefix(l, "Environment="))
			if !envMarked {
				envMarked = true
				restLines = append(restLines, Text("<environment>"))
			}
		default:
			restLines = append(restLines, l)
		}
	}
	var all Expr
	for i, l := range restLines {
		if i > 0 {
			all = Join(all, Text("\n"))
		}
		all = Join(all, l)
	}
	return fetch, SetOf(envItems...), Scalar(all)
}

// shellName reports whether s is a shell function name as scripts write
// them (letters, digits, underscores; not starting with a digit).
func shellName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func splitLines(e Expr) []Expr {
	var lines []Expr
	var cur Expr
	for _, p := range e {
		if p.Ref != nil {
			cur = append(cur, p)
			continue
		}
		segs := strings.Split(p.Lit, "\n")
		for i, s := range segs {
			if i > 0 {
				lines = append(lines, cur)
				cur = nil
			}
			if s != "" {
				cur = Join(cur, Text(s))
			}
		}
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	return lines
}

func trimPrefix(e Expr, prefix string) Expr {
	if len(e) > 0 && e[0].Ref == nil {
		out := append(Expr{{Lit: strings.TrimPrefix(e[0].Lit, prefix)}}, e[1:]...)
		return Join(out)
	}
	return e
}

// fetchCommand reduces "aws s3 cp SRC DST [--flags]" to "SRC -> DST" and
// its flags in a fixed order ("SRC -> DST --region R"): where the binary
// comes from and how it is fetched are both compared.
func fetchCommand(line Expr) Expr {
	toks := tokens(trimPrefix(line, "aws s3 cp "))
	var args, flags []Expr
	for i := 0; i < len(toks); i++ {
		t := toks[i].String()
		if strings.HasPrefix(t, "--") {
			flag := toks[i]
			if !strings.Contains(t, "=") && i+1 < len(toks) && !strings.HasPrefix(toks[i+1].String(), "--") {
				i++
				flag = Join(flag, Text(" "), toks[i])
			}
			flags = append(flags, flag)
			continue
		}
		args = append(args, toks[i])
	}
	if len(args) < 2 {
		return line
	}
	slices.SortFunc(flags, func(a, b Expr) int { return strings.Compare(a.String(), b.String()) })
	out := Join(args[0], Text(" -> "), args[1])
	for _, f := range flags {
		out = Join(out, Text(" "), f)
	}
	return out
}

// tokens splits on blanks outside references and drops shell quotes.
func tokens(e Expr) []Expr {
	var out []Expr
	var cur Expr
	for _, p := range e {
		if p.Ref != nil {
			cur = append(cur, p)
			continue
		}
		s := strings.NewReplacer("'", "", `"`, "").Replace(p.Lit)
		for i, f := range strings.Split(s, " ") {
			if i > 0 && len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			if f != "" {
				cur = Join(cur, Text(f))
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
