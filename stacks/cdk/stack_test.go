package cdk

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
)

var update = flag.Bool("update", false, "rewrite testdata/<case>/want.template.json")

// TestStack renders every case under testdata (a folder with config.json)
// once and checks the template against the model and the rules.
func TestStack(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	root := fakeRoot(t)
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join("testdata", d.Name(), "config.json")); err != nil {
			continue
		}
		t.Run(d.Name(), func(t *testing.T) {
			cfg, sys := loadCase(t, d.Name())
			s := synth(t, cfg, sys, root)
			t.Run("file", func(t *testing.T) { testFile(t, s) })
			t.Run("bucket", func(t *testing.T) { testBucket(t, s) })
			t.Run("tables", func(t *testing.T) { testTables(t, s) })
			t.Run("network", func(t *testing.T) { testNetwork(t, s) })
			t.Run("security_groups", func(t *testing.T) { testSecurityGroups(t, s) })
			t.Run("server_group", func(t *testing.T) { testServerGroup(t, s) })
			t.Run("iam", func(t *testing.T) { testIAM(t, s) })
			t.Run("load_balancer", func(t *testing.T) { testLoadBalancer(t, s) })
			t.Run("function", func(t *testing.T) { testFunction(t, s) })
			t.Run("outputs", func(t *testing.T) { testOutputs(t, s) })
			t.Run("golden", func(t *testing.T) { testGolden(t, d.Name(), s) })
			t.Run("cfn_lint", func(t *testing.T) { testCfnLint(t, s) })
		})
	}
}

// TestDeterministic synthesizes the same model twice in two apps.
func TestDeterministic(t *testing.T) {
	root := fakeRoot(t)
	cfg, sys := loadCase(t, "count3")
	a := synth(t, cfg, sys, root)
	cfg, sys = loadCase(t, "count3")
	b := synth(t, cfg, sys, root)
	if !bytes.Equal(a.raw, b.raw) {
		t.Errorf("two synths differ:\n%s", cmp.Diff(string(a.raw), string(b.raw)))
	}
}

func testFile(t *testing.T, s *synthesized) {
	if got, want := filepath.Base(s.file), s.cfg.StackName+".template.json"; got != want {
		t.Errorf("template file %s, want %s", got, want)
	}
	if got := *s.stack.StackName(); got != s.cfg.StackName {
		t.Errorf("stack name %s, want %s", got, s.cfg.StackName)
	}
	if got := *s.stack.Region(); got != s.sys.Region {
		t.Errorf("region %s, want %s", got, s.sys.Region)
	}
	// The model's account placeholder never reaches the template.
	if strings.Contains(string(s.raw), constructs.AccountToken) {
		t.Errorf("template contains %s", constructs.AccountToken)
	}
	// Environment-agnostic: no account in the template or the stack.
	if strings.Contains(string(s.raw), "CDK_DEFAULT_ACCOUNT") || !strings.Contains(*s.stack.Account(), "${Token[") {
		t.Errorf("stack is bound to an account: %s", *s.stack.Account())
	}
}

func testBucket(t *testing.T, s *synthesized) {
	b := s.sys.Bucket
	name := strings.ReplaceAll(b.Name, constructs.AccountToken, "${AWS::AccountId}")
	check(t, "bucket properties", func() {
		s.tpl.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"BucketName":              map[string]any{"Fn::Sub": name},
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"PublicAccessBlockConfiguration": map[string]any{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
				map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
			}},
		})
	})
	check(t, "one bucket", func() { s.tpl.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(1)) })
	// Issue 14: abort incomplete multipart uploads after 1 day, expire
	// noncurrent versions after noncurrent_version_days.
	lifecycle := map[string]any{"Rules": []any{
		map[string]any{"Id": "abort-incomplete-multipart-uploads", "Status": "Enabled", "AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": float64(1)}},
		map[string]any{"Id": "expire-noncurrent-versions", "Status": "Enabled", "NoncurrentVersionExpiration": map[string]any{"NoncurrentDays": float64(s.cfg.System.NoncurrentVersionDays)}},
	}}
	if diff := cmp.Diff(lifecycle, props(s.resource(t, string(b.ID), "AWS::S3::Bucket"))["LifecycleConfiguration"]); diff != "" {
		t.Errorf("bucket lifecycle (-want +got):\n%s", diff)
	}
	r := s.resource(t, string(b.ID), "AWS::S3::Bucket")
	want := map[constructs.Removal]string{constructs.Retain: "Retain", constructs.Destroy: "Delete"}[b.Removal]
	if r["DeletionPolicy"] != want || r["UpdateReplacePolicy"] != want {
		t.Errorf("bucket deletion %v/%v, want %s", r["DeletionPolicy"], r["UpdateReplacePolicy"], want)
	}
	autoDelete := len(s.resources("Custom::S3AutoDeleteObjects"))
	if b.Removal == constructs.Destroy && autoDelete != 1 || b.Removal == constructs.Retain && autoDelete != 0 {
		t.Errorf("%d auto-delete custom resources with removal %s", autoDelete, b.Removal)
	}

	// The bucket policy holds the model's statements exactly; with
	// destroy, CDK's auto-delete handler adds its own statement first.
	pol := props(s.resource(t, string(b.ID)+"Policy", "AWS::S3::BucketPolicy"))
	if diff := cmp.Diff(map[string]any{"Ref": string(b.ID)}, pol["Bucket"]); diff != "" {
		t.Errorf("bucket policy target (-want +got):\n%s", diff)
	}
	stmts := pol["PolicyDocument"].(map[string]any)["Statement"].([]any)
	if b.Removal == constructs.Destroy {
		if len(stmts) == 0 || fmt.Sprint(stmts[0].(map[string]any)["Principal"]) == "*" {
			t.Fatalf("no auto-delete statement first: %v", stmts)
		}
		stmts = stmts[1:]
	}
	var want2 []any
	for _, st := range b.Policy {
		want2 = append(want2, wantStatement(s.sys, st))
	}
	if diff := cmp.Diff(want2, stmts); diff != "" {
		t.Errorf("bucket policy statements (-model +template):\n%s", diff)
	}
	// The rule, independent of the model: deny s3:* without TLS.
	deny := stmts[0].(map[string]any)
	if deny["Effect"] != "Deny" || deny["Action"] != "s3:*" || deny["Principal"] != "*" ||
		fmt.Sprint(deny["Condition"]) != "map[Bool:map[aws:SecureTransport:false]]" {
		t.Errorf("bucket policy does not deny insecure transport: %v", deny)
	}
}

