package cfn

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// longForm maps every short-form intrinsic tag of CloudFormation YAML to
// the long form it stands for. !GetAtt with a scalar ("Res.Attr") is split
// at its first dot.
func longForm(tag string) (string, bool) {
	switch tag {
	case "!Ref":
		return "Ref", true
	case "!Condition":
		return "Condition", true
	case "!GetAtt":
		return "Fn::GetAtt", true
	case "!Sub":
		return "Fn::Sub", true
	case "!Join":
		return "Fn::Join", true
	case "!Select":
		return "Fn::Select", true
	case "!Split":
		return "Fn::Split", true
	case "!If":
		return "Fn::If", true
	case "!Equals":
		return "Fn::Equals", true
	case "!Not":
		return "Fn::Not", true
	case "!And":
		return "Fn::And", true
	case "!Or":
		return "Fn::Or", true
	case "!Base64":
		return "Fn::Base64", true
	case "!FindInMap":
		return "Fn::FindInMap", true
	case "!GetAZs":
		return "Fn::GetAZs", true
	case "!ImportValue":
		return "Fn::ImportValue", true
	case "!Cidr":
		return "Fn::Cidr", true
	case "!Transform":
		return "Fn::Transform", true
	case "!Length":
		return "Fn::Length", true
	case "!ToJsonString":
		return "Fn::ToJsonString", true
	}
	return "", false
}

// isJSON reports whether data looks like a JSON document (its first
// non-blank byte opens an object or array); anything else is read as YAML.
func isJSON(data []byte) bool {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return true
}

// yamlDoc is a template decoded from YAML: the tree (as DecodeJSON would
// give it) and the line of each resource's logical ID.
type yamlDoc struct {
	tree  any
	lines map[string]int
}

// decodeYAML parses a CloudFormation YAML template into the same tree
// DecodeJSON yields: maps, slices, strings, json.Numbers, bools and nils,
// short-form tags rewritten to their long form.
func decodeYAML(file string, data []byte) (yd yamlDoc, err error) {
	defer func() {
		// The parser is third-party code fed hostile input: a panic is a
		// syntax error, never a crash.
		if p := recover(); p != nil {
			err = &inventory.Error{File: file, Kind: inventory.ErrSyntax, Reason: fmt.Sprintf("yaml: %v", p)}
		}
	}()
	f, perr := parser.ParseBytes(data, 0)
	if perr != nil {
		e := &inventory.Error{File: file, Kind: inventory.ErrSyntax, Reason: "yaml: " + firstLine(perr.Error())}
		if se, ok := perr.(interface{ GetToken() *token.Token }); ok && se.GetToken() != nil && se.GetToken().Position != nil {
			e.Line, e.Col = se.GetToken().Position.Line, se.GetToken().Position.Column
		}
		return yamlDoc{}, e
	}
	var bodies []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			bodies = append(bodies, d.Body)
		}
	}
	if len(bodies) != 1 {
		return yamlDoc{}, &inventory.Error{File: file, Kind: inventory.ErrSyntax, Reason: fmt.Sprintf("want one YAML document, found %d", len(bodies))}
	}
	c := &yamlConv{file: file, anchors: map[string]ast.Node{}}
	tree, err := c.node(bodies[0], "", 0)
	if err != nil {
		return yamlDoc{}, err
	}
	yd = yamlDoc{tree: tree, lines: map[string]int{}}
	if m, ok := bodies[0].(*ast.MappingNode); ok {
		for _, kv := range m.Values {
			if keyText(kv.Key) != "Resources" {
				continue
			}
			if rm, ok := unwrap(kv.Value).(*ast.MappingNode); ok {
				for _, r := range rm.Values {
					if t := r.Key.GetToken(); t != nil && t.Position != nil {
						yd.lines[keyText(r.Key)] = t.Position.Line
					}
				}
			}
		}
	}
	return yd, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.CommentGroupNode:
			return nil
		default:
			return n
		}
	}
}

func keyText(k ast.MapKeyNode) string {
	if k == nil {
		return ""
	}
	switch x := k.(type) {
	case *ast.StringNode:
		return x.Value
	case *ast.MappingKeyNode:
		if x.Value != nil {
			return fmt.Sprint(x.Value.GetToken().Value)
		}
	}
	if t := k.GetToken(); t != nil {
		return t.Value
	}
	return ""
}

type yamlConv struct {
	file    string
	anchors map[string]ast.Node
}

func (c *yamlConv) errAt(n ast.Node, path, format string, args ...any) error {
	e := inventory.Errorf(inventory.ErrSyntax, path, format, args...)
	e.File = c.file
	if n != nil {
		if t := n.GetToken(); t != nil && t.Position != nil {
			e.Line, e.Col = t.Position.Line, t.Position.Column
		}
	}
	return e
}

