// Package diff compares Terraform and CloudFormation by meaning, not bytes.
//
// It reads Terraform — JSON (cdktf synth, or written by hand), a .tf file
// or a root module of .tf files — and a CloudFormation template in JSON
// (cdk synth) or YAML, maps both onto the same logical entities (package
// entity), pairs the entities of the two sides — by their natural identity
// first (a bucket's name, a subnet's CIDR, a role's trust), then, for what
// is left, by the properties they share — and reports, property by
// property, what is equal, what differs (with both values), what exists on
// one side only, and which resources it does not understand. Those are
// listed, never dropped: a report with unsupported resources cannot claim
// equivalence.
//
// Entities whose names differ are paired by identity, then by the
// properties they share (their place in the graph among them), then by
// --match pins; the verdict is Equivalent only when nothing differs and
// everything was compared.
//
// The readers live in diff/tfjson (Terraform JSON), diff/tfhcl (HCL
// modules) and diff/cfn (JSON and YAML templates); Terraform expressions
// of both syntaxes are evaluated by diff/tfexpr; the neutral form is
// diff/inventory, the mapping diff/entity. This package imports the
// standard library and those packages only: no cdk, cdktf or AWS code.
package diff
