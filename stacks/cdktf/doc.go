// Package cdktf renders the twinstack model (package constructs) as a CDK for
// Terraform stack for the hashicorp/aws provider 5.x, so that `cdktf synth`
// writes a Terraform JSON configuration describing the same system as the
// CloudFormation twin (package stacks/cdk).
//
// There are no prebuilt provider bindings: every resource is a plain
// cdktf.TerraformResource / TerraformDataSource whose body is one of this
// package's typed Go structs, applied with AddOverride one top-level key at a
// time in sorted order (cdktf records overrides in call order, so ranging
// over a map would make the output differ between runs). References are
// written as Terraform interpolations ("${aws_s3_bucket.ImagesBucket.arn}"),
// never as cdktf tokens. The whole dependency on cdktf is this one package:
// moving to another CDKTF distribution is a change of import path.
//
// Translation rules:
//   - One visit per model node (constructs.System.Walk); names, rules, IAM
//     statements and outputs come from the model, never from here.
//   - The main resource of a node is named after the node ID
//     (aws_s3_bucket.ImagesBucket); helper resources of the same node share
//     that name under their own type (aws_s3_bucket_versioning.ImagesBucket).
//   - The account id in bucket names and in literal IAM statement resources
//     (the launch hook's group ARN) is data.aws_caller_identity.current and
//     the partition in managed-policy ARNs is data.aws_partition.current.
//   - The servers are an aws_autoscaling_group (the model's ServerGroup)
//     launching from an aws_launch_template (its own model id), with the
//     launch hook as initial_lifecycle_hook (it must exist before the first
//     instance launches), instance_refresh for the rolling update and an
//     aws_autoscaling_policy named after the group. The group registers its
//     instances with the target group (no per-instance attachments).
//   - Removal "retain" (the default) means Terraform must not delete data:
//     buckets get force_destroy = false (a non-empty bucket makes
//     `cdktf destroy` fail on it and it stays) and tables get
//     deletion_protection_enabled = true (destroy fails on them until the
//     user turns it off or opts into "destroy"). Removal "destroy" sets
//     force_destroy = true and deletion protection off, so destroy empties
//     and deletes. prevent_destroy is not used: it would block destroying
//     the rest of the stack too.
//   - The handover (constructs.Handover) concerns every resource of each
//     node in System.Retained: the main resource and those named after it
//     (the bucket's versioning, lifecycle, public-access block, encryption
//     and policy). Release leaves them out and writes a top-level `removed`
//     block (lifecycle destroy = false) for each, so that the deploy
//     forgets them without deleting; references to a released node read
//     data.aws_s3_bucket / data.aws_dynamodb_table of the same name (their
//     attributes have the resource's names). Adopt writes a top-level
//     `import` block for each, whose id is the node's name (the account
//     token rendered as for bucket names): the AWS provider imports a
//     bucket and each bucket-level resource by the bucket's name, a table
//     by its name.
//   - The model's artifact store (constructs.ArtifactStore: name, privacy,
//     encryption, TLS-only policy) is rendered as a bucket of this stack
//     like any model bucket; each artifact it holds (the server binary) is
//     an aws_s3_object keyed by content hash. The Lambda zip is uploaded by
//     aws_lambda_function itself from a cdktf TerraformAsset.
//   - The local backend's path is relative ("../../../terraform.<stack>.tfstate",
//     i.e. the project root when the output dir is the default cdktf.out),
//     because cdktf's default is an absolute path that differs per checkout.
//   - With tf_state=s3 the backend is the model's constructs.TerraformState:
//     bucket, key, region, encrypt and use_lockfile (added as an override:
//     cdktf 0.21's S3BackendConfig predates it). With the local switch the
//     backend gets the endpoint, path-style addressing and the emulator's
//     credentials, as the provider does.
//
// Output is deterministic: two synths of the same config and artifacts are
// byte-identical.
//
// This package imports constructs, internal/config and cdktf only: never
// stacks/cdk, awscdk or the AWS SDK.
package cdktf
