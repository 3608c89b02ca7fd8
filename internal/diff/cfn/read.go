package cfn

import (
	"fmt"
	"maps"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// maxDepth bounds the nesting of values and conditions.
const maxDepth = 200

// Read parses a CloudFormation template in JSON or YAML (short-form tags
// included). file is used in messages and source positions.
func Read(file string, data []byte) (*inventory.Document, error) {
	return ReadWith(file, data, nil)
}

// ReadWith is Read with parameter values that replace the defaults
// (--cfn-param); a value for an undeclared parameter is an error.
func ReadWith(file string, data []byte, params map[string]string) (*inventory.Document, error) {
	var raw any
	var lines map[string]int
	if isJSON(data) {
		var err error
		if raw, err = inventory.DecodeJSON(file, data); err != nil {
			return nil, err
		}
	} else {
		yd, err := decodeYAML(file, data)
		if err != nil {
			return nil, err
		}
		raw, lines = yd.tree, yd.lines
	}
	if len(params) > 0 {
		top, _ := raw.(map[string]any)
		ps, _ := top["Parameters"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(params)) {
			p, ok := ps[name].(map[string]any)
			if !ok {
				return nil, &inventory.Error{File: file, Path: "Parameters." + name, Kind: inventory.ErrDangling, Reason: "a value is given for a parameter the template does not declare"}
			}
			p["Default"] = params[name]
		}
	}
	r := &reader{doc: &inventory.Document{Dialect: inventory.CloudFormation, Path: file}}
	if err := r.read(raw); err != nil {
		if e, ok := err.(*inventory.Error); ok && e.File == "" {
			e.File = file
		}
		return nil, err
	}
	for _, res := range r.doc.Resources {
		if l, ok := lines[res.Addr]; ok {
			res.Pos = fmt.Sprintf("%s:%d", file, l)
		}
	}
	r.doc.Sort()
	return r.doc, nil
}

// tri is the value of a condition: decided true or false, or unknown until
// deploy time (it depends on the region, say).
type tri int8

const (
	unknown tri = iota
	no
	yes
)

type reader struct {
	doc        *inventory.Document
	params     map[string]map[string]any
	resources  map[string]map[string]any
	mappings   map[string]any
	conditions map[string]any
	condVals   map[string]tri
	condBusy   map[string]bool
	skipped    map[string]bool // resources whose condition is false
}

// pseudo maps a pseudo parameter to its inventory name.
func pseudo(name string) (string, bool) {
	switch name {
	case "AWS::AccountId":
		return inventory.PseudoAccount, true
	case "AWS::Region":
		return inventory.PseudoRegion, true
	case "AWS::Partition":
		return inventory.PseudoPartition, true
	case "AWS::URLSuffix":
		return inventory.PseudoURLSuffix, true
	case "AWS::StackName":
		return inventory.PseudoStackName, true
	case "AWS::StackId":
		return inventory.PseudoStackID, true
	case "AWS::NotificationARNs":
		return inventory.PseudoNotifARNs, true
	}
	return "", false
}

func (r *reader) read(raw any) error {
	top, ok := raw.(map[string]any)
	if !ok {
		return inventory.Errorf(inventory.ErrStructure, "", "top level is %s, want an object", inventory.JSONKind(raw))
	}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		switch k {
		case "AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Mappings", "Conditions", "Resources", "Outputs", "Rules":
		case "Transform":
			return inventory.Errorf(inventory.ErrUnsupported, k, "transforms (macros) change the template at deploy time and are not supported")
		default:
			return inventory.Errorf(inventory.ErrStructure, k, "unknown top-level section %q", k)
		}
	}
	resources, err := inventory.Section(top, "Resources")
	if err != nil {
		return err
	}
	if _, ok := top["Resources"]; !ok {
		return inventory.Errorf(inventory.ErrStructure, "Resources", "template has no Resources section")
	}
	params, err := inventory.Section(top, "Parameters")
	if err != nil {
		return err
	}
	if r.mappings, err = inventory.Section(top, "Mappings"); err != nil {
		return err
	}
	if r.conditions, err = inventory.Section(top, "Conditions"); err != nil {
		return err
	}
	if _, err := inventory.Section(top, "Rules"); err != nil {
		return err
	}
	r.condVals = map[string]tri{}
	r.condBusy = map[string]bool{}
	r.skipped = map[string]bool{}

	r.params = map[string]map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		path := "Parameters." + name
		body, ok := params[name].(map[string]any)
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, path, "want an object, got %s", inventory.JSONKind(params[name]))
		}
		typ, ok := body["Type"].(string)
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, path+".Type", "parameter has no Type")
		}
		r.params[name] = body
		res := &inventory.Resource{Addr: name, Mode: inventory.Parameter, Type: typ, Props: map[string]inventory.Value{}}
		for _, k := range []string{"Default", "Description", "AllowedValues"} {
			if v, ok := body[k]; ok {
				res.Props[k] = inventory.FromJSON(v)
			}
		}
		if err := r.doc.Add(res); err != nil {
			return inventory.Errorf(inventory.ErrStructure, path, "%v", err)
		}
	}

	r.resources = map[string]map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(resources)) {
		path := "Resources." + name
		body, ok := resources[name].(map[string]any)
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, path, "want an object, got %s", inventory.JSONKind(resources[name]))
		}
		if !validLogicalID(name) {
			return inventory.Errorf(inventory.ErrStructure, path, "logical ID must be alphanumeric")
		}
		if _, dup := r.params[name]; dup {
			return inventory.Errorf(inventory.ErrStructure, path, "logical ID %q is also a parameter", name)
		}
		r.resources[name] = body
	}
	// Conditions first: a reference to a resource whose condition is false
	// is itself an error.
	for _, name := range slices.Sorted(maps.Keys(r.resources)) {
		body := r.resources[name]
		c, ok := body["Condition"]
		if !ok {
			continue
		}
		cn, ok := c.(string)
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, "Resources."+name+".Condition", "want a condition name")
		}
		t, err := r.cond(cn, "Resources."+name+".Condition", 0)
		if err != nil {
			return err
		}
		if t == no {
			r.skipped[name] = true
			r.doc.Skipped = append(r.doc.Skipped, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.resources)) {
		if r.skipped[name] {
			continue
		}
		if err := r.resource(name, r.resources[name]); err != nil {
			return err
		}
	}
	// Every condition must be well formed even if nothing uses it.
	for _, name := range slices.Sorted(maps.Keys(r.conditions)) {
		if _, err := r.cond(name, "Conditions."+name, 0); err != nil {
			return err
		}
	}

	outputs, err := inventory.Section(top, "Outputs")
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		path := "Outputs." + name
		body, ok := outputs[name].(map[string]any)
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, path, "want an object, got %s", inventory.JSONKind(outputs[name]))
		}
		o := &inventory.Output{Name: name}
		if c, ok := body["Condition"]; ok {
			cn, ok := c.(string)
			if !ok {
				return inventory.Errorf(inventory.ErrStructure, path+".Condition", "want a condition name")
			}
			t, err := r.cond(cn, path+".Condition", 0)
			if err != nil {
				return err
			}
			if t == no {
				continue
			}
			o.Undecided = t == unknown
		}
		raw, ok := body["Value"]
		if !ok {
			return inventory.Errorf(inventory.ErrStructure, path, "output has no Value")
		}
		v, present, err := r.eval(raw, path+".Value", 0)
		if err != nil {
			return err
		}
		if !present {
			continue
		}
		o.Value = v
		if d, ok := body["Description"]; ok {
			dv, _, err := r.eval(d, path+".Description", 0)
			if err != nil {
				return err
			}
			if s, ok := dv.(inventory.Str); ok {
				o.Description = s.String()
			}
		}
		if e, ok := body["Export"]; ok {
			if _, _, err := r.eval(e, path+".Export", 0); err != nil {
				return err
			}
		}
		r.doc.Outputs = append(r.doc.Outputs, o)
	}
	return nil
}