func (c *yamlConv) node(n ast.Node, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, c.errAt(n, path, "nesting deeper than %d", maxDepth)
	}
	switch x := n.(type) {
	case nil:
		return nil, nil
	case *ast.NullNode:
		return nil, nil
	case *ast.StringNode:
		return x.Value, nil
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", nil
		}
		return x.Value.Value, nil
	case *ast.IntegerNode:
		return json.Number(fmt.Sprint(x.Value)), nil
	case *ast.FloatNode:
		return json.Number(strconv.FormatFloat(x.Value, 'g', -1, 64)), nil
	case *ast.InfinityNode, *ast.NanNode:
		return nil, c.errAt(n, path, "infinite or NaN numbers are not valid in a template")
	case *ast.BoolNode:
		return x.Value, nil
	case *ast.AnchorNode:
		if x.Name != nil {
			c.anchors[x.Name.GetToken().Value] = x.Value
		}
		return c.node(x.Value, path, depth+1)
	case *ast.AliasNode:
		if x.Value == nil {
			return nil, c.errAt(n, path, "alias without a name")
		}
		target, ok := c.anchors[x.Value.GetToken().Value]
		if !ok {
			return nil, c.errAt(n, path, "alias *%s has no anchor", x.Value.GetToken().Value)
		}
		return c.node(target, path, depth+1)
	case *ast.TagNode:
		return c.tag(x, path, depth)
	case *ast.SequenceNode:
		out := make([]any, 0, len(x.Values))
		for i, e := range x.Values {
			if s, ok := colonScalar(e); ok {
				out = append(out, s)
				continue
			}
			v, err := c.node(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *ast.MappingNode:
		return c.mapping(x.Values, path, depth)
	case *ast.MappingValueNode:
		return c.mapping([]*ast.MappingValueNode{x}, path, depth)
	case *ast.CommentGroupNode:
		return nil, nil
	}
	return nil, c.errAt(n, path, "unsupported YAML node %s", n.Type())
}

func (c *yamlConv) mapping(kvs []*ast.MappingValueNode, path string, depth int) (any, error) {
	out := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		if _, merge := kv.Key.(*ast.MergeKeyNode); merge {
			v, err := c.node(kv.Value, path, depth+1)
			if err != nil {
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, c.errAt(kv, path, "merge key << wants a mapping")
			}
			for k, e := range m {
				if _, set := out[k]; !set {
					out[k] = e
				}
			}
			continue
		}
		k := keyText(kv.Key)
		p := k
		if path != "" {
			p = path + "." + k
		}
		if _, dup := out[k]; dup {
			return nil, c.errAt(kv.Key, p, "duplicate key %q", k)
		}
		v, err := c.node(kv.Value, p, depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// tag rewrites a short-form intrinsic to its long form; the YAML core
// tags (!!str, ...) convert the scalar.
func (c *yamlConv) tag(x *ast.TagNode, path string, depth int) (any, error) {
	name := x.Start.Value
	v, err := c.node(x.Value, path, depth+1)
	if err != nil {
		return nil, err
	}
	switch name {
	case "!!str":
		if v == nil {
			return "", nil
		}
		return fmt.Sprint(v), nil
	case "!!int", "!!float":
		return json.Number(fmt.Sprint(v)), nil
	case "!!bool", "!!map", "!!seq", "!!null":
		return v, nil
	}
	long, ok := longForm(name)
	if !ok {
		e := inventory.Errorf(inventory.ErrUnknownIntrinsic, path, "unknown tag %s", name)
		e.File = c.file
		if t := x.Start; t != nil && t.Position != nil {
			e.Line, e.Col = t.Position.Line, t.Position.Column
		}
		return nil, e
	}
	if name == "!GetAtt" {
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, c.errAt(x, path, "!GetAtt %q wants RESOURCE.ATTRIBUTE", s)
			}
			v = []any{res, attr}
		}
	}
	if v == nil {
		v = ""
	}
	return map[string]any{long: v}, nil
}

// colonScalar recognises a plain scalar with a colon inside
// ("dynamodb:GetItem") that the parser took for a one-pair mapping inside
// a flow sequence nested in a flow mapping: a colon not followed by a
// space does not separate a key from a value.
func colonScalar(n ast.Node) (string, bool) {
	var kv *ast.MappingValueNode
	switch x := n.(type) {
	case *ast.MappingValueNode:
		kv = x
	case *ast.MappingNode:
		if len(x.Values) != 1 {
			return "", false
		}
		kv = x.Values[0]
	default:
		return "", false
	}
	k, ok := kv.Key.(*ast.StringNode)
	if !ok || kv.Start == nil || kv.Start.Position == nil {
		return "", false
	}
	v, ok := kv.Value.(*ast.StringNode)
	if !ok || v.Token == nil || v.Token.Position == nil {
		return "", false
	}
	colon, val := kv.Start.Position, v.Token.Position
	if colon.Line != val.Line || val.Column != colon.Column+1 {
		return "", false
	}
	return k.Value + ":" + v.Value, true
}
