// Package constructs is the one tool-neutral description of the twinstack
// system: an S3 image bucket, two DynamoDB tables, a VPC with security groups,
// IAM roles, EC2 instances running the server (behind an internal load
// balancer when there are several) and a Go Lambda.
//
// Both renderers (stacks/cdktf and stacks/cdk) translate this model node by
// node; they never derive names, rules or policies of their own. Everything
// that must come out the same on both sides — names, security-group rules,
// IAM statements, environment variables — is decided here, once.
//
// Invariants: a System built by New has passed Validate; node IDs are unique
// and stable (they become logical IDs); Walk visits nodes in a fixed order so
// that synthesized output is byte-for-byte deterministic.
//
// This package uses the standard library only: never cdktf, awscdk or the AWS
// SDK. (Mind the name clash with github.com/aws/constructs-go/constructs/v10:
// import that one as cdkconstructs where both are needed.)
package constructs