func (r *reader) resource(name string, body map[string]any) error {
	path := "Resources." + name
	typ, ok := body["Type"].(string)
	if !ok || typ == "" {
		return inventory.Errorf(inventory.ErrStructure, path+".Type", "resource has no Type")
	}
	res := &inventory.Resource{Addr: name, Mode: inventory.Managed, Type: typ, Props: map[string]inventory.Value{}, Meta: map[string]inventory.Value{}}
	for _, k := range slices.Sorted(maps.Keys(body)) {
		kp := path + "." + k
		switch k {
		case "Type":
		case "Properties":
			props, ok := body[k].(map[string]any)
			if !ok {
				return inventory.Errorf(inventory.ErrStructure, kp, "want an object, got %s", inventory.JSONKind(body[k]))
			}
			for _, pk := range slices.Sorted(maps.Keys(props)) {
				v, present, err := r.eval(props[pk], kp+"."+pk, 0)
				if err != nil {
					return err
				}
				if present {
					res.Props[pk] = v
				}
			}
		case "DependsOn":
			var deps []string
			switch d := body[k].(type) {
			case string:
				deps = []string{d}
			case []any:
				for i, e := range d {
					s, ok := e.(string)
					if !ok {
						return inventory.Errorf(inventory.ErrStructure, fmt.Sprintf("%s[%d]", kp, i), "want a logical ID")
					}
					deps = append(deps, s)
				}
			default:
				return inventory.Errorf(inventory.ErrStructure, kp, "want a logical ID or a list of them")
			}
			for _, d := range deps {
				if _, ok := r.resources[d]; !ok {
					return inventory.Errorf(inventory.ErrDangling, kp, "%q is not a resource of the template", d)
				}
			}
			res.DependsOn = deps
		case "Condition":
			res.Condition = body[k].(string) // checked by read
			t, _ := r.cond(res.Condition, kp, 0)
			res.Undecided = t == unknown
		case "DeletionPolicy", "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy":
			// Evaluated like properties: a rolling update's
			// MinInstancesInService may well be !Ref DesiredCapacity.
			v, _, err := r.eval(body[k], kp, 0)
			if err != nil {
				return err
			}
			res.Meta[k] = v
		case "Metadata":
			res.Meta[k] = inventory.FromJSON(body[k])
		default:
			return inventory.Errorf(inventory.ErrStructure, kp, "unknown resource attribute %q", k)
		}
	}
	return r.doc.Add(res)
}

