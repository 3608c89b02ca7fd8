// Package verify is the post-deploy conformance check: it reads a deployed
// system back through the AWS API (SDK for Go v2) and compares it with the
// model built from the same configuration (constructs.New), one check per
// setting the design cares about: bucket versioning, public-access block,
// encryption and policy; table keys, index, billing and PITR; VPC, subnets
// and routes; every security-group rule and group membership; instance type,
// AMI, IMDSv2, root encryption and profile; IAM trust and policies; the load
// balancer, listener, target group, health check and targets; the Lambda's
// runtime, architecture, memory, timeout, environment, VPC configuration and
// function URL.
//
// It works the same against a real account and against the local emulator.
// Only against an emulator does the gap list (internal/emugaps) apply: a
// failing check listed there is reported as an emulator gap, optionally
// patched through the API and re-checked; a listed check that passes is
// reported as a stale entry.
//
// It imports constructs, emugaps and the AWS SDK; never the stacks, the
// toolchains' libraries or the local cloud.
package verify
