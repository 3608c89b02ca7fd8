// Package tfhcl reads a hand-written Terraform root module (the `.tf`
// files of a directory, native HCL syntax) into an inventory.Document, the
// same neutral form diff/tfjson gives for Terraform JSON.
//
// It reads statically, as terraform-config-inspect does: no init, no
// providers, no state. Expressions are evaluated by diff/tfexpr, the one
// expression model of both Terraform readers: variables take the value
// given (Options.Vars, a variable file) or their default, locals are
// substituted, count and for_each expand into one resource per instance
// when their value is known, and dynamic blocks into their blocks.
// References to resources and data sources stay references. Blocks that
// configure the tool rather than describe infrastructure (terraform,
// provider, moved, import, check, removed) are recorded as notes with the
// reason they are not compared; a module call is unsupported.
//
// It imports hcl, inventory and tfexpr only: no Terraform, no AWS code.
package tfhcl
