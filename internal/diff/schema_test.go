package diff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twinstack/twinstack/internal/diff/cfn"
	"github.com/twinstack/twinstack/internal/diff/entity"
	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfjson"
)

// The resource types of the Auto Scaling group whose every input key the
// schema tests walk, with what each needs around it: a document that
// holds one resource of the type (as "X" / "x") whose key under test is
// set, and whatever the resource refers to.
var (
	tfSchemaTypes = map[string]func(res map[string]any) map[string]any{
		"aws_launch_template": func(res map[string]any) map[string]any {
			res["name"] = firstOr(res["name"], "lt")
			return map[string]any{"resource": map[string]any{"aws_launch_template": map[string]any{"x": res}}}
		},
		"aws_autoscaling_group": func(res map[string]any) map[string]any {
			res["name"] = firstOr(res["name"], "g")
			res["min_size"] = firstOr(res["min_size"], 2)
			res["max_size"] = firstOr(res["max_size"], 4)
			return map[string]any{"resource": map[string]any{"aws_autoscaling_group": map[string]any{"x": res}}}
		},
		"aws_autoscaling_policy": func(res map[string]any) map[string]any {
			res["autoscaling_group_name"] = firstOr(res["autoscaling_group_name"], "${aws_autoscaling_group.g.name}")
			return map[string]any{"resource": map[string]any{
				"aws_autoscaling_group":  map[string]any{"g": map[string]any{"name": "g", "min_size": 1, "max_size": 2}},
				"aws_autoscaling_policy": map[string]any{"x": res},
			}}
		},
		"aws_autoscaling_lifecycle_hook": func(res map[string]any) map[string]any {
			res["autoscaling_group_name"] = firstOr(res["autoscaling_group_name"], "${aws_autoscaling_group.g.name}")
			return map[string]any{"resource": map[string]any{
				"aws_autoscaling_group":          map[string]any{"g": map[string]any{"name": "g", "min_size": 1, "max_size": 2}},
				"aws_autoscaling_lifecycle_hook": map[string]any{"x": res},
			}}
		},
		"aws_autoscaling_attachment": func(res map[string]any) map[string]any {
			res["autoscaling_group_name"] = firstOr(res["autoscaling_group_name"], "${aws_autoscaling_group.g.name}")
			return map[string]any{"resource": map[string]any{
				"aws_autoscaling_group":      map[string]any{"g": map[string]any{"name": "g", "min_size": 1, "max_size": 2}},
				"aws_autoscaling_attachment": map[string]any{"x": res},
			}}
		},
	}
	cfnSchemaTypes = map[string]func(props map[string]any) map[string]any{
		"AWS::EC2::LaunchTemplate": func(props map[string]any) map[string]any {
			props["LaunchTemplateName"] = firstOr(props["LaunchTemplateName"], "lt")
			return cfnDoc(map[string]any{"X": map[string]any{"Type": "AWS::EC2::LaunchTemplate", "Properties": props}})
		},
		"AWS::AutoScaling::AutoScalingGroup": func(props map[string]any) map[string]any {
			props["AutoScalingGroupName"] = firstOr(props["AutoScalingGroupName"], "g")
			props["MinSize"] = firstOr(props["MinSize"], "2")
			props["MaxSize"] = firstOr(props["MaxSize"], "4")
			return cfnDoc(map[string]any{"X": map[string]any{"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": props}})
		},
		"AWS::AutoScaling::ScalingPolicy": func(props map[string]any) map[string]any {
			props["AutoScalingGroupName"] = firstOr(props["AutoScalingGroupName"], map[string]any{"Ref": "G"})
			return cfnDoc(map[string]any{
				"G": map[string]any{"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": map[string]any{"AutoScalingGroupName": "g", "MinSize": "1", "MaxSize": "2"}},
				"X": map[string]any{"Type": "AWS::AutoScaling::ScalingPolicy", "Properties": props},
			})
		},
		"AWS::AutoScaling::LifecycleHook": func(props map[string]any) map[string]any {
			props["AutoScalingGroupName"] = firstOr(props["AutoScalingGroupName"], map[string]any{"Ref": "G"})
			return cfnDoc(map[string]any{
				"G": map[string]any{"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": map[string]any{"AutoScalingGroupName": "g", "MinSize": "1", "MaxSize": "2"}},
				"X": map[string]any{"Type": "AWS::AutoScaling::LifecycleHook", "Properties": props},
			})
		},
	}
)

func firstOr(v, def any) any {
	if v != nil {
		return v
	}
	return def
}

func cfnDoc(resources map[string]any) map[string]any { return map[string]any{"Resources": resources} }

