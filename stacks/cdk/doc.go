// Package cdk renders the tool-neutral twinstack model (package constructs)
// as an AWS CDK stack, which synthesizes to a CloudFormation template.
//
// It is a translator, not a designer: New visits the model with
// constructs.System.Walk and turns each node into CloudFormation resources.
// Names, security-group rules, IAM statements, environment variables and
// outputs come from the model verbatim; this package only chooses how to
// express them in CloudFormation (which L2 or L1 construct, which token).
// Every node keeps its model ID as its logical ID, so the template can be
// compared with the Terraform twin (stacks/cdktf) node by node. One model
// name has no place in CloudFormation: the scaling policy's (PolicyName is
// read-only in AWS::AutoScaling::ScalingPolicy; CloudFormation names the
// policy after the stack and the logical ID ServerGroupScalingPolicy).
//
// The stack is environment-agnostic except for the region from the
// configuration: no account, no context lookups, no network and no
// credentials at synth time. Synthesis is deterministic.
//
// Imports: constructs (the model), internal/config, aws-cdk-go and
// constructs-go (as cdkconstructs). It must never import stacks/cdktf.
package cdk
