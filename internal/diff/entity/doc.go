// Package entity maps the resources of an inventory.Document onto logical
// entities — the image bucket, a table, a subnet, a security group with all
// its rules, a role with its effective permissions, an instance, a launch
// template, an Auto Scaling group with its rolling update, a scaling policy,
// the load balancer, the function, an output — described by properties with the
// same names and the same canonical values whichever vocabulary the
// document was written in. It is the normaliser of synth-diff: FromTerraform
// folds aws_s3_bucket + aws_s3_bucket_versioning + ... into one bucket,
// FromCloudFormation folds AWS::S3::Bucket + AWS::S3::BucketPolicy into the
// same shape.
//
// Properties are effective values: a setting a side leaves out takes the
// default that side's tool or AWS applies (S3 encrypts with SSE-S3, a
// CloudFormation security group without egress rules allows all outbound,
// Terraform removes that default rule, a Terraform target group health check
// defaults to thresholds 3/3 where the ELB API defaults to 5/2). References
// between entities are identities (@subnet[10.20.0.0/24].id), never
// deploy-time strings; values that exist only after deploy (ids, ARNs,
// asset hashes, the artifact storage: CDK's bootstrap bucket or Terraform's
// artifacts bucket) compare by role.
//
// Every resource of a document is accounted for: folded into an entity,
// ignored with a stated reason, or listed as unsupported. Nothing is
// dropped silently.
//
// It imports the standard library and inventory only.
package entity