func testTables(t *testing.T, s *synthesized) {
	check(t, "two tables", func() { s.tpl.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(2)) })
	check(t, "no global tables", func() { s.tpl.ResourceCountIs(jsii.String("AWS::DynamoDB::GlobalTable"), jsii.Number(0)) })
	for _, tb := range []constructs.Table{s.sys.ImagesTable, s.sys.AlbumsTable} {
		r := s.resource(t, string(tb.ID), "AWS::DynamoDB::Table")
		p := props(r)
		attrs := map[string]string{tb.Partition.Name: string(tb.Partition.Type)}
		keys := []any{map[string]any{"AttributeName": tb.Partition.Name, "KeyType": "HASH"}}
		if tb.Sort != nil {
			attrs[tb.Sort.Name] = string(tb.Sort.Type)
			keys = append(keys, map[string]any{"AttributeName": tb.Sort.Name, "KeyType": "RANGE"})
		}
		gsis := []any{}
		for _, ix := range tb.Indexes {
			attrs[ix.Partition.Name] = string(ix.Partition.Type)
			ks := []any{map[string]any{"AttributeName": ix.Partition.Name, "KeyType": "HASH"}}
			if ix.Sort != nil {
				attrs[ix.Sort.Name] = string(ix.Sort.Type)
				ks = append(ks, map[string]any{"AttributeName": ix.Sort.Name, "KeyType": "RANGE"})
			}
			gsis = append(gsis, map[string]any{"IndexName": ix.Name, "KeySchema": ks, "Projection": map[string]any{"ProjectionType": ix.Projection}})
		}
		gotAttrs := map[string]string{}
		for _, a := range p["AttributeDefinitions"].([]any) {
			a := a.(map[string]any)
			gotAttrs[a["AttributeName"].(string)] = a["AttributeType"].(string)
		}
		if diff := cmp.Diff(attrs, gotAttrs); diff != "" {
			t.Errorf("%s attributes (-model +template):\n%s", tb.ID, diff)
		}
		if diff := cmp.Diff(keys, p["KeySchema"]); diff != "" {
			t.Errorf("%s key schema (-model +template):\n%s", tb.ID, diff)
		}
		if diff := cmp.Diff(gsis, list(p["GlobalSecondaryIndexes"])); diff != "" {
			t.Errorf("%s indexes (-model +template):\n%s", tb.ID, diff)
		}
		if p["TableName"] != tb.Name || p["BillingMode"] != "PAY_PER_REQUEST" {
			t.Errorf("%s: name %v billing %v", tb.ID, p["TableName"], p["BillingMode"])
		}
		pitr := fmt.Sprint(p["PointInTimeRecoverySpecification"]) == "map[PointInTimeRecoveryEnabled:true]"
		if pitr != tb.PointInTimeRecovery {
			t.Errorf("%s: PITR %v, want %v", tb.ID, p["PointInTimeRecoverySpecification"], tb.PointInTimeRecovery)
		}
		if got := p["DeletionProtectionEnabled"] == true; got != tb.DeletionProtection {
			t.Errorf("%s: DeletionProtectionEnabled %v, want %v", tb.ID, p["DeletionProtectionEnabled"], tb.DeletionProtection)
		}
		// No item of ours expires (issue 15: no pending claim items), and
		// a TTL on the images table would delete images.
		var ttl any
		if diff := cmp.Diff(ttl, p["TimeToLiveSpecification"]); diff != "" {
			t.Errorf("%s TTL (-want +got):\n%s", tb.ID, diff)
		}
		want := map[constructs.Removal]string{constructs.Retain: "Retain", constructs.Destroy: "Delete"}[tb.Removal]
		if r["DeletionPolicy"] != want {
			t.Errorf("%s: DeletionPolicy %v, want %s", tb.ID, r["DeletionPolicy"], want)
		}
	}
	// The literal requirements.
	images := props(s.resource(t, "ImagesTable", "AWS::DynamoDB::Table"))
	if fmt.Sprint(images["KeySchema"]) != "[map[AttributeName:image_id KeyType:HASH]]" || images["PointInTimeRecoverySpecification"] == nil || len(images["GlobalSecondaryIndexes"].([]any)) != 1 {
		t.Errorf("images table: %v", images)
	}
	albums := props(s.resource(t, "AlbumsTable", "AWS::DynamoDB::Table"))
	if fmt.Sprint(albums["KeySchema"]) != "[map[AttributeName:id KeyType:HASH]]" {
		t.Errorf("albums table key: %v", albums["KeySchema"])
	}
}

// list is a JSON list, absent or not: an empty one when absent.
func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{}
}

