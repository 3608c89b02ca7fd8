package constructs

import (
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustNew(t *testing.T, modify func(*Config)) *System {
	t.Helper()
	c := Defaults()
	if modify != nil {
		modify(&c)
	}
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rules renders a group's rules as "dir proto from-to peer" lines.
func rules(s *System, id ID) []string {
	g := s.Group(id)
	if g == nil {
		return nil
	}
	var out []string
	for dir, rs := range map[string][]Rule{"in": g.Ingress, "out": g.Egress} {
		for _, r := range rs {
			peer := string(r.Peer) + r.CIDR
			out = append(out, strings.Join([]string{dir, r.Protocol, strconv.Itoa(r.FromPort) + "-" + strconv.Itoa(r.ToPort), peer}, " "))
		}
	}
	sort.Strings(out)
	return out
}

func TestNewSingleInstanceIsAGroupBehindTheBalancer(t *testing.T) {
	s := mustNew(t, func(c *Config) { c.InstanceCount = 1 })
	if g := s.Servers; g.Min != 1 || g.Desired != 1 || g.Max != 4 {
		t.Fatalf("group capacity = %d/%d/%d, want 1/1/4", g.Min, g.Desired, g.Max)
	}
	// One server is still a group behind the load balancer: the Lambda's
	// SERVER_URL must not be an instance address that a replacement changes.
	env := s.Function.Environment[0]
	if env.Name != "SERVER_URL" || env.Value.Ref == nil || env.Value.Ref.To != s.LoadBalancer.ID || env.Value.Ref.Attr != AttrDNSName {
		t.Errorf("SERVER_URL = %+v, want the load balancer's DNS name", env)
	}
	if diff := cmp.Diff([]string{"out tcp 80-80 LoadBalancerSecurityGroup"}, rules(s, "LambdaSecurityGroup")); diff != "" {
		t.Errorf("lambda group (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"in tcp 8080-8080 LoadBalancerSecurityGroup", "out -1 0-0 0.0.0.0/0"}, rules(s, "ServerSecurityGroup")); diff != "" {
		t.Errorf("server group (-want +got):\n%s", diff)
	}
}

func TestNewThreeInstances(t *testing.T) {
	s := mustNew(t, func(c *Config) { c.InstanceCount = 3; c.MaxInstances = 6; c.AdminCIDR = "203.0.113.0/24" })
	g := s.Servers
	if g.Desired != 3 || g.Max != 6 || g.TargetGroup != s.LoadBalancer.TargetGroup {
		t.Fatalf("group = %+v, want 3 desired of 6 in the load balancer's target group", g)
	}
	if !s.LoadBalancer.Internal || s.LoadBalancer.ListenerPort != 80 || s.LoadBalancer.TargetPort != 8080 || s.LoadBalancer.HealthPath != "/healthz" {
		t.Errorf("load balancer settings = %+v", s.LoadBalancer)
	}
	lt := g.Template
	if !lt.RequireIMDSv2 || !lt.RootVolume.Encrypted || lt.Architecture != "x86_64" || lt.AMIParameter != AMIParameter("x86_64") {
		t.Errorf("launch template = %+v", lt)
	}
	if diff := cmp.Diff(s.Network.SubnetIDs(), g.Subnets); diff != "" {
		t.Errorf("the group does not span both AZs (-want +got):\n%s", diff)
	}
	if g.HealthCheckType != "ELB" || g.HealthCheckGraceSec <= 0 {
		t.Errorf("health check = %s/%d, want ELB with a grace period", g.HealthCheckType, g.HealthCheckGraceSec)
	}
	if g.Rolling.MinInService != g.Desired || g.Rolling.MaxBatch != 1 || g.Rolling.MaxHealthyPercent <= 100 {
		t.Errorf("rolling update = %+v, want one at a time with every desired server in service", g.Rolling)
	}
	if g.Scaling.LoadBalancer != s.LoadBalancer.ID || g.Scaling.TargetGroup != s.LoadBalancer.TargetGroup || g.Scaling.Metric != "ALBRequestCountPerTarget" {
		t.Errorf("scaling = %+v", g.Scaling)
	}
	want := []string{
		"in tcp 22-22 203.0.113.0/24",
		"in tcp 8080-8080 LoadBalancerSecurityGroup",
		"out -1 0-0 0.0.0.0/0",
	}
	if diff := cmp.Diff(want, rules(s, "ServerSecurityGroup")); diff != "" {
		t.Errorf("server group (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"in tcp 80-80 LambdaSecurityGroup", "out tcp 8080-8080 ServerSecurityGroup"}, rules(s, "LoadBalancerSecurityGroup")); diff != "" {
		t.Errorf("alb group (-want +got):\n%s", diff)
	}
	if v := s.Function.Environment[0].Value; v.Ref.To != "LoadBalancer" || v.Prefix != "http://" {
		t.Errorf("SERVER_URL = %+v, want the load balancer", v)
	}
}

func TestNoOpenIngress(t *testing.T) {
	for n := 1; n <= 3; n++ {
		s := mustNew(t, func(c *Config) { c.InstanceCount = n })
		for _, g := range s.Groups {
			for _, r := range g.Ingress {
				if r.CIDR == "0.0.0.0/0" {
					t.Errorf("count %d: %s allows %+v from anywhere", n, g.ID, r)
				}
				if r.FromPort == 22 {
					t.Errorf("count %d: SSH open without an admin CIDR", n)
				}
			}
		}
	}
}

func TestRemoval(t *testing.T) {
	if s := mustNew(t, nil); s.Bucket.Removal != Retain || s.ImagesTable.Removal != Retain {
		t.Error("data is not retained by default")
	}
	if s := mustNew(t, func(c *Config) { c.DestroyData = true }); s.Bucket.Removal != Destroy || s.AlbumsTable.Removal != Destroy {
		t.Error("destroy_data does not opt into deletion")
	}
}

func TestGravitonServersUseArmAMI(t *testing.T) {
	s := mustNew(t, func(c *Config) { c.InstanceType = "t4g.micro" })
	if in := s.Servers.Template; in.Architecture != "arm64" || !strings.HasSuffix(in.AMIParameter, "arm64") {
		t.Errorf("instance = %+v", in)
	}
	if s.ServerBinary.Path != "build/server-linux-arm64" {
		t.Errorf("server binary = %s", s.ServerBinary.Path)
	}
}

func TestWalkOrderAndUniqueIDs(t *testing.T) {
	s := mustNew(t, func(c *Config) { c.InstanceCount = 3 })
	var ids []ID
	seen := map[ID]bool{}
	if err := s.Walk(func(n Node) error {
		if seen[n.NodeID()] {
			t.Errorf("duplicate id %s", n.NodeID())
		}
		seen[n.NodeID()] = true
		ids = append(ids, n.NodeID())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var again []ID
	_ = s.Walk(func(n Node) error { again = append(again, n.NodeID()); return nil })
	if diff := cmp.Diff(ids, again); diff != "" {
		t.Errorf("Walk order changed between calls:\n%s", diff)
	}
	pos := map[ID]int{}
	for i, id := range ids {
		pos[id] = i
	}
	for _, before := range []ID{"ImagesBucket", "Vpc", "ServerRole", "Server3"} {
		if pos[before] > pos["Function"] {
			t.Errorf("%s comes after Function", before)
		}
	}
}

func TestUserData(t *testing.T) {
	s := mustNew(t, nil)
	ud := s.UserData("b", "k", func(v Value) string {
		if v.Ref != nil {
			return "<" + string(v.Ref.To) + "." + string(v.Ref.Attr) + ">"
		}
		return v.Literal
	})
	bin := s.ServerService.BinaryPath
	for _, want := range []string{
		"retry aws s3 cp s3://b/k " + bin + ".new --region " + s.Region + "\n",
		"mv -f " + bin + ".new " + bin + "\n",
		"Environment=IMAGES_BUCKET=<ImagesBucket.name>",
		"Environment=ALBUMS_TABLE=<AlbumsTable.name>",
		"Environment=PORT=8080",
		"systemctl restart twinstack-server.service\n",
		"ExecStart=" + bin + " serve",
		"cat >" + RerunScript + " <<'BOOT'\n",
	} {
		if !strings.Contains(ud, want) {
			t.Errorf("user data lacks %q", want)
		}
	}
	// Order matters on a re-run: the new binary is in place before the
	// restart, and the download is the retried command.
	if strings.Index(ud, "mv -f") > strings.Index(ud, "systemctl restart") {
		t.Error("the binary is moved into place after the restart")
	}
	if strings.Contains(RetryFunction+rerunUserData, "${") {
		t.Error("fixed user-data text contains ${, which Terraform and Fn::Sub would interpolate")
	}
}

// TestUserDataShell runs the start-up script's shell through bash: the
// whole script and the per-boot script parse, and the retry function
// retries until success and gives up after its attempts.
func TestUserDataShell(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	s := mustNew(t, nil)
	ud := s.UserData("b", "k", func(v Value) string { return "x" })
	boot := ud[strings.Index(ud, "<<'BOOT'\n")+len("<<'BOOT'\n") : strings.Index(ud, "BOOT\nchmod")]
	for name, script := range map[string]string{"user data": ud, "per-boot script": boot} {
		if out, err := exec.Command(bash, "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n %s: %v\n%s", name, err, out)
		}
	}
	if !strings.Contains(boot, "latest/user-data") || !strings.HasPrefix(boot, "#!/bin/bash\n") {
		t.Errorf("per-boot script does not fetch the user data:\n%s", boot)
	}
	// sleep is stubbed: the function's waits are not the test's.
	run := func(body string) (string, error) {
		out, err := exec.Command(bash, "-c", "set -euo pipefail\nsleep() { echo \"sleep $1\"; }\n"+RetryFunction+"\n"+body).CombinedOutput()
		return string(out), err
	}
	out, err := run(`c=0; f() { c=$((c + 1)); [ "$c" -ge 3 ]; }; retry f; echo "calls $c"`)
	if err != nil || !strings.Contains(out, "sleep 5\nsleep 10\ncalls 3") {
		t.Errorf("retry of a command that succeeds on its third call: %v\n%s", err, out)
	}
	out, err = run(`c=0; f() { c=$((c + 1)); false; }; if retry f; then echo ok; else echo "gave up after $c"; fi`)
	if err != nil || !strings.Contains(out, "gave up after 7") || strings.Count(out, "sleep ") != 6 {
		t.Errorf("retry of a command that always fails: %v\n%s", err, out)
	}
}

// TestUserDataSignals runs the script's own prelude (its functions and its
// ERR trap) with aws and curl stubbed: a failing step abandons the launch
// of this very instance in the model's group and hook, and the script's
// last line reports the instance ready only after the readiness probe.
func TestUserDataSignals(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	s := mustNew(t, nil)
	ud := s.UserData("b", "k", func(v Value) string { return "x" })
	trap := "trap 'lifecycle ABANDON || true' ERR\n"
	i := strings.Index(ud, trap)
	if i < 0 {
		t.Fatalf("user data has no ERR trap that abandons the launch:\n%s", ud)
	}
	prelude := ud[:i+len(trap)]
	stubs := "aws() { echo \"aws $*\"; }\ncurl() { echo i-0abc; }\n"
	want := "aws autoscaling complete-lifecycle-action --region " + s.Region + " --auto-scaling-group-name " + s.Servers.Name +
		" --lifecycle-hook-name " + s.Servers.LaunchHook.Name + " --instance-id i-0abc --lifecycle-action-result "
	out, err := exec.Command(bash, "-c", stubs+prelude+"false\necho after").CombinedOutput()
	if err == nil || !strings.Contains(string(out), want+"ABANDON") || strings.Contains(string(out), "after") {
		t.Errorf("a failing step: %v\n%s\nwant the script to stop after %qABANDON", err, out, want)
	}
	lines := strings.Split(strings.TrimSpace(ud), "\n")
	last, probe := lines[len(lines)-1], lines[len(lines)-2]
	if !strings.HasPrefix(last, "lifecycle CONTINUE") || !strings.Contains(probe, ReadyPath) || !strings.HasPrefix(probe, "retry ") {
		t.Errorf("the script does not end by waiting for %s and reporting CONTINUE:\n%s\n%s", ReadyPath, probe, last)
	}
	out, err = exec.Command(bash, "-c", stubs+prelude+last).CombinedOutput()
	if err != nil || !strings.Contains(string(out), want+"CONTINUE") {
		t.Errorf("the last line: %v\n%s", err, out)
	}
}

func TestHardeningSettings(t *testing.T) {
	s := mustNew(t, func(c *Config) {
		c.NoncurrentVersionDays, c.LambdaReservedConcurrency, c.AllowedOriginPorts = 7, 33, "443"
	})
	wantRules := []LifecycleRule{
		{ID: "abort-incomplete-multipart-uploads", AbortIncompleteMultipartDays: 1},
		{ID: "expire-noncurrent-versions", NoncurrentExpirationDays: 7},
	}
	if diff := cmp.Diff(wantRules, s.Bucket.Lifecycle); diff != "" {
		t.Errorf("lifecycle (-want +got):\n%s", diff)
	}
	if in := s.Servers.Template; in.MetadataHopLimit != 1 {
		t.Errorf("%s hop limit = %d, want 1", in.ID, in.MetadataHopLimit)
	}
	if s.Function.ReservedConcurrency != 33 {
		t.Errorf("reserved concurrency = %d", s.Function.ReservedConcurrency)
	}
	env := map[string]string{}
	for _, e := range s.ServerService.Environment {
		env[e.Name] = e.Value.Literal
	}
	for k, want := range map[string]string{"ALLOWED_ORIGIN_PORTS": "443", "MAX_CONCURRENT_INGESTS": "8"} {
		if env[k] != want {
			t.Errorf("server %s = %q, want %q", k, env[k], want)
		}
	}
	if d := mustNew(t, nil); d.Function.ReservedConcurrency != 20 || d.Bucket.Lifecycle[1].NoncurrentExpirationDays != 30 {
		t.Errorf("defaults: reserved %d, noncurrent days %d", d.Function.ReservedConcurrency, d.Bucket.Lifecycle[1].NoncurrentExpirationDays)
	}
}

func TestArtifactStore(t *testing.T) {
	s := mustNew(t, nil)
	st, err := s.ArtifactStore()
	if err != nil {
		t.Fatal(err)
	}
	want := &ArtifactStore{
		Bucket: Bucket{
			ID: ArtifactStoreID, Name: s.Prefix + "-artifacts-" + AccountToken + "-" + s.Region,
			BlockPublicAccess: true, Encryption: "AES256", DenyInsecure: true, Removal: Destroy,
			Policy: []Statement{denyInsecureTransport(ArtifactStoreID)},
		},
		Artifacts: []ID{s.ServerBinary.ID},
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("store (-want +got):\n%s", diff)
	}
	if got := ArtifactRead(s.ServerBinary.ID).Sid; got != "ReadServerBinary" {
		t.Errorf("read sid = %q", got)
	}
	long := &System{Prefix: strings.Repeat("p", 30), Region: "ap-southeast-2"}
	if _, err := long.ArtifactStore(); err == nil {
		t.Error("a 30-character prefix: want a bucket name error")
	}
	if n := BucketNameLen("a-" + AccountToken); n != 14 {
		t.Errorf("BucketNameLen = %d, want 14", n)
	}
}

// TestRollingOneAtATime: for every desired count the model allows,
// Terraform's percentages mean what CloudFormation's MaxBatchSize 1 and
// MinInstancesInService = desired mean: Auto Scaling rounds the minimum up
// and the maximum down (instance refresh), so exactly one server more
// than desired runs during a refresh, and none fewer.
func TestRollingOneAtATime(t *testing.T) {
	for d := 1; d < InstanceLimit; d++ {
		s := mustNew(t, func(c *Config) { c.InstanceCount, c.MaxInstances = d, InstanceLimit })
		ru := s.Servers.Rolling
		lo := (ru.MinHealthyPercent*d + 99) / 100
		hi := ru.MaxHealthyPercent * d / 100
		if lo != ru.MinInService || lo != d || hi-d != ru.MaxBatch || ru.MaxBatch != 1 {
			t.Errorf("desired %d: %d%%..%d%% is %d..%d servers; CloudFormation: batch %d, %d in service", d, ru.MinHealthyPercent, ru.MaxHealthyPercent, lo, hi, ru.MaxBatch, ru.MinInService)
		}
		if ru.MaxHealthyPercent > 200 || ru.MaxHealthyPercent-ru.MinHealthyPercent > 100 {
			t.Errorf("desired %d: %d%%..%d%% is outside what Auto Scaling accepts", d, ru.MinHealthyPercent, ru.MaxHealthyPercent)
		}
	}
}
