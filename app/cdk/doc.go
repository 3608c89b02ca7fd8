// Command cdk is the AWS CDK app of twinstack: cdk.json runs it, so
// `npx cdk synth` writes cdk.out/<stack>.template.json.
//
// It only wires things together: the configuration (internal/config, the
// same settings the Terraform app reads), the model (constructs) and the
// CloudFormation renderer (stacks/cdk). It needs no AWS credentials and no
// network. Nothing imports it.
//
// The artifacts it ships (build/lambda.zip, build/server-linux-<arch>) are
// read relative to the working directory, the project root where cdk.json
// lives: run `make build` first.
//
// cdk.json carries the feature flags a fresh `cdk init` sets, except two
// that would change what the model describes, pinned to false:
// @aws-cdk/aws-lambda:useCdkManagedLogGroup (adds a log group per
// function) and @aws-cdk/aws-iam:minimizePolicies (reorders and merges the
// model's IAM statements). Path and asset metadata are off so that the CLI
// writes the same template as an in-process synth.
package main
