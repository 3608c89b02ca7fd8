package tfhcl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfhcl"
)

func read(t *testing.T, src string, opts tfhcl.Options) *inventory.Document {
	t.Helper()
	d, err := tfhcl.Read("m", []tfhcl.File{{Path: "main.tf", Data: []byte(src)}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReadModule(t *testing.T) {
	src := `
terraform {
  backend "s3" {
    bucket = "state"
  }
}
provider "aws" { region = "eu-west-1" }
variable "name" { default = "demo" }
variable "free" {}
variable "n" { default = 2 }
locals {
  prefix = "${var.name}-x"
  cidrs  = [for i in range(var.n) : cidrsubnet("10.0.0.0/16", 8, i)]
}
resource "aws_subnet" "s" {
  count      = var.n
  cidr_block = local.cidrs[count.index]
  vpc_id     = aws_vpc.v.id
}
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
  tags = { Name = local.prefix, Free = var.free }
}
resource "aws_security_group" "g" {
  for_each = toset(["a", "b"])
  name     = "${local.prefix}-${each.key}"
  dynamic "ingress" {
    for_each = [22, 80]
    content {
      from_port = ingress.value
      to_port   = ingress.value
    }
  }
}
output "ids" { value = aws_subnet.s[*].id }
`
	d := read(t, src, tfhcl.Options{Vars: map[string]string{"name": "lab"}})
	var addrs []string
	for _, r := range d.Resources {
		addrs = append(addrs, r.Addr)
	}
	want := []string{`aws_security_group.g["a"]`, `aws_security_group.g["b"]`, "aws_subnet.s[0]", "aws_subnet.s[1]", "aws_vpc.v", "var.free", "var.n", "var.name"}
	if diff := cmp.Diff(want, addrs); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	got := map[string]string{
		"cidr1":  d.Lookup("aws_subnet.s[1]").Props["cidr_block"].String(),
		"vpc":    d.Lookup("aws_subnet.s[1]").Props["vpc_id"].String(),
		"tags":   d.Lookup("aws_vpc.v").Props["tags"].String(),
		"sgname": d.Lookup(`aws_security_group.g["b"]`).Props["name"].String(),
		"rules":  d.Lookup(`aws_security_group.g["a"]`).Props["ingress"].String(),
		"out":    d.Outputs[0].Value.String(),
		"pos":    d.Lookup("aws_vpc.v").Pos,
	}
	wantVals := map[string]string{
		"cidr1":  "10.0.1.0/24",
		"vpc":    "${aws_vpc.v.id}",
		"tags":   `{"Free":"${var.free}","Name":"lab-x"}`,
		"sgname": "lab-x-b",
		"rules":  `[{"from_port":"22","to_port":"22"},{"from_port":"80","to_port":"80"}]`,
		"out":    `["${aws_subnet.s[0].id}","${aws_subnet.s[1].id}"]`,
		"pos":    "main.tf:20",
	}
	if diff := cmp.Diff(wantVals, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	var notes []string
	for _, n := range d.Notes {
		notes = append(notes, n.Addr+": "+n.Reason)
	}
	if len(notes) != 2 || !strings.Contains(notes[0], "backend s3") || !strings.Contains(notes[1], "provider.aws") && !strings.Contains(notes[0], "provider") {
		t.Errorf("notes: %q", notes)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		kind      error
		contains  string
	}{
		{"syntax", `resource "aws_vpc" "v" {`, inventory.ErrSyntax, "main.tf:1"},
		{"dangling", `resource "aws_vpc" "v" { x = aws_subnet.nope.id }`, inventory.ErrDangling, "aws_subnet.nope"},
		{"module", `module "m" { source = "./m" }`, inventory.ErrUnsupported, "module"},
		{"unknown count", `resource "aws_vpc" "v" { count = length(aws_vpc.w.tags) }
resource "aws_vpc" "w" {}`, inventory.ErrUnsupported, "count"},
		{"undeclared var value", `variable "a" {}`, inventory.ErrDangling, "does not declare"},
		{"local cycle", `locals { a = local.a }
resource "aws_vpc" "v" { x = local.a }`, inventory.ErrStructure, "refers to itself"},
		{"unknown function", `resource "aws_vpc" "v" { x = nosuch(1) }`, inventory.ErrUnsupported, "function nosuch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := tfhcl.Options{}
			if tc.name == "undeclared var value" {
				opts.Vars = map[string]string{"b": "x"}
			}
			_, err := tfhcl.Read("m", []tfhcl.File{{Path: "main.tf", Data: []byte(tc.src)}}, opts)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %v is not %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

// FuzzReadHCL: any module text is read or rejected with an
// *inventory.Error, never a panic; what is read holds no dangling
// reference. Seeds: testdata/fuzz/FuzzReadHCL.
func FuzzReadHCL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := tfhcl.Read("fuzz", []tfhcl.File{{Path: "main.tf", Data: data}}, tfhcl.Options{})
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
