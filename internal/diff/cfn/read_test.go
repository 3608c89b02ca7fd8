package cfn_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff/cfn"
	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// template puts property X of resource A next to what expressions refer to.
func template(t *testing.T, x any, extra map[string]any) []byte {
	t.Helper()
	tmpl := map[string]any{
		"Parameters": map[string]any{
			"Env": map[string]any{"Type": "String", "Default": "prod"},
			"Ami": map[string]any{"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/x"},
		},
		"Mappings": map[string]any{"M": map[string]any{"prod": map[string]any{"size": "large"}}},
		"Conditions": map[string]any{
			"IsProd":     map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "Env"}, "prod"}},
			"IsDev":      map[string]any{"Fn::Not": []any{map[string]any{"Condition": "IsProd"}}},
			"InUsEast":   map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::Region"}, "us-east-1"}},
			"ProdAndUs":  map[string]any{"Fn::And": []any{map[string]any{"Condition": "IsProd"}, map[string]any{"Condition": "InUsEast"}}},
			"DevOrProd":  map[string]any{"Fn::Or": []any{map[string]any{"Condition": "IsDev"}, map[string]any{"Condition": "IsProd"}}},
			"SameRegion": map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "AWS::Region"}, map[string]any{"Ref": "AWS::Region"}}},
		},
		"Resources": map[string]any{
			"A": map[string]any{"Type": "AWS::S3::Bucket", "Properties": map[string]any{"X": x}},
			"B": map[string]any{"Type": "AWS::S3::Bucket", "Properties": map[string]any{"BucketName": "bee"}},
		},
	}
	for k, v := range extra {
		tmpl["Resources"].(map[string]any)[k] = v
	}
	b, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ref(name string) map[string]any { return map[string]any{"Ref": name} }

func fn(name string, arg any) map[string]any { return map[string]any{name: arg} }

