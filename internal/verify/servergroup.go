package verify

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/twinstack/twinstack/constructs"
)

// The server group (issue 17): the Auto Scaling group, the latest version
// of its launch template, its launch hook and scaling policy, what still
// means something on each of its running instances, and the target
// group's registered targets. The instances come and go, so no check id
// names one: a per-instance check reports the set of values its instances
// have ("required", or "optional, required" when they differ).

// targetTracking is the policy type of the model's TargetTracking.
const targetTracking = constructs.ScalingPolicyType

// notReadable is the note of the rolling-update check.
const notReadable = "kept only by the deployment tool (CloudFormation's stored template, the Terraform state), and no such record was read: compared by `twinstack diff`"

// --- reading ---

func (r *reader) serverGroup(ctx context.Context) (*astypes.AutoScalingGroup, error) {
	name := aws.ToString(r.physicalName(r.sys.Servers.ID, r.sys.Servers.Name))
	return cached(r, "asg", func() (*astypes.AutoScalingGroup, error) {
		o, err := r.c.AutoScaling.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
		if err != nil {
			return nil, fmt.Errorf("describe auto scaling groups: %w", err)
		}
		for i := range o.AutoScalingGroups {
			if aws.ToString(o.AutoScalingGroups[i].AutoScalingGroupName) == name {
				return &o.AutoScalingGroups[i], nil
			}
		}
		return nil, fmt.Errorf("auto scaling group %s: %w", name, errNotFound)
	})
}

// launchTemplate is the model's launch template: by the id the deployment
// gives it, else by name.
func (r *reader) launchTemplate(ctx context.Context) (*ec2types.LaunchTemplate, error) {
	t := &r.sys.Servers.Template
	return cached(r, "lt", func() (*ec2types.LaunchTemplate, error) {
		in := &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{t.Name}}
		if p := r.physical(t.ID); strings.HasPrefix(p, "lt-") {
			in = &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{p}}
		}
		o, err := r.c.EC2.DescribeLaunchTemplates(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe launch templates: %w", err)
		}
		if len(o.LaunchTemplates) == 0 {
			return nil, fmt.Errorf("launch template %s: %w", t.Name, errNotFound)
		}
		return &o.LaunchTemplates[0], nil
	})
}

// templateData is the launch template's latest version
// (LatestVersionNumber): the one the group must launch.
func (r *reader) templateData(ctx context.Context) (*ec2types.ResponseLaunchTemplateData, error) {
	lt, err := r.launchTemplate(ctx)
	if err != nil {
		return nil, err
	}
	return cached(r, "lt/latest", func() (*ec2types.ResponseLaunchTemplateData, error) {
		v := strconv.FormatInt(aws.ToInt64(lt.LatestVersionNumber), 10)
		o, err := r.c.EC2.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: lt.LaunchTemplateId, Versions: []string{v}})
		if err != nil {
			return nil, fmt.Errorf("describe launch template versions: %w", err)
		}
		for _, x := range o.LaunchTemplateVersions {
			if x.LaunchTemplateData != nil && strconv.FormatInt(aws.ToInt64(x.VersionNumber), 10) == v {
				return x.LaunchTemplateData, nil
			}
		}
		return nil, fmt.Errorf("launch template %s version %s: %w", aws.ToString(lt.LaunchTemplateName), v, errNotFound)
	})
}

// groupInstances describes the group's instances that are not shutting
// down or terminated, by id; errNotFound when the group has none.
func (r *reader) groupInstances(ctx context.Context) ([]ec2types.Instance, error) {
	g, err := r.serverGroup(ctx)
	if err != nil {
		return nil, err
	}
	return cached(r, "asg/instances", func() ([]ec2types.Instance, error) {
		var ids []string
		for _, x := range g.Instances {
			ids = append(ids, aws.ToString(x.InstanceId))
		}
		none := fmt.Errorf("instances of %s: %w", aws.ToString(g.AutoScalingGroupName), errNotFound)
		if len(ids) == 0 {
			return nil, none
		}
		o, err := r.c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
		if err != nil {
			return nil, fmt.Errorf("describe instances: %w", err)
		}
		var out []ec2types.Instance
		for _, res := range o.Reservations {
			for _, x := range res.Instances {
				if x.State != nil && (x.State.Name == ec2types.InstanceStateNameShuttingDown || x.State.Name == ec2types.InstanceStateNameTerminated) {
					continue
				}
				out = append(out, x)
			}
		}
		if len(out) == 0 {
			return nil, none
		}
		sort.Slice(out, func(i, j int) bool { return aws.ToString(out[i].InstanceId) < aws.ToString(out[j].InstanceId) })
		return out, nil
	})
}

// inService lists the ids of the group's InService instances.
func inService(g *astypes.AutoScalingGroup) []string {
	var ids []string
	for _, x := range g.Instances {
		if x.LifecycleState == astypes.LifecycleStateInService {
			ids = append(ids, aws.ToString(x.InstanceId))
		}
	}
	sort.Strings(ids)
	return ids
}

