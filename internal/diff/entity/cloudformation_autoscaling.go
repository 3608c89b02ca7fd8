package entity

import (
	"strings"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// launchTemplates folds each launch template an instance names into that
// instance (AWS CDK's RequireImdsv2 makes one per instance) and returns,
// per instance address, the template; the others are returned in standalone:
// launch templates of their own (an Auto Scaling group's).
func (c *cloudFormation) launchTemplates(b *builder, byType map[string][]*inventory.Resource) (byInstance map[string]*inventory.Resource, standalone []*inventory.Resource) {
	byName := map[string]*inventory.Resource{}
	for _, lt := range byType["AWS::EC2::LaunchTemplate"] {
		if n, ok := b.read(lt, "LaunchTemplateName").(inventory.Str); ok {
			byName[n.String()] = lt
		}
	}
	byInstance = map[string]*inventory.Resource{}
	used := map[string]bool{}
	for _, in := range byType["AWS::EC2::Instance"] {
		if prop(in, "LaunchTemplate") == nil {
			continue
		}
		b.consume(in, "LaunchTemplate.Version") // the instance's template is folded into it, whichever version
		lt := b.target(b.read(in, "LaunchTemplate", "LaunchTemplateId"))
		if n, ok := b.read(in, "LaunchTemplate", "LaunchTemplateName").(inventory.Str); ok && lt == nil {
			if lt = b.target(n); lt == nil {
				lt = byName[n.String()]
			}
		}
		if lt == nil || lt.Type != "AWS::EC2::LaunchTemplate" {
			b.problem(in, "launch template not found in the template")
			continue
		}
		if e := b.owner[in.Addr]; e != nil {
			b.fold(e, lt.Addr)
		}
		used[lt.Addr] = true
		byInstance[in.Addr] = lt
	}
	for _, lt := range byType["AWS::EC2::LaunchTemplate"] {
		if !used[lt.Addr] {
			standalone = append(standalone, lt)
		}
	}
	return byInstance, standalone
}

func (c *cloudFormation) launchTemplate(b *builder, e *Entity, res *inventory.Resource) {
	d := func(path ...string) inventory.Value {
		return b.read(res, append([]string{"LaunchTemplateData"}, path...)...)
	}
	e.Props["name"] = Scalar(b.expr(b.read(res, "LaunchTemplateName")))
	e.Props["type"] = Scalar(b.expr(d("InstanceType")))
	e.Props["ami"] = Scalar(imageExpr(b.expr(d("ImageId"))))
	groups := append(b.exprs(d("SecurityGroupIds")), b.exprs(d("SecurityGroups"))...)
	e.Props["security-groups"] = SetOf(groups...)
	profile := d("IamInstanceProfile", "Name")
	if arn := d("IamInstanceProfile", "Arn"); profile == nil {
		profile = arn
	}
	e.Props["profile"] = Scalar(profileExpr(b.expr(profile)))
	e.Props["key-pair"] = Scalar(b.expr(d("KeyName")))
	e.Props["imds.tokens"] = ScalarText(literal(d("MetadataOptions", "HttpTokens"), Unset))
	e.Props["imds.endpoint"] = ScalarText(literal(d("MetadataOptions", "HttpEndpoint"), "enabled"))
	e.Props["imds.hop-limit"] = ScalarText(numText(d("MetadataOptions", "HttpPutResponseHopLimit"), Unset))
	e.Props["cpu-credits"] = ScalarText(literal(d("CreditSpecification", "CpuCredits"), Unset))
	b.rootVolume(e, res, []string{"LaunchTemplateData"}, cfnTemplateDevices)
	b.consume(res, "LaunchTemplateData.TagSpecifications.ResourceType", "LaunchTemplateData.TagSpecifications.Tags.Key", "LaunchTemplateData.TagSpecifications.Tags.Value")
	var tags []Expr
	for _, ts := range list(prop(res, "LaunchTemplateData", "TagSpecifications")) {
		typ := literal(get(ts, "ResourceType"), "?")
		if len(list(get(ts, "Tags"))) == 0 {
			tags = append(tags, Text(typ+" (no tags)"))
		}
		for _, t := range list(get(ts, "Tags")) {
			tags = append(tags, launchTag(typ, b.expr(get(t, "Key")), b.expr(get(t, "Value"))))
		}
	}
	e.Props["launch-tags"] = SetOf(tags...)
	setUserData(e, b.expr(d("UserData")))
	b.ignoreProps(res, "a label of the template's versions", "VersionDescription")
}

func (c *cloudFormation) autoScalingGroup(b *builder, e *Entity, res *inventory.Resource, hooks []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "AutoScalingGroupName")))
	spec := b.read(res, "LaunchTemplate", "LaunchTemplateId")
	if name := b.read(res, "LaunchTemplate", "LaunchTemplateName"); spec == nil {
		spec = name
	}
	e.Props["launch-template"] = Scalar(b.templateRef(spec))
	// CloudFormation requires a version; "none" only without a template.
	e.Props["launch-template.version"] = Scalar(b.templateVersion(b.read(res, "LaunchTemplate", "Version"), "none"))
	minSize := numText(b.read(res, "MinSize"), Unset)
	desired := numText(b.read(res, "DesiredCapacity"), minSize)
	e.Props["min-size"] = ScalarText(minSize)
	e.Props["max-size"] = ScalarText(numText(b.read(res, "MaxSize"), Unset))
	e.Props["desired-capacity"] = ScalarText(desired)
	e.Props["subnets"] = b.refSet(b.read(res, "VPCZoneIdentifier"))
	e.Props["target-groups"] = b.refSet(b.read(res, "TargetGroupARNs"))
	e.Props["health-check.type"] = ScalarText(literal(b.read(res, "HealthCheckType"), "EC2"))
	e.Props["health-check.grace-period"] = ScalarText(seconds(numText(b.read(res, "HealthCheckGracePeriod"), "0")))
	e.Props["default-instance-warmup"] = ScalarText(orNone(seconds(numText(b.read(res, "DefaultInstanceWarmup"), ""))))

	b.consume(res, "Tags.Key", "Tags.Value", "Tags.PropagateAtLaunch")
	var tags []Expr
	for _, tg := range list(prop(res, "Tags")) {
		tags = append(tags, groupTag(b.expr(get(tg, "Key")), b.expr(get(tg, "Value")), boolText(get(tg, "PropagateAtLaunch"), false)))
	}
	e.Props["tags"] = SetOf(tags...)

	const spec0 = "LifecycleHookSpecificationList."
	b.consume(res, spec0+"LifecycleHookName", spec0+"LifecycleTransition", spec0+"DefaultResult", spec0+"HeartbeatTimeout",
		spec0+"NotificationMetadata", spec0+"NotificationTargetARN", spec0+"RoleARN")
	var items []Expr
	for _, h := range list(prop(res, "LifecycleHookSpecificationList")) {
		items = append(items, c.hook(b, func(k string) inventory.Value { return get(h, k) }, true))
	}
	for _, h := range hooks {
		items = append(items, c.hook(b, func(k string) inventory.Value { return b.read(h, k) }, false))
	}
	e.Props["launch-hooks"] = SetOf(items...)
	c.rollout(b, res, desired).set(e)
}

