package entity

import (
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// FromTerraform maps a Terraform document onto entities.
func FromTerraform(doc *inventory.Document) (*Set, error) {
	if doc == nil || doc.Dialect != inventory.Terraform {
		return nil, fmt.Errorf("not a Terraform document")
	}
	t := &terraform{}
	b := newBuilder(doc, t)
	t.build(b)
	return b.finish(), nil
}

type terraform struct{}

// knownData reports the data sources whose values the diff understands.
func knownData(typ string) bool {
	switch typ {
	case "aws_caller_identity", "aws_partition", "aws_region", "aws_availability_zones", "aws_ssm_parameter", "aws_iam_policy_document", "aws_ami":
		return true
	}
	return false
}

// helperReason says why a resource of a non-AWS provider that
// hand-written Terraform typically uses is not compared itself; its
// values still reach the AWS resources that use them, as named
// placeholders.
func helperReason(typ string) (string, bool) {
	switch {
	case strings.HasPrefix(typ, "random_"):
		return "random provider: a generated value (a name suffix, a password) known only at apply; compared where used as {random:...}", true
	case strings.HasPrefix(typ, "tls_"):
		return "tls provider: key material generated at apply; compared where used as {tls:...} (an aws_key_pair from it is a key pair)", true
	case typ == "local_file" || typ == "local_sensitive_file":
		return "local provider: a file on the deployer's machine, not infrastructure", true
	case typ == "archive_file":
		return "archive provider: packaging on the deployer's machine; the package is compared by role where used", true
	case typ == "null_resource" || typ == "terraform_data" || typ == "time_sleep":
		return "a plan-time helper that creates no infrastructure", true
	}
	return "", false
}

func (terraform) special(b *builder, res *inventory.Resource, r *inventory.Ref) (Expr, bool) {
	if _, ok := helperReason(res.Type); ok {
		kind := strings.SplitN(res.Type, "_", 2)[0]
		if res.Type == "archive_file" {
			return Text("{package}"), true
		}
		return Text("{" + kind + ":" + strings.TrimPrefix(res.Addr, "data.") + "." + r.Attr + "}"), true
	}
	switch res.Mode {
	case inventory.Parameter:
		if d, ok := res.Props["default"]; ok {
			return b.expr(d), true
		}
		return Text(inputName(strings.TrimPrefix(res.Addr, "var."))), true
	case inventory.Data:
	default:
		return nil, false
	}
	switch res.Type {
	case "aws_caller_identity":
		if r.Attr == "account_id" || r.Attr == "id" {
			return Text("{account}"), true
		}
	case "aws_partition":
		switch r.Attr {
		case "partition", "id":
			return Text("{partition}"), true
		case "dns_suffix":
			return Text("{url-suffix}"), true
		}
	case "aws_region":
		if r.Attr == "name" || r.Attr == "id" || r.Attr == "region" {
			return Text("{region}"), true
		}
	case "aws_availability_zones":
		if r.Attr == "names" && len(r.Path) == 1 {
			return Text("{az:" + r.Path[0] + "}"), true
		}
	case "aws_ssm_parameter":
		if r.Attr == "value" || r.Attr == "insecure_value" {
			return Text("{ssm:" + literal(res.Props["name"], "?") + "}"), true
		}
	case "aws_ami":
		if r.Attr == "id" || r.Attr == "image_id" {
			return Text(amiLookup(res)), true
		}
	}
	return nil, false
}

// amiLookup describes a data "aws_ami" search: an image chosen at plan
// time, never the same thing as a literal AMI id.
func amiLookup(res *inventory.Resource) string {
	var parts []string
	if o := list(res.Props["owners"]); len(o) > 0 {
		var owners []string
		for _, v := range o {
			owners = append(owners, literal(v, "?"))
		}
		parts = append(parts, "owners "+strings.Join(owners, ","))
	}
	for _, f := range list(res.Props["filter"]) {
		var vals []string
		for _, v := range list(get(f, "values")) {
			vals = append(vals, literal(v, "?"))
		}
		parts = append(parts, literal(get(f, "name"), "?")+"="+strings.Join(vals, ","))
	}
	if boolText(res.Props["most_recent"], false) == "true" {
		parts = append(parts, "most recent")
	}
	return "{AMI lookup: " + strings.Join(parts, "; ") + "}"
}

func (terraform) attr(res *inventory.Resource, a string) string {
	switch res.Type + "." + a {
	case "aws_key_pair.id", "aws_key_pair.key_name":
		return "name"
	case "aws_route_table.id":
		return "route-table-id"
	case "aws_apigatewayv2_api.id", "aws_apigatewayv2_api.api_id":
		return "id"
	case "aws_s3_bucket.id", "aws_s3_bucket.bucket", "aws_s3_object.bucket",
		"aws_dynamodb_table.id", "aws_dynamodb_table.name",
		"aws_iam_role.id", "aws_iam_role.name",
		"aws_lambda_function.id", "aws_lambda_function.function_name":
		return "name"
	case "aws_s3_object.id", "aws_s3_object.key":
		return "object-key"
	case "aws_iam_instance_profile.id", "aws_iam_instance_profile.name":
		return "profile-name"
	case "aws_iam_instance_profile.arn":
		return "profile-arn"
	case "aws_lb.id":
		return "arn"
	case "aws_lb_target_group.id":
		return "arn"
	case "aws_lambda_function_url.function_url":
		return "url"
	case "aws_autoscaling_group.id", "aws_autoscaling_group.name":
		return "name"
	case "aws_lb.arn_suffix", "aws_alb.arn_suffix", "aws_lb_target_group.arn_suffix", "aws_alb_target_group.arn_suffix":
		// CloudFormation's LoadBalancerFullName / TargetGroupFullName.
		return "full-name"
	}
	return strings.ReplaceAll(a, "_", "-")
}

// post stands the artifact object's key in for its role: the object, not
// its content hash, is what the two sides share.
func (terraform) post(e Expr) Expr {
	for i, p := range e {
		if p.Ref != nil && p.Ref.Kind == ArtifactStore && p.Ref.Attr == "object-key" {
			e[i] = Part{Lit: "{object}"}
		}
	}
	return Join(e)
}

func (t *terraform) build(b *builder) {
	byType := map[string][]*inventory.Resource{}
	for _, res := range b.doc.Resources {
		switch res.Mode {
		case inventory.Managed:
			if reason, ok := helperReason(res.Type); ok {
				b.ignore(res, reason)
				continue
			}
			byType[res.Type] = append(byType[res.Type], res)
		case inventory.Data:
			if knownData(res.Type) {
				b.used[res.Addr] = true
			}
			if reason, ok := helperReason(res.Type); ok {
				b.ignore(res, reason)
			}
		case inventory.Parameter:
			b.used[res.Addr] = true
		}
	}

	// Artifact storage: the buckets holding aws_s3_object artifacts.
	artifact := map[string]bool{}
	for _, obj := range byType["aws_s3_object"] {
		if tgt := b.target(b.read(obj, "bucket")); tgt != nil && tgt.Type == "aws_s3_bucket" {
			artifact[tgt.Addr] = true
		}
	}
	var store *Entity
	for _, res := range byType["aws_s3_bucket"] {
		if !artifact[res.Addr] {
			continue
		}
		if store == nil {
			store = b.entity(ArtifactStore, "artifacts", res.Addr)
		} else {
			b.fold(store, res.Addr)
		}
	}
	for _, res := range byType["aws_s3_bucket"] {
		if !artifact[res.Addr] {
			b.entity(Bucket, b.text(b.read(res, "bucket")), res.Addr)
		}
	}
	for _, obj := range byType["aws_s3_object"] {
		if o := b.ownerOf(b.read(obj, "bucket")); o != nil && o == store {
			b.fold(store, obj.Addr)
		}
	}
	for _, res := range byType["aws_dynamodb_table"] {
		b.entity(Table, b.text(b.read(res, "name")), res.Addr)
	}
	for _, res := range byType["aws_vpc"] {
		b.entity(VPC, b.text(b.read(res, "cidr_block")), res.Addr)
	}
	for _, res := range byType["aws_internet_gateway"] {
		b.entity(Gateway, b.vpcKey(b.read(res, "vpc_id")), res.Addr)
	}
	for _, res := range byType["aws_subnet"] {
		b.entity(Subnet, b.text(b.read(res, "cidr_block")), res.Addr)
	}
	for _, res := range byType["aws_security_group"] {
		b.entity(SecurityGroup, literal(b.read(res, "name"), ""), res.Addr)
	}
	roleTrust := map[*Entity][]statement{}
	for _, res := range byType["aws_iam_role"] {
		sts, err := t.policy(b, b.read(res, "assume_role_policy"))
		_, key := trust(sts)
		e := b.entity(Role, key, res.Addr)
		if err != nil {
			b.problem(res, "assume_role_policy: "+err.Error())
		}
		roleTrust[e] = sts
	}
	for _, res := range byType["aws_vpc_endpoint"] {
		b.entity(Endpoint, b.text(b.read(res, "service_name")), res.Addr)
	}
	for _, res := range byType["aws_key_pair"] {
		b.entity(KeyPair, b.text(b.read(res, "key_name")), res.Addr)
	}
	for _, res := range byType["aws_instance"] {
		b.entity(Instance, literal(b.read(res, "tags", "Name"), ""), res.Addr)
	}
	// Volumes are known by where they are attached.
	attached := map[string]volumeAttachment{}
	for _, a := range byType["aws_volume_attachment"] {
		if v := b.target(b.read(a, "volume_id")); v != nil {
			attached[v.Addr] = volumeAttachment{literal(b.read(a, "device_name"), "?"), b.expr(b.read(a, "instance_id"))}
		}
	}
	for _, res := range byType["aws_ebs_volume"] {
		at := attached[res.Addr]
		e := b.entity(Volume, at.text().String(), res.Addr)
		e.Props["attached"] = Scalar(at.text())
	}
	b.attach(byType["aws_volume_attachment"], "volume_id", Volume)
	for _, typ := range []string{"aws_lb_target_group", "aws_alb_target_group"} {
		for _, res := range byType[typ] {
			b.entity(TargetGroup, literal(b.read(res, "name"), ""), res.Addr)
		}
	}
	for _, typ := range []string{"aws_lb", "aws_alb"} {
		for _, res := range byType[typ] {
			b.entity(LoadBalancer, literal(b.read(res, "name"), ""), res.Addr)
		}
	}
	for _, res := range byType["aws_launch_template"] {
		b.entity(LaunchTemplate, literal(b.nameOrPrefix(res), ""), res.Addr)
	}
	for _, res := range byType["aws_autoscaling_group"] {
		b.entity(AutoScalingGroup, literal(b.nameOrPrefix(res), ""), res.Addr)
	}
	for _, res := range byType["aws_autoscaling_policy"] {
		b.entity(ScalingPolicy, t.scalingPolicyKey(b, res), res.Addr)
	}
	for _, res := range byType["aws_lambda_function"] {
		b.entity(Function, b.text(b.read(res, "function_name")), res.Addr)
	}
	for _, res := range byType["aws_apigatewayv2_api"] {
		b.entity(HTTPAPI, b.text(b.read(res, "name")), res.Addr)
	}
	for _, res := range byType["aws_cloudwatch_log_group"] {
		b.entity(LogGroup, b.text(b.read(res, "name")), res.Addr)
	}
	// Instance profiles belong to their role: references to a profile are
	// references to the role's profile.
	profiles := b.attach(byType["aws_iam_instance_profile"], "role", Role)

	// Resources that configure another one.
	bucketParts := map[string]map[*Entity][]*inventory.Resource{}
	for _, typ := range []string{"aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block",
		"aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_policy", "aws_s3_bucket_lifecycle_configuration"} {
		bucketParts[typ] = b.attach(byType[typ], "bucket", Bucket, ArtifactStore)
	}
	igwAttach := b.attach(byType["aws_internet_gateway_attachment"], "internet_gateway_id", Gateway)
	sgRules := map[*Entity][]*inventory.Resource{}
	for _, typ := range []string{"aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"} {
		for e, rs := range b.attach(byType[typ], "security_group_id", SecurityGroup) {
			sgRules[e] = append(sgRules[e], rs...)
		}
	}
	rolePolicies := b.attach(byType["aws_iam_role_policy"], "role", Role)
	roleAttachments := b.attach(byType["aws_iam_role_policy_attachment"], "role", Role)
	for _, res := range byType["aws_iam_policy"] {
		b.used[res.Addr] = true // read through the attachments that use it
	}
	tgAttach := b.attach(byType["aws_lb_target_group_attachment"], "target_group_arn", TargetGroup)
	listeners := map[*Entity][]*inventory.Resource{}
	for _, typ := range []string{"aws_lb_listener", "aws_alb_listener"} {
		for e, rs := range b.attach(byType[typ], "load_balancer_arn", LoadBalancer) {
			listeners[e] = append(listeners[e], rs...)
		}
	}
	groupHooks := b.attach(byType["aws_autoscaling_lifecycle_hook"], "autoscaling_group_name", AutoScalingGroup)
	groupAttachments := b.attach(byType["aws_autoscaling_attachment"], "autoscaling_group_name", AutoScalingGroup)
	urls := b.attach(byType["aws_lambda_function_url"], "function_name", Function)
	perms := b.attach(byType["aws_lambda_permission"], "function_name", Function)
	apiIntegrations := b.attach(byType["aws_apigatewayv2_integration"], "api_id", HTTPAPI)
	apiRoutes := b.attach(byType["aws_apigatewayv2_route"], "api_id", HTTPAPI)
	apiStages := b.attach(byType["aws_apigatewayv2_stage"], "api_id", HTTPAPI)
	routes := t.routes(b, byType)

	for _, e := range b.set.Entities {
		res := b.doc.Lookup(e.Sources[0])
		switch e.Kind {
		case Bucket:
			t.bucket(b, e, res, bucketParts)
		case ArtifactStore:
			t.artifactStore(b, e, bucketParts)
		case Table:
			t.table(b, e, res)
		case VPC:
			e.Props["cidr"] = Scalar(b.expr(b.read(res, "cidr_block")))
			e.Props["dns-support"] = ScalarText(boolText(b.read(res, "enable_dns_support"), true))
			e.Props["dns-hostnames"] = ScalarText(boolText(b.read(res, "enable_dns_hostnames"), false))
		case Gateway:
			vpc := b.expr(b.read(res, "vpc_id"))
			for _, a := range igwAttach[e] {
				vpc = b.expr(b.read(a, "vpc_id"))
			}
			e.Props["vpc"] = Scalar(vpc)
		case Subnet:
			e.Props["cidr"] = Scalar(b.expr(b.read(res, "cidr_block")))
			az := b.read(res, "availability_zone")
			if az == nil {
				az = b.read(res, "availability_zone_id")
			}
			e.Props["availability-zone"] = Scalar(b.expr(az))
			e.Props["vpc"] = Scalar(b.expr(b.read(res, "vpc_id")))
			e.Props["public-ip-on-launch"] = ScalarText(boolText(b.read(res, "map_public_ip_on_launch"), false))
			e.Props["routes"] = SetOf(routes[res.Addr]...)
		case SecurityGroup:
			t.securityGroup(b, e, res, sgRules[e])
		case Role:
			t.role(b, e, res, roleTrust[e], rolePolicies[e], roleAttachments[e], profiles[e])
		case Instance:
			t.instance(b, e, res)
		case TargetGroup:
			t.targetGroup(b, e, res, tgAttach[e])
		case LoadBalancer:
			t.loadBalancer(b, e, res, listeners[e])
		case LaunchTemplate:
			t.launchTemplate(b, e, res)
		case AutoScalingGroup:
			t.autoScalingGroup(b, e, res, groupHooks[e], groupAttachments[e])
		case ScalingPolicy:
			t.scalingPolicy(b, e, res)
		case Function:
			t.function(b, e, res, urls[e])
			var items []Expr
			for _, p := range perms[e] {
				b.ignoreProps(p, "a label of the permission statement", "statement_id", "statement_id_prefix")
				items = append(items, invokePermission(b.expr(b.read(p, "action")), b.expr(b.read(p, "principal")),
					executeARN(b.expr(b.read(p, "source_arn"))), b.expr(b.read(p, "function_url_auth_type"))))
			}
			e.Props["invoke-permissions"] = SetOf(items...)
		case Endpoint:
			e.Props["service"] = Scalar(b.expr(b.read(res, "service_name")))
			e.Props["type"] = ScalarText(literal(b.read(res, "vpc_endpoint_type"), "Gateway"))
			e.Props["vpc"] = Scalar(b.expr(b.read(res, "vpc_id")))
			e.Props["subnets"] = b.refSet(b.read(res, "subnet_ids"))
			e.Props["security-groups"] = b.refSet(b.read(res, "security_group_ids"))
			e.Props["route-tables"] = b.refSet(b.read(res, "route_table_ids"))
			e.Props["private-dns"] = ScalarText(boolText(b.read(res, "private_dns_enabled"), false))
			sts, err := t.policy(b, b.read(res, "policy"))
			if err != nil {
				b.problem(res, "policy: "+err.Error())
			}
			e.Props["policy"] = endpointPolicy(sts)
		case KeyPair:
			e.Props["name"] = Scalar(b.expr(b.read(res, "key_name")))
			var material Expr
			if v := b.read(res, "public_key"); v != nil {
				material = b.expr(v)
			}
			e.Props["public-key"] = Scalar(publicKey(material))
		case LogGroup:
			e.Props["name"] = Scalar(b.expr(b.read(res, "name")))
			e.Props["retention"] = ScalarText(retentionText(numText(b.read(res, "retention_in_days"), "")))
		case Volume:
			e.Props["availability-zone"] = Scalar(b.expr(b.read(res, "availability_zone")))
			e.Props["size"] = ScalarText(numText(b.read(res, "size"), Unset))
			e.Props["type"] = ScalarText(literal(b.read(res, "type"), "gp2"))
			e.Props["encrypted"] = ScalarText(boolText(b.read(res, "encrypted"), false))
			e.Props["iops"] = ScalarText(numText(b.read(res, "iops"), Unset))
			e.Props["throughput"] = ScalarText(numText(b.read(res, "throughput"), Unset))
		case HTTPAPI:
			e.Props["name"] = Scalar(b.expr(b.read(res, "name")))
			e.Props["protocol"] = ScalarText(literal(b.read(res, "protocol_type"), Unset))
			integ := map[string]Expr{}
			for _, in := range apiIntegrations[e] {
				integ[in.Addr] = Join(Text(literal(b.read(in, "integration_type"), Unset)+" "), invokeTarget(b.expr(b.read(in, "integration_uri"))),
					Text(" payload "+literal(b.read(in, "payload_format_version"), "1.0")))
			}
			var routes []Expr
			for _, rt := range apiRoutes[e] {
				target := Text("(no target)")
				if s, ok := b.read(rt, "target").(inventory.Str); ok {
					for _, p := range s {
						if p.Ref != nil {
							if d, ok := integ[p.Ref.Addr]; ok {
								target = d
							}
						}
					}
				}
				routes = append(routes, Join(Text(literal(b.read(rt, "route_key"), Unset)+" -> "), target,
					Text(" (auth "+literal(b.read(rt, "authorization_type"), "NONE")+")")))
			}
			e.Props["routes"] = SetOf(routes...)
			var stages []Expr
			for _, st := range apiStages[e] {
				stages = append(stages, Text(literal(b.read(st, "name"), Unset)+" auto-deploy "+boolText(b.read(st, "auto_deploy"), false)))
			}
			e.Props["stages"] = SetOf(stages...)
		}
	}
	for _, o := range b.doc.Outputs {
		e := b.entity(Output, o.Name, "")
		e.Sources = []string{"output." + o.Name}
		e.Props["value"] = Scalar(b.expr(o.Value))
		e.Props["description"] = ScalarText(o.Description)
	}
}

// artifactStore compares what matters of the buckets holding deploy-time
// artifacts: that they stay private. Their names, contents and
// lifecycle are the deployer's choice, ignored with that reason.
func (t *terraform) artifactStore(b *builder, e *Entity, parts map[string]map[*Entity][]*inventory.Resource) {
	pab := map[string]bool{"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}
	for _, r := range parts["aws_s3_bucket_public_access_block"][e] {
		for k := range pab {
			pab[k] = pab[k] && boolText(b.read(r, k), false) == "true"
		}
	}
	var on []string
	for _, k := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
		if pab[k] {
			on = append(on, strings.ReplaceAll(k, "_", "-"))
		}
	}
	if len(on) == 0 {
		on = []string{"none"}
	}
	e.Props["public-access-block"] = ScalarText(strings.Join(on, " "))
	tls := "no"
	for _, r := range parts["aws_s3_bucket_policy"][e] {
		sts, err := t.policy(b, b.read(r, "policy"))
		if err != nil {
			b.problem(r, "policy: "+err.Error())
		}
		for _, it := range permissions(sts) {
			s := it.String()
			if strings.HasPrefix(s, "Deny s3:* ") && strings.Contains(s, "aws:SecureTransport") && strings.Contains(s, "false") {
				tls = "yes"
			}
		}
	}
	e.Props["tls-only"] = ScalarText(tls)
	for _, a := range e.Sources {
		res := b.doc.Lookup(a)
		switch res.Type {
		case "aws_s3_bucket":
			b.ignoreProps(res, "the artifact store is compared by role; its name and lifecycle are the deployer's choice", "bucket", "bucket_prefix", "force_destroy")
		case "aws_s3_object":
			b.ignoreProps(res, "an uploaded artifact, compared by role where it is used", "key", "source", "source_hash", "etag", "content_type")
		case "aws_s3_bucket_server_side_encryption_configuration":
			b.ignoreProps(res, "S3 encrypts every object at rest; the algorithm of the artifact store is the deployer's choice", "rule")
		}
	}
}

// attach folds each resource into the entity its attr refers to; resources
// that refer to nothing of the wanted kinds are unsupported.
func (b *builder) attach(rs []*inventory.Resource, attr string, kinds ...Kind) map[*Entity][]*inventory.Resource {
	out := map[*Entity][]*inventory.Resource{}
	for _, res := range rs {
		o := b.ownerOf(b.read(res, attr))
		ok := false
		for _, k := range kinds {
			if o != nil && o.Kind == k {
				ok = true
			}
		}
		if !ok {
			b.unsupported(res, fmt.Sprintf("its %s refers to nothing diff maps", attr))
			continue
		}
		b.fold(o, res.Addr)
		out[o] = append(out[o], res)
	}
	return out
}

// problem records that part of a resource could not be read: the resource
// stays compared, but equivalence cannot be claimed.
func (b *builder) problem(res *inventory.Resource, reason string) {
	b.set.Unsupported = append(b.set.Unsupported, Note{Addr: res.Addr, Type: res.Type, Reason: reason})
}

// policy reads an IAM policy given as a document data source, JSON text
// or an object.
func (t *terraform) policy(b *builder, v inventory.Value) ([]statement, error) {
	if v == nil {
		return nil, nil
	}
	if res := b.target(v); res != nil && res.Mode == inventory.Data && res.Type == "aws_iam_policy_document" {
		doc, err := policyDocumentData(res)
		if err != nil {
			return nil, err
		}
		return b.statements(doc)
	}
	if s, ok := v.(inventory.Str); ok {
		doc, err := inventory.ParseJSON(s)
		if err != nil {
			return nil, fmt.Errorf("policy JSON: %w", err)
		}
		return b.statements(doc)
	}
	return b.statements(v)
}

// policyDocumentData turns a data "aws_iam_policy_document" into the IAM
// JSON it renders.
func policyDocumentData(res *inventory.Resource) (inventory.Value, error) {
	for _, k := range []string{"source_policy_documents", "override_policy_documents", "source_json", "override_json"} {
		if _, ok := res.Props[k]; ok {
			return nil, fmt.Errorf("%s: %s is not supported", res.Addr, k)
		}
	}
	var sts inventory.List
	for _, sv := range list(res.Props["statement"]) {
		sm, ok := sv.(inventory.Map)
		if !ok {
			return nil, fmt.Errorf("%s: statement is not a block", res.Addr)
		}
		st := inventory.Map{"Effect": inventory.Lit(literal(sm["effect"], "Allow"))}
		for src, dst := range map[string]string{"actions": "Action", "not_actions": "NotAction", "resources": "Resource", "not_resources": "NotResource"} {
			if v, ok := sm[src]; ok {
				st[dst] = v
			}
		}
		for src, dst := range map[string]string{"principals": "Principal", "not_principals": "NotPrincipal"} {
			blocks := list(sm[src])
			if len(blocks) == 0 {
				continue
			}
			pm := inventory.Map{}
			for _, pb := range blocks {
				pbm, ok := pb.(inventory.Map)
				if !ok {
					return nil, fmt.Errorf("%s: %s is not a block", res.Addr, src)
				}
				typ := literal(pbm["type"], "")
				ids := list(pbm["identifiers"])
				if typ == "*" {
					typ = "AWS"
				}
				if prev, ok := pm[typ].(inventory.List); ok {
					ids = append(append(inventory.List{}, prev...), ids...)
				}
				pm[typ] = ids
			}
			st[dst] = pm
		}
		if conds := list(sm["condition"]); len(conds) > 0 {
			cm := inventory.Map{}
			for _, cv := range conds {
				c, ok := cv.(inventory.Map)
				if !ok {
					return nil, fmt.Errorf("%s: condition is not a block", res.Addr)
				}
				op := literal(c["test"], "")
				inner, _ := cm[op].(inventory.Map)
				if inner == nil {
					inner = inventory.Map{}
					cm[op] = inner
				}
				inner[literal(c["variable"], "")] = c["values"]
			}
			st["Condition"] = cm
		}
		sts = append(sts, st)
	}
	return inventory.Map{"Statement": sts}, nil
}

func (t *terraform) bucket(b *builder, e *Entity, res *inventory.Resource, parts map[string]map[*Entity][]*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "bucket")))
	versioning := "Disabled"
	if v := b.read(res, "versioning", "enabled"); v != nil && boolText(v, false) == "true" {
		versioning = "Enabled"
	}
	for _, r := range parts["aws_s3_bucket_versioning"][e] {
		versioning = literal(b.read(r, "versioning_configuration", "status"), versioning)
	}
	e.Props["versioning"] = ScalarText(versioning)
	// New buckets block all public access unless told otherwise.
	pab := map[string]string{"block_public_acls": "true", "block_public_policy": "true", "ignore_public_acls": "true", "restrict_public_buckets": "true"}
	for _, r := range parts["aws_s3_bucket_public_access_block"][e] {
		for k := range pab {
			pab[k] = boolText(b.read(r, k), false)
		}
	}
	for k, v := range pab {
		e.Props["public-access-block."+strings.ReplaceAll(k, "_", "-")] = ScalarText(v)
	}
	// S3 encrypts every new object with SSE-S3 by default.
	enc := literal(b.read(res, "server_side_encryption_configuration", "rule", "apply_server_side_encryption_by_default", "sse_algorithm"), "AES256")
	for _, r := range parts["aws_s3_bucket_server_side_encryption_configuration"][e] {
		enc = literal(b.read(r, "rule", "apply_server_side_encryption_by_default", "sse_algorithm"), enc)
	}
	e.Props["encryption"] = ScalarText(enc)
	var rules []Expr
	for _, r := range parts["aws_s3_bucket_lifecycle_configuration"][e] {
		for _, rule := range list(b.read(r, "rule")) {
			var acts []string
			if d := get(rule, "abort_incomplete_multipart_upload", "days_after_initiation"); d != nil {
				acts = append(acts, "abort incomplete multipart uploads after "+numText(d, "?")+" days")
			}
			if d := get(rule, "noncurrent_version_expiration", "noncurrent_days"); d != nil {
				acts = append(acts, "expire noncurrent versions after "+numText(d, "?")+" days")
			}
			if d := get(rule, "expiration", "days"); d != nil {
				acts = append(acts, "expire objects after "+numText(d, "?")+" days")
			}
			filter := literal(get(rule, "filter", "prefix"), literal(get(rule, "prefix"), ""))
			rules = append(rules, lifecycleRule(literal(get(rule, "status"), "Enabled"), filter, acts))
		}
		b.consume(r, "rule.id", "rule.status", "rule.filter.prefix", "rule.prefix", "rule.abort_incomplete_multipart_upload.days_after_initiation",
			"rule.noncurrent_version_expiration.noncurrent_days", "rule.expiration.days")
		if f := get(b.read(r, "rule"), "filter"); f != nil {
			if m, ok := one(f).(inventory.Map); ok && len(m) == 0 {
				b.consume(r, "rule.filter") // an empty filter: all objects
			}
		}
	}
	e.Props["lifecycle"] = SetOf(rules...)
	var sts []statement
	policies := parts["aws_s3_bucket_policy"][e]
	if p := b.read(res, "policy"); p != nil {
		s, err := t.policy(b, p)
		if err != nil {
			b.problem(res, "policy: "+err.Error())
		}
		sts = append(sts, s...)
	}
	for _, r := range policies {
		s, err := t.policy(b, b.read(r, "policy"))
		if err != nil {
			b.problem(r, "policy: "+err.Error())
		}
		sts = append(sts, s...)
	}
	e.Props["policy"] = SetOf(permissions(sts)...)
	// force_destroy empties the bucket on destroy; without it a non-empty
	// bucket cannot be deleted and the data stays.
	onDestroy := "kept"
	if boolText(b.read(res, "force_destroy"), false) == "true" {
		onDestroy = "destroyed"
	}
	e.Props["data-on-destroy"] = ScalarText(onDestroy)
}