func (r *reader) hooks(ctx context.Context) ([]astypes.LifecycleHook, error) {
	g, err := r.serverGroup(ctx)
	if err != nil {
		return nil, err
	}
	return cached(r, "asg/hooks", func() ([]astypes.LifecycleHook, error) {
		o, err := r.c.AutoScaling.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: g.AutoScalingGroupName})
		if err != nil {
			return nil, fmt.Errorf("describe lifecycle hooks: %w", err)
		}
		return o.LifecycleHooks, nil
	})
}

func (r *reader) policies(ctx context.Context) ([]astypes.ScalingPolicy, error) {
	g, err := r.serverGroup(ctx)
	if err != nil {
		return nil, err
	}
	return cached(r, "asg/policies", func() ([]astypes.ScalingPolicy, error) {
		var out []astypes.ScalingPolicy
		in := &autoscaling.DescribePoliciesInput{AutoScalingGroupName: g.AutoScalingGroupName}
		for {
			o, err := r.c.AutoScaling.DescribePolicies(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("describe policies: %w", err)
			}
			out = append(out, o.ScalingPolicies...)
			if aws.ToString(o.NextToken) == "" {
				return out, nil
			}
			in.NextToken = o.NextToken
		}
	})
}

func (r *reader) ssmParameter(ctx context.Context, name string) (string, error) {
	return cached(r, "ssm/"+name, func() (string, error) {
		o, err := r.c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			return "", fmt.Errorf("ssm parameter %s: %w", name, err)
		}
		return aws.ToString(o.Parameter.Value), nil
	})
}

// profileName is the deployed name of a role's instance profile.
func (r *reader) profileName(ro *constructs.Role) string {
	if p := r.physical(ro.InstanceProfile); p != "" && !strings.HasPrefix(p, "arn:") {
		return p
	}
	return ro.ProfileName
}

// profileText names an instance profile given by ARN or name: the model's
// name when it is the role's deployed profile.
func (r *reader) profileText(ro *constructs.Role, arn, name string) string {
	if name == "" && arn != "" {
		name = arn[strings.LastIndex(arn, "/")+1:]
	}
	switch name {
	case "":
		return "none"
	case r.profileName(ro):
		return ro.ProfileName
	}
	return name
}

// latestText is what a launch-template reference reads when it is the
// model's template at its latest version.
func latestText(t *constructs.LaunchTemplate) string { return string(t.ID) + " at its latest version" }

// templateText names the launch template and version spec refers to:
// latestText when it is the model's template at its latest version
// ("$Latest", or the number the template reports as its latest).
func (r *reader) templateText(ctx context.Context, spec *astypes.LaunchTemplateSpecification) (string, error) {
	if spec == nil {
		return "none", nil
	}
	t := &r.sys.Servers.Template
	v := orDefault(aws.ToString(spec.Version), "$Default")
	name := orDefault(aws.ToString(spec.LaunchTemplateName), aws.ToString(spec.LaunchTemplateId))
	lt, err := r.launchTemplate(ctx)
	if ok, err := found(err); err != nil {
		return "", err
	} else if !ok {
		return name + " version " + v, nil
	}
	ours := aws.ToString(spec.LaunchTemplateId) == aws.ToString(lt.LaunchTemplateId) ||
		(aws.ToString(spec.LaunchTemplateId) == "" && aws.ToString(spec.LaunchTemplateName) == aws.ToString(lt.LaunchTemplateName))
	if !ours {
		return name + " version " + v, nil
	}
	latest := strconv.FormatInt(aws.ToInt64(lt.LatestVersionNumber), 10)
	n := v
	switch v {
	case "$Latest":
		n = latest
	case "$Default":
		n = strconv.FormatInt(aws.ToInt64(lt.DefaultVersionNumber), 10)
	}
	if n == latest {
		return latestText(t), nil
	}
	return fmt.Sprintf("%s version %s (latest is %s)", t.ID, v, latest), nil
}

// groupTemplate is the launch template the group launches from, also
// inside a mixed instances policy.
func groupTemplate(g *astypes.AutoScalingGroup) *astypes.LaunchTemplateSpecification {
	if g.LaunchTemplate != nil {
		return g.LaunchTemplate
	}
	if m := g.MixedInstancesPolicy; m != nil && m.LaunchTemplate != nil {
		return m.LaunchTemplate.LaunchTemplateSpecification
	}
	return nil
}

// lbFullName and tgFullName are the parts of the ARNs that CloudWatch
// dimensions and a scaling policy's resource label use
// (constructs.AttrFullName): "app/<name>/<id>", "targetgroup/<name>/<id>".
func lbFullName(arn string) string {
	if _, after, ok := strings.Cut(arn, ":loadbalancer/"); ok {
		return after
	}
	return arn
}