// eval evaluates a property value. present is false for AWS::NoValue (and
// a Fn::If choosing it): the caller drops the key or element.
func (r *reader) eval(raw any, path string, depth int) (inventory.Value, bool, error) {
	if depth > maxDepth {
		return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "value nested too deeply")
	}
	switch x := raw.(type) {
	case []any:
		l := make(inventory.List, 0, len(x))
		for i, e := range x {
			v, present, err := r.eval(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return nil, false, err
			}
			if present {
				l = append(l, v)
			}
		}
		return l, true, nil
	case map[string]any:
		if fn, arg, ok, err := intrinsic(x, path); err != nil {
			return nil, false, err
		} else if ok {
			return r.call(fn, arg, path+"."+fn, depth+1)
		}
		m := make(inventory.Map, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			v, present, err := r.eval(x[k], path+"."+k, depth+1)
			if err != nil {
				return nil, false, err
			}
			if present {
				m[k] = v
			}
		}
		return m, true, nil
	}
	return inventory.FromJSON(raw), true, nil
}

// intrinsic recognises {"Ref": ...} and {"Fn::X": ...}.
func intrinsic(m map[string]any, path string) (string, any, bool, error) {
	for k := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			if len(m) != 1 {
				return "", nil, false, inventory.Errorf(inventory.ErrStructure, path, "intrinsic %s must be the only key of its object", k)
			}
			return k, m[k], true, nil
		}
	}
	return "", nil, false, nil
}