func (t *terraform) table(b *builder, e *Entity, res *inventory.Resource) {
	types := map[string]string{}
	for _, a := range list(b.read(res, "attribute")) {
		types[literal(get(a, "name"), "")] = literal(get(a, "type"), "?")
	}
	key := func(name inventory.Value) string {
		n := literal(name, "")
		if n == "" {
			return "none"
		}
		return n + " " + types[n]
	}
	e.Props["name"] = Scalar(b.expr(b.read(res, "name")))
	e.Props["partition-key"] = ScalarText(key(b.read(res, "hash_key")))
	e.Props["sort-key"] = ScalarText(key(b.read(res, "range_key")))
	e.Props["billing-mode"] = ScalarText(literal(b.read(res, "billing_mode"), "PROVISIONED"))
	e.Props["capacity"] = ScalarText(capacity(literal(b.read(res, "billing_mode"), "PROVISIONED"),
		numText(b.read(res, "read_capacity"), Unset), numText(b.read(res, "write_capacity"), Unset)))
	e.Props["point-in-time-recovery"] = ScalarText(boolText(b.read(res, "point_in_time_recovery", "enabled"), false))
	e.Props["ttl"] = ScalarText(ttlText(literal(b.read(res, "ttl", "attribute_name"), ""), boolText(b.read(res, "ttl", "enabled"), false) == "true"))
	var idx []Expr
	for _, g := range list(b.read(res, "global_secondary_index")) {
		idx = append(idx, Text(indexItem(literal(get(g, "name"), ""), key(get(g, "hash_key")), key(get(g, "range_key")), literal(get(g, "projection_type"), "?"))))
	}
	for _, l := range list(b.read(res, "local_secondary_index")) {
		idx = append(idx, Text("local "+indexItem(literal(get(l, "name"), ""), key(b.read(res, "hash_key")), key(get(l, "range_key")), literal(get(l, "projection_type"), "?"))))
	}
	e.Props["indexes"] = SetOf(idx...)
	protect := boolText(b.read(res, "deletion_protection_enabled"), false)
	e.Props["deletion-protection"] = ScalarText(protect)
	onDestroy := "destroyed"
	if protect == "true" || boolText(get(res.Meta["lifecycle"], "prevent_destroy"), false) == "true" {
		onDestroy = "kept"
	}
	e.Props["data-on-destroy"] = ScalarText(onDestroy)
}

