package tfjson_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfjson"
)

// config wraps attribute x of resource aws_s3_bucket.a in a configuration
// that also declares what the expressions refer to.
func config(t *testing.T, x any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"resource": map[string]any{
			"aws_s3_bucket": map[string]any{
				"a": map[string]any{"x": x},
				"b": map[string]any{"bucket": "bee"},
			},
		},
		"data": map[string]any{
			"aws_availability_zones": map[string]any{"z": map[string]any{}},
		},
		"variable": map[string]any{"v": map[string]any{"default": "vee"}},
		"locals":   map[string]any{"l": map[string]any{"k": "${aws_s3_bucket.b.id}"}, "self": "${local.self}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExpressions(t *testing.T) {
	tests := []struct {
		name string
		x    any
		want string
	}{
		{"literal", "plain", "plain"},
		{"number", 256, "256"},
		{"float integral", 8.0, "8"},
		{"bool", true, "true"},
		{"reference in text", "${aws_s3_bucket.b.arn}/images/*", "${aws_s3_bucket.b.arn}/images/*"},
		{"escape", "$${not.a.ref} %%{x}", "${not.a.ref} %{x}"},
		{"strip markers", "${~ aws_s3_bucket.b.id ~}", "${aws_s3_bucket.b.id}"},
		{"data index", "${data.aws_availability_zones.z.names[1]}", "${data.aws_availability_zones.z.names[1]}"},
		{"legacy index", "${data.aws_availability_zones.z.names.0}", "${data.aws_availability_zones.z.names[0]}"},
		{"element", "${element(data.aws_availability_zones.z.names, 1)}", "${data.aws_availability_zones.z.names[1]}"},
		{"variable", "${var.v}", "${var.v}"},
		{"local", "${local.l.k}", "${aws_s3_bucket.b.id}"},
		{"join", `${join(",", [aws_s3_bucket.b.id, "x", var.v])}`, "${aws_s3_bucket.b.id},x,${var.v}"},
		{"jsonencode", `${jsonencode({"Statement" = [{Resource = aws_s3_bucket.b.arn, n: 1}]})}`,
			`{"Statement":[{"Resource":"${aws_s3_bucket.b.arn}","n":"1"}]}`},
		{"jsondecode", `${jsondecode("{\"a\": [1, \"x\"]}")}`, `{"a":["1","x"]}`},
		{"nested template", `${"in ${aws_s3_bucket.b.id} out"}`, "in ${aws_s3_bucket.b.id} out"},
		{"format", `${format("%s-%d", aws_s3_bucket.b.id, 7)}`, "${aws_s3_bucket.b.id}-7"},
		{"file hash", `${filebase64sha256("assets/f.zip")}`, "${file:assets/f.zip.filebase64sha256}"},
		{"transparent", `${tolist(base64encode(aws_s3_bucket.b.id))}`, "${aws_s3_bucket.b.id}"},
		{"string functions", `${upper(lower("AbC"))}${trimspace("  x ")}${replace("a-b", "-", "_")}`, "ABCxa_b"},
		{"collections", `${length(concat([1], flatten([[2, 3]])))}`, "3"},
		{"lookup", `${lookup({a = "x"}, "b", "d")}${merge({a = 1}, {b = 2}).b}`, "d2"},
		{"split", `${split(",", "a,b")[1]}`, "b"},
		{"comments", "${aws_s3_bucket.b.id /* c */ # more\n}", "${aws_s3_bucket.b.id}"},
		{"unicode escape", `${"\u00e9\t"}`, "é\t"},
		{"list", []any{"${aws_s3_bucket.b.id}", 1}, `["${aws_s3_bucket.b.id}","1"]`},
		{"object", map[string]any{"k": "${var.v}", "//": "metadata"}, `{"k":"${var.v}"}`},
		{"whole list from interpolation", "${[1, 2]}", `["1","2"]`},
		{"cidrsubnet", `${cidrsubnet("10.20.0.0/16", 8, 1)} ${cidrhost("10.0.0.0/24", 5)}`, "10.20.1.0/24 10.0.0.5"},
		{"known conditional", `${1 + 1 == 2 ? "yes" : aws_s3_bucket.b.id}`, "yes"},
		{"directive", `%{ for s in ["a", "b"] }${s}-%{ endfor }%{ if false }x%{ endif }`, "a-b-"},
		{"for expression", `${{for i, s in ["a", "b"] : s => i if s != "c"}}`, `{"a":"0","b":"1"}`},
		{"splat", `${[{id = aws_s3_bucket.b.id}][*].id}`, `["${aws_s3_bucket.b.id}"]`},
		{"cty stdlib", `${max(3, 7)}${title("ab")}${join("/", sort(["b", "a"]))}`, "7Aba/b"},
		{"null", "${null}", "null"},
		{"path", "${path.module}/f", "${pseudo:path.path.module}/f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tfjson.Read("main.tf.json", config(t, tc.x))
			if err != nil {
				t.Fatal(err)
			}
			got := d.Lookup("aws_s3_bucket.a").Props["x"].String()
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestReferencesAreIdentities(t *testing.T) {
	d, err := tfjson.Read("main.tf.json", config(t, "arn:${aws_s3_bucket.b.arn}"))
	if err != nil {
		t.Fatal(err)
	}
	s := d.Lookup("aws_s3_bucket.a").Props["x"].(inventory.Str)
	want := inventory.Str{{Lit: "arn:"}, {Ref: &inventory.Ref{Kind: inventory.ToResource, Addr: "aws_s3_bucket.b", Attr: "arn", Path: []string{}}}}
	if diff := cmp.Diff(want, s, cmp.Comparer(func(a, b []string) bool { return strings.Join(a, ".") == strings.Join(b, ".") })); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if r := d.Lookup(s[1].Ref.Addr); r == nil || r.Type != "aws_s3_bucket" {
		t.Errorf("reference does not resolve to the resource: %v", r)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		kind     error
		contains string
	}{
		{"truncated", `{"resource": {"aws_s3_bucket": {"a": {"bucket": "x"`, inventory.ErrSyntax, "main.tf.json:1:"},
		{"not JSON", `resource "x" {}`, inventory.ErrSyntax, "main.tf.json:1:1"},
		{"trailing data", `{} {}`, inventory.ErrSyntax, "after the top-level value"},
		{"top level", `[]`, inventory.ErrStructure, "want an object"},
		{"dangling", `{"resource": {"aws_s3_bucket": {"a": {"x": "${aws_s3_bucket.nope.id}"}}}}`, inventory.ErrDangling, "resource.aws_s3_bucket.a.x"},
		{"dangling data", `{"resource": {"aws_s3_bucket": {"a": {"x": "${data.aws_region.r.name}"}}}}`, inventory.ErrDangling, "data.aws_region.r"},
		{"dangling variable", `{"resource": {"aws_s3_bucket": {"a": {"x": "${var.nope}"}}}}`, inventory.ErrDangling, "var.nope"},
		{"dangling local", `{"resource": {"aws_s3_bucket": {"a": {"x": "${local.nope}"}}}}`, inventory.ErrDangling, "local.nope"},
		{"dangling depends_on", `{"resource": {"aws_s3_bucket": {"a": {"depends_on": ["aws_s3_bucket.nope"]}}}}`, inventory.ErrDangling, "depends_on[0]"},
		{"unknown function", `{"resource": {"aws_s3_bucket": {"a": {"x": "${nosuch(\"10.0.0.0/16\", 8, 1)}"}}}}`, inventory.ErrUnsupported, "function nosuch"},
		{"conditional", `{"resource": {"aws_s3_bucket": {"a": {"x": "${aws_s3_bucket.a.id ? 1 : 2}"}}}}`, inventory.ErrUnsupported, "conditionals"},
		{"directive", `{"resource": {"aws_s3_bucket": {"a": {"x": "%{ if aws_s3_bucket.a.id == \"\" }y%{ endif }"}}}}`, inventory.ErrUnsupported, "deploy time"},
		{"for", `{"resource": {"aws_s3_bucket": {"a": {"x": "${[for s in aws_s3_bucket.a.tags : s]}"}}}}`, inventory.ErrUnsupported, "for expressions"},
		{"splat", `{"resource": {"aws_s3_bucket": {"a": {"x": "${aws_s3_bucket.a[*].id}"}}}}`, inventory.ErrUnsupported, "splat"},
		{"unclosed", `{"resource": {"aws_s3_bucket": {"a": {"x": "${aws_s3_bucket.a.id"}}}}`, inventory.ErrSyntax, "unclosed"},
		{"count", `{"resource": {"aws_s3_bucket": {"a": {"count": 2}}}}`, inventory.ErrUnsupported, "count"},
		{"module", `{"module": {"m": {"source": "./m"}}}`, inventory.ErrUnsupported, "modules"},
		{"local cycle", `{"locals": {"a": "${local.a}"}, "resource": {"aws_s3_bucket": {"a": {"x": "${local.a}"}}}}`, inventory.ErrStructure, "refers to itself"},
		{"bad block", `{"resource": {"aws_s3_bucket": {"a": "x"}}}`, inventory.ErrStructure, "resource.aws_s3_bucket.a"},
		{"no output value", `{"output": {"o": {"description": "d"}}}`, inventory.ErrStructure, "output.o"},
		{"index out of range", `{"resource": {"aws_s3_bucket": {"a": {"x": "${[1][3]}"}}}}`, inventory.ErrDangling, "out of range"},
		{"deep nesting", `{"resource": {"aws_s3_bucket": {"a": {"x": "${` + strings.Repeat("(", 500) + `1` + strings.Repeat(")", 500) + `}"}}}}`, inventory.ErrUnsupported, "too deeply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tfjson.Read("main.tf.json", []byte(tc.input))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %v", err, tc.kind)
			}
			var e *inventory.Error
			if !errors.As(err, &e) {
				t.Errorf("error %T is not an *inventory.Error", err)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

func TestReadSynthFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "synth", "*", "cdk.tf.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := tfjson.Read(f, b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(d.Resources) < 30 || len(d.Outputs) < 6 {
			t.Errorf("%s: %d resources, %d outputs", f, len(d.Resources), len(d.Outputs))
		}
	}
}

// FuzzReadTerraform: any input is read or rejected with an *inventory.Error,
// never a panic; what is read holds no dangling reference.
// Seeds: testdata/fuzz/FuzzReadTerraform (small hand-written documents,
// valid and malformed); the synth fixtures are read by
// TestReadSynthFixtures.
func FuzzReadTerraform(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := tfjson.Read("fuzz.tf.json", data)
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

// TestPlanInstructions: import, removed, moved and check blocks (the
// release_data/adopt_data way back writes the first two) are read as
// notes, each named, never as resources and never silently.
func TestPlanInstructions(t *testing.T) {
	in := `{"resource": {"aws_s3_bucket": {"a": {"bucket": "x"}}},
		"import": [{"to": "aws_s3_bucket.a", "id": "x"}],
		"removed": [{"from": "aws_dynamodb_table.t", "lifecycle": {"destroy": false}}],
		"moved": [{"from": "aws_s3_bucket.old", "to": "aws_s3_bucket.a"}],
		"check": {"c": {"assert": [{"condition": "${true}", "error_message": "no"}]}}}`
	d, err := tfjson.Read("main.tf.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range d.Notes {
		got[n.Type] = strings.Contains(n.Reason, "describe no infrastructure")
	}
	for _, k := range []string{"import", "removed", "moved", "check"} {
		if !got[k] {
			t.Errorf("no note for the %s block: %+v", k, d.Notes)
		}
	}
	if len(d.Resources) != 1 {
		t.Errorf("%d resources, want the bucket only", len(d.Resources))
	}
}
