// Package diff compares synthesized templates by meaning, not bytes.
//
// It reads a Terraform JSON configuration (cdktf synth) and a CloudFormation
// template (cdk synth), maps both onto the same logical entities (package
// entity), pairs the entities of the two sides — by their natural identity
// first (a bucket's name, a subnet's CIDR, a role's trust), then, for what
// is left, by the properties they share — and reports, property by
// property, what is equal, what differs (with both values), what exists on
// one side only, and which resources it does not understand. Those are
// listed, never dropped: a report with unsupported resources cannot claim
// equivalence.
//
// The readers live in diff/tfjson and diff/cfn, the neutral form in
// diff/inventory, the mapping in diff/entity. This package imports the
// standard library and those packages only: no cdk, cdktf or AWS code.
package diff