func indexItem(name, partition, sort, projection string) string {
	s := name + ": " + partition
	if sort != "none" {
		s += " / " + sort
	}
	return s + " projecting " + projection
}

// routes maps each subnet address to the routes of its route table.
func (t *terraform) routes(b *builder, byType map[string][]*inventory.Resource) map[string][]Expr {
	tableRoutes := map[string][]Expr{}
	for _, rt := range byType["aws_route_table"] {
		for _, r := range list(b.read(rt, "route")) {
			m, _ := r.(inventory.Map)
			tableRoutes[rt.Addr] = append(tableRoutes[rt.Addr], t.route(b, func(k string) inventory.Value { return m[k] }))
		}
	}
	for _, r := range byType["aws_route"] {
		rt := b.target(b.read(r, "route_table_id"))
		if rt == nil || rt.Type != "aws_route_table" {
			b.unsupported(r, "its route_table_id refers to no route table")
			continue
		}
		tableRoutes[rt.Addr] = append(tableRoutes[rt.Addr], t.route(b, func(k string) inventory.Value { return b.read(r, k) }))
	}
	out := map[string][]Expr{}
	tables := map[string]bool{}
	for _, a := range byType["aws_route_table_association"] {
		rt := b.target(b.read(a, "route_table_id"))
		sn := b.target(b.read(a, "subnet_id"))
		if rt == nil || sn == nil || b.owner[sn.Addr] == nil {
			b.unsupported(a, "associates no route table with a mapped subnet")
			continue
		}
		e := b.owner[sn.Addr]
		b.fold(e, a.Addr)
		b.fold(e, rt.Addr)
		tables[rt.Addr] = true
		for _, r := range byType["aws_route"] {
			if tgt := b.target(b.read(r, "route_table_id")); tgt != nil && tgt.Addr == rt.Addr {
				b.fold(e, r.Addr)
			}
		}
		out[sn.Addr] = append(out[sn.Addr], tableRoutes[rt.Addr]...)
	}
	for _, rt := range byType["aws_route_table"] {
		if !tables[rt.Addr] {
			b.unsupported(rt, "route table associated with no subnet")
		}
	}
	return out
}