func tgFullName(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

// --- the group ---

func serverGroupChecks(r *reader) []check {
	g := &r.sys.Servers
	lb := &r.sys.LoadBalancer
	pre := "asg." + string(g.ID)
	get := lookupOf(r.serverGroup)
	type asg = *astypes.AutoScalingGroup
	i32 := func(p *int32) string { return strconv.Itoa(int(aws.ToInt32(p))) }
	var subnets []string
	for _, s := range g.Subnets {
		subnets = append(subnets, string(s))
	}
	// Target tracking (or an operator) moves the desired capacity between
	// min and max: a value in the model's range is the deployment scaled,
	// reported as it is (want and got both shown), not drift.
	desired := prop(pre+".desired-capacity", g.ID, "DesiredCapacity", strconv.Itoa(g.Desired), get, value(func(d asg) string { return i32(d.DesiredCapacity) }))
	desired.within = func(got string) bool {
		n, err := strconv.Atoi(got)
		return err == nil && n >= g.Min && n <= g.Max
	}
	cs := []check{
		prop(pre+".min-size", g.ID, "MinSize", strconv.Itoa(g.Min), get, value(func(d asg) string { return i32(d.MinSize) })),
		desired,
		prop(pre+".max-size", g.ID, "MaxSize", strconv.Itoa(g.Max), get, value(func(d asg) string { return i32(d.MaxSize) })),
		prop(pre+".health-check-type", g.ID, "HealthCheckType", g.HealthCheckType, get, value(func(d asg) string { return aws.ToString(d.HealthCheckType) })),
		prop(pre+".health-check-grace", g.ID, "HealthCheckGracePeriod", fmt.Sprintf("%d s", g.HealthCheckGraceSec), get, value(func(d asg) string { return i32(d.HealthCheckGracePeriod) + " s" })),
		prop(pre+".subnets", g.ID, "VPCZoneIdentifier", orDefault(sortedSet(subnets), "none"), get, func(ctx context.Context, d asg) (string, bool, error) {
			var got []string
			for _, s := range strings.Split(aws.ToString(d.VPCZoneIdentifier), ",") {
				if s = strings.TrimSpace(s); s != "" {
					got = append(got, r.subnetName(ctx, s))
				}
			}
			return orDefault(sortedSet(got), "none"), true, nil
		}),
		// Target groups attached as traffic sources count too.
		prop(pre+".target-groups", g.ID, "TargetGroupARNs", string(g.TargetGroup), get, func(ctx context.Context, d asg) (string, bool, error) {
			arns := append([]string(nil), d.TargetGroupARNs...)
			for _, ts := range d.TrafficSources {
				if id := aws.ToString(ts.Identifier); strings.Contains(id, ":targetgroup/") && !contains(arns, id) {
					arns = append(arns, id)
				}
			}
			// The model's target group is the load balancer's: its ARN
			// reads as its id.
			mine := ""
			t, err := r.targetGroup(ctx, lb)
			if ok, err := found(err); err != nil {
				return "", false, err
			} else if ok && g.TargetGroup == lb.TargetGroup {
				mine = aws.ToString(t.TargetGroupArn)
			}
			var got []string
			for _, arn := range arns {
				if arn == mine {
					arn = string(g.TargetGroup)
				}
				got = append(got, arn)
			}
			return orDefault(sortedSet(got), "none"), true, nil
		}),
		prop(pre+".launch-template", g.ID, "LaunchTemplate", latestText(&g.Template), get, func(ctx context.Context, d asg) (string, bool, error) {
			if d.LaunchTemplate == nil && d.MixedInstancesPolicy == nil && aws.ToString(d.LaunchConfigurationName) != "" {
				return "launch configuration " + aws.ToString(d.LaunchConfigurationName), true, nil
			}
			s, err := r.templateText(ctx, groupTemplate(d))
			return s, err == nil, err
		}),
		prop(pre+".name-tag", g.ID, "Tags[Name]", g.NameTag+" (propagated at launch)", get, value(func(d asg) string {
			for _, t := range d.Tags {
				if aws.ToString(t.Key) != "Name" {
					continue
				}
				if aws.ToBool(t.PropagateAtLaunch) {
					return aws.ToString(t.Value) + " (propagated at launch)"
				}
				return aws.ToString(t.Value) + " (not propagated)"
			}
			return "none"
		})),
	}
	cs = append(cs, launchHookChecks(r)...)
	cs = append(cs, scalingPolicyChecks(r)...)
	// The rolling update is read from the deployment tool's record (see
	// Declared); without one it is unverified, never ok by silence.
	rolling := prop(pre+".rolling-update", g.ID, "UpdatePolicy.AutoScalingRollingUpdate / instance_refresh",
		RollingText(r.deployment, g.Rolling), get, func(context.Context, asg) (string, bool, error) {
			if r.declared == nil {
				return "", true, nil
			}
			return r.declared.Rolling, r.declared.Rolling != "", nil
		})
	if r.declared == nil {
		rolling.unreadable = notReadable
	}
	cs = append(cs, rolling)
	return append(cs, serverInstanceChecks(r)...)
}

// launchHookChecks compare the group's lifecycle hooks: the names (the
// model's one hook and no other), then the model's hook's settings. A
// group without hooks has none of them (missing).
func launchHookChecks(r *reader) []check {
	g := &r.sys.Servers
	h := g.LaunchHook
	pre := "asg." + string(g.ID) + ".launch-hook"
	hooks := lookupOf(r.hooks)
	hook := func(ctx context.Context) (astypes.LifecycleHook, bool, error) {
		hs, ok, err := hooks(ctx)
		if !ok || err != nil {
			return astypes.LifecycleHook{}, false, err
		}
		for _, x := range hs {
			if aws.ToString(x.LifecycleHookName) == h.Name {
				return x, true, nil
			}
		}
		return astypes.LifecycleHook{}, false, nil
	}
	// Every hook patch puts the model's hook (PutLifecycleHook creates or
	// replaces it) and deletes any other hook of the group.
	putModel := func(ctx context.Context) error {
		d, err := must(ctx, lookupOf(r.serverGroup), "group "+g.Name)
		if err != nil {
			return err
		}
		if _, err := r.c.AutoScaling.PutLifecycleHook(ctx, &autoscaling.PutLifecycleHookInput{AutoScalingGroupName: d.AutoScalingGroupName,
			LifecycleHookName: aws.String(h.Name), LifecycleTransition: aws.String(h.Transition), DefaultResult: aws.String(h.DefaultResult),
			HeartbeatTimeout: aws.Int32(int32(h.HeartbeatSec))}); err != nil {
			return fmt.Errorf("put lifecycle hook %s: %w", h.Name, err)
		}
		hs, err := r.hooks(ctx)
		if err != nil {
			return err
		}
		for _, x := range hs {
			if n := aws.ToString(x.LifecycleHookName); n != h.Name {
				if _, err := r.c.AutoScaling.DeleteLifecycleHook(ctx, &autoscaling.DeleteLifecycleHookInput{AutoScalingGroupName: d.AutoScalingGroupName, LifecycleHookName: aws.String(n)}); err != nil {
					return fmt.Errorf("delete lifecycle hook %s: %w", n, err)
				}
			}
		}
		return nil
	}
	property := "LifecycleHooks[" + h.Name + "]."
	cs := []check{
		prop(pre, g.ID, "LifecycleHooks (names)", h.Name, hooks, func(_ context.Context, hs []astypes.LifecycleHook) (string, bool, error) {
			var names []string
			for _, x := range hs {
				names = append(names, aws.ToString(x.LifecycleHookName))
			}
			return sortedSet(names), len(names) > 0, nil
		}),
		prop(pre+".transition", g.ID, property+"LifecycleTransition", h.Transition, hook, value(func(x astypes.LifecycleHook) string { return aws.ToString(x.LifecycleTransition) })),
		prop(pre+".default-result", g.ID, property+"DefaultResult", h.DefaultResult, hook, value(func(x astypes.LifecycleHook) string { return aws.ToString(x.DefaultResult) })),
		prop(pre+".heartbeat", g.ID, property+"HeartbeatTimeout", fmt.Sprintf("%d s", h.HeartbeatSec), hook, value(func(x astypes.LifecycleHook) string {
			return strconv.Itoa(int(aws.ToInt32(x.HeartbeatTimeout))) + " s"
		})),
	}
	for i := range cs {
		cs[i].patch = putModel
	}
	return cs
}

// pickPolicy is the model's scaling policy among the group's: the one of
// its name, else the group's only policy (CloudFormation names a policy
// itself, "<stack>-<logical id>-<suffix>").
func pickPolicy(ps []astypes.ScalingPolicy, name string) (astypes.ScalingPolicy, bool) {
	for _, p := range ps {
		if aws.ToString(p.PolicyName) == name {
			return p, true
		}
	}
	if len(ps) == 1 {
		return ps[0], true
	}
	return astypes.ScalingPolicy{}, false
}

func scalingPolicyChecks(r *reader) []check {
	g := &r.sys.Servers
	sp := g.Scaling
	lb := &r.sys.LoadBalancer
	pre := "asg." + string(g.ID) + ".scaling-policy"
	policies := lookupOf(r.policies)
	policy := func(ctx context.Context) (astypes.ScalingPolicy, bool, error) {
		ps, ok, err := policies(ctx)
		if !ok || err != nil {
			return astypes.ScalingPolicy{}, false, err
		}
		p, ok := pickPolicy(ps, sp.Name)
		return p, ok, nil
	}
	// label is the model's resource label, resolved against the deployed
	// load balancer and target group.
	label := func(ctx context.Context) (string, error) {
		if sp.LoadBalancer != lb.ID || sp.TargetGroup != lb.TargetGroup {
			return "", fmt.Errorf("scaling policy %s: resource label of %s/%s: not the model's load balancer", sp.Name, sp.LoadBalancer, sp.TargetGroup)
		}
		l, err := r.loadBalancer(ctx, lb)
		if err != nil {
			return "", fmt.Errorf("load balancer: %w", err)
		}
		t, err := r.targetGroup(ctx, lb)
		if err != nil {
			return "", fmt.Errorf("target group: %w", err)
		}
		return lbFullName(aws.ToString(l.LoadBalancerArn)) + "/" + tgFullName(aws.ToString(t.TargetGroupArn)), nil
	}
	predefined := func(p astypes.ScalingPolicy) *astypes.PredefinedMetricSpecification {
		if c := p.TargetTrackingConfiguration; c != nil {
			return c.PredefinedMetricSpecification
		}
		return nil
	}
	property := "ScalingPolicies[" + sp.Name + "]."
	cs := []check{
		prop(pre+".type", g.ID, property+"PolicyType", targetTracking, policy, value(func(p astypes.ScalingPolicy) string { return aws.ToString(p.PolicyType) })),
		prop(pre+".metric", g.ID, property+"TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType", sp.Metric, policy, value(func(p astypes.ScalingPolicy) string {
			if m := predefined(p); m != nil {
				return string(m.PredefinedMetricType)
			}
			if c := p.TargetTrackingConfiguration; c != nil && c.CustomizedMetricSpecification != nil {
				return "a customized metric"
			}
			return "none"
		})),
	}
	rl := prop(pre+".resource-label", g.ID, property+"TargetTrackingConfiguration.PredefinedMetricSpecification.ResourceLabel", "", policy, value(func(p astypes.ScalingPolicy) string {
		if m := predefined(p); m != nil {
			return orDefault(aws.ToString(m.ResourceLabel), "none")
		}
		return "none"
	}))
	rl.wantFn = label
	cs = append(cs, rl,
		prop(pre+".target-value", g.ID, property+"TargetTrackingConfiguration.TargetValue", strconv.Itoa(sp.TargetValue), policy, value(func(p astypes.ScalingPolicy) string {
			if c := p.TargetTrackingConfiguration; c != nil && c.TargetValue != nil {
				return strconv.FormatFloat(*c.TargetValue, 'f', -1, 64)
			}
			return "none"
		})))
	// Every policy patch writes the model's policy, under the name of the
	// policy found (CloudFormation's own) or the model's.
	putModel := func(ctx context.Context) error {
		d, err := must(ctx, lookupOf(r.serverGroup), "group "+g.Name)
		if err != nil {
			return err
		}
		name := sp.Name
		if p, ok, err := policy(ctx); err != nil {
			return err
		} else if ok {
			name = aws.ToString(p.PolicyName)
		}
		l, err := label(ctx)
		if err != nil {
			return err
		}
		_, err = r.c.AutoScaling.PutScalingPolicy(ctx, &autoscaling.PutScalingPolicyInput{AutoScalingGroupName: d.AutoScalingGroupName,
			PolicyName: aws.String(name), PolicyType: aws.String(targetTracking),
			TargetTrackingConfiguration: &astypes.TargetTrackingConfiguration{TargetValue: aws.Float64(float64(sp.TargetValue)),
				PredefinedMetricSpecification: &astypes.PredefinedMetricSpecification{PredefinedMetricType: astypes.MetricType(sp.Metric), ResourceLabel: aws.String(l)}}})
		if err != nil {
			return fmt.Errorf("put scaling policy %s: %w", name, err)
		}
		return nil
	}
	for i := range cs {
		cs[i].patch = putModel
	}
	return cs
}

// --- the group's instances ---

// serverInstanceChecks: that the desired instances are in service, each
// at the template's latest version, and what only the running instance
// can show (the template asks for IMDSv2, a hop limit and a profile; an
// instance can lose them, or never get them).
func serverInstanceChecks(r *reader) []check {
	g := &r.sys.Servers
	t := &g.Template
	pre := "asg." + string(g.ID) + ".instances"
	group := lookupOf(r.serverGroup)
	instances := lookupOf(r.groupInstances)
	type asg = *astypes.AutoScalingGroup
	inServiceText := func(n, desired int) string { return fmt.Sprintf("%d InService of %d desired", n, desired) }
	svc := prop(pre+".in-service", g.ID, "Instances.LifecycleState", "", group, value(func(d asg) string {
		others := map[string]int{}
		for _, x := range d.Instances {
			if x.LifecycleState != astypes.LifecycleStateInService {
				others[string(x.LifecycleState)]++
			}
		}
		s := inServiceText(len(inService(d)), int(aws.ToInt32(d.DesiredCapacity)))
		var also []string
		for st, n := range others {
			also = append(also, fmt.Sprintf("%d %s", n, st))
		}
		if len(also) > 0 {
			s += "; also " + sortedSet(also)
		}
		return s
	}))
	// The group's own desired capacity: a scaled group is reported by
	// desired-capacity, not here.
	svc.wantFn = func(ctx context.Context) (string, error) {
		d, err := r.serverGroup(ctx)
		if err != nil {
			return "", err
		}
		n := int(aws.ToInt32(d.DesiredCapacity))
		return inServiceText(n, n), nil
	}
	cs := []check{svc,
		prop(pre+".launch-template-version", g.ID, "Instances.LaunchTemplate (InService)", latestText(t), group, func(ctx context.Context, d asg) (string, bool, error) {
			var got []string
			for _, x := range d.Instances {
				if x.LifecycleState != astypes.LifecycleStateInService {
					continue
				}
				s, err := r.templateText(ctx, x.LaunchTemplate)
				if err != nil {
					return "", false, err
				}
				got = append(got, s)
			}
			return sortedSet(got), len(got) > 0, nil
		}),
	}
	each := func(suffix, property, want string, read func(ec2types.Instance) string) check {
		return prop(pre+suffix, g.ID, property, want, instances, value(func(xs []ec2types.Instance) string {
			var got []string
			for _, x := range xs {
				got = append(got, read(x))
			}
			return sortedSet(got)
		}))
	}
	// modifyMetadata sets one metadata option on every instance that
	// differs, leaving the other options as they are.
	modifyMetadata := func(differs func(ec2types.Instance) bool, in func(*ec2.ModifyInstanceMetadataOptionsInput)) func(context.Context) error {
		return func(ctx context.Context) error {
			xs, err := must(ctx, instances, "instances of "+g.Name)
			if err != nil {
				return err
			}
			for _, x := range xs {
				if !differs(x) {
					continue
				}
				// The request repeats the options it does not change: AWS
				// leaves an omitted option as it is, moto resets it (an
				// IMDSv2 patch would unset HttpEndpoint there).
				m := &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: x.InstanceId}
				if o := x.MetadataOptions; o != nil {
					m.HttpTokens, m.HttpPutResponseHopLimit = o.HttpTokens, o.HttpPutResponseHopLimit
					m.HttpEndpoint, m.HttpProtocolIpv6, m.InstanceMetadataTags = o.HttpEndpoint, o.HttpProtocolIpv6, o.InstanceMetadataTags
				}
				in(m)
				if _, err := r.c.EC2.ModifyInstanceMetadataOptions(ctx, m); err != nil {
					return fmt.Errorf("instance %s: %w", aws.ToString(x.InstanceId), err)
				}
			}
			return nil
		}
	}
	if t.RequireIMDSv2 {
		tokens := func(x ec2types.Instance) string {
			if x.MetadataOptions == nil || x.MetadataOptions.HttpTokens == "" {
				return "unset"
			}
			return string(x.MetadataOptions.HttpTokens)
		}
		c := each(".imdsv2", "MetadataOptions.HttpTokens", string(ec2types.HttpTokensStateRequired), tokens)
		c.patch = modifyMetadata(func(x ec2types.Instance) bool { return tokens(x) != string(ec2types.HttpTokensStateRequired) },
			func(m *ec2.ModifyInstanceMetadataOptionsInput) { m.HttpTokens = ec2types.HttpTokensStateRequired })
		cs = append(cs, c)
	}
	if t.MetadataHopLimit > 0 {
		want := strconv.Itoa(t.MetadataHopLimit)
		hops := func(x ec2types.Instance) string {
			if x.MetadataOptions == nil || x.MetadataOptions.HttpPutResponseHopLimit == nil {
				return "unset"
			}
			return strconv.Itoa(int(aws.ToInt32(x.MetadataOptions.HttpPutResponseHopLimit)))
		}
		c := each(".imds-hop-limit", "MetadataOptions.HttpPutResponseHopLimit", want, hops)
		c.patch = modifyMetadata(func(x ec2types.Instance) bool { return hops(x) != want },
			func(m *ec2.ModifyInstanceMetadataOptionsInput) {
				m.HttpPutResponseHopLimit = aws.Int32(int32(t.MetadataHopLimit))
			})
		cs = append(cs, c)
	}
	if ro := r.sys.Role(t.Role); ro != nil && ro.ProfileName != "" {
		profile := func(x ec2types.Instance) string {
			if x.IamInstanceProfile == nil {
				return "none"
			}
			return r.profileText(ro, aws.ToString(x.IamInstanceProfile.Arn), "")
		}
		c := each(".profile", "IamInstanceProfile", ro.ProfileName, profile)
		// The patch associates the model's profile with each instance
		// that has none, and replaces another one.
		c.patch = func(ctx context.Context) error {
			xs, err := must(ctx, instances, "instances of "+g.Name)
			if err != nil {
				return err
			}
			spec := &ec2types.IamInstanceProfileSpecification{Name: aws.String(r.profileName(ro))}
			for _, x := range xs {
				switch profile(x) {
				case ro.ProfileName:
					continue
				case "none":
					if _, err := r.c.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: x.InstanceId, IamInstanceProfile: spec}); err != nil {
						return fmt.Errorf("instance %s: %w", aws.ToString(x.InstanceId), err)
					}
					continue
				}
				o, err := r.c.EC2.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{Filters: []ec2types.Filter{
					{Name: aws.String("instance-id"), Values: []string{aws.ToString(x.InstanceId)}},
					{Name: aws.String("state"), Values: []string{string(ec2types.IamInstanceProfileAssociationStateAssociated)}}}})
				if err != nil {
					return fmt.Errorf("instance %s: %w", aws.ToString(x.InstanceId), err)
				}
				if len(o.IamInstanceProfileAssociations) == 0 {
					return fmt.Errorf("instance %s: profile association: %w", aws.ToString(x.InstanceId), errNotFound)
				}
				if _, err := r.c.EC2.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
					AssociationId: o.IamInstanceProfileAssociations[0].AssociationId, IamInstanceProfile: spec}); err != nil {
					return fmt.Errorf("instance %s: %w", aws.ToString(x.InstanceId), err)
				}
			}
			return nil
		}
		cs = append(cs, c)
	}
	return cs
}