func (r *reader) call(fn string, arg any, path string, depth int) (inventory.Value, bool, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Ref takes a name")
		}
		if name == "AWS::NoValue" {
			return nil, false, nil
		}
		v, err := r.ref(name, "", path)
		return v, err == nil, err
	case "Fn::GetAtt":
		var target, attr string
		switch a := arg.(type) {
		case string:
			target, attr, _ = strings.Cut(a, ".")
		case []any:
			if len(a) != 2 {
				return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::GetAtt takes [logicalId, attribute]")
			}
			t, ok1 := a[0].(string)
			at, ok2 := a[1].(string)
			if !ok1 {
				return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::GetAtt takes [logicalId, attribute]")
			}
			if !ok2 {
				return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "Fn::GetAtt with a computed attribute name")
			}
			target, attr = t, at
		default:
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::GetAtt takes [logicalId, attribute]")
		}
		if attr == "" {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::GetAtt has no attribute name")
		}
		if _, ok := r.resources[target]; !ok {
			return nil, false, inventory.Errorf(inventory.ErrDangling, path, "Fn::GetAtt: %q is not a resource of the template", target)
		}
		v, err := r.ref(target, attr, path)
		return v, err == nil, err
	case "Fn::Sub":
		v, err := r.sub(arg, path, depth)
		return v, err == nil, err
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Join takes [delimiter, list]")
		}
		sep, ok := a[0].(string)
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Join delimiter must be a string")
		}
		lv, _, err := r.eval(a[1], path+"[1]", depth)
		if err != nil {
			return nil, false, err
		}
		l, ok := lv.(inventory.List)
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "Fn::Join of a list known only at deploy time")
		}
		var out []inventory.Str
		for i, e := range l {
			s, ok := e.(inventory.Str)
			if !ok {
				return nil, false, inventory.Errorf(inventory.ErrStructure, fmt.Sprintf("%s[1][%d]", path, i), "Fn::Join elements must be strings")
			}
			if i > 0 {
				out = append(out, inventory.Lit(sep))
			}
			out = append(out, s)
		}
		return inventory.Concat(out...), true, nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Select takes [index, list]")
		}
		iv, _, err := r.eval(a[0], path+"[0]", depth)
		if err != nil {
			return nil, false, err
		}
		is, _ := iv.(inventory.Str)
		il, lit := is.Literal()
		idx, aerr := strconv.Atoi(il)
		if !lit || aerr != nil || idx < 0 {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path+"[0]", "Fn::Select index must be a non-negative integer")
		}
		lv, _, err := r.eval(a[1], path+"[1]", depth)
		if err != nil {
			return nil, false, err
		}
		switch l := lv.(type) {
		case inventory.List:
			if idx >= len(l) {
				return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Select index %d out of range of %d elements", idx, len(l))
			}
			return l[idx], true, nil
		case inventory.Str:
			if ref, ok := l.SingleRef(); ok {
				nr := *ref
				nr.Path = append(append([]string(nil), ref.Path...), strconv.Itoa(idx))
				return inventory.RefStr(&nr), true, nil
			}
		}
		return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Select needs a list")
	case "Fn::GetAZs":
		av, _, err := r.eval(arg, path, depth)
		if err != nil {
			return nil, false, err
		}
		ref := &inventory.Ref{Kind: inventory.ToPseudo, Addr: inventory.PseudoAZs}
		if s, ok := av.(inventory.Str); ok {
			if l, isLit := s.Literal(); isLit && l != "" {
				ref.Attr = l
			} else if !isLit {
				if sr, ok := s.SingleRef(); !ok || sr.Kind != inventory.ToPseudo || sr.Addr != inventory.PseudoRegion {
					return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "Fn::GetAZs of a computed region")
				}
			}
		} else {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::GetAZs takes a region")
		}
		return inventory.RefStr(ref), true, nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Split takes [delimiter, string]")
		}
		sep, ok := a[0].(string)
		if !ok || sep == "" {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Split delimiter must be a non-empty string")
		}
		sv, _, err := r.eval(a[1], path+"[1]", depth)
		if err != nil {
			return nil, false, err
		}
		s, ok := sv.(inventory.Str)
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Split takes a string")
		}
		l, isLit := s.Literal()
		if !isLit {
			return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "Fn::Split of a value known only at deploy time")
		}
		var out inventory.List
		for _, e := range strings.Split(l, sep) {
			out = append(out, inventory.Lit(e))
		}
		return out, true, nil
	case "Fn::Base64":
		// Transparent: the inventory compares decoded text.
		v, _, err := r.eval(arg, path, depth)
		if err != nil {
			return nil, false, err
		}
		if _, ok := v.(inventory.Str); !ok {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Base64 takes a string")
		}
		return v, true, nil
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::If takes [condition, then, else]")
		}
		cn, ok := a[0].(string)
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::If condition must be a name")
		}
		t, err := r.cond(cn, path, depth)
		if err != nil {
			return nil, false, err
		}
		switch t {
		case yes:
			return r.eval(a[1], path+"[1]", depth)
		case no:
			return r.eval(a[2], path+"[2]", depth)
		}
		v1, p1, err := r.eval(a[1], path+"[1]", depth)
		if err != nil {
			return nil, false, err
		}
		v2, p2, err := r.eval(a[2], path+"[2]", depth)
		if err != nil {
			return nil, false, err
		}
		if p1 == p2 && (!p1 || v1.String() == v2.String()) {
			return v1, p1, nil
		}
		return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "condition %q is decided only at deploy time and its branches differ", cn)
	case "Fn::FindInMap":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::FindInMap takes [map, key, key]")
		}
		var keys [3]string
		for i := range a {
			v, _, err := r.eval(a[i], fmt.Sprintf("%s[%d]", path, i), depth)
			if err != nil {
				return nil, false, err
			}
			// A parameter takes its default, as in conditions.
			s, _ := r.withDefaults(v).(inventory.Str)
			l, lit := s.Literal()
			if !lit {
				return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "Fn::FindInMap with a key known only at deploy time")
			}
			keys[i] = l
		}
		m1, ok := r.mappings[keys[0]].(map[string]any)
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrDangling, path, "mapping %q is not defined", keys[0])
		}
		m2, ok := m1[keys[1]].(map[string]any)
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrDangling, path, "mapping %q has no key %q", keys[0], keys[1])
		}
		v, ok := m2[keys[2]]
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrDangling, path, "mapping %q.%q has no key %q", keys[0], keys[1], keys[2])
		}
		return inventory.FromJSON(v), true, nil
	case "Fn::ImportValue":
		v, _, err := r.eval(arg, path, depth)
		if err != nil {
			return nil, false, err
		}
		s, _ := v.(inventory.Str)
		l, lit := s.Literal()
		if !lit {
			return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "Fn::ImportValue of a computed name")
		}
		return inventory.RefStr(&inventory.Ref{Kind: inventory.ToImport, Addr: l}), true, nil
	case "Fn::Length":
		v, _, err := r.eval(arg, path, depth)
		if err != nil {
			return nil, false, err
		}
		l, ok := v.(inventory.List)
		if !ok {
			return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "Fn::Length of a list known only at deploy time")
		}
		return inventory.Lit(strconv.Itoa(len(l))), true, nil
	case "Fn::ToJsonString":
		v, _, err := r.eval(arg, path, depth)
		if err != nil {
			return nil, false, err
		}
		return inventory.EncodeJSON(v), true, nil
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not":
		return nil, false, inventory.Errorf(inventory.ErrStructure, path, "%s is a condition function, not a value", fn)
	case "Fn::Cidr":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Cidr takes [ipBlock, count, cidrBits]")
		}
		var lits [3]string
		for i := range a {
			v, _, err := r.eval(a[i], fmt.Sprintf("%s[%d]", path, i), depth)
			if err != nil {
				return nil, false, err
			}
			l, ok := r.known(v)
			if !ok {
				return nil, false, inventory.Errorf(inventory.ErrUnsupported, fmt.Sprintf("%s[%d]", path, i), "Fn::Cidr of a value known only at deploy time")
			}
			lits[i] = l
		}
		out, err := cidrs(lits[0], lits[1], lits[2])
		if err != nil {
			return nil, false, inventory.Errorf(inventory.ErrStructure, path, "Fn::Cidr: %v", err)
		}
		return out, true, nil
	case "Fn::Transform":
		return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "%s is not supported", fn)
	}
	if strings.HasPrefix(fn, "Fn::ForEach::") {
		return nil, false, inventory.Errorf(inventory.ErrUnsupported, path, "Fn::ForEach needs the language-extensions transform")
	}
	return nil, false, inventory.Errorf(inventory.ErrUnknownIntrinsic, path, "%q", fn)
}

