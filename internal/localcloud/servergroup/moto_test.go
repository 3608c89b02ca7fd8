package servergroup

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/moto"
)

// The test binary doubles as the server process of TestMotoGroup: with
// SERVERGROUP_HELPER=serve it answers on HOST:PORT with its INSTANCE_ID
// (the one thing of `twinstack serve` the stand-in relies on, besides
// /readyz and /healthz).
func TestMain(m *testing.M) {
	if os.Getenv("SERVERGROUP_HELPER") == "serve" {
		id := os.Getenv("INSTANCE_ID")
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Instance-Id", id)
			io.WriteString(w, id)
		})
		fmt.Println(http.ListenAndServe(os.Getenv("HOST")+":"+os.Getenv("PORT"), nil))
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestMotoGroup runs the stand-in against a group in a real moto_server,
// made with the SDK as the stacks make it (launch template with IMDSv2
// required and an instance profile, target group, two subnets, desired 2
// of max 4), with real server processes: a server killed with SIGKILL
// during steady load is replaced by a new instance's server (the load
// losing no more than was in flight on it), the terminated instance
// leaves the target group, and a desired capacity of 3 gets a third
// server that serves. After the replacement and the scale-out every
// instance of the group has its launch template's metadata options and
// instance profile, as read back from EC2.
func TestMotoGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server; skipped with -short")
	}
	m := moto.StartT(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg := moto.AWSConfig(m.Endpoint())
	elbc, asc, ec2c := elb.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
	const name = "sg-test-servers"
	tgARN, profileARN := createGroup(ctx, t, cfg, name, 2)

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// What moto made of the template, before the stand-in runs.
	for _, x := range describeInstances(ctx, t, ec2c, groupInstanceIDs(ctx, t, asc, name)) {
		t.Logf("moto launched %s with HttpTokens %s, instance profile %v (the template says %s, %s)", aws.ToString(x.InstanceId),
			x.MetadataOptions.HttpTokens, x.IamInstanceProfile != nil, templateTokens, profileARN)
	}
	group := &AWSGroup{Name: name, AS: asc, ELB: elbc, EC2: ec2c}
	s, err := New(Config{Group: group, Name: name,
		Launcher: &ProcLauncher{Path: exe, Env: []string{"SERVERGROUP_HELPER=serve"}, Name: "server", LogDir: t.TempDir()},
		Poll:     250 * time.Millisecond, HealthInterval: 250 * time.Millisecond, HealthTimeout: 250 * time.Millisecond,
		ReadyTimeout: 10 * time.Second, StopGrace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { s.Run(runCtx); close(ran) }()
	front := httptest.NewServer(s.Handler())
	defer front.Close()
	var pids []int
	defer func() {
		stop()
		<-ran
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil {
				t.Errorf("server pid %d still runs after the stand-in stopped", pid)
			}
		}
	}()

	groupIDs := func() []string {
		t.Helper()
		o, err := asc.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
		if err != nil || len(o.AutoScalingGroups) != 1 {
			t.Fatalf("describe group: %v", err)
		}
		var ids []string
		for _, in := range o.AutoScalingGroups[0].Instances {
			if in.LifecycleState == astypes.LifecycleStateInService {
				ids = append(ids, aws.ToString(in.InstanceId))
			}
		}
		slices.Sort(ids)
		return ids
	}
	registered := func() []string {
		t.Helper()
		h, err := elbc.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range h.TargetHealthDescriptions {
			ids = append(ids, aws.ToString(d.Target.Id))
		}
		slices.Sort(ids)
		return ids
	}
	serving := func() []string {
		var ids []string
		for _, x := range s.Status().InService() {
			ids = append(ids, x.InstanceID)
		}
		slices.Sort(ids)
		return ids
	}
	waitUntil := func(what string, d time.Duration, cond func() bool) time.Duration {
		t.Helper()
		t0 := time.Now()
		for !cond() {
			if time.Since(t0) > d {
				t.Fatalf("timed out after %v waiting for %s; status %+v", d, what, s.Status())
			}
			time.Sleep(50 * time.Millisecond)
		}
		return time.Since(t0)
	}

	// 1. One server per instance of the group, each serving.
	waitUntil("two servers in service", 15*time.Second, func() bool { return len(serving()) == 2 })
	first := groupIDs()
	if d := cmp.Diff(first, serving()); d != "" {
		t.Fatalf("servers vs the group's instances (-group +servers):\n%s", d)
	}
	for _, x := range s.Status().Targets {
		pids = append(pids, x.PID)
	}

	// 2. Steady load (20 req/s) while one server is killed.
	var mu sync.Mutex
	var sent, failed int
	loadCtx, stopLoad := context.WithCancel(ctx)
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-loadCtx.Done():
				return
			case <-tick.C:
			}
			resp, err := http.Get(front.URL + "/albums")
			ok := err == nil && resp.StatusCode == http.StatusOK
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			sent++
			if !ok {
				failed++
			}
			mu.Unlock()
		}
	}()
	time.Sleep(500 * time.Millisecond)
	victim := s.Status().Targets[0]
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	took := waitUntil("a replacement in service", 20*time.Second, func() bool {
		ids := serving()
		return len(ids) == 2 && !slices.Contains(ids, victim.InstanceID)
	})
	time.Sleep(500 * time.Millisecond)
	stopLoad()
	<-loadDone
	st := s.Status()
	var lost int64 = -1
	for _, g := range st.Gone {
		if g.InstanceID == victim.InstanceID {
			lost = g.Lost
		}
	}
	t.Logf("killed %s (pid %d): replaced in %v; load: %d sent, %d failed, %d lost in flight on it", victim.InstanceID, victim.PID, took.Round(time.Millisecond), sent, failed, lost)
	if lost < 0 {
		t.Fatalf("the killed server is not among the gone: %+v", st.Gone)
	}
	if int64(failed) > lost {
		t.Errorf("%d requests failed, more than the %d in flight on the killed server", failed, lost)
	}
	after := groupIDs()
	if slices.Contains(after, victim.InstanceID) || len(after) != 2 {
		t.Errorf("group after the kill: %v (killed %s)", after, victim.InstanceID)
	}
	if d := cmp.Diff(after, serving()); d != "" {
		t.Errorf("servers vs the group's instances after the kill (-group +servers):\n%s", d)
	}
	waitUntil("the target group to hold the group's instances only", 5*time.Second, func() bool { return slices.Equal(registered(), groupIDs()) })
	for _, o := range s.Status().Observations {
		t.Logf("emulator observation %s (×%d): %s", o.ID, o.Count, o.Detail)
	}

	// 3. Desired capacity 3: a third server, serving through the balancer.
	if _, err := asc.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(name), DesiredCapacity: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	took = waitUntil("three servers in service", 15*time.Second, func() bool { return len(serving()) == 3 })
	third := slices.DeleteFunc(serving(), func(id string) bool { return slices.Contains(after, id) })
	if len(third) != 1 {
		t.Fatalf("new servers %v, want one", third)
	}
	seen := map[string]bool{}
	for range 6 {
		resp, err := http.Get(front.URL + "/albums")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		seen[resp.Header.Get("X-Instance-Id")] = true
	}
	if !seen[third[0]] {
		t.Errorf("the third instance %s did not answer through the balancer: %v", third[0], seen)
	}
	t.Logf("desired 3: %s in service %v after the change", third[0], took.Round(time.Millisecond))
	for _, x := range s.Status().Targets {
		pids = append(pids, x.PID)
	}

	// Every instance of the group, the replacement and the third
	// included, as its launch template says: read back from EC2.
	var bad []string
	took = waitUntil("every instance as its launch template says", 10*time.Second, func() bool {
		bad = notFromTemplate(ctx, t, ec2c, groupIDs(), profileARN)
		return len(bad) == 0
	})
	if ids := groupIDs(); len(ids) != 3 || !slices.Contains(ids, third[0]) || !slices.Contains(ids, replacedBy(after, first)) {
		t.Errorf("checked instances %v", ids)
	}
	t.Logf("every instance of the group as its template says %v after the third was in service", took.Round(time.Millisecond))
	o := observationOf(s.Status(), ObsNotFromTemplate)
	t.Logf("emulator observation %s (×%d): %s", o.ID, o.Count, o.Detail)
	if o.Count < 2 {
		t.Errorf("the replacement and the third instance are not both reported (×%d)", o.Count)
	}

	// 4. Desired capacity 1: the servers of the instances that left are
	// stopped (not replaced), the target group holds the one left.
	three := serving()
	if _, err := asc.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(name), DesiredCapacity: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	waitUntil("one server in service", 15*time.Second, func() bool { return len(serving()) == 1 && len(s.Status().Targets) == 1 })
	left := serving()[0]
	for _, g := range s.Status().Gone {
		if slices.Contains(three, g.InstanceID) && g.InstanceID != left && g.State != StateStopped {
			t.Errorf("%s after scale in: %s (%s), want stopped", g.InstanceID, g.State, g.Reason)
		}
	}
	for _, x := range s.Status().Targets {
		if x.InstanceID != left {
			t.Errorf("%s still has a server", x.InstanceID)
		}
	}
	waitUntil("the target group to hold the one instance left", 5*time.Second, func() bool { return slices.Equal(registered(), []string{left}) })
	for _, o := range s.Status().Observations {
		t.Logf("after scale in: emulator observation %s (×%d)", o.ID, o.Count)
	}
}

