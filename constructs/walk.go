package constructs

import (
	"fmt"
	"strconv"
	"strings"
)

// Node is one element of the model that a renderer turns into resources.
// It is one of *Bucket, *Table, *VPC, *Subnet, *InternetGateway,
// *SecurityGroup, *ArtifactStore, *Artifact, *Role, *LoadBalancer,
// *ServerGroup, *Function and *Output.
type Node interface{ NodeID() ID }

// InternetGateway is the VPC's gateway together with the VPC it attaches to;
// subnets' default routes point at it.
type InternetGateway struct {
	ID  ID
	VPC ID
}

func (n *Bucket) NodeID() ID          { return n.ID }
func (n *Table) NodeID() ID           { return n.ID }
func (n *VPC) NodeID() ID             { return n.ID }
func (n *Subnet) NodeID() ID          { return n.ID }
func (n *InternetGateway) NodeID() ID { return n.ID }
func (n *SecurityGroup) NodeID() ID   { return n.ID }
func (n *Artifact) NodeID() ID        { return n.ID }
func (n *Role) NodeID() ID            { return n.ID }
func (n *ServerGroup) NodeID() ID     { return n.ID }
func (n *LoadBalancer) NodeID() ID    { return n.ID }
func (n *Function) NodeID() ID        { return n.ID }
func (n *Output) NodeID() ID          { return ID(n.Name) }

// Walk calls fn for every node in a fixed order: storage, network, security
// groups, the artifact store, artifacts, roles, load balancer, server group, function, outputs. A
// node comes after every node it refers to (security groups, which refer to
// each other, are the exception: renderers declare groups before rules). Walk
// stops at the first error.
func (s *System) Walk(fn func(Node) error) error {
	nodes := []Node{&s.Bucket, &s.ImagesTable, &s.AlbumsTable, &s.Network.VPC,
		&InternetGateway{ID: s.Network.Gateway, VPC: s.Network.VPC.ID}}
	for i := range s.Network.Subnets {
		nodes = append(nodes, &s.Network.Subnets[i])
	}
	for i := range s.Groups {
		nodes = append(nodes, &s.Groups[i])
	}
	store, err := s.ArtifactStore()
	if err != nil {
		return err
	}
	nodes = append(nodes, store, &s.ServerBinary, &s.FunctionCode)
	for i := range s.Roles {
		nodes = append(nodes, &s.Roles[i])
	}
	nodes = append(nodes, &s.LoadBalancer, &s.Servers)
	nodes = append(nodes, &s.Function)
	for i := range s.Outputs {
		nodes = append(nodes, &s.Outputs[i])
	}
	for _, n := range nodes {
		if err := fn(n); err != nil {
			return fmt.Errorf("%s: %w", n.NodeID(), err)
		}
	}
	return nil
}

// Role returns the role with id, or nil.
func (s *System) Role(id ID) *Role {
	for i := range s.Roles {
		if s.Roles[i].ID == id {
			return &s.Roles[i]
		}
	}
	return nil
}

// Group returns the security group with id, or nil.
func (s *System) Group(id ID) *SecurityGroup {
	for i := range s.Groups {
		if s.Groups[i].ID == id {
			return &s.Groups[i]
		}
	}
	return nil
}