// leafKey is one input key of a schema at its full path ("a.b.c"), with
// the values tried for it: pairs of different values of its type.
type leafKey struct {
	path   []string
	values [][2]any
}

// set places v at the leaf's path inside m, creating objects (Terraform
// blocks and CloudFormation arrays of objects as a list of one object).
func (k leafKey) set(m map[string]any, v any, listAt map[int]bool) {
	cur := m
	for i, p := range k.path[:len(k.path)-1] {
		next := map[string]any{}
		if listAt[i] {
			cur[p] = []any{next}
		} else {
			cur[p] = next
		}
		cur = next
	}
	cur[k.path[len(k.path)-1]] = v
}

// valuesOf are the pairs of different values tried for a scalar type:
// a number's pairs spread (a percentage of a small group rounds).
func valuesOf(typ string, enum []any) [][2]any {
	switch typ {
	case "bool", "boolean":
		return [][2]any{{true, false}}
	case "number", "integer":
		return [][2]any{{1, 2}, {0, 100}, {3, 250}}
	}
	if len(enum) >= 2 {
		return [][2]any{{enum[0], enum[1]}}
	}
	return [][2]any{{"a", "b"}}
}

// tfLeaves walks a provider schema block: every attribute a user may set
// (not computed-only), every nested block, at every depth.
func tfLeaves(block map[string]any, path []string, lists map[int]bool, out *[]tfLeaf) {
	attrs, _ := block["attributes"].(map[string]any)
	for _, name := range sortedAny(attrs) {
		a := attrs[name].(map[string]any)
		if a["computed"] == true && a["optional"] != true && a["required"] != true {
			continue
		}
		if name == "id" {
			continue
		}
		tfTypeLeaves(a["type"], append(append([]string(nil), path...), name), copyLists(lists), func(v any) any { return v }, out)
	}
	blocks, _ := block["block_types"].(map[string]any)
	for _, name := range sortedAny(blocks) {
		b := blocks[name].(map[string]any)
		l := copyLists(lists)
		if b["nesting_mode"] != "single" {
			l[len(path)] = true
		}
		tfLeaves(b["block"].(map[string]any), append(append([]string(nil), path...), name), l, out)
	}
}

type tfLeaf struct {
	key   leafKey
	lists map[int]bool // path positions that are lists of one object
	wrap  func(v any) any
}

// tfTypeLeaves turns a cty type into leaves: scalars, collections of
// scalars (one element), maps (one key), objects and lists of objects
// (each attribute).
func tfTypeLeaves(t any, path []string, lists map[int]bool, wrap func(any) any, out *[]tfLeaf) {
	switch x := t.(type) {
	case string:
		*out = append(*out, tfLeaf{key: leafKey{path: path, values: valuesOf(x, nil)}, lists: lists, wrap: wrap})
	case []any:
		kind, _ := x[0].(string)
		switch kind {
		case "list", "set":
			if obj, ok := x[1].([]any); ok && obj[0] == "object" {
				l := copyLists(lists)
				l[len(path)-1] = true
				tfTypeLeaves(obj, path, l, wrap, out)
				return
			}
			tfTypeLeaves(x[1], path, lists, func(v any) any { return []any{wrap(v)} }, out)
		case "map":
			tfTypeLeaves(x[1], path, lists, func(v any) any { return map[string]any{"k": wrap(v)} }, out)
		case "object":
			attrs := x[1].(map[string]any)
			for _, n := range sortedAny(attrs) {
				tfTypeLeaves(attrs[n], append(append([]string(nil), path...), n), copyLists(lists), wrap, out)
			}
		}
	}
}

