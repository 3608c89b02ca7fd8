// Package inventory is the tool-neutral form of one synthesized template:
// the resources, data sources, parameters and outputs of a Terraform JSON
// configuration or a CloudFormation template, with every property value
// evaluated as far as the document allows.
//
// A reference inside a value (`${aws_s3_bucket.b.arn}`, {"Fn::GetAtt":
// ["B", "Arn"]}) is resolved to the identity of the element it names — a
// Ref holding the element's address — never to a string: the readers check
// that the element exists, and what an attribute means is left to the
// package that maps resources to entities. Values known only after deploy
// (account, region, ids, ARNs) therefore stay symbolic.
//
// Invariants: a Document built by a reader holds no dangling reference; Refs
// of kind Resource point at an element of the same Document.
//
// This package imports the standard library only: no cdk, cdktf or AWS code.
package inventory