// route renders one route, its settings read through get.
func (t *terraform) route(b *builder, get func(string) inventory.Value) Expr {
	dest := Text("?")
	for _, k := range []string{"destination_cidr_block", "cidr_block", "destination_ipv6_cidr_block", "ipv6_cidr_block", "destination_prefix_list_id"} {
		if d := get(k); d != nil {
			dest = b.expr(d)
			break
		}
	}
	target := Text("?")
	for _, k := range []string{"gateway_id", "nat_gateway_id", "egress_only_gateway_id", "transit_gateway_id", "vpc_peering_connection_id", "network_interface_id", "vpc_endpoint_id", "carrier_gateway_id", "local_gateway_id", "core_network_arn"} {
		if d := get(k); d != nil {
			target = b.expr(d)
			break
		}
	}
	return Join(dest, Text(" -> "), target)
}

func (t *terraform) securityGroup(b *builder, e *Entity, res *inventory.Resource, rules []*inventory.Resource) {
	name := b.read(res, "name")
	if name == nil {
		if p := b.read(res, "name_prefix"); p != nil {
			name = inventory.Lit(literal(p, "") + "*")
		}
	}
	e.Props["name"] = Scalar(b.expr(name))
	e.Props["description"] = ScalarText(literal(b.read(res, "description"), "Managed by Terraform"))
	e.Props["vpc"] = Scalar(b.expr(b.read(res, "vpc_id")))
	self := RefExpr(SecurityGroup, e.Key, "id")
	items := map[string][]Expr{}
	// Inline rules. Terraform removes AWS's default allow-all egress rule:
	// a group lists every rule it has.
	for _, dir := range []string{"ingress", "egress"} {
		for _, r := range list(b.read(res, dir)) {
			for _, ru := range t.inlineRules(b, r, self) {
				items[dir] = append(items[dir], ru.item(dir))
			}
		}
	}
	for _, r := range rules {
		var dir string
		var ru []rule
		switch r.Type {
		case "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule":
			dir = strings.TrimSuffix(strings.TrimPrefix(r.Type, "aws_vpc_security_group_"), "_rule")
			base := rule{protocol: protocolName(literal(b.read(r, "ip_protocol"), "")), from: numText(b.read(r, "from_port"), ""), to: numText(b.read(r, "to_port"), "")}
			for _, k := range []string{"cidr_ipv4", "cidr_ipv6", "referenced_security_group_id", "prefix_list_id"} {
				if p := b.read(r, k); p != nil {
					base.peer = b.expr(p)
					ru = append(ru, base)
				}
			}
		case "aws_security_group_rule":
			dir = literal(b.read(r, "type"), "ingress")
			b.consume(r, "protocol", "from_port", "to_port", "cidr_blocks", "ipv6_cidr_blocks", "security_groups", "prefix_list_ids", "self")
			ru = t.inlineRules(b, inventory.Map(r.Props), self)
			if p := b.read(r, "source_security_group_id"); p != nil {
				ru = append(ru, rule{protocol: protocolName(literal(b.read(r, "protocol"), "")), from: numText(b.read(r, "from_port"), ""), to: numText(b.read(r, "to_port"), ""), peer: b.expr(p)})
			}
		}
		for _, x := range ru {
			items[dir] = append(items[dir], x.item(dir))
		}
	}
	e.Props["ingress"] = SetOf(items["ingress"]...)
	e.Props["egress"] = SetOf(items["egress"]...)
}

