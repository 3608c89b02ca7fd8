package cdktf_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	stack "github.com/twinstack/twinstack/stacks/cdktf"
)

// want is what each case must contain, written independently of the
// renderer from the requirements.
type want struct {
	prefix, region, instanceType, arch, adminCIDR, endpoint string
	count, memory, timeout                                  int
	destroy                                                 bool
	// Hardening settings: reserved concurrency, noncurrent version days,
	// idempotency TTL hours, allowed origin ports, SSM agent access.
	reserved, noncurrentDays int
	ports                    string
	noSSM                    bool
	// logDays is the Lambda log group's retention.
	logDays int
	// backend is the terraform.backend block; nil: local state.
	backend obj
}

var wants = map[string]want{
	"count1": {prefix: "twinstack", region: "us-east-1", instanceType: "t3.micro", arch: "x86_64", adminCIDR: "203.0.113.0/24", count: 1, memory: 256, timeout: 30,
		reserved: 20, noncurrentDays: 30, ports: "80,443", logDays: 30},
	"count2": {prefix: "twinstack", region: "us-east-1", instanceType: "t3.micro", arch: "x86_64", count: 2, memory: 256, timeout: 30,
		reserved: 20, noncurrentDays: 30, ports: "80,443", logDays: 30},
	"count3": {prefix: "twin-local", region: "eu-west-1", instanceType: "t4g.small", arch: "arm64", endpoint: "http://localhost:4566", count: 3, memory: 512, timeout: 60, destroy: true,
		reserved: 50, noncurrentDays: 7, ports: "443", noSSM: true, logDays: 7},
	// Issue 16: S3 state with native locking, encrypted; on real AWS and
	// on a local endpoint (path-style, endpoint override).
	"s3": {prefix: "twinstack", region: "eu-west-1", instanceType: "t3.micro", arch: "x86_64", count: 1, memory: 256, timeout: 30,
		reserved: 20, noncurrentDays: 30, ports: "80,443", logDays: 30,
		backend: obj{"s3": obj{"bucket": "acme-tfstate-123456789012", "key": "envs/prod/twinstack.tfstate", "region": "eu-central-1", "encrypt": true, "use_lockfile": true}}},
	"s3-endpoint": {prefix: "ts-tf", region: "us-east-1", instanceType: "t3.micro", arch: "x86_64", endpoint: "http://127.0.0.1:5000", count: 1, memory: 256, timeout: 30,
		reserved: 20, noncurrentDays: 30, ports: "80,443", logDays: 30,
		backend: obj{"s3": obj{"bucket": "ts-tfstate", "key": "ts-tf/terraform.tfstate", "region": "us-east-1", "encrypt": true, "use_lockfile": true,
			"use_path_style": true, "endpoints": obj{"s3": "http://127.0.0.1:5000", "sts": "http://127.0.0.1:5000"},
			"access_key": "test", "secret_key": "test", "skip_credentials_validation": true, "skip_metadata_api_check": true,
			"skip_region_validation": true, "skip_requesting_account_id": true}}},
}

const account = "${data.aws_caller_identity.current.account_id}"

