// Package tfjson reads a Terraform JSON configuration (what `cdktf synth`
// writes to cdk.tf.json) into an inventory.Document.
//
// Strings are Terraform templates: every ${...} interpolation is parsed as a
// native-syntax expression (traversals, literals, tuples, objects and the
// functions cdktf emits: jsonencode, join, element, tolist, base64encode,
// file hashes, ...) and references are resolved to the resource, data source
// or variable they name; locals are substituted. What it cannot evaluate
// statically (operators, for expressions, count/for_each, modules, template
// directives) is an error of kind inventory.ErrUnsupported, never a guess.
// Every error carries the JSON path of the value at fault.
//
// It imports the standard library and inventory only: no cdktf, no
// Terraform, no AWS code.
package tfjson
