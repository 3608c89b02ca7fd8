// Package localcloud brings the whole twinstack system up on one machine and
// takes it down again: moto_server as the local AWS, both deployments (AWS
// CDK -> CloudFormation and CDKTF -> Terraform) applied to it with the
// project's pinned CLIs under distinct prefixes, and, for each deployment,
// the compute the emulator cannot run as local processes: the servers
// (`twinstack serve`), a load-balancer stand-in (lbproxy) when there are
// several, the Lambda bootstrap under the Runtime Interface Emulator; plus a
// local image origin.
//
// Invariants: every process it starts is recorded (PID, process group,
// start time) in .twinstack/local.json before the next step runs, so `down`
// — or the next `up` after a crash — stops exactly those processes by PID
// and never anything found by name. Nothing it does bends the stacks to the
// emulator: what the emulator drops is reported by verify against the gap
// list, and patched through the API only when asked.
//
// It imports the model, config, state, proc, verify, emugaps and
// internal/moto; never the stacks' libraries (it runs the CLIs) and never
// cmd/.
package localcloud
