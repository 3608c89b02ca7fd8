package entity_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff/entity"
)

// TestRollingUpdateResolved: a rolling update's MinInstancesInService may
// be a Ref to the parameter the desired capacity is, and a template's
// version the latest by GetAtt; both resolve as Terraform's do.
func TestRollingUpdateResolved(t *testing.T) {
	cf := fromCFN(t, `{"Parameters": {"Desired": {"Type": "Number", "Default": 3}},
	"Resources": {
		"LT": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateName": "lt", "LaunchTemplateData": {"InstanceType": "t3.micro"}}},
		"G": {"Type": "AWS::AutoScaling::AutoScalingGroup",
			"UpdatePolicy": {"AutoScalingRollingUpdate": {"MaxBatchSize": 1, "MinInstancesInService": {"Ref": "Desired"}, "PauseTime": "PT2M"}},
			"Properties": {"AutoScalingGroupName": "g", "MinSize": "1", "MaxSize": "6", "DesiredCapacity": {"Ref": "Desired"},
				"LaunchTemplate": {"LaunchTemplateName": "lt", "Version": {"Fn::GetAtt": ["LT", "LatestVersionNumber"]}}}}
	}}`)
	tf := fromTF(t, `{"resource": {
		"aws_launch_template": {"lt": {"name": "lt", "instance_type": "t3.micro"}},
		"aws_autoscaling_group": {"g": {"name": "g", "min_size": 1, "max_size": 6, "desired_capacity": 3,
			"launch_template": {"name": "${aws_launch_template.lt.name}", "version": "${aws_launch_template.lt.latest_version}"},
			"instance_refresh": {"strategy": "Rolling", "preferences": {"min_healthy_percentage": 100, "max_healthy_percentage": 134, "instance_warmup": 120}}}}}}`)
	for _, p := range []string{"launch-template", "launch-template.version", "rolling-update.batch", "rolling-update.min-in-service", "rolling-update.pause"} {
		a, b := prop(t, tf, entity.AutoScalingGroup, "g", p), prop(t, cf, entity.AutoScalingGroup, "g", p)
		if !cmp.Equal(a, b) {
			t.Errorf("%s: terraform %q, cloudformation %q", p, a, b)
		}
	}
	if got := prop(t, cf, entity.AutoScalingGroup, "g", "rolling-update.min-in-service"); !cmp.Equal(got, []string{"3 of 3"}) {
		t.Errorf("min in service %q", got)
	}
	if got := prop(t, cf, entity.AutoScalingGroup, "g", "launch-template.version"); !cmp.Equal(got, []string{"@launch-template[lt].latest-version"}) {
		t.Errorf("version %q", got)
	}
	if len(tf.Unsupported)+len(cf.Unsupported) > 0 {
		t.Errorf("unsupported: %v %v", tf.Unsupported, cf.Unsupported)
	}
}

// TestUpdatePolicyKeysAccounted: what the diff cannot map of a group's
// update and creation policies is reported, key by key; the scheduled
// action policy is ignored with its reason.
func TestUpdatePolicyKeysAccounted(t *testing.T) {
	cf := fromCFN(t, `{"Resources": {"G": {"Type": "AWS::AutoScaling::AutoScalingGroup",
		"CreationPolicy": {"ResourceSignal": {"Count": 1, "Timeout": "PT10M"}},
		"UpdatePolicy": {
			"AutoScalingRollingUpdate": {"MaxBatchSize": 1, "WaitOnResourceSignals": true, "MinSuccessfulInstancesPercent": 100, "MinActiveInstancesPercent": 100},
			"AutoScalingReplacingUpdate": {"WillReplace": true},
			"AutoScalingScheduledAction": {"IgnoreUnmodifiedGroupSizeProperties": true}},
		"Properties": {"AutoScalingGroupName": "g", "MinSize": "1", "MaxSize": "2"}}}}`)
	var got []string
	for _, n := range cf.Unsupported {
		got = append(got, n.Reason)
	}
	want := []string{
		"CreationPolicy (resource signals) is not compared by diff: Terraform has no counterpart",
		"UpdatePolicy.AutoScalingReplacingUpdate is not compared by diff",
		"UpdatePolicy.AutoScalingRollingUpdate.MinActiveInstancesPercent is not compared by diff: Terraform's instance refresh has no counterpart",
		"UpdatePolicy.AutoScalingRollingUpdate.WaitOnResourceSignals is not compared by diff: Terraform's instance refresh has no counterpart",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("unsupported (-want +got):\n%s", d)
	}
	ignored := false
	for _, n := range cf.Ignored {
		ignored = ignored || strings.HasPrefix(n.Reason, "UpdatePolicy.AutoScalingScheduledAction: ")
	}
	if !ignored {
		t.Errorf("scheduled action policy not ignored with its reason: %v", cf.Ignored)
	}
}

