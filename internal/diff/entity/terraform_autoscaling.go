package entity

import (
	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// nameOrPrefix is a name argument, or its name_prefix with a wildcard for
// the generated rest.
func (b *builder) nameOrPrefix(res *inventory.Resource) inventory.Value {
	if n := b.read(res, "name"); n != nil {
		return n
	}
	if p := b.read(res, "name_prefix"); p != nil {
		return inventory.Lit(literal(p, "") + "*")
	}
	return nil
}

func (t *terraform) launchTemplate(b *builder, e *Entity, res *inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.nameOrPrefix(res)))
	e.Props["type"] = Scalar(b.expr(b.read(res, "instance_type")))
	e.Props["ami"] = Scalar(imageExpr(b.expr(b.read(res, "image_id"))))
	groups := append(b.exprs(b.read(res, "vpc_security_group_ids")), b.exprs(b.read(res, "security_group_names"))...)
	e.Props["security-groups"] = SetOf(groups...)
	profile := b.read(res, "iam_instance_profile", "name")
	if arn := b.read(res, "iam_instance_profile", "arn"); profile == nil {
		profile = arn
	}
	e.Props["profile"] = Scalar(profileExpr(b.expr(profile)))
	e.Props["key-pair"] = Scalar(b.expr(b.read(res, "key_name")))
	e.Props["imds.tokens"] = ScalarText(literal(b.read(res, "metadata_options", "http_tokens"), Unset))
	e.Props["imds.endpoint"] = ScalarText(literal(b.read(res, "metadata_options", "http_endpoint"), "enabled"))
	e.Props["imds.hop-limit"] = ScalarText(numText(b.read(res, "metadata_options", "http_put_response_hop_limit"), Unset))
	e.Props["cpu-credits"] = ScalarText(literal(b.read(res, "credit_specification", "cpu_credits"), Unset))
	b.rootVolume(e, res, nil, tfTemplateDevices)
	b.consume(res, "tag_specifications.resource_type", "tag_specifications.tags")
	var tags []Expr
	for _, ts := range list(prop(res, "tag_specifications")) {
		typ := literal(get(ts, "resource_type"), "?")
		m, _ := get(ts, "tags").(inventory.Map)
		if len(m) == 0 {
			tags = append(tags, Text(typ+" (no tags)"))
		}
		for _, k := range m.Keys() {
			tags = append(tags, launchTag(typ, Text(k), b.expr(m[k])))
		}
	}
	e.Props["launch-tags"] = SetOf(tags...)
	setUserData(e, decodeUserData(b.expr(b.read(res, "user_data"))))
	b.ignoreProps(res, "a label of the template's versions", "description")
	b.ignoreProps(res, "which version is the template's default; a group's version is compared where it launches one (auto-scaling-group/launch-template.version)",
		"update_default_version", "default_version")
}