func TestIntrinsics(t *testing.T) {
	tests := []struct {
		name string
		x    any
		want string
	}{
		{"literal", "plain", "plain"},
		{"number", 256, "256"},
		{"ref resource", ref("B"), "${B}"},
		{"ref parameter (its default)", ref("Env"), "prod"},
		{"ref pseudo", ref("AWS::AccountId"), "${pseudo:account}"},
		{"getatt list", fn("Fn::GetAtt", []any{"B", "Arn"}), "${B.Arn}"},
		{"getatt string", fn("Fn::GetAtt", "B.Arn"), "${B.Arn}"},
		{"getatt nested", fn("Fn::GetAtt", []any{"B", "Endpoint.Address"}), "${B.Endpoint[Address]}"},
		{"sub", fn("Fn::Sub", "arn:${AWS::Partition}:s3:::${B}/${B.Arn}/${!Literal}"), "arn:${pseudo:partition}:s3:::${B}/${B.Arn}/${Literal}"},
		{"sub variables", fn("Fn::Sub", []any{"${X}-${AWS::Region}", map[string]any{"X": ref("B")}}), "${B}-${pseudo:region}"},
		{"join", fn("Fn::Join", []any{",", []any{ref("B"), "x", fn("Fn::GetAtt", []any{"B", "Arn"})}}), "${B},x,${B.Arn}"},
		{"select", fn("Fn::Select", []any{1, []any{"a", "b"}}), "b"},
		{"cidr", fn("Fn::Select", []any{1, fn("Fn::Cidr", []any{"10.20.0.0/16", 3, 8})}), "10.20.1.0/24"},
		{"select azs", fn("Fn::Select", []any{0, fn("Fn::GetAZs", "")}), "${pseudo:azs[0]}"},
		{"select azs of region", fn("Fn::Select", []any{1, fn("Fn::GetAZs", ref("AWS::Region"))}), "${pseudo:azs[1]}"},
		{"split", fn("Fn::Select", []any{2, fn("Fn::Split", []any{"-", "a-b-c"})}), "c"},
		{"base64", fn("Fn::Base64", fn("Fn::Join", []any{"", []any{"#!/bin/sh\n", ref("B")}})), "#!/bin/sh\n${B}"},
		{"find in map", fn("Fn::FindInMap", []any{"M", ref("Env"), "size"}), "large"},
		{"if true", fn("Fn::If", []any{"IsProd", "p", "d"}), "p"},
		{"if false", fn("Fn::If", []any{"IsDev", "p", "d"}), "d"},
		{"if or", fn("Fn::If", []any{"DevOrProd", "yes", "no"}), "yes"},
		{"if equal branches", fn("Fn::If", []any{"InUsEast", "same", "same"}), "same"},
		{"if identical symbols", fn("Fn::If", []any{"SameRegion", "y", "n"}), "y"},
		{"no value in list", []any{"a", ref("AWS::NoValue"), fn("Fn::If", []any{"IsDev", "b", ref("AWS::NoValue")})}, `["a"]`},
		{"no value in map", map[string]any{"k": ref("AWS::NoValue"), "l": "v"}, `{"l":"v"}`},
		{"import", fn("Fn::ImportValue", "shared-vpc"), "${import:shared-vpc}"},
		{"length", fn("Fn::Length", []any{1, 2, 3}), "3"},
		{"to json", fn("Fn::ToJsonString", map[string]any{"a": ref("B")}), `{"a":"${B}"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := cfn.Read("t.json", template(t, tc.x, nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Lookup("A").Props["X"].String(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	extra := map[string]any{
		"Kept":    map[string]any{"Type": "AWS::S3::Bucket", "Condition": "IsProd"},
		"Dropped": map[string]any{"Type": "AWS::S3::Bucket", "Condition": "IsDev"},
		"Maybe":   map[string]any{"Type": "AWS::S3::Bucket", "Condition": "ProdAndUs"},
	}
	d, err := cfn.Read("t.json", template(t, "x", extra))
	if err != nil {
		t.Fatal(err)
	}
	if d.Lookup("Kept") == nil || d.Lookup("Dropped") != nil {
		t.Errorf("condition true keeps, false drops: Kept %v, Dropped %v", d.Lookup("Kept"), d.Lookup("Dropped"))
	}
	if r := d.Lookup("Maybe"); r == nil || !r.Undecided {
		t.Errorf("a condition on the region is undecided: %+v", r)
	}
	if len(d.Skipped) != 1 || d.Skipped[0] != "Dropped" {
		t.Errorf("skipped %v", d.Skipped)
	}
	if p := d.Lookup("Ami"); p == nil || p.Mode != inventory.Parameter || p.Props["Default"].String() != "/aws/service/x" {
		t.Errorf("SSM parameter: %+v", p)
	}
}

func TestErrors(t *testing.T) {
	res := func(props string) string {
		return `{"Resources": {"A": {"Type": "AWS::S3::Bucket", "Properties": ` + props + `}, "B": {"Type": "AWS::S3::Bucket"}}}`
	}
	tests := []struct {
		name, input string
		kind        error
		contains    string
	}{
		{"truncated", `{"Resources": {"A": {"Type": "AWS::S3::Bucket", "Prop`, inventory.ErrSyntax, "t.json:1:"},
		{"empty", ``, inventory.ErrSyntax, "truncated"},
		{"no resources", `{"Outputs": {}}`, inventory.ErrStructure, "no Resources"},
		{"unknown section", `{"Resources": {}, "Resorces": {}}`, inventory.ErrStructure, "Resorces"},
		{"transform", `{"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}`, inventory.ErrUnsupported, "transforms"},
		{"no type", `{"Resources": {"A": {"Properties": {}}}}`, inventory.ErrStructure, "Resources.A.Type"},
		{"unknown intrinsic", res(`{"X": {"Fn::Frobnicate": ["a"]}}`), inventory.ErrUnknownIntrinsic, "Resources.A.Properties.X.Fn::Frobnicate"},
		{"dangling ref", res(`{"X": {"Ref": "Nope"}}`), inventory.ErrDangling, `"Nope"`},
		{"dangling getatt", res(`{"X": {"Fn::GetAtt": ["Nope", "Arn"]}}`), inventory.ErrDangling, "Nope"},
		{"dangling sub", res(`{"X": {"Fn::Sub": "${Nope.Arn}"}}`), inventory.ErrDangling, "Nope"},
		{"dangling sub ref", res(`{"X": {"Fn::Sub": "${Nope}"}}`), inventory.ErrDangling, "Nope"},
		{"unknown pseudo", res(`{"X": {"Ref": "AWS::Nope"}}`), inventory.ErrDangling, "AWS::Nope"},
		{"dangling depends on", `{"Resources": {"A": {"Type": "T", "DependsOn": "Nope"}}}`, inventory.ErrDangling, "DependsOn"},
		{"undefined condition", `{"Resources": {"A": {"Type": "T", "Condition": "Nope"}}}`, inventory.ErrDangling, "condition"},
		{"extra keys", res(`{"X": {"Ref": "B", "Other": 1}}`), inventory.ErrStructure, "only key"},
		{"select out of range", res(`{"X": {"Fn::Select": [5, ["a"]]}}`), inventory.ErrStructure, "out of range"},
		{"unterminated sub", res(`{"X": {"Fn::Sub": "${B"}}`), inventory.ErrStructure, "unterminated"},
		{"cidr of a deploy-time block", res(`{"X": {"Fn::Cidr": [{"Fn::GetAtt": ["B", "Arn"]}, 2, 8]}}`), inventory.ErrUnsupported, "Fn::Cidr"},
		{"cidr too many", res(`{"X": {"Fn::Cidr": ["10.0.0.0/24", 4, 7]}}`), inventory.ErrStructure, "fewer than"},
		{"condition as value", res(`{"X": {"Fn::Equals": ["a", "b"]}}`), inventory.ErrStructure, "condition function"},
		{"ref to dropped", `{"Conditions": {"No": {"Fn::Equals": ["a", "b"]}}, "Resources": {"A": {"Type": "T", "Condition": "No"}, "B": {"Type": "T", "Properties": {"X": {"Ref": "A"}}}}}`, inventory.ErrDangling, "condition is false"},
		{"condition cycle", `{"Conditions": {"C": {"Condition": "C"}}, "Resources": {"A": {"Type": "T", "Condition": "C"}}}`, inventory.ErrStructure, "refers to itself"},
		{"bad logical id", `{"Resources": {"a-b": {"Type": "T"}}}`, inventory.ErrStructure, "alphanumeric"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cfn.Read("t.json", []byte(tc.input))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

func TestReadSynthFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "synth", "*", "template.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := cfn.Read(f, b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(d.Resources) < 25 || len(d.Outputs) < 6 {
			t.Errorf("%s: %d resources, %d outputs", f, len(d.Resources), len(d.Outputs))
		}
	}
}

// FuzzReadCloudFormation: any input is read or rejected with an
// *inventory.Error, never a panic; what is read holds no dangling
// reference. Seeds: testdata/fuzz/FuzzReadCloudFormation.
func FuzzReadCloudFormation(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := cfn.Read("fuzz.json", data)
		if err != nil {
			var e *inventory.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *inventory.Error: %v", err, err)
			}
			return
		}
		for _, r := range d.Resources {
			for _, v := range r.Props {
				inventory.Refs(v, func(ref *inventory.Ref) {
					if ref.Kind == inventory.ToResource && d.Lookup(ref.Addr) == nil {
						t.Fatalf("%s: dangling reference %s survived", r.Addr, ref)
					}
				})
			}
		}
	})
}

// FuzzReadYAML: any YAML text is read or rejected with an
// *inventory.Error, never a panic. Seeds: testdata/fuzz/FuzzReadYAML
// (short-form tags, anchors, block scalars, malformed text).
func FuzzReadYAML(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if isJSONText(data) {
			return // FuzzReadCloudFormation's input
		}
		_, err := cfn.Read("fuzz.yaml", data)
		if err != nil {
			var e *inventory.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *inventory.Error: %v", err, err)
			}
		}
	})
}