// inlineRules expands a rule block with several peers into one rule per
// peer.
func (t *terraform) inlineRules(b *builder, v inventory.Value, self Expr) []rule {
	m, ok := v.(inventory.Map)
	if !ok {
		return nil
	}
	base := rule{protocol: protocolName(literal(m["protocol"], "")), from: numText(m["from_port"], ""), to: numText(m["to_port"], "")}
	var out []rule
	for _, k := range []string{"cidr_blocks", "ipv6_cidr_blocks", "security_groups", "prefix_list_ids"} {
		for _, p := range list(m[k]) {
			r := base
			r.peer = b.expr(p)
			out = append(out, r)
		}
	}
	if boolText(m["self"], false) == "true" {
		r := base
		r.peer = self
		out = append(out, r)
	}
	return out
}

func (t *terraform) role(b *builder, e *Entity, res *inventory.Resource, trustSts []statement, inline, attachments, profiles []*inventory.Resource) {
	name := b.read(res, "name")
	e.Props["name"] = Scalar(b.expr(name))
	items, _ := trust(trustSts)
	e.Props["trust"] = SetOf(items...)
	var names []Expr
	var sts []statement
	for _, ip := range list(b.read(res, "inline_policy")) {
		names = append(names, b.expr(get(ip, "name")))
		s, err := t.policy(b, get(ip, "policy"))
		if err != nil {
			b.problem(res, "inline_policy: "+err.Error())
		}
		sts = append(sts, s...)
	}
	for _, p := range inline {
		names = append(names, b.expr(b.read(p, "name")))
		s, err := t.policy(b, b.read(p, "policy"))
		if err != nil {
			b.problem(p, "policy: "+err.Error())
		}
		sts = append(sts, s...)
	}
	arns := list(b.read(res, "managed_policy_arns"))
	for _, a := range attachments {
		arns = append(arns, b.read(a, "policy_arn"))
	}
	for _, arn := range arns {
		if pol := b.target(arn); pol != nil && pol.Type == "aws_iam_policy" {
			s, err := t.policy(b, b.read(pol, "policy"))
			if err != nil {
				b.problem(pol, "policy: "+err.Error())
			}
			sts = append(sts, s...)
			continue
		}
		sts = append(sts, b.managedStatements(b.expr(arn))...)
	}
	e.Props["policy-names"] = SetOf(names...)
	setPermissions(e, sts)
	var pn []Expr
	for _, p := range profiles {
		pn = append(pn, b.expr(b.read(p, "name")))
	}
	e.Props["instance-profile"] = SetOf(pn...)
}

