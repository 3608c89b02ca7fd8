// Package tfjson reads a Terraform JSON configuration (what `cdktf synth`
// writes to cdk.tf.json) into an inventory.Document.
//
// Strings are Terraform templates, parsed by hcl's hclsyntax and evaluated
// by diff/tfexpr, the expression model diff/tfhcl shares: references are
// resolved to the resource, data source or variable they name; locals are
// substituted. What cannot be evaluated statically (count/for_each here,
// modules, a condition on a deploy-time value) is an error of kind
// inventory.ErrUnsupported, never a guess. Every error carries the JSON
// path of the value at fault.
//
// It imports inventory and tfexpr: no cdktf, no Terraform, no AWS code.
package tfjson
