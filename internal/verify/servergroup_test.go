package verify

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"
)

// motoServerGroup changes a conforming world the way moto 5.2.1 was seen
// to deploy the server group: the group's instances without the
// template's metadata options and profile; on CloudFormation also no
// lifecycle hook and no scaling policy.
func motoServerGroup(w *world, cloudFormation bool) {
	for i := range w.instances {
		m := *w.instances[i].MetadataOptions
		m.HttpTokens = ec2types.HttpTokensStateOptional
		w.instances[i].MetadataOptions = &m
		w.instances[i].IamInstanceProfile = nil
	}
	if cloudFormation {
		w.hooks, w.policies = nil, nil
	}
}

// The project's gap entries for the server group match what moto was
// seen to do, and their patches set the model's values: the hook and
// the policy as the model has them, IMDSv2 and the profile on every
// instance.
func TestServerGroupGapsPatched(t *testing.T) {
	sys := defaultSystem(t)
	g := sys.Servers
	for _, dep := range []string{"cloudformation", "terraform"} {
		t.Run(dep, func(t *testing.T) {
			w := conforming(sys)
			motoServerGroup(w, dep == "cloudformation")
			rep := run(t, sys, w, Options{Deployment: dep, Gaps: projectGaps(t), Patch: true, EmulatorVersion: "5.2.1"})
			if bad := notConforming(sys, rep); len(bad) > 0 {
				t.Fatalf("not conforming after the patches:\n%s", strings.Join(bad, "\n"))
			}
			want := 2 // the instances' tokens and profile
			if dep == "cloudformation" {
				want += 8 // the hook's four checks, the policy's four
			}
			if rep.Summary.Patched != want {
				t.Errorf("summary %+v", rep.Summary)
			}
			// This world has moto's server group only: the entries of the
			// group's checks are observed, the others stale here.
			for _, f := range rep.GapFile {
				for _, x := range rep.Results {
					if x.Gap == f.ID {
						t.Errorf("gap file: %+v", f)
					}
				}
			}
			hook := g.LaunchHook
			wantHook := []astypes.LifecycleHook{{AutoScalingGroupName: aws.String(g.Name), LifecycleHookName: aws.String(hook.Name),
				LifecycleTransition: aws.String(hook.Transition), DefaultResult: aws.String(hook.DefaultResult), HeartbeatTimeout: aws.Int32(int32(hook.HeartbeatSec))}}
			if d := cmp.Diff(wantHook, w.hooks, cmp.AllowUnexported(astypes.LifecycleHook{})); d != "" {
				t.Errorf("hooks (-want +got):\n%s", d)
			}
			if len(w.policies) != 1 || aws.ToString(w.policies[0].PolicyName) != g.Scaling.Name {
				t.Errorf("policies %+v", w.policies)
			}
			for _, x := range w.instances {
				if x.MetadataOptions.HttpTokens != ec2types.HttpTokensStateRequired || x.IamInstanceProfile == nil ||
					!strings.HasSuffix(aws.ToString(x.IamInstanceProfile.Arn), "/"+sys.Role(g.Template.Role).ProfileName) {
					t.Errorf("instance %s: tokens %s, profile %+v", aws.ToString(x.InstanceId), x.MetadataOptions.HttpTokens, x.IamInstanceProfile)
				}
			}
		})
	}
}

// The hook patch is exact: a hook the model does not have goes, even
// though its own check is drift, not a gap.
func TestHookPatchIsExact(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.hooks = []astypes.LifecycleHook{{LifecycleHookName: aws.String("other"), LifecycleTransition: aws.String("autoscaling:EC2_INSTANCE_TERMINATING")}}
	gaps := gapList(t, `{"id":"h","deployment":"cloudformation","check":"asg.ServerGroup.launch-hook.*","matches":3,"observed":"(not found)","seen_on":"5.2.1","patch":true}`)
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Patch: true, Gaps: gaps})
	names := byID(rep)["asg.ServerGroup.launch-hook"]
	if rep.Summary.Patched != 3 || rep.Summary.Drift != 1 || names.Status != Drift || names.got() != "other" {
		t.Fatalf("summary %+v; %s", rep.Summary, Line(names))
	}
	if len(w.hooks) != 1 || aws.ToString(w.hooks[0].LifecycleHookName) != sys.Servers.LaunchHook.Name {
		t.Errorf("hooks after the patch: %+v", w.hooks)
	}
}

