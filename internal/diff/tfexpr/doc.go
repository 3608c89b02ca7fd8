// Package tfexpr evaluates Terraform native-syntax expressions statically.
//
// It is the one expression model of synth-diff's Terraform side: a `.tf`
// file's attribute expressions and the ${...} templates inside a `.tf.json`
// string (cdktf's output or a hand-written one) are both parsed by
// hashicorp/hcl's hclsyntax and evaluated here into inventory values.
// Evaluation is symbolic where Terraform's own would be unknown until apply:
// a reference to a resource attribute stays an inventory reference; what the
// scope knows (a variable's default, a local, count.index, each.value) is
// substituted; conditionals, operators, for expressions and splats are
// evaluated when their operands are known. Functions are the go-cty
// standard library under their Terraform names where it has them, plus the
// Terraform functions that need more (jsonencode of references, file,
// templatefile, cidrsubnet, base64encode, ...). What cannot be decided
// statically is an error of kind inventory.ErrUnsupported, never a guess.
//
// It imports hcl, go-cty and inventory only.
package tfexpr