// known returns the literal text of v, a parameter standing for its
// default.
func (r *reader) known(v inventory.Value) (string, bool) {
	s, ok := v.(inventory.Str)
	if !ok {
		return "", false
	}
	if ref, ok := s.SingleRef(); ok && ref.Kind == inventory.ToResource && ref.Attr == "" {
		if p, ok := r.params[ref.Addr]; ok {
			if d, ok := p["Default"]; ok {
				if l, ok := inventory.FromJSON(d).(inventory.Str); ok {
					return l.Literal()
				}
			}
		}
		return "", false
	}
	return s.Literal()
}

// cidrs is Fn::Cidr: count blocks of cidrBits host bits from ipBlock.
func cidrs(block, count, bits string) (inventory.List, error) {
	p, err := netip.ParsePrefix(block)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || n > 256 {
		return nil, fmt.Errorf("count %q must be 1 to 256", count)
	}
	hb, err := strconv.Atoi(bits)
	total := p.Addr().BitLen()
	if err != nil || hb < 0 || total-hb < p.Bits() {
		return nil, fmt.Errorf("bad cidrBits %q for %s", bits, block)
	}
	plen := total - hb
	if plen-p.Bits() < 63 && n > 1<<(plen-p.Bits()) {
		return nil, fmt.Errorf("%s has fewer than %d blocks of /%d", block, n, plen)
	}
	base := new(big.Int).SetBytes(p.Masked().Addr().AsSlice())
	out := make(inventory.List, 0, n)
	for i := range n {
		v := new(big.Int).Lsh(big.NewInt(int64(i)), uint(hb))
		v.Or(v, base)
		b := make([]byte, total/8)
		v.FillBytes(b)
		a, _ := netip.AddrFromSlice(b)
		out = append(out, inventory.Lit(netip.PrefixFrom(a, plen).String()))
	}
	return out, nil
}