func testNetwork(t *testing.T, s *synthesized) {
	n := s.sys.Network
	ref := func(id constructs.ID) any { return map[string]any{"Ref": string(id)} }
	if diff := cmp.Diff(map[string]any{"CidrBlock": n.VPC.CIDR, "EnableDnsSupport": n.VPC.DNSSupport, "EnableDnsHostnames": n.VPC.DNSHostnames}, props(s.resource(t, string(n.VPC.ID), "AWS::EC2::VPC"))); diff != "" {
		t.Errorf("VPC (-want +got):\n%s", diff)
	}
	s.resource(t, string(n.Gateway), "AWS::EC2::InternetGateway")
	att := s.resources("AWS::EC2::VPCGatewayAttachment")
	if len(att) != 1 {
		t.Fatalf("%d gateway attachments", len(att))
	}
	for _, a := range att {
		if diff := cmp.Diff(map[string]any{"VpcId": ref(n.VPC.ID), "InternetGatewayId": ref(n.Gateway)}, props(a)); diff != "" {
			t.Errorf("gateway attachment (-want +got):\n%s", diff)
		}
	}
	routes := s.resources("AWS::EC2::Route")
	assocs := s.resources("AWS::EC2::SubnetRouteTableAssociation")
	for _, sn := range n.Subnets {
		want := map[string]any{
			"VpcId": ref(n.VPC.ID), "CidrBlock": sn.CIDR, "MapPublicIpOnLaunch": sn.Public,
			"AvailabilityZone": map[string]any{"Fn::Select": []any{float64(sn.AZ), map[string]any{"Fn::GetAZs": ""}}},
		}
		if diff := cmp.Diff(want, props(s.resource(t, string(sn.ID), "AWS::EC2::Subnet"))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", sn.ID, diff)
		}
		if diff := cmp.Diff(map[string]any{"VpcId": ref(n.VPC.ID)}, props(s.resource(t, string(sn.RouteTable), "AWS::EC2::RouteTable"))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", sn.RouteTable, diff)
		}
		found := 0
		for _, r := range routes {
			if diff := cmp.Diff(map[string]any{"RouteTableId": ref(sn.RouteTable), "DestinationCidrBlock": n.Internet, "GatewayId": ref(n.Gateway)}, props(r)); diff == "" {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%s: %d default routes to the gateway, want 1", sn.RouteTable, found)
		}
		found = 0
		for _, a := range assocs {
			if cmp.Equal(map[string]any{"RouteTableId": ref(sn.RouteTable), "SubnetId": ref(sn.ID)}, props(a)) {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%s: %d route table associations, want 1", sn.ID, found)
		}
	}
	if len(routes) != len(n.Subnets) || len(assocs) != len(n.Subnets) {
		t.Errorf("%d routes and %d associations for %d subnets", len(routes), len(assocs), len(n.Subnets))
	}
	// Two subnets in two zones (the issue), and nothing the model lacks.
	if len(n.Subnets) != 2 || n.Subnets[0].AZ == n.Subnets[1].AZ {
		t.Errorf("model subnets: %+v", n.Subnets)
	}
	for _, typ := range []string{"AWS::EC2::NatGateway", "AWS::EC2::EIP", "Custom::VpcRestrictDefaultSG", "AWS::IAM::Policy"} {
		check(t, "no "+typ, func() { s.tpl.ResourceCountIs(jsii.String(typ), jsii.Number(0)) })
	}
}

// rule is a security-group rule in a comparable form.
type rule struct {
	Group, Dir, Protocol string
	From, To             float64 // -1: not given
	Peer, CIDR, Desc     string
}

func modelRules(sys *constructs.System) []rule {
	var out []rule
	add := func(g constructs.ID, dir string, r constructs.Rule) {
		x := rule{Group: string(g), Dir: dir, Protocol: r.Protocol, From: -1, To: -1, Peer: string(r.Peer), CIDR: r.CIDR, Desc: r.Description}
		if r.Protocol != constructs.All {
			x.From, x.To = float64(r.FromPort), float64(r.ToPort)
		}
		out = append(out, x)
	}
	for _, g := range sys.Groups {
		for _, r := range g.Ingress {
			add(g.ID, "in", r)
		}
		for _, r := range g.Egress {
			add(g.ID, "out", r)
		}
	}
	return sortRules(out)
}

func sortRules(rs []rule) []rule {
	sort.Slice(rs, func(i, j int) bool { return fmt.Sprint(rs[i]) < fmt.Sprint(rs[j]) })
	return rs
}

func num(v any) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return -1
}

func str(v any) string { s, _ := v.(string); return s }

func getAttID(v any) string {
	m, _ := v.(map[string]any)
	ga, _ := m["Fn::GetAtt"].([]any)
	if len(ga) != 2 || ga[1] != "GroupId" {
		return fmt.Sprintf("<not a group id: %v>", v)
	}
	return ga[0].(string)
}

// templateRules collects every rule, inline or separate, and reports which
// groups carry CDK's match-nothing egress placeholder.
func templateRules(s *synthesized) ([]rule, map[string]bool) {
	var out []rule
	placeholder := map[string]bool{}
	for id, g := range s.resources("AWS::EC2::SecurityGroup") {
		p := props(g)
		for dir, key := range map[string]string{"in": "SecurityGroupIngress", "out": "SecurityGroupEgress"} {
			list, _ := p[key].([]any)
			for _, x := range list {
				x := x.(map[string]any)
				if dir == "out" && x["CidrIp"] == "255.255.255.255/32" && x["IpProtocol"] == "icmp" && num(x["FromPort"]) == 252 && num(x["ToPort"]) == 86 {
					placeholder[id] = true
					continue
				}
				out = append(out, rule{Group: id, Dir: dir, Protocol: str(x["IpProtocol"]), From: num(x["FromPort"]), To: num(x["ToPort"]), CIDR: str(x["CidrIp"]), Desc: str(x["Description"])})
			}
		}
	}
	for _, x := range s.resources("AWS::EC2::SecurityGroupIngress") {
		p := props(x)
		out = append(out, rule{Group: getAttID(p["GroupId"]), Dir: "in", Protocol: str(p["IpProtocol"]), From: num(p["FromPort"]), To: num(p["ToPort"]), Peer: getAttID(p["SourceSecurityGroupId"]), CIDR: str(p["CidrIp"]), Desc: str(p["Description"])})
	}
	for _, x := range s.resources("AWS::EC2::SecurityGroupEgress") {
		p := props(x)
		out = append(out, rule{Group: getAttID(p["GroupId"]), Dir: "out", Protocol: str(p["IpProtocol"]), From: num(p["FromPort"]), To: num(p["ToPort"]), Peer: getAttID(p["DestinationSecurityGroupId"]), CIDR: str(p["CidrIp"]), Desc: str(p["Description"])})
	}
	return sortRules(out), placeholder
}

func testSecurityGroups(t *testing.T, s *synthesized) {
	groups := s.resources("AWS::EC2::SecurityGroup")
	if len(groups) != len(s.sys.Groups) {
		t.Errorf("%d security groups, model has %d", len(groups), len(s.sys.Groups))
	}
	for _, g := range s.sys.Groups {
		p := props(s.resource(t, string(g.ID), "AWS::EC2::SecurityGroup"))
		if p["GroupName"] != g.Name || p["GroupDescription"] != g.Description || !cmp.Equal(p["VpcId"], map[string]any{"Ref": string(s.sys.Network.VPC.ID)}) {
			t.Errorf("%s: %v", g.ID, p)
		}
	}
	got, placeholder := templateRules(s)
	if diff := cmp.Diff(modelRules(s.sys), got); diff != "" {
		t.Errorf("rules (-model +template):\n%s", diff)
	}
	// A group whose model egress names no CIDR needs the placeholder, or
	// CloudFormation would keep its default allow-all egress.
	for _, g := range s.sys.Groups {
		cidrEgress := false
		for _, r := range g.Egress {
			cidrEgress = cidrEgress || r.CIDR != ""
		}
		if placeholder[string(g.ID)] == cidrEgress {
			t.Errorf("%s: match-nothing egress %v with CIDR egress %v", g.ID, placeholder[string(g.ID)], cidrEgress)
		}
	}
	// The rules, independent of the model.
	admin := s.cfg.System.AdminCIDR
	ssh := 0
	for _, r := range got {
		if r.Dir != "in" {
			continue
		}
		if r.CIDR == "0.0.0.0/0" || r.Protocol == "-1" {
			t.Errorf("open ingress: %+v", r)
		}
		if r.From <= 22 && 22 <= r.To {
			ssh++
			if admin == "" || r.CIDR != admin || r.Group != "ServerSecurityGroup" {
				t.Errorf("SSH rule %+v with admin CIDR %q", r, admin)
			}
		}
		// Issue 17: the servers take 8080 from the load balancer alone.
		if r.Group == "ServerSecurityGroup" && r.From == constructs.ServerPort && r.Peer != "LoadBalancerSecurityGroup" {
			t.Errorf("server port open to %+v", r)
		}
	}
	if (admin != "") != (ssh == 1) {
		t.Errorf("%d SSH rules with admin CIDR %q", ssh, admin)
	}
}

// testServerGroup checks the Auto Scaling group, its launch template and
// scaling policy against the model's ServerGroup, field by field.
func testServerGroup(t *testing.T, s *synthesized) {
	g := s.sys.Servers
	tpl := g.Template
	for typ, n := range map[string]int{
		"AWS::AutoScaling::AutoScalingGroup": 1,
		"AWS::EC2::LaunchTemplate":           1,
		"AWS::AutoScaling::ScalingPolicy":    1,
		// The launch hook is part of the group (it must exist when the
		// first instances launch), never a resource created after it.
		"AWS::AutoScaling::LifecycleHook": 0,
		"AWS::EC2::Instance":              0,
		// One profile per EC2 role: the template uses the role's own.
		"AWS::IAM::InstanceProfile": 1,
	} {
		check(t, fmt.Sprintf("%d %s", n, typ), func() { s.tpl.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	}
	ref := func(id constructs.ID) any { return map[string]any{"Ref": string(id)} }
	count := func(n int) string { return strconv.Itoa(n) }

	// The group.
	r := s.resource(t, string(g.ID), "AWS::AutoScaling::AutoScalingGroup")
	var subnets []any
	for _, id := range g.Subnets {
		subnets = append(subnets, ref(id))
	}
	h := g.LaunchHook
	want := map[string]any{
		"AutoScalingGroupName": g.Name,
		"MinSize":              count(g.Min),
		"DesiredCapacity":      count(g.Desired),
		"MaxSize":              count(g.Max),
		"VPCZoneIdentifier":    subnets,
		"LaunchTemplate": map[string]any{
			"LaunchTemplateId": ref(tpl.ID),
			// The latest version: a new template version is what a
			// rolling update rolls out.
			"Version": map[string]any{"Fn::GetAtt": []any{string(tpl.ID), "LatestVersionNumber"}},
		},
		// A target group's Ref is its ARN.
		"TargetGroupARNs":        []any{ref(g.TargetGroup)},
		"HealthCheckType":        g.HealthCheckType,
		"HealthCheckGracePeriod": float64(g.HealthCheckGraceSec),
		"LifecycleHookSpecificationList": []any{map[string]any{
			"LifecycleHookName":   h.Name,
			"LifecycleTransition": h.Transition,
			"DefaultResult":       h.DefaultResult,
			"HeartbeatTimeout":    float64(h.HeartbeatSec),
		}},
		"Tags": []any{map[string]any{"Key": "Name", "Value": g.NameTag, "PropagateAtLaunch": true}},
	}
	if diff := cmp.Diff(want, props(r)); diff != "" {
		t.Errorf("%s (-model +template):\n%s", g.ID, diff)
	}
	if g.TargetGroup != s.sys.LoadBalancer.TargetGroup || len(g.Subnets) != len(s.sys.Network.Subnets) {
		t.Errorf("model group is not behind the load balancer in every subnet: %+v", g)
	}

	// The rolling update: the model's batch, minimum and pause. No
	// resource signals: the launch hook holds each new instance until
	// its server is ready, and nothing calls cfn-signal.
	up, _ := r["UpdatePolicy"].(map[string]any)
	roll, _ := up["AutoScalingRollingUpdate"].(map[string]any)
	for k, v := range map[string]any{
		"MaxBatchSize":          float64(g.Rolling.MaxBatch),
		"MinInstancesInService": float64(g.Rolling.MinInService),
		"PauseTime":             g.Rolling.PauseTime(),
	} {
		if !cmp.Equal(roll[k], v) {
			t.Errorf("rolling update %s = %v, want %v", k, roll[k], v)
		}
	}
	if w, ok := roll["WaitOnResourceSignals"]; ok && w != false {
		t.Errorf("rolling update waits on resource signals: %v", roll)
	}
	// Exactly the model's suspended processes (none): left to itself the
	// L2 would suspend six, which Terraform's instance refresh cannot say.
	suspended := []string{}
	for _, p := range list(roll["SuspendProcesses"]) {
		suspended = append(suspended, fmt.Sprint(p))
	}
	if _, ok := roll["SuspendProcesses"]; !ok || !cmp.Equal(suspended, append([]string{}, g.Rolling.SuspendProcesses...)) {
		t.Errorf("rolling update suspends %v, want exactly %v", roll["SuspendProcesses"], g.Rolling.SuspendProcesses)
	}
	if g.Rolling.MinInService >= g.Max || g.Desired > g.Max || g.Min > g.Desired {
		t.Errorf("model sizes leave the update no room: %+v", g)
	}

	// Nothing boots before it can download the binary and complete its
	// launch hook: routes, the role (with its policy) and every rule of
	// the servers' security group, inline or a resource of its own.
	deps := map[string]bool{}
	for _, d := range list(r["DependsOn"]) {
		deps[d.(string)] = true
	}
	needs := []string{string(tpl.Role), string(tpl.Group)}
	for _, sn := range s.sys.Network.Subnets {
		needs = append(needs, string(sn.ID)+"DefaultRoute", string(sn.ID)+"RouteTableAssociation")
	}
	for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
		for id, rule := range s.resources(typ) {
			if getAttID(props(rule)["GroupId"]) == string(tpl.Group) {
				needs = append(needs, id)
			}
		}
	}
	for _, n := range needs {
		if !deps[n] {
			t.Errorf("%s does not depend on %s (DependsOn %v)", g.ID, n, r["DependsOn"])
		}
	}
	if role := s.sys.Role(tpl.Role); role == nil || role.InstanceProfile == "" || len(role.Statements) == 0 {
		t.Fatalf("template role %s has no profile or policy", tpl.Role)
	}

	// The launch template.
	lt := props(s.resource(t, string(tpl.ID), "AWS::EC2::LaunchTemplate"))
	if diff := cmp.Diff(map[string]any{"LaunchTemplateName": tpl.Name, "LaunchTemplateData": lt["LaunchTemplateData"]}, lt); diff != "" {
		t.Errorf("%s properties (-want +got):\n%s", tpl.ID, diff)
	}
	data, _ := lt["LaunchTemplateData"].(map[string]any)
	// AMI: a parameter resolved by CloudFormation from the public SSM
	// parameter for the architecture; no AMI id anywhere.
	params := s.doc["Parameters"].(map[string]any)
	param, _ := data["ImageId"].(map[string]any)["Ref"].(string)
	pd, _ := params[param].(map[string]any)
	if pd["Type"] != "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>" || pd["Default"] != tpl.AMIParameter {
		t.Errorf("%s: image parameter %s = %v, want default %s", tpl.ID, param, pd, tpl.AMIParameter)
	}
	if !strings.HasSuffix(tpl.AMIParameter, map[string]string{"x86_64": "x86_64", "arm64": "arm64"}[tpl.Architecture]) {
		t.Errorf("%s: AMI parameter %s for %s", tpl.ID, tpl.AMIParameter, tpl.Architecture)
	}
	metadata := map[string]any{}
	if tpl.RequireIMDSv2 {
		metadata["HttpTokens"] = "required"
	}
	if tpl.MetadataHopLimit > 0 {
		metadata["HttpPutResponseHopLimit"] = float64(tpl.MetadataHopLimit)
	}
	profile := s.sys.Role(tpl.Role).InstanceProfile
	want = map[string]any{
		"InstanceType":       tpl.Type,
		"SecurityGroupIds":   []any{wantRef(s.sys, constructs.Ref{To: tpl.Group, Attr: constructs.AttrID})},
		"IamInstanceProfile": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{string(profile), "Arn"}}},
		"MetadataOptions":    metadata,
		"BlockDeviceMappings": []any{map[string]any{"DeviceName": tpl.RootVolume.Device, "Ebs": map[string]any{
			"Encrypted": tpl.RootVolume.Encrypted, "VolumeSize": float64(tpl.RootVolume.SizeGiB), "VolumeType": tpl.RootVolume.Type,
		}}},
	}
	if tpl.CPUCredits != "" {
		want["CreditSpecification"] = map[string]any{"CpuCredits": tpl.CPUCredits}
	}
	got := map[string]any{}
	for k, v := range data {
		if k != "ImageId" && k != "UserData" {
			got[k] = v
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s data (-model +template):\n%s", tpl.ID, diff)
	}
	// The rules, independent of the model: IMDSv2 with one hop,
	// an encrypted root, standard credits for burstable families.
	if metadata["HttpTokens"] != "required" || metadata["HttpPutResponseHopLimit"] != float64(1) || !tpl.RootVolume.Encrypted {
		t.Errorf("model template differs from the issue: %+v", tpl)
	}
	if family, _, _ := strings.Cut(tpl.Type, "."); slices.Contains([]string{"t2", "t3", "t3a", "t4g"}, family) && tpl.CPUCredits != "standard" {
		t.Errorf("burstable %s with CPU credits %q", tpl.Type, tpl.CPUCredits)
	}
	testUserData(t, s, data["UserData"])

	// The scaling policy: target tracking on the load balancer's
	// requests per target, labelled "<lb full name>/<tg full name>".
	sc := g.Scaling
	var policy map[string]any
	var policyID string
	for id, p := range s.resources("AWS::AutoScaling::ScalingPolicy") {
		policyID, policy = id, p
	}
	label := map[string]any{"Fn::Join": []any{"", []any{
		wantRef(s.sys, constructs.Ref{To: sc.LoadBalancer, Attr: constructs.AttrFullName}), "/",
		wantRef(s.sys, constructs.Ref{To: sc.TargetGroup, Attr: constructs.AttrFullName}),
	}}}
	// No PolicyName: it is a read-only attribute of the CloudFormation
	// type (CloudFormation names the policy after the stack and logical
	// ID), so the model's Name cannot be set here.
	want = map[string]any{
		"AutoScalingGroupName": ref(g.ID),
		"PolicyType":           "TargetTrackingScaling",
		"TargetTrackingConfiguration": map[string]any{
			"PredefinedMetricSpecification": map[string]any{"PredefinedMetricType": sc.Metric, "ResourceLabel": label},
			"TargetValue":                   float64(sc.TargetValue),
		},
	}
	if diff := cmp.Diff(want, props(policy)); diff != "" {
		t.Errorf("scaling policy %s (-model +template):\n%s", policyID, diff)
	}
	if policyID != string(g.ID)+"ScalingPolicy" {
		t.Errorf("scaling policy logical ID %s", policyID)
	}
	// The metric exists once the listener joins the target group to the
	// load balancer.
	if deps := list(policy["DependsOn"]); !slices.Contains(deps, any(string(s.sys.LoadBalancer.Listener))) {
		t.Errorf("scaling policy DependsOn %v, want %s", deps, s.sys.LoadBalancer.Listener)
	}
	if sc.LoadBalancer != s.sys.LoadBalancer.ID || sc.TargetGroup != g.TargetGroup || sc.TargetValue != s.cfg.System.ScaleRequestsPerInstance {
		t.Errorf("model scaling differs from the load balancer/config: %+v", sc)
	}
}

// testUserData checks the script: the model's text, with the asset's S3
// location in the fetch line and tokens for the bucket and table names.
func testUserData(t *testing.T, s *synthesized, ud any) {
	t.Helper()
	join, _ := ud.(map[string]any)["Fn::Base64"].(map[string]any)["Fn::Join"].([]any)
	if len(join) != 2 || join[0] != "" {
		t.Fatalf("user data is not a joined script: %v", ud)
	}
	var text strings.Builder
	for _, part := range join[1].([]any) {
		switch p := part.(type) {
		case string:
			text.WriteString(p)
		case map[string]any:
			if sub, ok := p["Fn::Sub"]; ok {
				text.WriteString("<" + sub.(string) + ">")
			} else if ref, ok := p["Ref"]; ok {
				text.WriteString("<" + ref.(string) + ">")
			} else {
				t.Errorf("unexpected token in user data: %v", p)
			}
		}
	}
	want := s.sys.UserData("<cdk-hnb659fds-assets-${AWS::AccountId}-"+s.sys.Region+">", "<hash>.<hash>", func(v constructs.Value) string {
		if v.Ref == nil {
			return v.Literal
		}
		return v.Prefix + "<" + string(v.Ref.To) + ">" + v.Suffix
	})
	got := assetHash.ReplaceAllString(text.String(), "<hash>")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("user data (-model +template):\n%s", diff)
	}
}