// TestLatestIsNotLatestVersion: "$Latest" starts no instance refresh, so
// it is not the template's latest_version.
func TestLatestIsNotLatestVersion(t *testing.T) {
	tf := fromTF(t, `{"resource": {
		"aws_launch_template": {"lt": {"name": "lt"}},
		"aws_autoscaling_group": {
			"a": {"name": "a", "min_size": 1, "max_size": 2, "launch_template": {"id": "${aws_launch_template.lt.id}", "version": "$Latest"}},
			"b": {"name": "b", "min_size": 1, "max_size": 2, "launch_template": {"id": "${aws_launch_template.lt.id}", "version": "${aws_launch_template.lt.latest_version}"}},
			"c": {"name": "c", "min_size": 1, "max_size": 2, "launch_template": {"id": "${aws_launch_template.lt.id}"}}}}}`)
	got := []string{
		prop(t, tf, entity.AutoScalingGroup, "a", "launch-template.version")[0],
		prop(t, tf, entity.AutoScalingGroup, "b", "launch-template.version")[0],
		prop(t, tf, entity.AutoScalingGroup, "c", "launch-template.version")[0],
	}
	if want := []string{"$Latest", "@launch-template[lt].latest-version", "$Default"}; !cmp.Equal(got, want) {
		t.Errorf("versions %q, want %q", got, want)
	}
}

// TestGroupDefaults: what each tool leaves out resolves to its own
// documented default (grace period 300 s in Terraform, 0 s in
// CloudFormation; desired = minimum; hooks ABANDON after 3600 s).
func TestGroupDefaults(t *testing.T) {
	tf := fromTF(t, `{"resource": {"aws_autoscaling_group": {"g": {"name": "g", "min_size": 2, "max_size": 4,
		"initial_lifecycle_hook": {"name": "h", "lifecycle_transition": "autoscaling:EC2_INSTANCE_LAUNCHING"}}}}}`)
	cf := fromCFN(t, `{"Resources": {"G": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {"AutoScalingGroupName": "g", "MinSize": "2", "MaxSize": "4",
		"LifecycleHookSpecificationList": [{"LifecycleHookName": "h", "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING"}]}}}}`)
	for _, tc := range []struct {
		prop   string
		tf, cf string
	}{
		{"health-check.grace-period", "300 s", "0 s"},
		{"health-check.type", "EC2", "EC2"},
		{"desired-capacity", "2", "2"},
		{"launch-hooks", "h: autoscaling:EC2_INSTANCE_LAUNCHING, default ABANDON, heartbeat 3600 s", "h: autoscaling:EC2_INSTANCE_LAUNCHING, default ABANDON, heartbeat 3600 s"},
		{"rolling-update.batch", "none", "none"},
		{"launch-template", "none", "none"},
	} {
		got := []string{prop(t, tf, entity.AutoScalingGroup, "g", tc.prop)[0], prop(t, cf, entity.AutoScalingGroup, "g", tc.prop)[0]}
		if want := []string{tc.tf, tc.cf}; !cmp.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tc.prop, got, want)
		}
	}
}