// rollout reads the group's UpdatePolicy. The policy's keys are resource
// attributes, not properties: each is accounted for here.
func (c *cloudFormation) rollout(b *builder, res *inventory.Resource, desired string) rollout {
	if cp, ok := res.Meta["CreationPolicy"]; ok && cp != nil {
		b.problem(res, "CreationPolicy (resource signals) is not compared by diff: Terraform has no counterpart")
	}
	up, _ := res.Meta["UpdatePolicy"].(inventory.Map)
	r := noRollout
	for _, k := range up.Keys() {
		switch k {
		case "AutoScalingRollingUpdate":
		case "AutoScalingScheduledAction":
			b.set.Ignored = append(b.set.Ignored, Note{Addr: res.Addr, Type: res.Type, Reason: "UpdatePolicy.AutoScalingScheduledAction: " +
				"how a stack update treats group sizes that scheduled actions or scaling changed; CloudFormation's update behaviour, not what is deployed " +
				"(Terraform's counterpart, lifecycle ignore_changes, is not compared either)"})
		default:
			b.problem(res, "UpdatePolicy."+k+" is not compared by diff")
		}
	}
	ru, ok := up["AutoScalingRollingUpdate"].(inventory.Map)
	if !ok {
		if _, present := up["AutoScalingRollingUpdate"]; present {
			b.problem(res, "UpdatePolicy.AutoScalingRollingUpdate is not an object")
		}
		return r
	}
	for _, k := range ru.Keys() {
		v := literal(ru[k], "")
		switch {
		case k == "MaxBatchSize" || k == "MinInstancesInService" || k == "PauseTime" || k == "SuspendProcesses":
		case k == "WaitOnResourceSignals" && strings.EqualFold(v, "false"):
		case k == "MinSuccessfulInstancesPercent" && v == "100":
		default:
			b.problem(res, "UpdatePolicy.AutoScalingRollingUpdate."+k+" is not compared by diff: Terraform's instance refresh has no counterpart")
		}
	}
	var suspend []string
	for _, p := range list(ru["SuspendProcesses"]) {
		suspend = append(suspend, literal(p, "?"))
	}
	r, err := rollingRollout(desired, b.text(orLit(ru["MaxBatchSize"], "1")), b.text(orLit(ru["MinInstancesInService"], "0")),
		b.text(orLit(ru["PauseTime"], "PT0S")), suspend)
	if err != nil {
		b.problem(res, err.Error())
	}
	return r
}