// CloudFormation names a scaling policy itself: the group's only policy
// is the model's, and its patch keeps that name instead of adding a
// second policy. Two policies of other names are no policy of the model.
func TestScalingPolicyByOtherName(t *testing.T) {
	sys := defaultSystem(t)
	const cfnName = "acme-ServerGroupScaling-1X2Y3Z"
	w := conforming(sys)
	w.policies[0].PolicyName = aws.String(cfnName)
	if bad := notConforming(sys, run(t, sys, w, Options{Deployment: "cloudformation"})); len(bad) > 0 {
		t.Fatalf("%v", bad)
	}
	w.policies[0].TargetTrackingConfiguration.TargetValue = aws.Float64(50)
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Patch: true, Gaps: gapList(t, patchGap("asg.ServerGroup.scaling-policy.target-value", "50"))})
	if x := byID(rep)["asg.ServerGroup.scaling-policy.target-value"]; x.Status != Patched {
		t.Fatalf("%s", Line(x))
	}
	if len(w.policies) != 1 || aws.ToString(w.policies[0].PolicyName) != cfnName {
		t.Errorf("policies after the patch: %+v", w.policies)
	}
	w.policies = append(w.policies, astypes.ScalingPolicy{PolicyName: aws.String("another"), PolicyType: aws.String("StepScaling")})
	for id, x := range byID(run(t, sys, w, Options{Deployment: "cloudformation"})) {
		if strings.HasPrefix(id, "asg.ServerGroup.scaling-policy.") && x.Status != Missing {
			t.Errorf("%s", Line(x))
		}
	}
}

// The registered targets are exactly the group's InService instances: an
// instance the group replaced but nobody deregistered is drift, and the
// patch deregisters it and registers what is missing.
func TestTargetsPatch(t *testing.T) {
	sys := defaultSystem(t)
	port := sys.LoadBalancer.TargetPort
	change := func(w *world) {
		w.targets = []elbtypes.TargetDescription{
			{Id: aws.String("i-server1"), Port: aws.Int32(int32(port))},
			{Id: aws.String("i-replaced"), Port: aws.Int32(int32(port))}}
	}
	w := conforming(sys)
	change(w)
	got := byID(run(t, sys, w, Options{Deployment: "terraform"}))["lb.ServerTargetGroup.targets"]
	p := ":" + itoa(port)
	if got.Status != Drift || got.Want != "i-server1"+p+", i-server2"+p || got.got() != "i-replaced"+p+", i-server1"+p {
		t.Fatalf("%s", Line(got))
	}
	w = conforming(sys)
	change(w)
	rep := run(t, sys, w, Options{Deployment: "terraform", Patch: true, Gaps: gapList(t, `{"id":"t","deployment":"terraform","check":"lb.ServerTargetGroup.targets","matches":1,"observed":"i-replaced`+p+`, i-server1`+p+`","seen_on":"5.2.1","patch":true}`)})
	if x := byID(rep)["lb.ServerTargetGroup.targets"]; x.Status != Patched {
		t.Fatalf("%s", Line(x))
	}
	var ids []string
	for _, x := range w.targets {
		ids = append(ids, aws.ToString(x.Id))
	}
	sort.Strings(ids)
	if d := cmp.Diff([]string{"i-server1", "i-server2"}, ids); d != "" {
		t.Errorf("targets after the patch (-want +got):\n%s", d)
	}
}

// The profile patch associates the model's profile with an instance that
// has none and replaces another one.
func TestProfilePatch(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.profiles["other"] = &iamtypes.InstanceProfile{InstanceProfileName: aws.String("other")}
	w.instances[0].IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: aws.String("arn:aws:iam::" + fakeAccount + ":instance-profile/other")}
	w.instances[1].IamInstanceProfile = nil
	rep := run(t, sys, w, Options{Deployment: "terraform", Patch: true, Gaps: gapList(t, `{"id":"p","deployment":"terraform","check":"asg.ServerGroup.instances.profile","matches":1,"observed":"none, other","seen_on":"5.2.1","patch":true}`)})
	if x := byID(rep)["asg.ServerGroup.instances.profile"]; x.Status != Patched {
		t.Fatalf("%s", Line(x))
	}
	want := sys.Role(sys.Servers.Template.Role).ProfileName
	for _, x := range w.instances {
		if x.IamInstanceProfile == nil || !strings.HasSuffix(aws.ToString(x.IamInstanceProfile.Arn), "/"+want) {
			t.Errorf("instance %s: profile %+v", aws.ToString(x.InstanceId), x.IamInstanceProfile)
		}
	}
}