func testIAM(t *testing.T, s *synthesized) {
	for _, role := range s.sys.Roles {
		p := props(s.resource(t, string(role.ID), "AWS::IAM::Role"))
		trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]any{"Service": role.Service},
		}}}
		if diff := cmp.Diff(trust, p["AssumeRolePolicyDocument"]); diff != "" {
			t.Errorf("%s trust (-want +got):\n%s", role.ID, diff)
		}
		managed := []any{}
		for _, m := range role.ManagedPolicies {
			managed = append(managed, managedPolicyARN(m))
		}
		if diff := cmp.Diff(managed, list(p["ManagedPolicyArns"])); diff != "" {
			t.Errorf("%s managed policies (-model +template):\n%s", role.ID, diff)
		}
		if p["RoleName"] != role.Name {
			t.Errorf("%s: name %v, want %s", role.ID, p["RoleName"], role.Name)
		}
		want := []any{}
		for _, st := range role.Statements {
			want = append(want, wantStatement(s.sys, st))
		}
		policies, _ := p["Policies"].([]any)
		if len(want) == 0 && role.ReadsArtifact == nil {
			if len(policies) != 0 {
				t.Errorf("%s: inline policies %v, model has none", role.ID, policies)
			}
			continue
		}
		if len(policies) != 1 {
			t.Fatalf("%s: %d inline policies, want 1", role.ID, len(policies))
		}
		pol := policies[0].(map[string]any)
		if pol["PolicyName"] != role.PolicyName {
			t.Errorf("%s: policy name %v, want %s", role.ID, pol["PolicyName"], role.PolicyName)
		}
		got := pol["PolicyDocument"].(map[string]any)["Statement"].([]any)
		if role.ReadsArtifact != nil {
			// The artifact statement: GetObject on the one asset object.
			last := got[len(got)-1].(map[string]any)
			got = got[:len(got)-1]
			res := assetHash.ReplaceAllString(fmt.Sprint(last["Resource"]), "<hash>")
			wantRes := "map[Fn::Join:[ [arn: map[Ref:AWS::Partition] :s3::: map[Fn::Sub:cdk-hnb659fds-assets-${AWS::AccountId}-" + s.sys.Region + "] /<hash>.<hash>]]]"
			read := constructs.ArtifactRead(*role.ReadsArtifact)
			if last["Sid"] != read.Sid || last["Action"] != read.Actions[0] || last["Effect"] != "Allow" || res != wantRes {
				t.Errorf("%s: artifact statement %v\nresource %s\nwant     %s", role.ID, last, res, wantRes)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s statements (-model +template):\n%s", role.ID, diff)
		}
		if role.InstanceProfile != "" {
			ip := props(s.resource(t, string(role.InstanceProfile), "AWS::IAM::InstanceProfile"))
			if diff := cmp.Diff(map[string]any{"InstanceProfileName": role.ProfileName, "Roles": []any{map[string]any{"Ref": string(role.ID)}}}, ip); diff != "" {
				t.Errorf("%s (-want +got):\n%s", role.InstanceProfile, diff)
			}
		}
	}
	// The rules: the server may touch only images/ objects and
	// the two tables; the Lambda has the two managed policies only.
	server := props(s.resource(t, "ServerRole", "AWS::IAM::Role"))
	for _, st := range server["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		res := fmt.Sprint(st.(map[string]any)["Resource"])
		act := fmt.Sprint(st.(map[string]any)["Action"])
		if strings.Contains(act, "s3:") && !strings.Contains(res, "/images/*") && !strings.Contains(res, "cdk-hnb659fds-assets") {
			t.Errorf("server S3 access beyond images/: %v on %v", act, res)
		}
		if strings.Contains(act, "*") {
			t.Errorf("wildcard action for the server: %v", act)
		}
	}
	// Issue 17: user data completes its own group's launch hook, in the
	// deploying account (an account-agnostic template).
	hook := 0
	for _, st := range server["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
		st := st.(map[string]any)
		if st["Action"] != "autoscaling:CompleteLifecycleAction" {
			continue
		}
		hook++
		arn := "arn:aws:autoscaling:" + s.sys.Region + ":${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/" + s.sys.Servers.Name
		if diff := cmp.Diff(map[string]any{"Fn::Sub": arn}, st["Resource"]); diff != "" || st["Effect"] != "Allow" {
			t.Errorf("launch hook statement %v (-want +got resource):\n%s", st, diff)
		}
	}
	if hook != 1 {
		t.Errorf("%d statements allow completing the launch hook, want 1", hook)
	}
	fn := props(s.resource(t, "FunctionRole", "AWS::IAM::Role"))
	if fn["Policies"] != nil || len(fn["ManagedPolicyArns"].([]any)) != 2 {
		t.Errorf("Lambda role: %v", fn)
	}
	roles := len(s.sys.Roles)
	if s.sys.Bucket.Removal == constructs.Destroy {
		roles++ // CDK's auto-delete handler
	}
	check(t, "roles", func() { s.tpl.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(roles)) })
}