// ref resolves Ref name (attr "") or Fn::GetAtt name.attr.
func (r *reader) ref(name, attr, path string) (inventory.Value, error) {
	if p, ok := pseudo(name); ok && attr == "" {
		return inventory.RefStr(&inventory.Ref{Kind: inventory.ToPseudo, Addr: p}), nil
	}
	if strings.HasPrefix(name, "AWS::") {
		return nil, inventory.Errorf(inventory.ErrDangling, path, "unknown pseudo parameter %q", name)
	}
	if p, ok := r.params[name]; ok {
		if attr != "" {
			return nil, inventory.Errorf(inventory.ErrStructure, path, "Fn::GetAtt on parameter %q", name)
		}
		// A plain parameter with a value (its Default, or --cfn-param)
		// is evaluated statically, as Terraform variables are.
		if d, ok := p["Default"]; ok {
			switch p["Type"] {
			case "String", "Number":
				if v, ok := inventory.FromJSON(d).(inventory.Str); ok {
					if p["Type"] == "Number" {
						l, _ := v.Literal()
						v = inventory.Lit(inventory.NormalizeNumber(l))
					}
					return v, nil
				}
			case "CommaDelimitedList", "List<Number>":
				if l, ok := inventory.FromJSON(d).(inventory.Str); ok {
					text, _ := l.Literal()
					out := inventory.List{}
					for _, e := range strings.Split(text, ",") {
						out = append(out, inventory.Lit(strings.TrimSpace(e)))
					}
					return out, nil
				}
			}
		}
		return inventory.RefStr(&inventory.Ref{Kind: inventory.ToResource, Addr: name}), nil
	}
	if _, ok := r.resources[name]; !ok {
		return nil, inventory.Errorf(inventory.ErrDangling, path, "%q is not a resource or parameter of the template", name)
	}
	if r.skipped[name] {
		return nil, inventory.Errorf(inventory.ErrDangling, path, "%q is not created (its condition is false)", name)
	}
	ref := &inventory.Ref{Kind: inventory.ToResource, Addr: name}
	if attr != "" {
		a, rest, _ := strings.Cut(attr, ".")
		ref.Attr = a
		if rest != "" {
			ref.Path = strings.Split(rest, ".")
		}
	}
	return inventory.RefStr(ref), nil
}

