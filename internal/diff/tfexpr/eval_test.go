package tfexpr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfexpr"
)

func eval(t *testing.T, src string, s tfexpr.Scope) (inventory.Value, error) {
	t.Helper()
	e, diags := hclsyntax.ParseExpression([]byte(src), "x.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parse %q: %v", src, diags)
	}
	return tfexpr.Eval(e, s)
}

// scope knows var.n = 3 and resources as references; files come from a map.
func scope() tfexpr.Scope {
	files := map[string]string{"t.tpl": "%{ for p in ports }${name}:${p} %{ endfor }", "f.txt": "hello\n"}
	return tfexpr.Scope{
		Path: "test",
		Traverse: func(root string, steps []string) (inventory.Value, error) {
			if root == "var" && len(steps) == 1 && steps[0] == "n" {
				return inventory.Lit("3"), nil
			}
			r := &inventory.Ref{Kind: inventory.ToResource, Addr: root + "." + steps[0]}
			if len(steps) > 1 {
				r.Attr = steps[1]
			}
			return inventory.RefStr(r), nil
		},
		ReadFile: func(name string) ([]byte, error) {
			if f, ok := files[name]; ok {
				return []byte(f), nil
			}
			return nil, fmt.Errorf("open %s: no such file", name)
		},
	}
}

func TestEval(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`var.n * 2 + 1`, "7"},
		{`var.n > 2 && !false`, "true"},
		{`var.n == 3 ? "three" : aws_x.y.id`, "three"},
		{`[for i in range(var.n) : cidrsubnet("10.0.0.0/16", 8, i)]`, `["10.0.0.0/24","10.0.1.0/24","10.0.2.0/24"]`},
		{`cidrsubnet("fd00::/48", 16, 3)`, "fd00:0:0:3::/64"},
		{`cidrhost("10.0.1.0/24", 10)`, "10.0.1.10"},
		{`{for k, v in {a = 1, b = 2} : v => k}`, `{"1":"a","2":"b"}`},
		{`[aws_x.a, aws_x.b][*].id`, `["${aws_x.a.id}","${aws_x.b.id}"]`},
		{`templatefile("t.tpl", {name = "web", ports = [80, 443]})`, "web:80 web:443 "},
		{`file("f.txt")`, "hello\n"},
		{`jsonencode({arn = aws_x.y.arn, n = var.n})`, `{"arn":"${aws_x.y.arn}","n":"3"}`},
		{`"${upper("a")}-${aws_x.y.id}"`, "A-${aws_x.y.id}"},
		{`coalesce("", "b")`, "b"},
		{`format("%s-%d", "a", var.n)`, "a-3"},
		{`merge({a = 1}, null, {b = 2})`, `{"a":"1","b":"2"}`},
		{`one([aws_x.y.id])`, "${aws_x.y.id}"},
		{`base64encode("x")`, "x"},
		{`replace("a-b-c", "/-/", "_")`, "a_b_c"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			v, err := eval(t, tc.src, scope())
			if err != nil {
				t.Fatal(err)
			}
			got := v.String()
			if s, ok := v.(inventory.Str); ok {
				got = s.String()
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	for _, tc := range []struct {
		src      string
		kind     error
		contains string
	}{
		{`aws_x.y.id == "a" ? 1 : 2`, inventory.ErrUnsupported, "deploy time"},
		{`aws_x.y.n + 1`, inventory.ErrUnsupported, "deploy time"},
		{`[for s in aws_x.y.tags : s]`, inventory.ErrUnsupported, "for expressions"},
		{`file(aws_x.y.path)`, nil, ""}, // stays symbolic: a file on the deployer's machine
		{`templatefile("missing.tpl", {})`, inventory.ErrDangling, "missing.tpl"},
		{`cidrsubnet("10.0.0.0/24", 4, 99)`, inventory.ErrStructure, "does not fit"},
		{`nosuch(1)`, inventory.ErrUnsupported, "function nosuch"},
		{`try(aws_x.y.id, "x")`, inventory.ErrUnsupported, "try"},
		{`1 / 0`, inventory.ErrStructure, "division by zero"},
		{`[1][5]`, inventory.ErrDangling, "out of range"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			_, err := eval(t, tc.src, scope())
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %v is not %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}