// Without the deployment tool's record the rolling update is never
// silently ok: it is unverified wherever the group exists, says why, and
// reads nothing back (TestRollingUpdateFromTheRecord has the record).
func TestRollingUpdateUnverified(t *testing.T) {
	sys := defaultSystem(t)
	id := "asg." + string(sys.Servers.ID) + ".rolling-update"
	rep := run(t, sys, conforming(sys), Options{Deployment: "cloudformation"})
	x := byID(rep)[id]
	ru := sys.Servers.Rolling
	for _, want := range []string{"MaxBatchSize " + itoa(ru.MaxBatch), "MinInstancesInService " + itoa(ru.MinInService), "PauseTime " + ru.PauseTime()} {
		if !strings.Contains(x.Want, want) {
			t.Errorf("want %q lacks %q", x.Want, want)
		}
	}
	line := Line(x)
	if x.Status != Unverified || x.Got != nil || x.Gap != "" || strings.Contains(line, "got") || !strings.Contains(line, notReadable) {
		t.Errorf("%s", line)
	}
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"got":null`) || !strings.Contains(string(b), `"status":"unverified"`) {
		t.Errorf("json %s", b)
	}
	if rep.ExitCode() != ExitUnverified {
		t.Errorf("exit %d", rep.ExitCode())
	}
	w := conforming(sys)
	w.asg = nil
	if x := byID(run(t, sys, w, Options{Deployment: "cloudformation"}))[id]; x.Status != Missing {
		t.Errorf("without the group: %s", Line(x))
	}
}

// The server group's values as they read, ok or drift.
func TestServerGroupValues(t *testing.T) {
	sys := defaultSystem(t)
	g := sys.Servers
	param := g.Template.AMIParameter
	script := func(s string) func(w *world) {
		return func(w *world) { w.latestData().UserData = aws.String(base64.StdEncoding.EncodeToString([]byte(s))) }
	}
	version := func(v string) func(w *world) { return func(w *world) { w.asg.LaunchTemplate.Version = aws.String(v) } }
	for _, tc := range []struct {
		name, check string
		change      func(w *world)
		status      Status
		got         string
	}{
		{"image resolved at launch", "launch-template.ServerLaunchTemplate.ami", func(w *world) { w.latestData().ImageId = aws.String("resolve:ssm:" + param) }, OK, "latest AL2023 (" + param + ")"},
		{"image of another parameter", "launch-template.ServerLaunchTemplate.ami", func(w *world) { w.latestData().ImageId = aws.String("resolve:ssm:/pinned") }, Drift, "resolve:ssm:/pinned"},
		{"an older image", "launch-template.ServerLaunchTemplate.ami", func(w *world) { w.latestData().ImageId = aws.String("ami-old") }, Drift, "ami-old (parameter holds ami-latest)"},
		{"the profile by name", "launch-template.ServerLaunchTemplate.profile", func(w *world) {
			w.latestData().IamInstanceProfile = &ec2types.LaunchTemplateIamInstanceProfileSpecification{Name: aws.String(sys.Role(g.Template.Role).ProfileName)}
		}, OK, sys.Role(g.Template.Role).ProfileName},
		{"no metadata options", "launch-template.ServerLaunchTemplate.imdsv2", func(w *world) { w.latestData().MetadataOptions = nil }, Drift, "unset"},
		{"two volumes, none the root device", "launch-template.ServerLaunchTemplate.root-volume.size", func(w *world) {
			d := w.latestData()
			d.BlockDeviceMappings = []ec2types.LaunchTemplateBlockDeviceMapping{
				{DeviceName: aws.String("/dev/sdb"), Ebs: &ec2types.LaunchTemplateEbsBlockDevice{VolumeSize: aws.Int32(8)}},
				{DeviceName: aws.String("/dev/sdc"), Ebs: &ec2types.LaunchTemplateEbsBlockDevice{VolumeSize: aws.Int32(8)}}}
		}, Missing, ""},
		{"no user data", "launch-template.ServerLaunchTemplate.user-data", func(w *world) { w.latestData().UserData = nil }, Drift, "none"},
		{"user data for another hook", "launch-template.ServerLaunchTemplate.user-data", script("#!/bin/bash\ncomplete " + g.Name + " other-hook\n"), Drift, "a script that does not name hook " + g.LaunchHook.Name},
		{"the group at $Latest", "asg.ServerGroup.launch-template", version("$Latest"), OK, "ServerLaunchTemplate at its latest version"},
		{"the group at $Default, older", "asg.ServerGroup.launch-template", version("$Default"), Drift, "ServerLaunchTemplate version $Default (latest is 2)"},
		{"the group at version 1", "asg.ServerGroup.launch-template", version("1"), Drift, "ServerLaunchTemplate version 1 (latest is 2)"},
		{"a mixed instances policy", "asg.ServerGroup.launch-template", func(w *world) {
			w.asg.MixedInstancesPolicy = &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: w.asg.LaunchTemplate}}
			w.asg.LaunchTemplate = nil
		}, OK, "ServerLaunchTemplate at its latest version"},
		{"a launch configuration", "asg.ServerGroup.launch-template", func(w *world) {
			w.asg.LaunchTemplate, w.asg.LaunchConfigurationName = nil, aws.String("old-config")
		}, Drift, "launch configuration old-config"},
		{"the target group as a traffic source", "asg.ServerGroup.target-groups", func(w *world) {
			w.asg.TrafficSources = []astypes.TrafficSourceIdentifier{{Identifier: aws.String(w.asg.TargetGroupARNs[0]), Type: aws.String("elbv2")}}
			w.asg.TargetGroupARNs = nil
		}, OK, "ServerTargetGroup"},
		{"no target group", "asg.ServerGroup.target-groups", func(w *world) { w.asg.TargetGroupARNs = nil }, Drift, "none"},
		{"a customized metric", "asg.ServerGroup.scaling-policy.metric", func(w *world) {
			c := w.policies[0].TargetTrackingConfiguration
			c.PredefinedMetricSpecification, c.CustomizedMetricSpecification = nil, &astypes.CustomizedMetricSpecification{MetricName: aws.String("x")}
		}, Drift, "a customized metric"},
		{"an instance held by its hook", "asg.ServerGroup.instances.in-service", func(w *world) {
			w.asg.Instances[1].LifecycleState = astypes.LifecycleStatePendingWait
		}, Drift, "1 InService of 2 desired; also 1 Pending:Wait"},
		{"no instances", "asg.ServerGroup.instances.in-service", func(w *world) { w.asg.Instances = nil }, Drift, "0 InService of 2 desired"},
		{"no instances to read", "asg.ServerGroup.instances.imdsv2", func(w *world) { w.asg.Instances = nil }, Missing, ""},
		{"a terminated instance is not read", "asg.ServerGroup.instances.imdsv2", func(w *world) {
			w.instances[1].State = &ec2types.InstanceState{Name: ec2types.InstanceStateNameTerminated}
			w.instances[1].MetadataOptions = nil
		}, OK, "required"},
		{"instances that differ", "asg.ServerGroup.instances.imdsv2", func(w *world) {
			w.instances[1].MetadataOptions = &ec2types.InstanceMetadataOptionsResponse{HttpTokens: ec2types.HttpTokensStateOptional}
		}, Drift, "optional, required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := conforming(sys)
			tc.change(w)
			got := byID(run(t, sys, w, Options{Deployment: "terraform"}))[tc.check]
			if got.Status != tc.status || got.got() != tc.got {
				t.Errorf("%s, want %s %q", Line(got), tc.status, tc.got)
			}
		})
	}
}

// The group and its template are found by the ids the deployment gives
// them (a stack's physical ids), not only by the model's names.
func TestServerGroupByPhysicalID(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.asg.AutoScalingGroupName = aws.String("stack-ServerGroup-ABC")
	w.templates[0].name = "stack-template"
	inv := inventory(sys)
	inv[sys.Servers.ID] = "stack-ServerGroup-ABC"
	inv[sys.Servers.Template.ID] = w.templates[0].id
	rep := run(t, sys, w, Options{Deployment: "cloudformation", Inventory: inv})
	if bad := notConforming(sys, rep); len(bad) > 0 {
		t.Fatalf("%v", bad)
	}
}

// TestMetadataPatchKeepsOtherOptions: the IMDSv2 patch repeats the options
// it does not change, so an emulator that resets omitted options (moto)
// keeps the instance's metadata endpoint.
func TestMetadataPatchKeepsOtherOptions(t *testing.T) {
	sys := defaultSystem(t)
	w := conforming(sys)
	w.motoMetadata = true
	for i := range w.instances {
		w.instances[i].MetadataOptions.HttpTokens = ec2types.HttpTokensStateOptional
		w.instances[i].MetadataOptions.HttpEndpoint = ec2types.InstanceMetadataEndpointStateEnabled
	}
	gaps := gapList(t, `{"id":"i","deployment":"terraform","check":"asg.ServerGroup.instances.imdsv2","matches":1,"observed":"optional","seen_on":"5.2.1","patch":true}`)
	rep := run(t, sys, w, Options{Deployment: "terraform", Patch: true, Gaps: gaps, Emulator: "moto 5.2.1", EmulatorVersion: "5.2.1"})
	if x := byID(rep)["asg.ServerGroup.instances.imdsv2"]; x.Status != Patched {
		t.Fatalf("%s", Line(x))
	}
	for _, x := range w.instances {
		if o := x.MetadataOptions; o.HttpEndpoint != ec2types.InstanceMetadataEndpointStateEnabled || o.HttpTokens != ec2types.HttpTokensStateRequired {
			t.Errorf("instance %s after the patch: %+v", aws.ToString(x.InstanceId), *o)
		}
	}
}
