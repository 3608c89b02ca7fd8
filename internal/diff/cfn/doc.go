// Package cfn reads a CloudFormation template — JSON (what `cdk synth`
// writes to cdk.out/<Stack>.template.json) or YAML with every short-form
// tag (goccy/go-yaml's parser; line numbers kept for the report) — into an
// inventory.Document.
//
// Intrinsic functions are evaluated statically: Ref and Fn::GetAtt become
// references to the resource or parameter they name (pseudo parameters to
// inventory pseudo values), Fn::Sub, Fn::Join, Fn::Select, Fn::Split,
// Fn::GetAZs, Fn::Base64, Fn::FindInMap, Fn::If and the condition functions
// are evaluated as far as the template decides them (parameters take their
// Default). Conditions are evaluated the same way: resources whose
// condition is false are left out, undecidable ones are marked. An unknown
// intrinsic, a dangling reference or a malformed template is an error that
// names the JSON path at fault; transforms and macros are unsupported.
//
// Fn::Cidr is evaluated too, and parameters of type String or Number with
// a value (Default or a --cfn-param) are substituted, as Terraform
// variables are.
//
// It imports the standard library, go-yaml and inventory only: no AWS
// CDK, no AWS SDK.
package cfn