// setPermissions sets "permissions" and, by role, "artifact-access": what
// the role may do with the deploy-time artifact storage (read or write),
// whatever the storage's name and the objects' keys.
func setPermissions(e *Entity, sts []statement) {
	var plain []statement
	access := "none"
	var artActions []string
	for _, st := range sts {
		var own, art []Expr
		for _, r := range st.resources {
			if refersTo(r, ArtifactStore) {
				art = append(art, r)
			} else {
				own = append(own, r)
			}
		}
		if len(art) > 0 && st.effect == "Allow" {
			level := "read"
			for _, a := range st.actions {
				if !readAction(a) {
					level = "write"
				}
			}
			if access != "write" {
				access = level
			}
			for _, a := range st.actions {
				if !slices.Contains(artActions, a) {
					artActions = append(artActions, a)
				}
			}
		}
		if len(own) > 0 {
			st.resources = own
			plain = append(plain, st)
		}
	}
	e.Props["permissions"] = SetOf(permissions(plain)...)
	if len(artActions) > 0 {
		sort.Strings(artActions)
		access += " (" + strings.Join(artActions, ", ") + ")"
	}
	e.Props["artifact-access"] = ScalarText(access)
}

func refersTo(e Expr, k Kind) bool {
	for _, p := range e {
		if p.Ref != nil && p.Ref.Kind == k {
			return true
		}
	}
	return false
}