func copyLists(m map[int]bool) map[int]bool {
	out := map[int]bool{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedAny(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cfnLeaves walks a CloudFormation resource schema's properties: every
// property that is not read-only, through $ref definitions and arrays, at
// every depth (a definition already on the path stops the walk).
func cfnLeaves(schema map[string]any, node map[string]any, path []string, lists map[int]bool, seen []string, out *[]tfLeaf) {
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		if slices.Contains(seen, name) || len(path) > 8 {
			return
		}
		def, _ := schema["definitions"].(map[string]any)[name].(map[string]any)
		cfnLeaves(schema, def, path, lists, append(seen, name), out)
		return
	}
	typ := node["type"]
	if ts, ok := typ.([]any); ok && len(ts) > 0 {
		typ = ts[0]
	}
	if props, ok := node["properties"].(map[string]any); ok && (typ == nil || typ == "object") {
		for _, n := range sortedAny(props) {
			cfnLeaves(schema, props[n].(map[string]any), append(append([]string(nil), path...), n), copyLists(lists), seen, out)
		}
		return
	}
	for _, alt := range []string{"oneOf", "anyOf"} {
		if opts, ok := node[alt].([]any); ok && typ == nil {
			for _, o := range opts {
				cfnLeaves(schema, o.(map[string]any), path, copyLists(lists), seen, out)
			}
			return
		}
	}
	switch typ {
	case "array":
		items, _ := node["items"].(map[string]any)
		if items == nil {
			items = map[string]any{"type": "string"}
		}
		if isObject(schema, items) {
			l := copyLists(lists)
			l[len(path)-1] = true
			cfnLeaves(schema, items, path, l, seen, out)
			return
		}
		t, _ := items["type"].(string)
		enum, _ := items["enum"].([]any)
		*out = append(*out, tfLeaf{key: leafKey{path: path, values: valuesOf(t, enum)}, lists: lists, wrap: func(v any) any { return []any{v} }})
	case "object":
		*out = append(*out, tfLeaf{key: leafKey{path: path, values: valuesOf("string", nil)}, lists: lists, wrap: func(v any) any { return map[string]any{"k": v} }})
	default:
		t, _ := typ.(string)
		enum, _ := node["enum"].([]any)
		*out = append(*out, tfLeaf{key: leafKey{path: path, values: valuesOf(t, enum)}, lists: lists, wrap: func(v any) any { return v }})
	}
}

func isObject(schema, node map[string]any) bool {
	if ref, ok := node["$ref"].(string); ok {
		def, _ := schema["definitions"].(map[string]any)[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
		return def != nil && isObject(schema, def)
	}
	_, hasProps := node["properties"]
	return hasProps || node["type"] == "object"
}

// terraformSchemas asks the real provider (offline, from the mirror) for
// the schemas of the types.
func terraformSchemas(t *testing.T, types []string) map[string]map[string]any {
	t.Helper()
	tf := requireTool(t, "terraform")
	rc := ""
	for _, p := range []string{os.Getenv("TF_CLI_CONFIG_FILE"), filepath.Join(moduleRoot(t), ".terraformrc")} {
		if _, err := os.Stat(p); p != "" && err == nil {
			rc = p
			break
		}
	}
	if rc == "" {
		if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
			t.Fatal("no provider mirror configuration (make tfrc)")
		}
		t.Skip("no provider mirror configuration (make tfrc)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	var out []byte
	for _, args := range [][]string{{"init", "-backend=false", "-input=false", "-no-color"}, {"providers", "schema", "-json"}} {
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir, cmd.Env = dir, env
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("terraform %s: %v", args[0], err)
		}
		out = b
	}
	var doc struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas map[string]json.RawMessage `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	res := map[string]map[string]any{}
	for _, typ := range types {
		raw, ok := doc.ProviderSchemas["registry.terraform.io/hashicorp/aws"].ResourceSchemas[typ]
		if !ok {
			t.Fatalf("the provider has no %s", typ)
		}
		var s struct {
			Block map[string]any `json:"block"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		res[typ] = s.Block
	}
	return res
}

// cloudFormationSchemas reads the resource schemas cfn-lint ships.
func cloudFormationSchemas(t *testing.T, types []string) map[string]map[string]any {
	t.Helper()
	requireTool(t, "cfn-lint")
	py := `import json, sys
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER as m
print(json.dumps({t: m.get_resource_schema("us-east-1", t).schema for t in sys.argv[1:]}))`
	var python string
	for _, p := range []string{"python3", "python"} {
		if _, err := exec.LookPath(p); err == nil {
			python = p
			break
		}
	}
	if python == "" {
		requireTool(t, "python3")
	}
	out, err := exec.Command(python, append([]string{"-c", py}, types...)...).Output()
	if err != nil {
		if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
			t.Fatalf("cfn-lint's schemas: %v", err)
		}
		t.Skipf("cfn-lint's schemas not importable from %s: %v", python, err)
	}
	var res map[string]map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// fingerprint is everything a comparison can see of a document: every
// entity's properties and the notes.
func fingerprint(s *entity.Set) (props string, unsupported, ignored []string) {
	var b strings.Builder
	for _, e := range s.Entities {
		fmt.Fprintf(&b, "%s %s\n", e.Kind, e.Key)
		for _, p := range entity.Properties(e.Kind) {
			fmt.Fprintf(&b, "  %s=%q\n", p, e.Prop(p).Render(nil))
		}
	}
	for _, n := range s.Unsupported {
		unsupported = append(unsupported, n.Addr+": "+n.Reason)
	}
	for _, n := range s.Ignored {
		ignored = append(ignored, n.Addr+": "+n.Reason)
	}
	return b.String(), unsupported, ignored
}

// accounted says how a key is accounted for: compared (two values of it
// give different properties), reported as not compared, ignored with a
// reason, or "" when it is silently dropped.
func accounted(t *testing.T, dialect inventory.Dialect, typ string, l tfLeaf, build func(res map[string]any) *entity.Set) string {
	path := strings.Join(l.key.path, ".")
	for p := path; ; {
		if reason, ok := entity.NotCompared(dialect, typ, p); ok && reason != "" {
			return "ignored: " + reason
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	_, baseUnsupported, baseIgnored := fingerprint(build(map[string]any{}))
	for _, pair := range l.key.values {
		var prints [2]string
		for i, v := range pair {
			res := map[string]any{}
			l.key.set(res, l.wrap(v), l.lists)
			s := build(res)
			props, unsupported, ignored := fingerprint(s)
			for _, n := range unsupported {
				if !slices.Contains(baseUnsupported, n) {
					return "reported: " + n
				}
			}
			for _, n := range ignored {
				if !slices.Contains(baseIgnored, n) {
					return "ignored: " + n
				}
			}
			prints[i] = props
		}
		if prints[0] != prints[1] {
			return "compared"
		}
	}
	return ""
}

// TestSchemaKeys: every input key of the Auto Scaling group's resource
// types, as the provider's and CloudFormation's own schemas list them (not
// as the comparer knows them), at every depth, is compared (two values of
// it differ in the entities), reported as not compared, or ignored with a
// stated reason — never dropped.
func TestSchemaKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the provider's schema through terraform, and cfn-lint's")
	}
	t.Run("terraform", func(t *testing.T) {
		var types []string
		for typ := range tfSchemaTypes {
			types = append(types, typ)
		}
		sort.Strings(types)
		schemas := terraformSchemas(t, types)
		for _, typ := range types {
			var leaves []tfLeaf
			tfLeaves(schemas[typ], nil, map[int]bool{}, &leaves)
			if len(leaves) < 3 {
				t.Fatalf("%s: only %d keys in the schema", typ, len(leaves))
			}
			build := func(res map[string]any) *entity.Set {
				b, err := json.Marshal(tfSchemaTypes[typ](res))
				if err != nil {
					t.Fatal(err)
				}
				d, err := tfjson.Read("t.tf.json", b)
				if err != nil {
					t.Fatalf("%s: %v", b, err)
				}
				s, err := entity.FromTerraform(d)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			counts := map[string]int{}
			for _, l := range leaves {
				how := accounted(t, inventory.Terraform, typ, l, build)
				if how == "" {
					t.Errorf("%s.%s: neither compared, nor reported, nor ignored with a reason", typ, strings.Join(l.key.path, "."))
				}
				counts[strings.SplitN(how, ":", 2)[0]]++
			}
			t.Logf("%s: %d keys: %v", typ, len(leaves), counts)
		}
	})
	t.Run("cloudformation", func(t *testing.T) {
		var types []string
		for typ := range cfnSchemaTypes {
			types = append(types, typ)
		}
		sort.Strings(types)
		schemas := cloudFormationSchemas(t, types)
		for _, typ := range types {
			schema := schemas[typ]
			readOnly := map[string]bool{}
			ro, _ := schema["readOnlyProperties"].([]any)
			for _, p := range ro {
				readOnly[strings.TrimPrefix(p.(string), "/properties/")] = true
			}
			var leaves []tfLeaf
			props := schema["properties"].(map[string]any)
			for _, n := range sortedAny(props) {
				if readOnly[n] {
					continue
				}
				cfnLeaves(schema, props[n].(map[string]any), []string{n}, map[int]bool{}, nil, &leaves)
			}
			if len(leaves) < 3 {
				t.Fatalf("%s: only %d keys in the schema", typ, len(leaves))
			}
			build := func(res map[string]any) *entity.Set {
				b, err := json.Marshal(cfnSchemaTypes[typ](res))
				if err != nil {
					t.Fatal(err)
				}
				d, err := cfn.Read("t.json", b)
				if err != nil {
					t.Fatalf("%s: %v", b, err)
				}
				s, err := entity.FromCloudFormation(d)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			counts := map[string]int{}
			for _, l := range leaves {
				how := accounted(t, inventory.CloudFormation, typ, l, build)
				if how == "" {
					t.Errorf("%s.%s: neither compared, nor reported, nor ignored with a reason", typ, strings.Join(l.key.path, "."))
				}
				counts[strings.SplitN(how, ":", 2)[0]]++
			}
			t.Logf("%s: %d keys: %v", typ, len(leaves), counts)
		}
	})
}