// sub evaluates Fn::Sub: "text ${Name} ${Res.Attr} ${!Literal}" with an
// optional map of variables.
func (r *reader) sub(arg any, path string, depth int) (inventory.Value, error) {
	var tmpl string
	vars := map[string]inventory.Str{}
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return nil, inventory.Errorf(inventory.ErrStructure, path, "Fn::Sub takes a string or [string, variables]")
		}
		s, ok := a[0].(string)
		m, ok2 := a[1].(map[string]any)
		if !ok || !ok2 {
			return nil, inventory.Errorf(inventory.ErrStructure, path, "Fn::Sub takes a string or [string, variables]")
		}
		tmpl = s
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v, _, err := r.eval(m[k], path+"[1]."+k, depth)
			if err != nil {
				return nil, err
			}
			sv, ok := v.(inventory.Str)
			if !ok {
				return nil, inventory.Errorf(inventory.ErrStructure, path+"[1]."+k, "Fn::Sub variable must be a string")
			}
			vars[k] = sv
		}
	default:
		return nil, inventory.Errorf(inventory.ErrStructure, path, "Fn::Sub takes a string or [string, variables]")
	}
	var out []inventory.Str
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			out = append(out, inventory.Lit(tmpl))
			break
		}
		out = append(out, inventory.Lit(tmpl[:i]))
		rest := tmpl[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return nil, inventory.Errorf(inventory.ErrStructure, path, "Fn::Sub: unterminated ${")
		}
		name := rest[:j]
		tmpl = rest[j+1:]
		if strings.HasPrefix(name, "!") {
			out = append(out, inventory.Lit("${"+name[1:]+"}"))
			continue
		}
		name = strings.TrimSpace(name)
		if v, ok := vars[name]; ok {
			out = append(out, v)
			continue
		}
		if name == "" {
			return nil, inventory.Errorf(inventory.ErrStructure, path, "Fn::Sub: empty ${}")
		}
		target, attr, hasAttr := strings.Cut(name, ".")
		if hasAttr && strings.HasPrefix(name, "AWS::") {
			target, attr = name, ""
		}
		if hasAttr && attr != "" {
			if _, ok := r.resources[target]; !ok {
				return nil, inventory.Errorf(inventory.ErrDangling, path, "Fn::Sub: ${%s}: %q is not a resource of the template", name, target)
			}
		}
		v, err := r.ref(target, attr, path)
		if err != nil {
			return nil, err
		}
		out = append(out, v.(inventory.Str))
	}
	return inventory.Concat(out...), nil
}

// cond evaluates a named condition.
func (r *reader) cond(name, path string, depth int) (tri, error) {
	if t, ok := r.condVals[name]; ok {
		return t, nil
	}
	raw, ok := r.conditions[name]
	if !ok {
		return unknown, inventory.Errorf(inventory.ErrDangling, path, "condition %q is not defined", name)
	}
	if r.condBusy[name] {
		return unknown, inventory.Errorf(inventory.ErrStructure, path, "condition %q refers to itself", name)
	}
	r.condBusy[name] = true
	t, err := r.condExpr(raw, "Conditions."+name, depth+1)
	delete(r.condBusy, name)
	if err != nil {
		return unknown, err
	}
	r.condVals[name] = t
	return t, nil
}