func orLit(v inventory.Value, def string) inventory.Value {
	if v == nil {
		return inventory.Lit(def)
	}
	return v
}

// hook reads one lifecycle hook through get.
func (c *cloudFormation) hook(b *builder, get func(string) inventory.Value, atCreation bool) Expr {
	return hook{
		name:       b.expr(get("LifecycleHookName")),
		transition: literal(get("LifecycleTransition"), Unset),
		result:     literal(get("DefaultResult"), Unset),
		heartbeat:  numText(get("HeartbeatTimeout"), Unset),
		target:     b.expr(get("NotificationTargetARN")),
		role:       b.expr(get("RoleARN")),
		metadata:   b.expr(get("NotificationMetadata")),
		atCreation: atCreation,
	}.item()
}

func (c *cloudFormation) scalingPolicyKey(b *builder, res *inventory.Resource) string {
	return b.policyKey(b.read(res, "AutoScalingGroupName"),
		literal(b.read(res, "TargetTrackingConfiguration", "PredefinedMetricSpecification", "PredefinedMetricType"), "none"))
}

func (c *cloudFormation) scalingPolicy(b *builder, e *Entity, res *inventory.Resource) {
	e.Props["group"] = Scalar(b.expr(b.read(res, "AutoScalingGroupName")))
	e.Props["type"] = ScalarText(literal(b.read(res, "PolicyType"), "SimpleScaling"))
	tt := "TargetTrackingConfiguration"
	e.Props["metric"] = ScalarText(literal(b.read(res, tt, "PredefinedMetricSpecification", "PredefinedMetricType"), "none"))
	label := Text("none")
	if v := b.read(res, tt, "PredefinedMetricSpecification", "ResourceLabel"); v != nil {
		label = b.expr(v)
	}
	e.Props["resource-label"] = Scalar(label)
	e.Props["target-value"] = ScalarText(numText(b.read(res, tt, "TargetValue"), "none"))
	e.Props["disable-scale-in"] = ScalarText(boolText(b.read(res, tt, "DisableScaleIn"), false))
	e.Props["warmup"] = ScalarText(orGroupDefault(seconds(numText(b.read(res, "EstimatedInstanceWarmup"), ""))))
}
