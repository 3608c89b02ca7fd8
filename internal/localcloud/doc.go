// Package localcloud brings the whole twinstack system up on one machine and
// takes it down again: moto_server as the local AWS, both deployments (AWS
// CDK -> CloudFormation and CDKTF -> Terraform) applied to it with the
// project's pinned CLIs under distinct prefixes, and, for each deployment,
// the compute the emulator cannot run as local processes: the server
// group's stand-in (`twinstack local group`, package servergroup: one
// `twinstack serve` per instance the group holds in the emulator, the ELB
// health check that has a dead server's instance replaced, and the load
// balancer), the Lambda bootstrap under the Runtime Interface Emulator;
// plus a local image origin.
//
// Invariants: every process it starts is recorded (PID, process group,
// start time) in .twinstack/local.json before the next step runs, so `down`
// — or the next `up` after a crash — stops exactly those processes by PID
// and never anything found by name. The servers are started by the group's
// stand-in, which lists them in .twinstack/group-<deployment>.json and
// takes them down with it (they share its process group and get SIGTERM
// when it dies); `down` stops by PID any it left. Nothing it does bends
// the stacks to the emulator: what the emulator drops is reported by
// verify against the gap
// list, and patched through the API only when asked. Each deployment is
// verified before any emulator workaround changes it; a workaround that
// changes deployed resources is a labelled step, recorded (so that verify
// can tell it from drift) and reported by `down`. Every workaround is in
// workarounds.go, with an id and the id of the emulator-gaps.json entry it
// is for, both in its label; what the server group's stand-in does in the
// emulator's place at run time (replacing an instance whose server died,
// deregistering a terminated instance moto leaves registered) it reports
// as emulator observations (`local status`, `local down`).
//
// What differs between the toolchains is in their hooks (Toolchain's
// Prepare, BeforeDeploy, Recover, UseRemoteState), never in a type switch:
// the AWS CDK bootstraps itself, Terraform runs its workarounds around the
// deploy and may keep its state in S3.
//
// What `local up --instances 2` starts (per deployment, ts-tf and ts-cfn):
//
//	twinstack invoke --via lambda          twinstack invoke --via server, bench
//	        |                                       |
//	        v                                       |
//	lbproxy (Lambda pool: one invocation            |
//	        per emulator at a time, others queue)   |
//	        |                                       |
//	        v                                       v
//	aws-lambda-rie + bootstrap (x2) --SERVER_URL--> twinstack local group: the ALB stand-in
//	                                                (fixed port; /lb/targets lists the servers)
//	                                                |  round robin over servers whose /readyz
//	                                                |  answered; /healthz checks; a dead one is
//	                                                |  replaced through the Auto Scaling API
//	                                   +------------+------------+
//	                                   v                         v
//	                    twinstack serve (i-…a)      twinstack serve (i-…b)   one per InService
//	                                   |  AWS_ENDPOINT_URL       |          instance of the group
//	                                   +------------+------------+
//	                                                v
//	                   moto_server: both stacks, deployed by cdktf / cdk
//	                   (bucket, tables, VPC, groups, roles, launch template,
//	                   Auto Scaling group and its instances, ALB, Lambda)
//
//	origin (sample PNG/JPEG/GIF/WebP) <-- image downloads by the servers
//
// The Terraform deployment keeps its state in S3 on the emulator
// (tf_state=s3, bucket StateBucket), as a team would: `up` bootstraps the
// state bucket with package statebucket, measures what the emulator does
// with its TLS-only policy and with the lock file's conditional write
// (gaps are recorded on the deployment, never hidden), and reads the state
// object back after the deploy (tfstate.go).
//
// It imports the model, config, state, proc, verify, emugaps, statebucket,
// servergroup and internal/moto; never the stacks' libraries (it runs the
// CLIs) and never cmd/.
package localcloud