// TestStack asserts every requirement of issue 3 on the synthesized JSON of
// each case (desired instance counts 1, 2 and 3).
func TestStack(t *testing.T) {
	root := fakeRoot(t)
	for _, name := range cases {
		t.Run(name, func(t *testing.T) {
			w := wants[name]
			cfg, sys := loadCase(t, name)
			_, b := synth(t, cfg, sys, root, t.TempDir())
			tf := parse(t, b)
			t.Run("provider", func(t *testing.T) { checkProvider(t, tf, w) })
			t.Run("bucket", func(t *testing.T) { checkBucket(t, tf, w) })
			t.Run("tables", func(t *testing.T) { checkTables(t, tf, w) })
			t.Run("network", func(t *testing.T) { checkNetwork(t, tf) })
			t.Run("security groups", func(t *testing.T) { checkGroups(t, tf, w) })
			t.Run("iam", func(t *testing.T) { checkIAM(t, tf, w) })
			t.Run("artifacts", func(t *testing.T) { checkArtifacts(t, tf, w) })
			t.Run("servers", func(t *testing.T) { checkServers(t, tf, w, sys) })
			t.Run("load balancer", func(t *testing.T) { checkLoadBalancer(t, tf, w) })
			t.Run("lambda", func(t *testing.T) { checkLambda(t, tf, w) })
			t.Run("outputs", func(t *testing.T) { checkOutputs(t, tf, w) })
		})
	}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(jsonValue(t, want), jsonValue(t, got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

type obj = map[string]any

func checkProvider(t *testing.T, tf *tfJSON, w want) {
	diff(t, "required_providers", obj{"aws": obj{"source": "hashicorp/aws", "version": "5.100.0"}}, tf.Terraform["required_providers"])
	backend := w.backend
	if backend == nil {
		backend = obj{"local": obj{"path": "../../../terraform." + w.prefix + ".tfstate"}}
	}
	diff(t, "backend", backend, tf.Terraform["backend"])
	p := obj{"region": w.region}
	if ep := w.endpoint; ep != "" {
		p = obj{
			"region": w.region, "access_key": "test", "secret_key": "test",
			"s3_use_path_style": true, "skip_credentials_validation": true, "skip_metadata_api_check": true,
			"skip_region_validation": true, "skip_requesting_account_id": false,
			"endpoints": []obj{{"autoscaling": ep, "s3": ep, "dynamodb": ep, "ec2": ep, "iam": ep, "sts": ep, "ssm": ep, "elbv2": ep, "lambda": ep, "logs": ep}},
		}
	}
	diff(t, "provider aws", []obj{p}, tf.Provider["aws"])
}

// denyInsecure is the TLS-only statement of a bucket policy document.
func denyInsecure(bucket string) obj {
	arn := "${aws_s3_bucket." + bucket + ".arn}"
	return obj{
		"sid": "DenyInsecureTransport", "effect": "Deny", "actions": []string{"s3:*"},
		"resources":  []string{arn, arn + "/*"},
		"principals": []obj{{"type": "*", "identifiers": []string{"*"}}},
		"condition":  []obj{{"test": "Bool", "variable": "aws:SecureTransport", "values": []string{"false"}}},
	}
}

func checkBucket(t *testing.T, tf *tfJSON, w want) {
	id := "${aws_s3_bucket.ImagesBucket.id}"
	diff(t, "bucket", obj{"bucket": w.prefix + "-images-" + account + "-" + w.region, "force_destroy": w.destroy},
		tf.res(t, "aws_s3_bucket", "ImagesBucket"))
	diff(t, "versioning", obj{"bucket": id, "versioning_configuration": obj{"status": "Enabled"}},
		tf.res(t, "aws_s3_bucket_versioning", "ImagesBucket"))
	diff(t, "public access block", obj{"bucket": id, "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true},
		tf.res(t, "aws_s3_bucket_public_access_block", "ImagesBucket"))
	diff(t, "encryption", obj{"bucket": id, "rule": []obj{{"apply_server_side_encryption_by_default": obj{"sse_algorithm": "AES256"}}}},
		tf.res(t, "aws_s3_bucket_server_side_encryption_configuration", "ImagesBucket"))
	diff(t, "policy", obj{"bucket": id, "policy": "${data.aws_iam_policy_document.ImagesBucketPolicy.json}", "depends_on": []string{"aws_s3_bucket_public_access_block.ImagesBucket"}},
		tf.res(t, "aws_s3_bucket_policy", "ImagesBucket"))
	diff(t, "policy document", obj{"statement": []obj{denyInsecure("ImagesBucket")}},
		tf.data(t, "aws_iam_policy_document", "ImagesBucketPolicy"))
	diff(t, "lifecycle", obj{"bucket": id, "depends_on": []string{"aws_s3_bucket_versioning.ImagesBucket"}, "rule": []obj{
		{"id": "abort-incomplete-multipart-uploads", "status": "Enabled", "filter": obj{}, "abort_incomplete_multipart_upload": obj{"days_after_initiation": 1}},
		{"id": "expire-noncurrent-versions", "status": "Enabled", "filter": obj{}, "noncurrent_version_expiration": obj{"noncurrent_days": w.noncurrentDays}},
	}}, tf.res(t, "aws_s3_bucket_lifecycle_configuration", "ImagesBucket"))
}

func checkTables(t *testing.T, tf *tfJSON, w want) {
	diff(t, "images table", obj{
		"name": w.prefix + "-images", "billing_mode": "PAY_PER_REQUEST", "hash_key": "image_id",
		"attribute":                   []obj{{"name": "created_at", "type": "S"}, {"name": "entity", "type": "S"}, {"name": "image_id", "type": "S"}},
		"global_secondary_index":      []obj{{"name": "by-created", "hash_key": "entity", "range_key": "created_at", "projection_type": "ALL"}},
		"point_in_time_recovery":      obj{"enabled": true},
		"deletion_protection_enabled": !w.destroy,
	}, tf.res(t, "aws_dynamodb_table", "ImagesTable"))
	diff(t, "albums table", obj{
		"name": w.prefix + "-albums", "billing_mode": "PAY_PER_REQUEST", "hash_key": "id",
		"attribute":                   []obj{{"name": "id", "type": "S"}},
		"point_in_time_recovery":      obj{"enabled": false},
		"deletion_protection_enabled": !w.destroy,
	}, tf.res(t, "aws_dynamodb_table", "AlbumsTable"))
}

func checkNetwork(t *testing.T, tf *tfJSON) {
	vpcID := "${aws_vpc.Vpc.id}"
	diff(t, "vpc", obj{"cidr_block": "10.20.0.0/16", "enable_dns_hostnames": true, "enable_dns_support": true}, tf.res(t, "aws_vpc", "Vpc"))
	diff(t, "gateway", obj{"vpc_id": vpcID}, tf.res(t, "aws_internet_gateway", "InternetGateway"))
	// The region's own AZs only (no opted-in Local Zone sorting first).
	diff(t, "zones", obj{"state": "available", "filter": []obj{{"name": "opt-in-status", "values": []string{constructs.ZoneOptIn}}}}, tf.data(t, "aws_availability_zones", "available"))
	diff(t, "subnets", []string{"PublicSubnet1", "PublicSubnet2"}, tf.names("aws_subnet"))
	for i, s := range []string{"PublicSubnet1", "PublicSubnet2"} {
		rt := s + "RouteTable"
		diff(t, s, obj{
			"vpc_id": vpcID, "cidr_block": fmt.Sprintf("10.20.%d.0/24", i),
			"availability_zone":       fmt.Sprintf("${data.aws_availability_zones.available.names[%d]}", i),
			"map_public_ip_on_launch": true,
		}, tf.res(t, "aws_subnet", s))
		diff(t, rt, obj{"vpc_id": vpcID}, tf.res(t, "aws_route_table", rt))
		diff(t, rt+" default route", obj{"route_table_id": "${aws_route_table." + rt + ".id}", "destination_cidr_block": "0.0.0.0/0", "gateway_id": "${aws_internet_gateway.InternetGateway.id}"},
			tf.res(t, "aws_route", rt))
		diff(t, s+" association", obj{"subnet_id": "${aws_subnet." + s + ".id}", "route_table_id": "${aws_route_table." + rt + ".id}"},
			tf.res(t, "aws_route_table_association", s))
	}
}

// sgRule is a security-group rule in a comparable form.
type sgRule struct {
	Group, Dir, Proto string
	From, To          float64
	Peer, CIDR        string
}

func rules(t *testing.T, tf *tfJSON) []sgRule {
	var out []sgRule
	for dir, typ := range map[string]string{"in": "aws_vpc_security_group_ingress_rule", "out": "aws_vpc_security_group_egress_rule"} {
		for _, name := range tf.names(typ) {
			r := tf.res(t, typ, name)
			g := sgRule{Dir: dir, Group: ref(r["security_group_id"]), Proto: r["ip_protocol"].(string), Peer: ref(r["referenced_security_group_id"])}
			g.From, _ = r["from_port"].(float64)
			g.To, _ = r["to_port"].(float64)
			g.CIDR, _ = r["cidr_ipv4"].(string)
			if r["description"] == "" || r["description"] == nil {
				t.Errorf("%s.%s has no description", typ, name)
			}
			out = append(out, g)
		}
	}
	return out
}

// ref turns "${aws_security_group.X.id}" into "X".
func ref(v any) string {
	s, _ := v.(string)
	s = strings.TrimPrefix(s, "${aws_security_group.")
	return strings.TrimSuffix(s, ".id}")
}

func checkGroups(t *testing.T, tf *tfJSON, w want) {
	// Issue 17: the load balancer is always there (the group's instances
	// come and go), so its group is too.
	groups := []string{"LambdaSecurityGroup", "LoadBalancerSecurityGroup", "ServerSecurityGroup"}
	diff(t, "groups", groups, tf.names("aws_security_group"))
	for _, g := range groups {
		r := tf.res(t, "aws_security_group", g)
		for _, inline := range []string{"ingress", "egress"} {
			if _, ok := r[inline]; ok {
				t.Errorf("%s has inline %s rules", g, inline)
			}
		}
		if r["vpc_id"] != "${aws_vpc.Vpc.id}" || r["name"] == "" || r["description"] == "" {
			t.Errorf("%s: %v", g, r)
		}
	}
	// Each hop allows only the next: Lambda -> ALB:80 -> servers:8080.
	want := []sgRule{
		{Group: "LambdaSecurityGroup", Dir: "out", Proto: "tcp", From: 80, To: 80, Peer: "LoadBalancerSecurityGroup"},
		{Group: "LoadBalancerSecurityGroup", Dir: "in", Proto: "tcp", From: 80, To: 80, Peer: "LambdaSecurityGroup"},
		{Group: "LoadBalancerSecurityGroup", Dir: "out", Proto: "tcp", From: 8080, To: 8080, Peer: "ServerSecurityGroup"},
		{Group: "ServerSecurityGroup", Dir: "in", Proto: "tcp", From: 8080, To: 8080, Peer: "LoadBalancerSecurityGroup"},
		{Group: "ServerSecurityGroup", Dir: "out", Proto: "-1", CIDR: "0.0.0.0/0"},
	}
	if w.adminCIDR != "" {
		want = append(want, sgRule{Group: "ServerSecurityGroup", Dir: "in", Proto: "tcp", From: 22, To: 22, CIDR: w.adminCIDR})
	}
	got := rules(t, tf)
	key := func(r sgRule) string { return fmt.Sprint(r) }
	if d := cmp.Diff(sortBy(want, key), sortBy(got, key)); d != "" {
		t.Errorf("security-group rules (-want +got):\n%s", d)
	}
	for _, r := range got {
		if r.Dir == "in" && r.CIDR == "0.0.0.0/0" {
			t.Errorf("ingress from the whole internet: %+v", r)
		}
		if r.Dir == "in" && r.From <= 22 && 22 <= r.To && r.CIDR != w.adminCIDR {
			t.Errorf("SSH open beyond the admin CIDR: %+v", r)
		}
	}
}

func sortBy[T any](s []T, key func(T) string) []T {
	out := append([]T(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && key(out[j]) < key(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func trust(service string) obj {
	return obj{"statement": []obj{{"effect": "Allow", "actions": []string{"sts:AssumeRole"}, "principals": []obj{{"type": "Service", "identifiers": []string{service}}}}}}
}

func checkIAM(t *testing.T, tf *tfJSON, w want) {
	partition := "arn:${data.aws_partition.current.partition}:iam::aws:policy/"
	// Issue 17: IAM names are global, so they carry the region.
	diff(t, "roles", []string{"FunctionRole", "ServerRole"}, tf.names("aws_iam_role"))
	diff(t, "server role", obj{"name": w.prefix + "-server-" + w.region, "assume_role_policy": "${data.aws_iam_policy_document.ServerRoleTrust.json}"}, tf.res(t, "aws_iam_role", "ServerRole"))
	diff(t, "server trust", trust("ec2.amazonaws.com"), tf.data(t, "aws_iam_policy_document", "ServerRoleTrust"))
	diff(t, "function role", obj{"name": w.prefix + "-lambda-" + w.region, "assume_role_policy": "${data.aws_iam_policy_document.FunctionRoleTrust.json}"}, tf.res(t, "aws_iam_role", "FunctionRole"))
	diff(t, "function trust", trust("lambda.amazonaws.com"), tf.data(t, "aws_iam_policy_document", "FunctionRoleTrust"))

	// The server role has no managed policy: AmazonSSMManagedInstanceCore
	// would grant ssm:GetParameter(s) on every parameter.
	diff(t, "attachments", []string{"FunctionRole_AWSLambdaBasicExecutionRole", "FunctionRole_AWSLambdaVPCAccessExecutionRole"},
		tf.names("aws_iam_role_policy_attachment"))
	for name, p := range map[string]struct{ role, policy string }{
		"FunctionRole_AWSLambdaBasicExecutionRole":     {"FunctionRole", "service-role/AWSLambdaBasicExecutionRole"},
		"FunctionRole_AWSLambdaVPCAccessExecutionRole": {"FunctionRole", "service-role/AWSLambdaVPCAccessExecutionRole"},
	} {
		diff(t, name, obj{"role": "${aws_iam_role." + p.role + ".name}", "policy_arn": partition + p.policy}, tf.res(t, "aws_iam_role_policy_attachment", name))
	}

	// Only the server role has an inline policy: images/ objects, one
	// statement per table (and one for the list index), the SSM agent
	// unless ssm_access is off, and its own binary.
	diff(t, "inline policies", []string{"ServerRole"}, tf.names("aws_iam_role_policy"))
	diff(t, "server inline policy", obj{"name": "server-data-access", "role": "${aws_iam_role.ServerRole.name}", "policy": "${data.aws_iam_policy_document.ServerRolePolicy.json}"},
		tf.res(t, "aws_iam_role_policy", "ServerRole"))
	statements := []obj{
		{"sid": "ImageObjects", "effect": "Allow",
			"actions":   []string{"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:PutObject"},
			"resources": []string{"${aws_s3_bucket.ImagesBucket.arn}/images/*"}},
		{"sid": "ImagesTable", "effect": "Allow",
			"actions":   []string{"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"},
			"resources": []string{"${aws_dynamodb_table.ImagesTable.arn}"}},
		{"sid": "ImagesListIndex", "effect": "Allow", "actions": []string{"dynamodb:Query"},
			"resources": []string{"${aws_dynamodb_table.ImagesTable.arn}/index/by-created"}},
		{"sid": "AlbumsTable", "effect": "Allow",
			"actions":   []string{"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"},
			"resources": []string{"${aws_dynamodb_table.AlbumsTable.arn}"}},
		// Issue 17: user data completes its own launch hook; the
		// group's ARN carries the deploying account's id.
		{"sid": "LaunchHook", "effect": "Allow", "actions": []string{"autoscaling:CompleteLifecycleAction"},
			"resources": []string{"arn:aws:autoscaling:" + w.region + ":" + account + ":autoScalingGroup:*:autoScalingGroupName/" + w.prefix + "-servers"}},
	}
	if !w.noSSM {
		statements = append(statements, obj{"sid": "SSMAgent", "effect": "Allow", "resources": []string{"*"}, "actions": []string{
			"ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint",
			"ec2messages:GetMessages", "ec2messages:SendReply", "ssm:UpdateInstanceInformation",
			"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}})
	}
	statements = append(statements, obj{"sid": "ReadServerBinary", "effect": "Allow", "actions": []string{"s3:GetObject"},
		"resources": []string{"${aws_s3_object.ServerBinary.arn}"}})
	diff(t, "server statements", obj{"statement": statements}, tf.data(t, "aws_iam_policy_document", "ServerRolePolicy"))
	diff(t, "instance profile", obj{"name": w.prefix + "-server-" + w.region, "role": "${aws_iam_role.ServerRole.name}"},
		tf.res(t, "aws_iam_instance_profile", "ServerInstanceProfile"))
}

func checkArtifacts(t *testing.T, tf *tfJSON, w want) {
	id := "${aws_s3_bucket.ArtifactsBucket.id}"
	diff(t, "buckets", []string{"ArtifactsBucket", "ImagesBucket"}, tf.names("aws_s3_bucket"))
	diff(t, "artifacts bucket", obj{"bucket": w.prefix + "-artifacts-" + account + "-" + w.region, "force_destroy": true}, tf.res(t, "aws_s3_bucket", "ArtifactsBucket"))
	diff(t, "artifacts public access block", obj{"bucket": id, "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true},
		tf.res(t, "aws_s3_bucket_public_access_block", "ArtifactsBucket"))
	diff(t, "artifacts encryption", obj{"bucket": id, "rule": []obj{{"apply_server_side_encryption_by_default": obj{"sse_algorithm": "AES256"}}}},
		tf.res(t, "aws_s3_bucket_server_side_encryption_configuration", "ArtifactsBucket"))
	diff(t, "artifacts policy document", obj{"statement": []obj{denyInsecure("ArtifactsBucket")}}, tf.data(t, "aws_iam_policy_document", "ArtifactsBucketPolicy"))
	diff(t, "objects", []string{"ServerBinary"}, tf.names("aws_s3_object"))
	o := tf.res(t, "aws_s3_object", "ServerBinary")
	goarch := map[string]string{"x86_64": "amd64", "arm64": "arm64"}[w.arch]
	file := "server-linux-" + goarch
	if o["bucket"] != id || !assetHash.MatchString(o["key"].(string)) || !strings.HasSuffix(o["key"].(string), "/"+file) ||
		!strings.HasPrefix(o["source"].(string), "assets/ServerBinary/") || !strings.HasSuffix(o["source"].(string), "/"+file) {
		t.Errorf("server binary object: %v", o)
	}
}

// checkServers asserts the server group, its launch template and its
// scaling policy field by field from the model's values (the renderer
// translates, the model decides), and the requirements from the
// case's inputs.
func checkServers(t *testing.T, tf *tfJSON, w want, sys *constructs.System) {
	g := sys.Servers
	lt := g.Template
	// Issue 17: no instance of its own, no per-instance attachment.
	for _, typ := range []string{"aws_instance", "aws_lb_target_group_attachment"} {
		if n := tf.names(typ); len(n) > 0 {
			t.Errorf("a server group but %s %v", typ, n)
		}
	}
	diff(t, "launch templates", []string{string(lt.ID)}, tf.names("aws_launch_template"))
	diff(t, "groups", []string{string(g.ID)}, tf.names("aws_autoscaling_group"))
	diff(t, "policies", []string{string(g.ID)}, tf.names("aws_autoscaling_policy"))

	ami := "ami_" + w.arch
	diff(t, "ami parameter", obj{"name": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + w.arch}, tf.data(t, "aws_ssm_parameter", ami))
	diff(t, "model ami parameter", obj{"name": lt.AMIParameter}, tf.data(t, "aws_ssm_parameter", "ami_"+lt.Architecture))

	role := sys.Role(lt.Role)
	if role == nil {
		t.Fatalf("launch template role %q is not in the model", lt.Role)
	}
	tokens := "optional"
	if lt.RequireIMDSv2 {
		tokens = "required"
	}
	r := tf.res(t, "aws_launch_template", string(lt.ID))
	encoded, _ := r["user_data"].(string)
	delete(r, "user_data")
	wantLT := obj{
		"name":                   lt.Name,
		"image_id":               "${data.aws_ssm_parameter.ami_" + lt.Architecture + ".insecure_value}",
		"instance_type":          lt.Type,
		"iam_instance_profile":   obj{"name": "${aws_iam_instance_profile." + string(role.InstanceProfile) + ".name}"},
		"vpc_security_group_ids": []string{"${aws_security_group." + string(lt.Group) + ".id}"},
		"metadata_options":       obj{"http_endpoint": "enabled", "http_tokens": tokens, "http_put_response_hop_limit": lt.MetadataHopLimit},
		"block_device_mappings": []obj{{"device_name": lt.RootVolume.Device, "ebs": obj{
			"encrypted": strconv.FormatBool(lt.RootVolume.Encrypted), "volume_size": lt.RootVolume.SizeGiB, "volume_type": lt.RootVolume.Type,
		}}},
	}
	if lt.CPUCredits != "" {
		wantLT["credit_specification"] = obj{"cpu_credits": lt.CPUCredits}
	}
	diff(t, string(lt.ID), wantLT, r)
	// The requirements, from the inputs: the configured type,
	// IMDSv2 only, an encrypted root volume, standard credits for
	// burstable families.
	if r["instance_type"] != w.instanceType {
		t.Errorf("instance type %v, want %s", r["instance_type"], w.instanceType)
	}
	if tokens != "required" || !lt.RootVolume.Encrypted {
		t.Errorf("IMDSv2 tokens %s, encrypted root %v: both required", tokens, lt.RootVolume.Encrypted)
	}
	if family, _, _ := strings.Cut(w.instanceType, "."); slices.Contains([]string{"t2", "t3", "t3a", "t4g"}, family) {
		if c, _ := r["credit_specification"].(map[string]any); c["cpu_credits"] != "standard" {
			t.Errorf("burstable %s without standard CPU credits: %v", w.instanceType, r["credit_specification"])
		}
	}
	checkUserData(t, encoded, w, sys)

	// Boot runs user data at once: the role's policy, the server group's
	// egress and every subnet's route must exist before an instance does.
	deps := []string{"aws_iam_role_policy." + string(role.ID)}
	if sg := sys.Group(lt.Group); sg != nil {
		for i := range sg.Egress {
			deps = append(deps, "aws_vpc_security_group_egress_rule."+string(stack.RuleName(sg.ID, "Egress", i)))
		}
	}
	var subnets []string
	for _, id := range g.Subnets {
		subnets = append(subnets, "${aws_subnet."+string(id)+".id}")
		for _, s := range sys.Network.Subnets {
			if s.ID == id {
				deps = append(deps, "aws_route."+string(s.RouteTable), "aws_route_table_association."+string(s.ID))
			}
		}
	}
	diff(t, string(g.ID), obj{
		"name":                      g.Name,
		"min_size":                  g.Min,
		"max_size":                  g.Max,
		"desired_capacity":          g.Desired,
		"vpc_zone_identifier":       subnets,
		"target_group_arns":         []string{"${aws_lb_target_group." + string(g.TargetGroup) + ".arn}"},
		"health_check_type":         g.HealthCheckType,
		"health_check_grace_period": g.HealthCheckGraceSec,
		"launch_template": obj{
			"id":      "${aws_launch_template." + string(lt.ID) + ".id}",
			"version": "${aws_launch_template." + string(lt.ID) + ".latest_version}",
		},
		"initial_lifecycle_hook": []obj{{
			"name": g.LaunchHook.Name, "lifecycle_transition": g.LaunchHook.Transition,
			"default_result": g.LaunchHook.DefaultResult, "heartbeat_timeout": g.LaunchHook.HeartbeatSec,
		}},
		"tag": []obj{{"key": "Name", "value": g.NameTag, "propagate_at_launch": true}},
		"instance_refresh": obj{"strategy": "Rolling", "preferences": obj{
			"min_healthy_percentage": g.Rolling.MinHealthyPercent, "max_healthy_percentage": g.Rolling.MaxHealthyPercent, "instance_warmup": g.Rolling.PauseSec,
		}},
		"depends_on": deps,
	}, tf.res(t, "aws_autoscaling_group", string(g.ID)))
	if g.Desired != w.count {
		t.Errorf("desired capacity %d, want the configured instance_count %d", g.Desired, w.count)
	}
	// Both subnets, so the group spans two AZs.
	diff(t, "group subnets", []string{"${aws_subnet.PublicSubnet1.id}", "${aws_subnet.PublicSubnet2.id}"}, subnets)

	sc := g.Scaling
	diff(t, "scaling policy", obj{
		"name":                   sc.Name,
		"autoscaling_group_name": "${aws_autoscaling_group." + string(g.ID) + ".name}",
		"policy_type":            "TargetTrackingScaling",
		"target_tracking_configuration": obj{
			"predefined_metric_specification": obj{
				"predefined_metric_type": sc.Metric,
				"resource_label":         "${aws_lb." + string(sc.LoadBalancer) + ".arn_suffix}/${aws_lb_target_group." + string(sc.TargetGroup) + ".arn_suffix}",
			},
			"target_value": sc.TargetValue,
		},
	}, tf.res(t, "aws_autoscaling_policy", string(g.ID)))
}

// checkUserData decodes the launch template's user data, which must be
// Terraform's base64encode of the model's script with the model's
// references as Terraform expressions (written here from the Terraform
// schema, not taken from the renderer).
func checkUserData(t *testing.T, encoded string, w want, sys *constructs.System) {
	t.Helper()
	const pre, post = "${base64encode(", ")}"
	if !strings.HasPrefix(encoded, pre) || !strings.HasSuffix(encoded, post) {
		t.Fatalf("user data is not base64encode(...): %.80q", encoded)
	}
	userData, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(encoded, pre), post))
	if err != nil {
		t.Fatalf("user data argument is not one quoted string: %v", err)
	}
	exprs := map[constructs.Ref]string{
		{To: "ImagesBucket", Attr: constructs.AttrName}: "${aws_s3_bucket.ImagesBucket.bucket}",
		{To: "ImagesTable", Attr: constructs.AttrName}:  "${aws_dynamodb_table.ImagesTable.name}",
		{To: "AlbumsTable", Attr: constructs.AttrName}:  "${aws_dynamodb_table.AlbumsTable.name}",
	}
	script := sys.UserData("${aws_s3_object.ServerBinary.bucket}", "${aws_s3_object.ServerBinary.key}", func(v constructs.Value) string {
		if v.Ref == nil {
			return v.Literal
		}
		e, ok := exprs[*v.Ref]
		if !ok {
			t.Errorf("user data refers to %v, which this test does not know", *v.Ref)
		}
		return v.Prefix + e + v.Suffix
	})
	if d := cmp.Diff(script, userData); d != "" {
		t.Errorf("user data is not the model's script (-want +got):\n%s", d)
	}
	g := sys.Servers
	for _, line := range []string{
		"retry aws s3 cp s3://${aws_s3_object.ServerBinary.bucket}/${aws_s3_object.ServerBinary.key} /opt/twinstack/twinstack.new --region " + w.region,
		"mv -f /opt/twinstack/twinstack.new /opt/twinstack/twinstack",
		"Environment=IMAGES_BUCKET=${aws_s3_bucket.ImagesBucket.bucket}",
		"Environment=IMAGES_TABLE=${aws_dynamodb_table.ImagesTable.name}",
		"Environment=ALBUMS_TABLE=${aws_dynamodb_table.AlbumsTable.name}",
		"Environment=AWS_REGION=" + w.region,
		"Environment=PORT=8080",
		"Environment=ALLOWED_ORIGIN_PORTS=" + w.ports,
		"Environment=MAX_CONCURRENT_INGESTS=8",
		"ExecStart=/opt/twinstack/twinstack serve",
		"systemctl restart twinstack-server.service",
		// Issue 17: the script completes this group's launch hook.
		"trap 'lifecycle ABANDON || true' ERR",
		"lifecycle CONTINUE || echo 'no launch action pending (not the first boot)'",
	} {
		if !strings.Contains(userData, line+"\n") {
			t.Errorf("user data lacks %q", line)
		}
	}
	for _, name := range []string{g.Name, g.LaunchHook.Name} {
		if !strings.Contains(userData, " "+name+" ") {
			t.Errorf("user data does not name %q", name)
		}
	}
}

func checkLoadBalancer(t *testing.T, tf *tfJSON, w want) {
	diff(t, "lb", obj{
		"name": w.prefix + "-alb", "internal": true, "load_balancer_type": "application",
		"subnets":         []string{"${aws_subnet.PublicSubnet1.id}", "${aws_subnet.PublicSubnet2.id}"},
		"security_groups": []string{"${aws_security_group.LoadBalancerSecurityGroup.id}"},
	}, tf.res(t, "aws_lb", "LoadBalancer"))
	tg := "${aws_lb_target_group.ServerTargetGroup.arn}"
	diff(t, "target group", obj{
		"name": w.prefix + "-tg", "port": 8080, "protocol": "HTTP", "target_type": "instance", "vpc_id": "${aws_vpc.Vpc.id}",
		"health_check": obj{"path": "/healthz", "healthy_threshold": 3, "unhealthy_threshold": 3, "interval": 15, "timeout": 5, "matcher": "200"},
	}, tf.res(t, "aws_lb_target_group", "ServerTargetGroup"))
	diff(t, "listener", obj{
		"load_balancer_arn": "${aws_lb.LoadBalancer.arn}", "port": 80, "protocol": "HTTP",
		"default_action": []obj{{"type": "forward", "target_group_arn": tg}},
	}, tf.res(t, "aws_lb_listener", "LoadBalancerListener"))
}

func checkLambda(t *testing.T, tf *tfJSON, w want) {
	r := tf.res(t, "aws_lambda_function", "Function")
	file, _ := r["filename"].(string)
	if !assetHash.MatchString(file) || !strings.HasPrefix(file, "assets/FunctionCode/") || !strings.HasSuffix(file, "/lambda.zip") {
		t.Errorf("filename %q is not the Lambda zip asset", file)
	}
	// Issue 17: always the load balancer, whatever the instance count.
	serverURL := "http://${aws_lb.LoadBalancer.dns_name}"
	diff(t, "function", obj{
		"function_name": w.prefix + "-ingest", "role": "${aws_iam_role.FunctionRole.arn}",
		"runtime": "provided.al2023", "architectures": []string{"arm64"}, "handler": "bootstrap",
		"memory_size": w.memory, "timeout": w.timeout, "reserved_concurrent_executions": w.reserved,
		"filename": file, "source_code_hash": `${filebase64sha256("` + file + `")}`,
		"vpc_config": obj{
			"subnet_ids":         []string{"${aws_subnet.PublicSubnet1.id}", "${aws_subnet.PublicSubnet2.id}"},
			"security_group_ids": []string{"${aws_security_group.LambdaSecurityGroup.id}"},
		},
		"environment": obj{"variables": obj{"SERVER_URL": serverURL}},
		"depends_on":  []string{"aws_cloudwatch_log_group.FunctionLogGroup", "aws_iam_role_policy_attachment.FunctionRole_AWSLambdaBasicExecutionRole", "aws_iam_role_policy_attachment.FunctionRole_AWSLambdaVPCAccessExecutionRole"},
	}, r)
	// Issue 17: the stack creates the function's log group, with retention.
	diff(t, "log group", obj{"name": "/aws/lambda/" + w.prefix + "-ingest", "retention_in_days": w.logDays},
		tf.res(t, "aws_cloudwatch_log_group", "FunctionLogGroup"))
	diff(t, "function url", obj{"function_name": "${aws_lambda_function.Function.function_name}", "authorization_type": "AWS_IAM"},
		tf.res(t, "aws_lambda_function_url", "FunctionUrl"))
}

func checkOutputs(t *testing.T, tf *tfJSON, w want) {
	want := map[string]string{
		"BucketName":          "${aws_s3_bucket.ImagesBucket.bucket}",
		"ImagesTableName":     "${aws_dynamodb_table.ImagesTable.name}",
		"AlbumsTableName":     "${aws_dynamodb_table.AlbumsTable.name}",
		"ServerGroupName":     "${aws_autoscaling_group.ServerGroup.name}",
		"LoadBalancerDnsName": "${aws_lb.LoadBalancer.dns_name}",
		"FunctionName":        "${aws_lambda_function.Function.function_name}",
		"FunctionUrl":         "${aws_lambda_function_url.FunctionUrl.function_url}",
	}
	got := map[string]string{}
	for name, o := range tf.Output {
		got[name], _ = o["value"].(string)
		if o["description"] == nil {
			t.Errorf("output %s has no description", name)
		}
	}
	diff(t, "outputs", want, got)
}

// TestModelOutputsAreRendered ties the output names to the model: every
// model output, and nothing else, is a Terraform output.
func TestModelOutputsAreRendered(t *testing.T) {
	root := fakeRoot(t)
	for _, name := range []string{"count1", "count3"} {
		cfg, sys := loadCase(t, name)
		_, b := synth(t, cfg, sys, root, t.TempDir())
		tf := parse(t, b)
		var want, got []string
		for _, o := range sys.Outputs {
			want = append(want, o.Name)
		}
		for n := range tf.Output {
			got = append(got, n)
		}
		diff(t, name+" output names", sorted(want), sorted(got))
	}
}

func TestErrors(t *testing.T) {
	cfg, sys := loadCase(t, "count2")
	tests := []struct {
		name  string
		setup func(t *testing.T) (config.Config, *constructs.System, string)
		check func(t *testing.T, err error)
	}{
		{
			name: "missing lambda zip",
			setup: func(t *testing.T) (config.Config, *constructs.System, string) {
				root := fakeRoot(t)
				if err := os.Remove(filepath.Join(root, constructs.LambdaZipPath)); err != nil {
					t.Fatal(err)
				}
				return cfg, sys, root
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, stack.ErrMissingArtifact) || !strings.Contains(err.Error(), constructs.LambdaZipPath) {
					t.Errorf("got %v, want ErrMissingArtifact naming %s", err, constructs.LambdaZipPath)
				}
			},
		},
		{
			name: "missing server binary",
			setup: func(t *testing.T) (config.Config, *constructs.System, string) {
				return cfg, sys, t.TempDir()
			},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, stack.ErrMissingArtifact) || !strings.Contains(err.Error(), "build/server-linux-amd64") {
					t.Errorf("got %v, want ErrMissingArtifact naming the server binary", err)
				}
			},
		},
		{
			name: "artifacts bucket name too long",
			setup: func(t *testing.T) (config.Config, *constructs.System, string) {
				// Validate caps the prefix so this cannot happen through
				// constructs.New; the renderer still refuses a hand-built one.
				c := cfg
				c.System.Region = "ap-southeast-1"
				s, err := constructs.New(c.System)
				if err != nil {
					t.Fatal(err)
				}
				s.Prefix = "a-prefix-of-twenty-eight-chr"
				return c, s, fakeRoot(t)
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "artifacts bucket name") {
					t.Errorf("got %v, want an artifacts bucket name error", err)
				}
			},
		},
		{
			name: "reference to an unknown node",
			setup: func(t *testing.T) (config.Config, *constructs.System, string) {
				s := *sys
				s.Outputs = append([]constructs.Output(nil), sys.Outputs...)
				s.Outputs = append(s.Outputs, constructs.Output{Name: "Bogus", Value: constructs.RefTo("Nope", constructs.AttrName)})
				return cfg, &s, fakeRoot(t)
			},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), `unknown node "Nope"`) {
					t.Errorf("got %v, want an unknown-node error", err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, s, root := tc.setup(t)
			_, err := stack.New(stack.NewApp(t.TempDir()), c, s, stack.Options{Root: root})
			tc.check(t, err)
		})
	}
}
