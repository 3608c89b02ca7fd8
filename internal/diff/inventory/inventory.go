package inventory

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Dialect names the vocabulary a Document was written in.
type Dialect string

const (
	Terraform      Dialect = "terraform"
	CloudFormation Dialect = "cloudformation"
)

// Mode says what kind of element a Resource is.
type Mode uint8

const (
	Managed   Mode = iota + 1 // a resource the tool creates
	Data                      // a Terraform data source
	Parameter                 // a CloudFormation parameter or a Terraform variable
)

func (m Mode) String() string {
	switch m {
	case Managed:
		return "resource"
	case Data:
		return "data"
	case Parameter:
		return "parameter"
	}
	return "mode(" + fmt.Sprint(uint8(m)) + ")"
}

// Resource is one element of a document that others may refer to.
type Resource struct {
	// Addr is unique in the document: "aws_s3_bucket.Images",
	// "data.aws_ssm_parameter.Ami", "var.region" (Terraform) or the logical
	// ID (CloudFormation).
	Addr string
	Mode Mode
	// Type is the resource type ("aws_s3_bucket", "AWS::S3::Bucket"); for a
	// CloudFormation parameter its declared type ("String",
	// "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>").
	Type string
	// Props holds the evaluated arguments (Terraform) or Properties
	// (CloudFormation). A parameter's Default is Props["Default"], a
	// variable's default Props["default"].
	Props map[string]Value
	// DependsOn lists the addresses the resource explicitly waits for.
	DependsOn []string
	// Condition is the CloudFormation condition guarding the resource;
	// Undecided is set when the reader could not evaluate it (resources whose
	// condition is false are left out of the document).
	Condition string
	Undecided bool
	// Meta holds the other resource-level settings (DeletionPolicy,
	// lifecycle, provider, ...), evaluated.
	Meta map[string]Value
	// Pos is where the element is declared ("main.tf:12"), when known.
	Pos string
}

// Output is one stack output.
type Output struct {
	Name        string
	Value       Value
	Description string
	Undecided   bool // its condition could not be evaluated
}

// Document is one template read into neutral form.
type Document struct {
	Dialect   Dialect
	Path      string      // file the document came from, for messages
	Resources []*Resource // sorted by Addr
	Outputs   []*Output   // sorted by Name
	// Skipped names resources left out because their condition is false.
	Skipped []string
	// Notes are parts of the document that describe no infrastructure
	// (the Terraform backend, provider settings), with the reason.
	Notes []Note

	index map[string]*Resource
}

// Add appends r; an address may be used once.
func (d *Document) Add(r *Resource) error {
	if d.index == nil {
		d.index = map[string]*Resource{}
	}
	if _, dup := d.index[r.Addr]; dup {
		return fmt.Errorf("duplicate address %q", r.Addr)
	}
	d.index[r.Addr] = r
	d.Resources = append(d.Resources, r)
	return nil
}

// Lookup returns the element at addr, or nil.
func (d *Document) Lookup(addr string) *Resource {
	if d == nil {
		return nil
	}
	return d.index[addr]
}

// Sort orders resources by address and outputs by name.
func (d *Document) Sort() {
	sort.Slice(d.Resources, func(i, j int) bool { return d.Resources[i].Addr < d.Resources[j].Addr })
	sort.Slice(d.Outputs, func(i, j int) bool { return d.Outputs[i].Name < d.Outputs[j].Name })
	sort.Strings(d.Skipped)
}

// Note is a part of a document that is read and deliberately not compared.
type Note struct {
	Addr, Type, Reason string
}

// Value is an evaluated property value: Null, Str, List or Map.
type Value interface {
	value()
	// String renders the value canonically: maps with sorted keys,
	// references as ${...}. Two values with the same rendering are equal.
	String() string
}

// Null is an explicit JSON null.
type Null struct{}

// Str is a scalar: the concatenation of its parts. Numbers and booleans are
// literal Strs ("256", "true"). An empty Str is the empty string.
type Str []Part

// List is a JSON array.
type List []Value

// Map is a JSON object.
type Map map[string]Value

func (Null) value() {}
func (Str) value()  {}
func (List) value() {}
func (Map) value()  {}

// Part is a literal text or a reference.
type Part struct {
	Lit string
	Ref *Ref
}

// RefKind says what a reference points at.
type RefKind uint8

const (
	// ToResource points at an element of the document (resource, data
	// source, parameter or variable); Addr is its address.
	ToResource RefKind = iota + 1
	// ToPseudo is a value of the environment: Addr is one of the Pseudo*
	// names.
	ToPseudo
	// ToFile is derived from a local file at deploy time (Terraform
	// filebase64sha256 and friends): Addr is the path, Attr the function.
	ToFile
	// ToImport is a CloudFormation export of another stack: Addr is its
	// name.
	ToImport
)