func readAction(a string) bool {
	_, name, ok := strings.Cut(strings.ToLower(a), ":")
	if !ok {
		return false
	}
	return strings.HasPrefix(name, "get") || strings.HasPrefix(name, "list") || strings.HasPrefix(name, "describe") || strings.HasPrefix(name, "head")
}

func (t *terraform) instance(b *builder, e *Entity, res *inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "tags", "Name")))
	e.Props["type"] = Scalar(b.expr(b.read(res, "instance_type")))
	e.Props["ami"] = Scalar(b.expr(b.read(res, "ami")))
	e.Props["subnet"] = Scalar(b.expr(b.read(res, "subnet_id")))
	groups := append(b.exprs(b.read(res, "vpc_security_group_ids")), b.exprs(b.read(res, "security_groups"))...)
	e.Props["security-groups"] = SetOf(groups...)
	e.Props["profile"] = Scalar(b.expr(b.read(res, "iam_instance_profile")))
	e.Props["key-pair"] = Scalar(b.expr(b.read(res, "key_name")))
	e.Props["imds.tokens"] = ScalarText(literal(b.read(res, "metadata_options", "http_tokens"), Unset))
	e.Props["imds.endpoint"] = ScalarText(literal(b.read(res, "metadata_options", "http_endpoint"), "enabled"))
	e.Props["imds.hop-limit"] = ScalarText(numText(b.read(res, "metadata_options", "http_put_response_hop_limit"), Unset))
	e.Props["cpu-credits"] = ScalarText(literal(b.read(res, "credit_specification", "cpu_credits"), Unset))
	e.Props["root-volume.encrypted"] = ScalarText(boolText(b.read(res, "root_block_device", "encrypted"), false))
	e.Props["root-volume.size"] = ScalarText(numText(b.read(res, "root_block_device", "volume_size"), Unset))
	e.Props["root-volume.type"] = ScalarText(literal(b.read(res, "root_block_device", "volume_type"), Unset))
	e.Props["root-volume.delete-on-termination"] = ScalarText(boolText(b.read(res, "root_block_device", "delete_on_termination"), true))
	ud := b.expr(b.read(res, "user_data"))
	if v := b.read(res, "user_data_base64"); v != nil {
		ud = b.expr(v)
		if l, ok := v.(inventory.Str); ok {
			if text, isLit := l.Literal(); isLit {
				if dec, err := base64.StdEncoding.DecodeString(text); err == nil {
					ud = Text(string(dec))
				}
			}
		}
	}
	setUserData(e, ud)
}

func setUserData(e *Entity, ud Expr) {
	fetch, env, rest := userData(ud)
	e.Props["user-data.fetch"] = fetch
	e.Props["user-data.environment"] = env
	e.Props["user-data.script"] = rest
}

func (t *terraform) targetGroup(b *builder, e *Entity, res *inventory.Resource, attachments []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "name")))
	protocol := literal(b.read(res, "protocol"), Unset)
	port := numText(b.read(res, "port"), Unset)
	e.Props["protocol"] = ScalarText(protocol)
	e.Props["port"] = ScalarText(port)
	targetType := literal(b.read(res, "target_type"), "instance")
	e.Props["target-type"] = ScalarText(targetType)
	e.Props["vpc"] = Scalar(b.expr(b.read(res, "vpc_id")))
	var targets []Expr
	for _, a := range attachments {
		targets = append(targets, Join(b.expr(b.read(a, "target_id")), Text(":"+numText(b.read(a, "port"), port))))
	}
	e.Props["targets"] = SetOf(targets...)
	hc := healthCheckDefaults(protocol, targetType)
	if block, ok := get(b.read(res, "health_check")).(inventory.Map); ok {
		// The provider sends its own defaults for a health_check block:
		// thresholds 3 and 3 where the ELB API would use 5 and 2.
		hc["healthy-threshold"], hc["unhealthy-threshold"] = "3", "3"
		hc["protocol"], hc["port"], hc["interval"] = "HTTP", "traffic-port", "30"
		for k, v := range map[string]string{"enabled": "enabled", "protocol": "protocol", "port": "port", "path": "path",
			"matcher": "matcher", "interval": "interval", "timeout": "timeout",
			"healthy_threshold": "healthy-threshold", "unhealthy_threshold": "unhealthy-threshold"} {
			if x, ok := block[k]; ok {
				hc[v] = literal(x, hc[v])
			}
		}
	}
	setHealthCheck(e, hc)
}

// healthCheckDefaults are the ELB API's defaults for a target group's
// health check.
func healthCheckDefaults(protocol, targetType string) map[string]string {
	hc := map[string]string{
		"enabled": "true", "protocol": strings.ToUpper(protocol), "port": "traffic-port", "path": "/", "matcher": "200",
		"interval": "30", "timeout": "5", "healthy-threshold": "5", "unhealthy-threshold": "2",
	}
	switch strings.ToUpper(protocol) {
	case "TCP", "TLS", "UDP", "TCP_UDP":
		hc["timeout"], hc["path"], hc["matcher"] = "10", "", ""
	}
	if targetType == "lambda" {
		hc["timeout"], hc["interval"] = "30", "35"
	}
	return hc
}

func setHealthCheck(e *Entity, hc map[string]string) {
	for k, v := range hc {
		switch k {
		case "enabled":
			v = strings.ToLower(v)
		case "protocol":
			v = strings.ToUpper(v)
		case "interval", "timeout", "healthy-threshold", "unhealthy-threshold":
			v = inventory.NormalizeNumber(v)
		}
		e.Props["health-check."+k] = ScalarText(v)
	}
}