func (r *reader) condExpr(raw any, path string, depth int) (tri, error) {
	if depth > maxDepth {
		return unknown, inventory.Errorf(inventory.ErrUnsupported, path, "condition nested too deeply")
	}
	m, ok := raw.(map[string]any)
	if !ok || len(m) != 1 {
		return unknown, inventory.Errorf(inventory.ErrStructure, path, "want a condition function")
	}
	var fn string
	for k := range m {
		fn = k
	}
	arg := m[fn]
	path += "." + fn
	switch fn {
	case "Condition":
		n, ok := arg.(string)
		if !ok {
			return unknown, inventory.Errorf(inventory.ErrStructure, path, "want a condition name")
		}
		return r.cond(n, path, depth)
	case "Fn::Not":
		a, ok := arg.([]any)
		if !ok || len(a) != 1 {
			return unknown, inventory.Errorf(inventory.ErrStructure, path, "Fn::Not takes [condition]")
		}
		t, err := r.condExpr(a[0], path+"[0]", depth+1)
		switch t {
		case yes:
			return no, err
		case no:
			return yes, err
		}
		return unknown, err
	case "Fn::And", "Fn::Or":
		a, ok := arg.([]any)
		if !ok || len(a) < 1 {
			return unknown, inventory.Errorf(inventory.ErrStructure, path, "%s takes a list of conditions", fn)
		}
		sawUnknown := false
		decisive, other := no, yes
		if fn == "Fn::Or" {
			decisive, other = yes, no
		}
		for i, e := range a {
			t, err := r.condExpr(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return unknown, err
			}
			switch t {
			case decisive:
				return decisive, nil
			case unknown:
				sawUnknown = true
			}
		}
		if sawUnknown {
			return unknown, nil
		}
		return other, nil
	case "Fn::Equals":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return unknown, inventory.Errorf(inventory.ErrStructure, path, "Fn::Equals takes [a, b]")
		}
		var vs [2]string
		known := true
		for i := range a {
			v, _, err := r.eval(a[i], fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return unknown, err
			}
			v = r.withDefaults(v)
			s, ok := v.(inventory.Str)
			if !ok {
				vs[i] = v.String()
				continue
			}
			if _, lit := s.Literal(); !lit {
				known = false
			}
			vs[i] = s.String()
		}
		switch {
		case vs[0] == vs[1]:
			return yes, nil
		case known:
			return no, nil
		}
		return unknown, nil
	}
	if strings.HasPrefix(fn, "Fn::") || fn == "Ref" {
		return unknown, inventory.Errorf(inventory.ErrStructure, path, "%s is not a condition function", fn)
	}
	return unknown, inventory.Errorf(inventory.ErrUnknownIntrinsic, path, "%q", fn)
}

// withDefaults replaces references to plain parameters by their Default,
// which is what a condition sees unless the deployer overrides it.
func (r *reader) withDefaults(v inventory.Value) inventory.Value {
	s, ok := v.(inventory.Str)
	if !ok {
		return v
	}
	var out []inventory.Str
	for _, p := range s {
		if p.Ref != nil && p.Ref.Kind == inventory.ToResource && p.Ref.Attr == "" {
			if body, ok := r.params[p.Ref.Addr]; ok {
				typ, _ := body["Type"].(string)
				if d, ok := body["Default"]; ok && !strings.HasPrefix(typ, "AWS::SSM::") {
					if ds, ok := inventory.FromJSON(d).(inventory.Str); ok {
						out = append(out, ds)
						continue
					}
				}
			}
		}
		out = append(out, inventory.Str{p})
	}
	return inventory.Concat(out...)
}

func validLogicalID(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