// templateTokens and templateHops are the launch template's metadata
// options in TestMotoGroup.
const (
	templateTokens = ec2types.LaunchTemplateHttpTokensStateRequired
	templateHops   = 1
)

// groupInstanceIDs lists the group's instances as Auto Scaling does.
func groupInstanceIDs(ctx context.Context, t *testing.T, asc *autoscaling.Client, name string) []string {
	t.Helper()
	o, err := asc.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(o.AutoScalingGroups) != 1 {
		t.Fatalf("describe group: %v", err)
	}
	var ids []string
	for _, in := range o.AutoScalingGroups[0].Instances {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	return ids
}

func describeInstances(ctx context.Context, t *testing.T, ec2c *ec2.Client, ids []string) []ec2types.Instance {
	t.Helper()
	o, err := ec2c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
	if err != nil {
		t.Fatalf("describe instances %v: %v", ids, err)
	}
	var out []ec2types.Instance
	for _, r := range o.Reservations {
		out = append(out, r.Instances...)
	}
	return out
}

// notFromTemplate lists, for each of ids, what EC2 reports that differs
// from TestMotoGroup's launch template: HttpTokens, the hop limit, the
// instance profile, and the profile association.
func notFromTemplate(ctx context.Context, t *testing.T, ec2c *ec2.Client, ids []string, profileARN string) []string {
	t.Helper()
	var bad []string
	xs := describeInstances(ctx, t, ec2c, ids)
	if len(xs) != len(ids) {
		t.Fatalf("DescribeInstances %v: %d instances", ids, len(xs))
	}
	for _, x := range xs {
		id := aws.ToString(x.InstanceId)
		if m := x.MetadataOptions; m == nil || string(m.HttpTokens) != string(templateTokens) || aws.ToInt32(m.HttpPutResponseHopLimit) != templateHops {
			bad = append(bad, fmt.Sprintf("%s metadata options %+v", id, m))
		}
		if p := x.IamInstanceProfile; p == nil || aws.ToString(p.Arn) != profileARN {
			bad = append(bad, fmt.Sprintf("%s instance profile %+v", id, p))
		}
		a, err := ec2c.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{
			Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: []string{id}}}})
		if err != nil {
			t.Fatalf("describe profile associations of %s: %v", id, err)
		}
		n := 0
		for _, x := range a.IamInstanceProfileAssociations {
			if x.State == ec2types.IamInstanceProfileAssociationStateAssociated && x.IamInstanceProfile != nil && aws.ToString(x.IamInstanceProfile.Arn) == profileARN {
				n++
			}
		}
		if n != 1 {
			bad = append(bad, fmt.Sprintf("%s: %d associations with %s", id, n, profileARN))
		}
	}
	return bad
}