// Pseudo values known only at deploy time.
const (
	PseudoAccount   = "account"
	PseudoRegion    = "region"
	PseudoPartition = "partition"
	PseudoURLSuffix = "url_suffix"
	PseudoStackName = "stack_name"
	PseudoStackID   = "stack_id"
	PseudoNotifARNs = "notification_arns"
	// PseudoAZs is the list of the region's availability zones; Path[0]
	// is the index when one is selected.
	PseudoAZs = "azs"
	// PseudoPath is a Terraform path.* or terraform.* value; Attr names it.
	PseudoPath = "path"
)

// Ref is a resolved reference. Attr is the attribute ("" for
// CloudFormation's Ref, which means the element's primary value); Path
// traverses further into a structured attribute (index "0", key "name").
type Ref struct {
	Kind RefKind
	Addr string
	Attr string
	Path []string
}

func (r *Ref) String() string {
	var b strings.Builder
	switch r.Kind {
	case ToPseudo:
		b.WriteString("pseudo:")
	case ToFile:
		b.WriteString("file:")
	case ToImport:
		b.WriteString("import:")
	}
	b.WriteString(r.Addr)
	if r.Attr != "" {
		b.WriteString("." + r.Attr)
	}
	for _, p := range r.Path {
		b.WriteString("[" + p + "]")
	}
	return b.String()
}

// Lit is a literal Str.
func Lit(s string) Str {
	if s == "" {
		return Str{}
	}
	return Str{{Lit: s}}
}

// RefStr is a Str holding one reference.
func RefStr(r *Ref) Str { return Str{{Ref: r}} }

// Literal reports the text of s when it holds no reference.
func (s Str) Literal() (string, bool) {
	var b strings.Builder
	for _, p := range s {
		if p.Ref != nil {
			return "", false
		}
		b.WriteString(p.Lit)
	}
	return b.String(), true
}

// SingleRef returns the reference when s is exactly one reference.
func (s Str) SingleRef() (*Ref, bool) {
	if len(s) == 1 && s[0].Ref != nil {
		return s[0].Ref, true
	}
	return nil, false
}

// Concat joins Strs, merging adjacent literals and dropping empty ones.
func Concat(ss ...Str) Str {
	out := Str{}
	for _, s := range ss {
		for _, p := range s {
			if p.Ref == nil {
				if p.Lit == "" {
					continue
				}
				if n := len(out); n > 0 && out[n-1].Ref == nil {
					out[n-1].Lit += p.Lit
					continue
				}
			}
			out = append(out, p)
		}
	}
	return out
}

func (Null) String() string { return "null" }

func (s Str) String() string {
	var b strings.Builder
	for _, p := range s {
		if p.Ref != nil {
			b.WriteString("${" + p.Ref.String() + "}")
			continue
		}
		b.WriteString(p.Lit)
	}
	return b.String()
}

func (l List) String() string {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = quoteIfStr(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (m Map) String() string {
	keys := m.Keys()
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%q:%s", k, quoteIfStr(m[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Keys returns the keys of m, sorted.
// Item is one element of a collection: its key (a list index in decimal,
// or a map key) and its value.
type Item struct {
	Key   string
	Value Value
}

// Items lists the elements of a list or a map in a fixed order (indexes
// ascending, keys sorted), as Terraform's for expressions and for_each
// visit them; ok is false for any other value.
func Items(v Value) (items []Item, ok bool) {
	switch c := v.(type) {
	case List:
		for i, x := range c {
			items = append(items, Item{strconv.Itoa(i), x})
		}
	case Map:
		for _, k := range c.Keys() {
			items = append(items, Item{k, c[k]})
		}
	default:
		return nil, false
	}
	return items, true
}

func (m Map) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteIfStr(v Value) string {
	if s, ok := v.(Str); ok {
		return fmt.Sprintf("%q", s.String())
	}
	if v == nil {
		return "null"
	}
	return v.String()
}

// Refs calls fn for every reference inside v, depth first, keys sorted.
func Refs(v Value, fn func(*Ref)) {
	switch x := v.(type) {
	case Str:
		for _, p := range x {
			if p.Ref != nil {
				fn(p.Ref)
			}
		}
	case List:
		for _, e := range x {
			Refs(e, fn)
		}
	case Map:
		for _, k := range x.Keys() {
			Refs(x[k], fn)
		}
	}
}