// targetsCheck: the target group's registered targets are exactly the
// group's InService instances on the target port. A target nobody
// deregistered (an instance the group replaced) would receive traffic,
// or hold a place the health check counts.
func targetsCheck(r *reader, lb *constructs.LoadBalancer, getTG lookup[*elbtypes.TargetGroup]) check {
	text := func(id string, port int32) string { return fmt.Sprintf("%s:%d", id, port) }
	want := func(ctx context.Context) ([]string, bool, error) {
		d, err := r.serverGroup(ctx)
		if ok, err := found(err); !ok {
			return nil, false, err
		}
		var out []string
		for _, id := range inService(d) {
			out = append(out, text(id, int32(lb.TargetPort)))
		}
		return out, true, nil
	}
	registered := func(ctx context.Context, d *elbtypes.TargetGroup) ([]elbtypes.TargetDescription, error) {
		o, err := r.c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: d.TargetGroupArn})
		if err != nil {
			return nil, err
		}
		var out []elbtypes.TargetDescription
		for _, h := range o.TargetHealthDescriptions {
			if h.Target != nil {
				out = append(out, *h.Target)
			}
		}
		return out, nil
	}
	c := prop("lb."+string(lb.TargetGroup)+".targets", lb.TargetGroup, "Targets (the group's InService instances)", "", getTG, func(ctx context.Context, d *elbtypes.TargetGroup) (string, bool, error) {
		if _, ok, err := want(ctx); !ok || err != nil {
			return "", false, err
		}
		ts, err := registered(ctx, d)
		if err != nil {
			return "", false, err
		}
		var got []string
		for _, t := range ts {
			got = append(got, text(aws.ToString(t.Id), aws.ToInt32(t.Port)))
		}
		return orDefault(sortedSet(got), "none"), true, nil
	})
	c.wantFn = func(ctx context.Context) (string, error) {
		w, ok, err := want(ctx)
		if err == nil && !ok {
			err = fmt.Errorf("group %s: %w", r.sys.Servers.Name, errNotFound)
		}
		return orDefault(sortedSet(w), "none"), err
	}
	// The patch deregisters every target that is not an InService
	// instance of the group and registers those that are missing.
	c.patch = func(ctx context.Context) error {
		d, err := must(ctx, getTG, "target group "+lb.TargetName)
		if err != nil {
			return err
		}
		w, ok, err := want(ctx)
		if err == nil && !ok {
			err = fmt.Errorf("group %s: %w", r.sys.Servers.Name, errNotFound)
		}
		if err != nil {
			return err
		}
		have, err := registered(ctx, d)
		if err != nil {
			return err
		}
		var drop, add []elbtypes.TargetDescription
		var haveText []string
		for _, t := range have {
			s := text(aws.ToString(t.Id), aws.ToInt32(t.Port))
			haveText = append(haveText, s)
			if !contains(w, s) {
				drop = append(drop, t)
			}
		}
		for _, s := range w {
			if !contains(haveText, s) {
				id, _, _ := strings.Cut(s, ":")
				add = append(add, elbtypes.TargetDescription{Id: aws.String(id), Port: aws.Int32(int32(lb.TargetPort))})
			}
		}
		if len(drop) > 0 {
			if _, err := r.c.ELB.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: d.TargetGroupArn, Targets: drop}); err != nil {
				return fmt.Errorf("deregister targets: %w", err)
			}
		}
		if len(add) > 0 {
			if _, err := r.c.ELB.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: d.TargetGroupArn, Targets: add}); err != nil {
				return fmt.Errorf("register targets: %w", err)
			}
		}
		return nil
	}
	return c
}