// UserData is the instance start-up script. bucket and key say, in the
// renderer's own terms, where the server binary is stored (CDK: its asset
// bucket; Terraform: the artifact store's object); the command that
// downloads it is FetchCommand's. value turns a model Value into a string
// (tokens included) of the renderer's toolchain. The script is the same
// text on both sides but for those.
//
// Three things make it survive day two on AWS:
//   - The download is retried (RetryFunction): on the first boot the
//     instance profile's credentials and, on Terraform, the security
//     group's egress rule (a resource of its own) can arrive seconds after
//     the instance starts; one failed `aws s3 cp` would leave a dead server.
//   - It runs on every boot, not only the first (RerunScript):
//     CloudFormation applies a change of user data (a new binary) by
//     stopping and starting the instance, and cloud-init runs user data
//     only on an instance's first boot, so the old binary would come back.
//   - It is safe to run again: the binary is staged and renamed over the
//     running one, and the service is restarted, not just enabled.
//
// And it signals: the group holds a launching instance until user data
// completes the launch hook (LifecycleHook) — CONTINUE once the server
// answers its readiness probe, ABANDON as soon as any step fails, so a
// failed install is replaced, never counted as a server.
func (s *System) UserData(bucket, key string, value func(Value) string) string {
	fetch := s.FetchCommand(bucket, key)
	var env strings.Builder
	for _, e := range s.ServerService.Environment {
		fmt.Fprintf(&env, "Environment=%s=%s\n", e.Name, value(e.Value))
	}
	svc := s.ServerService
	staged := StagedBinary(svc.BinaryPath)
	g := s.Servers
	lifecycle := "lifecycle() { aws autoscaling complete-lifecycle-action --region " + s.Region +
		" --auto-scaling-group-name " + g.Name + " --lifecycle-hook-name " + g.LaunchHook.Name +
		" --instance-id \"$(imds meta-data/instance-id)\" --lifecycle-action-result \"$1\"; }"
	return "#!/bin/bash\n" +
		"set -euo pipefail\n" +
		RetryFunction + "\n" +
		IMDSFunction + "\n" +
		lifecycle + "\n" +
		// A failed step abandons the launch at once (the group replaces
		// the instance) instead of waiting out the hook's timeout.
		"trap 'lifecycle ABANDON || true' ERR\n" +
		"cat >" + RerunScript + " <<'BOOT'\n" +
		rerunUserData +
		"BOOT\n" +
		"chmod 0755 " + RerunScript + "\n" +
		"install -d -m 0755 /opt/twinstack\n" +
		"retry " + fetch + "\n" +
		"chmod 0755 " + staged + "\n" +
		"mv -f " + staged + " " + svc.BinaryPath + "\n" +
		"id -u twinstack >/dev/null 2>&1 || useradd --system --no-create-home --shell /sbin/nologin twinstack\n" +
		"cat >/etc/systemd/system/" + svc.Name + ".service <<'UNIT'\n" +
		ServiceUnit(svc.BinaryPath) +
		"UNIT\n" +
		"install -d -m 0755 /etc/systemd/system/" + svc.Name + ".service.d\n" +
		"cat >/etc/systemd/system/" + svc.Name + ".service.d/env.conf <<'ENV'\n" +
		"[Service]\n" + env.String() +
		"ENV\n" +
		"systemctl daemon-reload\n" +
		"systemctl enable " + svc.Name + ".service\n" +
		"systemctl restart " + svc.Name + ".service\n" +
		"retry curl -sf -o /dev/null http://127.0.0.1:" + strconv.Itoa(ServerPort) + ReadyPath + "\n" +
		// On a later boot the instance is InService and there is no
		// launch action to complete: the call fails and is not an error.
		"lifecycle CONTINUE || echo 'no launch action pending (not the first boot)'\n"
}

// ReadyPath is the server's readiness probe, which user data waits for
// before it reports the instance ready.
const ReadyPath = "/readyz"

// IMDSFunction reads one metadata path through IMDSv2 (a session token per
// call).
const IMDSFunction = `imds() { curl -sf -H "X-aws-ec2-metadata-token: $(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)" "http://169.254.169.254/latest/$1"; }`

// RetryFunction is the shell function user data runs the download with: up
// to 7 attempts, 5, 10, … 30 s apart (105 s in all), then it fails the
// script. No `${` in it: both toolchains would read one as their own
// interpolation.
const RetryFunction = `retry() { local n=1; until "$@"; do if [ "$n" -ge 7 ]; then return 1; fi; sleep $((n * 5)); n=$((n + 1)); done; }`

// RerunScript is the cloud-init per-boot script that user data installs:
// on every later boot it fetches the instance's current user data from
// the metadata service (IMDSv2) and runs it.
const RerunScript = "/var/lib/cloud/scripts/per-boot/twinstack-user-data"

const rerunUserData = "#!/bin/bash\n" +
	"set -euo pipefail\n" +
	"t=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)\n" +
	"curl -sf -H \"X-aws-ec2-metadata-token: $t\" -o /run/twinstack-user-data http://169.254.169.254/latest/user-data\n" +
	"exec bash /run/twinstack-user-data\n"

// ServiceUnit is the systemd unit that runs the server (also shipped as
// deploy/twinstack-server.service). Settings come from a drop-in written by
// user data.
func ServiceUnit(binary string) string {
	return "[Unit]\n" +
		"Description=twinstack image server\n" +
		"After=network-online.target\n" +
		"Wants=network-online.target\n\n" +
		"[Service]\n" +
		"ExecStart=" + binary + " serve\n" +
		"User=twinstack\n" +
		"Restart=always\n" +
		"RestartSec=2\n" +
		"KillSignal=SIGTERM\n" +
		"TimeoutStopSec=30\n" +
		"NoNewPrivileges=true\n" +
		"ProtectSystem=strict\n" +
		"ProtectHome=true\n" +
		"PrivateTmp=true\n\n" +
		"[Install]\n" +
		"WantedBy=multi-user.target\n"
}