func isJSONText(data []byte) bool {
	s := strings.TrimLeft(string(data), " \t\r\n")
	return s == "" || s[0] == '{' || s[0] == '['
}

// TestReadYAML: every short-form tag reads as its long form.
func TestReadYAML(t *testing.T) {
	src := `Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition IsProd, !Condition NotProd]]
Mappings:
  M: {prod: {size: "8"}}
Resources:
  B:
    Type: AWS::S3::Bucket
    Properties:
      A: !Sub "${Env}-${AWS::Region}"
      B: !Sub ["${X}-y", {X: !Ref Env}]
      C: !GetAtt B.Arn
      D: !GetAtt [B, Arn]
      E: !Join ["-", [a, !Select [1, !Split [",", "x,y"]]]]
      F: !If [Both, yes, no]
      G: !Base64 text
      H: !FindInMap [M, !Ref Env, size]
      I: !Select [0, !GetAZs ""]
      J: !ImportValue shared-vpc
      K: !Select [1, !Cidr ["10.0.0.0/16", 2, 8]]
      L: |
        line one
        line two
      M: {A: [dynamodb:GetItem, "s3:x"], B: x:y}
`
	d, err := cfn.Read("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	b := d.Lookup("B")
	got := map[string]string{}
	for k, v := range b.Props {
		got[k] = v.String()
	}
	want := map[string]string{
		"A": "prod-${pseudo:region}", "B": "prod-y", "C": "${B.Arn}", "D": "${B.Arn}", "E": "a-y", "F": "yes",
		"G": "text", "H": "8", "I": "${pseudo:azs[0]}", "J": "${import:shared-vpc}", "K": "10.0.1.0/24", "L": "line one\nline two\n",
		"M": `{"A":["dynamodb:GetItem","s3:x"],"B":"x:y"}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if b.Pos != "t.yaml:10" {
		t.Errorf("position %q", b.Pos)
	}
}