func (t *terraform) autoScalingGroup(b *builder, e *Entity, res *inventory.Resource, hooks, attachments []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.nameOrPrefix(res)))
	spec := b.read(res, "launch_template", "id")
	if name := b.read(res, "launch_template", "name"); spec == nil {
		spec = name
	}
	e.Props["launch-template"] = Scalar(b.templateRef(spec))
	version := b.read(res, "launch_template", "version")
	switch {
	case spec == nil && version == nil:
		e.Props["launch-template.version"] = ScalarText("none")
	default:
		// The provider's default is "$Default".
		e.Props["launch-template.version"] = Scalar(b.templateVersion(version, "$Default"))
	}
	minSize := numText(b.read(res, "min_size"), Unset)
	desired := numText(b.read(res, "desired_capacity"), minSize)
	e.Props["min-size"] = ScalarText(minSize)
	e.Props["max-size"] = ScalarText(numText(b.read(res, "max_size"), Unset))
	e.Props["desired-capacity"] = ScalarText(desired)
	e.Props["subnets"] = b.refSet(b.read(res, "vpc_zone_identifier"))
	targets := b.exprs(b.read(res, "target_group_arns"))
	for _, a := range attachments {
		if tg := b.read(a, "lb_target_group_arn"); tg != nil {
			targets = append(targets, b.expr(tg))
		}
	}
	e.Props["target-groups"] = SetOf(targets...)
	e.Props["health-check.type"] = ScalarText(literal(b.read(res, "health_check_type"), "EC2"))
	grace := numText(b.read(res, "health_check_grace_period"), "300")
	e.Props["health-check.grace-period"] = ScalarText(seconds(grace))
	warmup := numText(b.read(res, "default_instance_warmup"), "")
	e.Props["default-instance-warmup"] = ScalarText(orNone(seconds(warmup)))

	b.consume(res, "tag.key", "tag.value", "tag.propagate_at_launch")
	var tags []Expr
	for _, tg := range list(prop(res, "tag")) {
		tags = append(tags, groupTag(b.expr(get(tg, "key")), b.expr(get(tg, "value")), boolText(get(tg, "propagate_at_launch"), false)))
	}
	e.Props["tags"] = SetOf(tags...)

	b.consume(res, "initial_lifecycle_hook.name", "initial_lifecycle_hook.lifecycle_transition", "initial_lifecycle_hook.default_result",
		"initial_lifecycle_hook.heartbeat_timeout", "initial_lifecycle_hook.notification_metadata",
		"initial_lifecycle_hook.notification_target_arn", "initial_lifecycle_hook.role_arn")
	var items []Expr
	for _, h := range list(prop(res, "initial_lifecycle_hook")) {
		items = append(items, t.hook(b, func(k string) inventory.Value { return get(h, k) }, true))
	}
	for _, h := range hooks {
		items = append(items, t.hook(b, func(k string) inventory.Value { return b.read(h, k) }, false))
	}
	e.Props["launch-hooks"] = SetOf(items...)

	if prop(res, "instance_refresh") == nil {
		noRollout.set(e)
		return
	}
	if s := literal(b.read(res, "instance_refresh", "strategy"), "Rolling"); s != "Rolling" {
		b.problem(res, "instance_refresh strategy "+s+" is not compared by diff (only Rolling)")
	}
	pref := []string{"instance_refresh", "preferences"}
	if m, ok := get(prop(res, pref...)).(inventory.Map); ok && len(m) == 0 {
		b.consume(res, "instance_refresh.preferences") // an empty block: the defaults
	}
	minPct := numText(b.read(res, append(pref, "min_healthy_percentage")...), "90")
	maxPct := numText(b.read(res, append(pref, "max_healthy_percentage")...), "100")
	// The refresh waits instance_warmup after each new instance is in
	// service; unset, the group's default warmup, else its grace period.
	pause := warmup
	if pause == "" {
		pause = grace
	}
	pause = numText(b.read(res, append(pref, "instance_warmup")...), pause)
	r, err := refreshRollout(desired, minPct, maxPct, pause)
	if err != nil {
		b.problem(res, err.Error())
	}
	r.set(e)
}

// hook reads one lifecycle hook through get.
func (t *terraform) hook(b *builder, get func(string) inventory.Value, atCreation bool) Expr {
	return hook{
		name:       b.expr(get("name")),
		transition: literal(get("lifecycle_transition"), Unset),
		result:     literal(get("default_result"), Unset),
		heartbeat:  numText(get("heartbeat_timeout"), Unset),
		target:     b.expr(get("notification_target_arn")),
		role:       b.expr(get("role_arn")),
		metadata:   b.expr(get("notification_metadata")),
		atCreation: atCreation,
	}.item()
}

func (t *terraform) scalingPolicy(b *builder, e *Entity, res *inventory.Resource) {
	b.ignoreProps(res, "CloudFormation cannot name a scaling policy (AWS::AutoScaling::ScalingPolicy has no name property): a policy is compared by what it does", "name")
	e.Props["group"] = Scalar(b.expr(b.read(res, "autoscaling_group_name")))
	e.Props["type"] = ScalarText(literal(b.read(res, "policy_type"), "SimpleScaling"))
	tt := "target_tracking_configuration"
	e.Props["metric"] = ScalarText(literal(b.read(res, tt, "predefined_metric_specification", "predefined_metric_type"), "none"))
	label := Text("none")
	if v := b.read(res, tt, "predefined_metric_specification", "resource_label"); v != nil {
		label = b.expr(v)
	}
	e.Props["resource-label"] = Scalar(label)
	e.Props["target-value"] = ScalarText(numText(b.read(res, tt, "target_value"), "none"))
	e.Props["disable-scale-in"] = ScalarText(boolText(b.read(res, tt, "disable_scale_in"), false))
	e.Props["warmup"] = ScalarText(orGroupDefault(seconds(numText(b.read(res, "estimated_instance_warmup"), ""))))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func orGroupDefault(s string) string {
	if s == "" {
		return "the group's default"
	}
	return s
}

// tfScalingPolicyKey is the key of an aws_autoscaling_policy.
func (t *terraform) scalingPolicyKey(b *builder, res *inventory.Resource) string {
	return b.policyKey(b.read(res, "autoscaling_group_name"),
		literal(b.read(res, "target_tracking_configuration", "predefined_metric_specification", "predefined_metric_type"), "none"))
}