func testLoadBalancer(t *testing.T, s *synthesized) {
	// Issue 17: a load balancer whatever the instance count.
	lbs := s.resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
	lb := s.sys.LoadBalancer
	if len(lbs) != 1 {
		t.Fatalf("%d load balancers", len(lbs))
	}
	var subnets []any
	for _, id := range lb.Subnets {
		subnets = append(subnets, map[string]any{"Ref": string(id)})
	}
	scheme := map[bool]string{true: "internal", false: "internet-facing"}[lb.Internal]
	want := map[string]any{
		"Name": lb.Name, "Scheme": scheme, "Type": "application", "Subnets": subnets,
		"SecurityGroups": []any{wantRef(s.sys, constructs.Ref{To: lb.Group, Attr: constructs.AttrID})},
	}
	if diff := cmp.Diff(want, props(s.resource(t, string(lb.ID), "AWS::ElasticLoadBalancingV2::LoadBalancer"))); diff != "" {
		t.Errorf("load balancer (-want +got):\n%s", diff)
	}
	want = map[string]any{
		"LoadBalancerArn": map[string]any{"Ref": string(lb.ID)}, "Port": float64(lb.ListenerPort), "Protocol": "HTTP",
		"DefaultActions": []any{map[string]any{"Type": "forward", "TargetGroupArn": map[string]any{"Ref": string(lb.TargetGroup)}}},
	}
	if diff := cmp.Diff(want, props(s.resource(t, string(lb.Listener), "AWS::ElasticLoadBalancingV2::Listener"))); diff != "" {
		t.Errorf("listener (-want +got):\n%s", diff)
	}
	// No Targets: the server group registers its instances.
	want = map[string]any{
		"Name": lb.TargetName, "Port": float64(lb.TargetPort), "Protocol": "HTTP", "TargetType": "instance",
		"HealthCheckPath": lb.HealthPath, "VpcId": map[string]any{"Ref": string(s.sys.Network.VPC.ID)},
		"HealthyThresholdCount": float64(lb.Health.HealthyThreshold), "UnhealthyThresholdCount": float64(lb.Health.UnhealthyThreshold),
		"HealthCheckIntervalSeconds": float64(lb.Health.IntervalSec), "HealthCheckTimeoutSeconds": float64(lb.Health.TimeoutSec),
		"Matcher": map[string]any{"HttpCode": lb.Health.Matcher},
	}
	if diff := cmp.Diff(want, props(s.resource(t, string(lb.TargetGroup), "AWS::ElasticLoadBalancingV2::TargetGroup"))); diff != "" {
		t.Errorf("target group (-want +got):\n%s", diff)
	}
	if lb.ListenerPort != 80 || lb.TargetPort != 8080 || lb.HealthPath != "/healthz" || !lb.Internal {
		t.Errorf("model load balancer differs from the issue: %+v", lb)
	}
}