// --- the launch template ---

// rootMapping is the template's root volume: the EBS mapping of the
// model's device, else its only EBS mapping.
func rootMapping(d *ec2types.ResponseLaunchTemplateData, device string) (*ec2types.LaunchTemplateEbsBlockDevice, bool) {
	var ebs []ec2types.LaunchTemplateBlockDeviceMapping
	for _, m := range d.BlockDeviceMappings {
		if m.Ebs != nil {
			ebs = append(ebs, m)
		}
	}
	for _, m := range ebs {
		if aws.ToString(m.DeviceName) == device {
			return m.Ebs, true
		}
	}
	if len(ebs) == 1 {
		return ebs[0].Ebs, true
	}
	return nil, false
}

// launchTemplateChecks compare the launch template's latest version, one
// property each.
func launchTemplateChecks(r *reader) []check {
	g := &r.sys.Servers
	t := &g.Template
	pre := "launch-template." + string(t.ID)
	get := lookupOf(r.templateData)
	type data = *ec2types.ResponseLaunchTemplateData
	field := func(suffix, property, want string, read func(context.Context, data) (string, error)) check {
		return prop(pre+suffix, t.ID, "LaunchTemplateData."+property, want, get, func(ctx context.Context, d data) (string, bool, error) {
			v, err := read(ctx, d)
			return v, err == nil, err
		})
	}
	latestAMI := "latest AL2023 (" + t.AMIParameter + ")"
	cs := []check{
		field(".instance-type", "InstanceType", t.Type, func(_ context.Context, d data) (string, error) { return orDefault(string(d.InstanceType), "none"), nil }),
		// The template may hold the AMI id resolved at deploy time, or
		// the parameter itself (resolve:ssm:), resolved at each launch.
		field(".ami", "ImageId", latestAMI, func(ctx context.Context, d data) (string, error) {
			img := aws.ToString(d.ImageId)
			if p, ok := strings.CutPrefix(img, "resolve:ssm:"); ok {
				if p == t.AMIParameter {
					return latestAMI, nil
				}
				return img, nil
			}
			cur, err := r.ssmParameter(ctx, t.AMIParameter)
			if err != nil {
				return "", err
			}
			if img == cur {
				return latestAMI, nil
			}
			return orDefault(img, "none") + " (parameter holds " + cur + ")", nil
		}),
	}
	if ro := r.sys.Role(t.Role); ro != nil && ro.ProfileName != "" {
		cs = append(cs, field(".profile", "IamInstanceProfile", ro.ProfileName, func(_ context.Context, d data) (string, error) {
			if p := d.IamInstanceProfile; p != nil {
				return r.profileText(ro, aws.ToString(p.Arn), aws.ToString(p.Name)), nil
			}
			return "none", nil
		}))
	}
	cs = append(cs, field(".security-groups", "SecurityGroupIds", string(t.Group), func(ctx context.Context, d data) (string, error) {
		ids := append([]string(nil), d.SecurityGroupIds...)
		for _, n := range d.NetworkInterfaces {
			ids = append(ids, n.Groups...)
		}
		var got []string
		for _, id := range ids {
			got = append(got, r.groupName(ctx, id))
		}
		// Groups given by name (the default VPC's way).
		gs, err := r.groups(ctx)
		if err != nil {
			return "", err
		}
		for _, name := range d.SecurityGroups {
			x := name
			for id, sg := range gs {
				if aws.ToString(sg.GroupName) == name {
					x = string(id)
				}
			}
			got = append(got, x)
		}
		return orDefault(sortedSet(got), "none"), nil
	}))
	metadata := func(d data) ec2types.LaunchTemplateInstanceMetadataOptions {
		if d.MetadataOptions == nil {
			return ec2types.LaunchTemplateInstanceMetadataOptions{}
		}
		return *d.MetadataOptions
	}
	if t.RequireIMDSv2 {
		cs = append(cs, field(".imdsv2", "MetadataOptions.HttpTokens", string(ec2types.LaunchTemplateHttpTokensStateRequired), func(_ context.Context, d data) (string, error) {
			return orDefault(string(metadata(d).HttpTokens), "unset"), nil
		}))
	}
	if t.MetadataHopLimit > 0 {
		cs = append(cs, field(".imds-hop-limit", "MetadataOptions.HttpPutResponseHopLimit", strconv.Itoa(t.MetadataHopLimit), func(_ context.Context, d data) (string, error) {
			if n := metadata(d).HttpPutResponseHopLimit; n != nil {
				return strconv.Itoa(int(*n)), nil
			}
			return "unset", nil
		}))
	}
	rv := t.RootVolume
	root := func(suffix, property, want string, read func(*ec2types.LaunchTemplateEbsBlockDevice) string) check {
		return prop(pre+".root-volume."+suffix, t.ID, "LaunchTemplateData.BlockDeviceMappings["+rv.Device+"].Ebs."+property, want, get, func(_ context.Context, d data) (string, bool, error) {
			e, ok := rootMapping(d, rv.Device)
			if !ok {
				return "", false, nil
			}
			return read(e), true, nil
		})
	}
	cs = append(cs,
		prop(pre+".root-volume.device", t.ID, "LaunchTemplateData.BlockDeviceMappings.DeviceName", rv.Device, get, func(_ context.Context, d data) (string, bool, error) {
			var got []string
			for _, m := range d.BlockDeviceMappings {
				if m.Ebs != nil {
					got = append(got, aws.ToString(m.DeviceName))
				}
			}
			return sortedSet(got), len(got) > 0, nil
		}),
		root("size", "VolumeSize", fmt.Sprintf("%d GiB", rv.SizeGiB), func(e *ec2types.LaunchTemplateEbsBlockDevice) string {
			if e.VolumeSize == nil {
				return "unset (the image's size)"
			}
			return fmt.Sprintf("%d GiB", *e.VolumeSize)
		}),
		root("type", "VolumeType", rv.Type, func(e *ec2types.LaunchTemplateEbsBlockDevice) string { return orDefault(string(e.VolumeType), "unset") }),
		root("encrypted", "Encrypted", tf(rv.Encrypted), func(e *ec2types.LaunchTemplateEbsBlockDevice) string { return tf(aws.ToBool(e.Encrypted)) }))
	if t.CPUCredits != "" {
		cs = append(cs, field(".cpu-credits", "CreditSpecification.CpuCredits", t.CPUCredits, func(_ context.Context, d data) (string, error) {
			if c := d.CreditSpecification; c != nil && aws.ToString(c.CpuCredits) != "" {
				return aws.ToString(c.CpuCredits), nil
			}
			return "unset", nil
		}))
	}
	// User data is the renderers' (it names their artifact store); what
	// the model fixes is that it completes the launch hook, naming the
	// group and the hook as literals. A script that names neither would
	// leave every instance to be abandoned when the heartbeat runs out.
	hook := g.LaunchHook.Name
	wantUD := "completes launch hook " + hook + " of " + g.Name
	cs = append(cs, field(".user-data", "UserData", wantUD, func(_ context.Context, d data) (string, error) {
		ud := aws.ToString(d.UserData)
		if ud == "" {
			return "none", nil
		}
		b, err := base64.StdEncoding.DecodeString(ud)
		if err != nil {
			return "not base64", nil
		}
		script := string(b)
		var missing []string
		if !strings.Contains(script, g.Name) {
			missing = append(missing, "group "+g.Name)
		}
		if !strings.Contains(script, hook) {
			missing = append(missing, "hook "+hook)
		}
		if len(missing) > 0 {
			return "a script that does not name " + strings.Join(missing, " or "), nil
		}
		return wantUD, nil
	}))
	return cs
}