// replacedBy is the instance of after that is not in before.
func replacedBy(after, before []string) string {
	for _, id := range after {
		if !slices.Contains(before, id) {
			return id
		}
	}
	return ""
}

func observationOf(st Status, id string) Observation {
	for _, o := range st.Observations {
		if o.ID == id {
			return o
		}
	}
	return Observation{ID: id}
}

// createGroup makes a VPC with two subnets, an instance profile, a launch
// template (IMDSv2 required, hop limit 1, the profile), a target group and
// the Auto Scaling group (desired n, max 4) in the emulator and returns
// the target group's and the instance profile's ARNs.
func createGroup(ctx context.Context, t *testing.T, cfg aws.Config, name string, n int32) (string, string) {
	t.Helper()
	ec2c, elbc, asc, ssmc, iamc := ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg), autoscaling.NewFromConfig(cfg), ssm.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	vpc, err := ec2c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	must("create vpc", err)
	var subnets []string
	for i, az := range []string{"us-east-1a", "us-east-1b"} {
		sn, err := ec2c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: aws.String(az), CidrBlock: aws.String(fmt.Sprintf("10.20.%d.0/24", i))})
		must("create subnet", err)
		subnets = append(subnets, aws.ToString(sn.Subnet.SubnetId))
	}
	// The public AL2023 parameter the model uses.
	ami, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64")})
	must("AMI parameter", err)
	_, err = iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name + "-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must("create role", err)
	prof, err := iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name + "-profile")})
	must("create instance profile", err)
	_, err = iamc.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: prof.InstanceProfile.InstanceProfileName, RoleName: aws.String(name + "-role")})
	must("add role to instance profile", err)
	// The profile by name, as the Terraform stack names it.
	_, err = ec2c.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: ami.Parameter.Value, InstanceType: ec2types.InstanceTypeT3Micro,
			MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: templateTokens,
				HttpPutResponseHopLimit: aws.Int32(templateHops), HttpEndpoint: ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled},
			IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: prof.InstanceProfile.InstanceProfileName}}})
	must("create launch template", err)
	tg, err := elbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("sg-test-tg"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: vpc.Vpc.VpcId, TargetType: elbtypes.TargetTypeEnumInstance})
	must("create target group", err)
	arn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	_, err = asc.CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{AutoScalingGroupName: aws.String(name),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String(name), Version: aws.String("$Latest")},
		MinSize:        aws.Int32(1), MaxSize: aws.Int32(4), DesiredCapacity: aws.Int32(n),
		VPCZoneIdentifier: aws.String(subnets[0] + "," + subnets[1]), TargetGroupARNs: []string{arn},
		HealthCheckType: aws.String("ELB"), HealthCheckGracePeriod: aws.Int32(300)})
	must("create auto scaling group", err)
	return arn, aws.ToString(prof.InstanceProfile.Arn)
}