func testFunction(t *testing.T, s *synthesized) {
	f := s.sys.Function
	r := s.resource(t, string(f.ID), "AWS::Lambda::Function")
	p := props(r)
	env := map[string]any{}
	for _, e := range f.Environment {
		env[e.Name] = wantValue(s.sys, e.Value)
	}
	var subnets []any
	for _, id := range f.Subnets {
		subnets = append(subnets, map[string]any{"Ref": string(id)})
	}
	want := map[string]any{
		"FunctionName":  f.Name,
		"Runtime":       f.Runtime,
		"Architectures": []any{f.Architecture},
		"Handler":       f.Handler,
		"MemorySize":    float64(f.MemoryMB),
		"Timeout":       float64(f.TimeoutSec),
		// Issue 14: reserved (and capped) concurrency from the config.
		"ReservedConcurrentExecutions": float64(s.cfg.System.LambdaReservedConcurrency),
		"Role":                         wantRef(s.sys, constructs.Ref{To: f.Role, Attr: constructs.AttrARN}),
		"Environment":                  map[string]any{"Variables": env},
		"VpcConfig": map[string]any{
			"SubnetIds":        subnets,
			"SecurityGroupIds": []any{wantRef(s.sys, constructs.Ref{To: f.Group, Attr: constructs.AttrID})},
		},
		"Code": map[string]any{
			"S3Bucket": map[string]any{"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-" + s.sys.Region},
			"S3Key":    "<hash>.zip",
		},
	}
	got := map[string]any{}
	for k, v := range p {
		got[k] = v
	}
	if c, ok := got["Code"].(map[string]any); ok {
		got["Code"] = map[string]any{"S3Bucket": c["S3Bucket"], "S3Key": assetHash.ReplaceAllString(str(c["S3Key"]), "<hash>")}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("function (-want +got):\n%s", diff)
	}
	// The literal values and SERVER_URL's target.
	c := s.cfg.System
	if f.Runtime != "provided.al2023" || f.Architecture != "arm64" || f.Handler != "bootstrap" || f.MemoryMB != c.LambdaMemoryMB || f.TimeoutSec != c.LambdaTimeoutSec {
		t.Errorf("model function differs from the issue/config: %+v", f)
	}
	url := fmt.Sprint(env["SERVER_URL"])
	if !strings.Contains(url, "LoadBalancer DNSName") {
		t.Errorf("SERVER_URL %s", url)
	}
	want = map[string]any{"AuthType": f.URLAuth, "TargetFunctionArn": wantRef(s.sys, constructs.Ref{To: f.ID, Attr: constructs.AttrARN})}
	if diff := cmp.Diff(want, props(s.resource(t, string(f.URL), "AWS::Lambda::Url"))); diff != "" || f.URLAuth != "AWS_IAM" {
		t.Errorf("function URL (-want +got):\n%s", diff)
	}
	// Issue 17: the stack creates the log group, before the function.
	logs := s.resource(t, string(f.Logs.ID), "AWS::Logs::LogGroup")
	want = map[string]any{"LogGroupName": "/aws/lambda/" + f.Name, "RetentionInDays": float64(s.cfg.System.LambdaLogRetentionDays)}
	if diff := cmp.Diff(want, props(logs)); diff != "" {
		t.Errorf("log group (-want +got):\n%s", diff)
	}
	if deps, _ := r["DependsOn"].([]any); !slices.Contains(deps, any(string(f.Logs.ID))) {
		t.Errorf("function DependsOn %v, want %s among them", r["DependsOn"], f.Logs.ID)
	}
	check(t, "one log group", func() { s.tpl.ResourceCountIs(jsii.String("AWS::Logs::LogGroup"), jsii.Number(1)) })
	check(t, "no public URL permission", func() { s.tpl.ResourceCountIs(jsii.String("AWS::Lambda::Permission"), jsii.Number(0)) })
	lambdas := 1
	if s.sys.Bucket.Removal == constructs.Destroy {
		lambdas++ // CDK's auto-delete handler
	}
	check(t, "functions", func() { s.tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(lambdas)) })
}

func testOutputs(t *testing.T, s *synthesized) {
	want := map[string]any{}
	for _, o := range s.sys.Outputs {
		want[o.Name] = map[string]any{"Value": wantValue(s.sys, o.Value), "Description": o.Description}
		check(t, "output "+o.Name, func() {
			s.tpl.HasOutput(jsii.String(o.Name), map[string]any{"Value": assertions.Match_AnyValue()})
		})
	}
	if diff := cmp.Diff(want, s.doc["Outputs"]); diff != "" {
		t.Errorf("outputs (-model +template):\n%s", diff)
	}
	names := []string{"BucketName", "ImagesTableName", "AlbumsTableName", "ServerGroupName", "LoadBalancerDnsName", "FunctionName", "FunctionUrl"}
	for _, n := range names {
		if _, ok := want[n]; !ok {
			t.Errorf("model lacks output %s", n)
		}
	}
	if len(names) != len(want) {
		t.Errorf("outputs %v, want %v", want, names)
	}
}

func testGolden(t *testing.T, name string, s *synthesized) {
	got, err := normalize(s.raw)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name, "want.template.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./stacks/cdk -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; rewrite with -update):\n%s", path, diff)
	}
}