func (t *terraform) loadBalancer(b *builder, e *Entity, res *inventory.Resource, listeners []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "name")))
	e.Props["type"] = ScalarText(literal(b.read(res, "load_balancer_type"), "application"))
	scheme := "internet-facing"
	if boolText(b.read(res, "internal"), false) == "true" {
		scheme = "internal"
	}
	e.Props["scheme"] = ScalarText(scheme)
	subnets := b.exprs(b.read(res, "subnets"))
	for _, m := range list(b.read(res, "subnet_mapping")) {
		subnets = append(subnets, b.expr(get(m, "subnet_id")))
	}
	e.Props["subnets"] = SetOf(subnets...)
	e.Props["security-groups"] = b.refSet(b.read(res, "security_groups"))
	var items []Expr
	for _, l := range listeners {
		head := Text(strings.ToUpper(literal(b.read(l, "protocol"), "HTTP")) + ":" + numText(b.read(l, "port"), "?") + " -> ")
		var acts []Expr
		for _, a := range list(b.read(l, "default_action")) {
			acts = append(acts, b.action(a, "type", "target_group_arn", "forward", "target_group", "arn"))
		}
		items = append(items, Join(head, joinExprs(acts, ", ")))
	}
	e.Props["listeners"] = SetOf(items...)
}

// action renders a listener action: "forward @target-group[...].arn".
func (b *builder) action(a inventory.Value, typeKey, tgKey, forwardKey, tgBlock, arnKey string) Expr {
	typ := strings.ToLower(literal(get(a, typeKey), "?"))
	var tgs []Expr
	if v := get(a, tgKey); v != nil {
		tgs = append(tgs, b.expr(v))
	}
	for _, tg := range list(get(a, forwardKey, tgBlock)) {
		tgs = append(tgs, b.expr(get(tg, arnKey)))
	}
	if len(tgs) == 0 {
		return Text(typ)
	}
	return Join(Text(typ+" "), joinExprs(tgs, ", "))
}

func joinExprs(es []Expr, sep string) Expr {
	var out Expr
	for i, e := range es {
		if i > 0 {
			out = Join(out, Text(sep))
		}
		out = Join(out, e)
	}
	return out
}

func (t *terraform) function(b *builder, e *Entity, res *inventory.Resource, urls []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "function_name")))
	e.Props["runtime"] = ScalarText(literal(b.read(res, "runtime"), Unset))
	e.Props["architecture"] = ScalarText(literal(b.read(res, "architectures"), "x86_64"))
	e.Props["handler"] = ScalarText(literal(b.read(res, "handler"), Unset))
	e.Props["memory"] = ScalarText(numText(b.read(res, "memory_size"), "128"))
	e.Props["timeout"] = ScalarText(numText(b.read(res, "timeout"), "3"))
	// -1 (the provider's default) is no reservation.
	rc := numText(b.read(res, "reserved_concurrent_executions"), "-1")
	if rc == "-1" {
		rc = "unreserved"
	}
	e.Props["reserved-concurrency"] = ScalarText(rc)
	var env []Expr
	if vars, ok := get(b.read(res, "environment"), "variables").(inventory.Map); ok {
		for _, k := range vars.Keys() {
			env = append(env, Join(Text(k+"="), b.expr(vars[k])))
		}
	}
	e.Props["environment"] = SetOf(env...)
	e.Props["vpc.subnets"] = b.refSet(b.read(res, "vpc_config", "subnet_ids"))
	e.Props["vpc.security-groups"] = b.refSet(b.read(res, "vpc_config", "security_group_ids"))
	e.Props["role"] = Scalar(b.expr(b.read(res, "role")))
	// Where the zip comes from (a local file or an object) is the
	// deploy-time artifact, compared by role.
	b.consume(res, "image_uri", "package_type", "filename", "s3_bucket", "s3_key")
	pkg := "zip"
	if prop(res, "image_uri") != nil || literal(prop(res, "package_type"), "Zip") == "Image" {
		pkg = "image"
	}
	e.Props["package"] = ScalarText(pkg)
	setURL(e, urls, func(u *inventory.Resource) (string, string) {
		return literal(b.read(u, "authorization_type"), Unset), literal(b.read(u, "invoke_mode"), "BUFFERED")
	})
}

func setURL(e *Entity, urls []*inventory.Resource, read func(*inventory.Resource) (auth, mode string)) {
	var auths, modes []Expr
	for _, u := range urls {
		a, m := read(u)
		auths = append(auths, Text(a))
		modes = append(modes, Text(m))
	}
	if len(urls) == 0 {
		auths, modes = []Expr{Text("no URL")}, []Expr{Text("no URL")}
	}
	e.Props["url.auth"] = SetOf(auths...)
	e.Props["url.invoke-mode"] = SetOf(modes...)
}

// notCompared lists the Terraform arguments that need no comparison.
func (terraform) notCompared(typ, p string) (string, bool) {
	switch {
	case typ == "aws_security_group" && (p == "ingress.description" || p == "egress.description"):
		return "rule descriptions are labels; a rule is (direction, protocol, ports, peer)", true
	case typ == "aws_lambda_function" && (p == "filename" || p == "s3_bucket" || p == "s3_key"):
		return "where the package comes from is a deploy-time artifact, compared by role (function/package)", true
	case p == "tags" || p == "tags_all":
		return "tags are labels", true
	case p == "timeouts":
		return "how long Terraform waits for each operation, not what is deployed", true
	case p == "description" && (typ == "aws_vpc_security_group_ingress_rule" || typ == "aws_vpc_security_group_egress_rule" || typ == "aws_security_group_rule"):
		return "rule descriptions are labels; a rule is (direction, protocol, ports, peer)", true
	case typ == "aws_route_table" && p == "vpc_id":
		return "a route table's VPC is that of the subnets it serves (subnet/vpc)", true
	case typ == "aws_instance" && p == "user_data_replace_on_change":
		return "how Terraform applies a change of user data, not what runs", true
	case typ == "aws_lambda_function" && (p == "source_code_hash" || p == "s3_object_version"):
		return "identifies the package's content: compared by role (function/package)", true
	case typ == "aws_s3_bucket_lifecycle_configuration" && p == "rule.id":
		return "lifecycle rule ids are labels; a rule is what it does (actions, scope, status)", true
	case typ == "aws_autoscaling_group" && (p == "wait_for_capacity_timeout" || p == "min_elb_capacity" || p == "wait_for_elb_capacity"):
		return "how long and for what Terraform waits at apply, not what is deployed", true
	case typ == "aws_autoscaling_group" && (p == "force_delete" || p == "force_delete_warm_pool"):
		return "how Terraform deletes the group, not what is deployed", true
	case typ == "aws_autoscaling_group" && p == "ignore_failed_scaling_activities":
		return "whether Terraform's apply fails on a failed scaling activity, not what is deployed", true
	}
	return "", false
}
