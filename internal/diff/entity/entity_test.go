package entity_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff/cfn"
	"github.com/twinstack/twinstack/internal/diff/entity"
	"github.com/twinstack/twinstack/internal/diff/tfjson"
)

func fromTF(t testing.TB, src string) *entity.Set {
	t.Helper()
	d, err := tfjson.Read("t.tf.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s, err := entity.FromTerraform(d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fromCFN(t testing.TB, src string) *entity.Set {
	t.Helper()
	d, err := cfn.Read("t.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s, err := entity.FromCloudFormation(d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func prop(t testing.TB, s *entity.Set, k entity.Kind, key, name string) []string {
	t.Helper()
	for _, e := range s.Of(k) {
		if e.Key == key {
			return e.Prop(name).Render(nil)
		}
	}
	t.Fatalf("no %s %q in %v", k, key, keys(s, k))
	return nil
}

func keys(s *entity.Set, k entity.Kind) []string {
	var out []string
	for _, e := range s.Of(k) {
		out = append(out, e.Key)
	}
	return out
}

func TestSecurityGroupEgressDefaults(t *testing.T) {
	cf := fromCFN(t, `{"Resources": {
		"Open":   {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupName": "open", "GroupDescription": "d"}},
		"Closed": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupName": "closed", "GroupDescription": "d",
			"SecurityGroupEgress": [{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86}]}},
		"Peer":   {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {"GroupId": {"Fn::GetAtt": ["Open", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationSecurityGroupId": {"Fn::GetAtt": ["Closed", "GroupId"]}}}
	}}`)
	// CloudFormation keeps EC2's default rule next to a separate egress
	// resource; CDK's placeholder means no egress at all.
	if got, want := prop(t, cf, entity.SecurityGroup, "open", "egress"), []string{"all to 0.0.0.0/0", "tcp 443 to @security-group[closed].id"}; !cmp.Equal(got, want) {
		t.Errorf("open egress %q, want %q", got, want)
	}
	if got := prop(t, cf, entity.SecurityGroup, "closed", "egress"); len(got) != 0 {
		t.Errorf("closed egress %q, want none", got)
	}
	// Terraform removes the default rule: a group without rules has none.
	tf := fromTF(t, `{"resource": {"aws_security_group": {"g": {"name": "g", "ingress": [
		{"protocol": "6", "from_port": 0, "to_port": 65535, "cidr_blocks": ["10.0.0.0/8", "10.1.0.0/16"], "self": true},
		{"protocol": "icmp", "from_port": -1, "to_port": -1, "cidr_blocks": ["0.0.0.0/0"]}]}}}}`)
	if got := prop(t, tf, entity.SecurityGroup, "g", "egress"); len(got) != 0 {
		t.Errorf("terraform egress %q, want none", got)
	}
	want := []string{"icmp type any code any from 0.0.0.0/0", "tcp all-ports from 10.0.0.0/8", "tcp all-ports from 10.1.0.0/16", "tcp all-ports from @security-group[g].id"}
	if got := prop(t, tf, entity.SecurityGroup, "g", "ingress"); !cmp.Equal(got, want) {
		t.Errorf("terraform ingress %q, want %q", got, want)
	}
	if got := prop(t, tf, entity.SecurityGroup, "g", "description"); !cmp.Equal(got, []string{"Managed by Terraform"}) {
		t.Errorf("terraform default description %q", got)
	}
}

func TestPolicies(t *testing.T) {
	cf := fromCFN(t, `{"Resources": {
		"R": {"Type": "AWS::IAM::Role", "Properties": {
			"AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["lambda.amazonaws.com"]}}]},
			"ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]}, "arn:aws:iam::aws:policy/NotKnownHere"]}},
		"P": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "Roles": [{"Ref": "R"}],
			"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": ["b", "a"]}}}]}}}
	}}`)
	key := "service:lambda.amazonaws.com"
	want := []string{
		"Allow logs:CreateLogGroup on *", "Allow logs:CreateLogStream on *", "Allow logs:PutLogEvents on *",
		"Allow s3:GetObject on * when StringEquals aws:RequestedRegion=a|b",
		"Attach managed-policy on arn:aws:iam::aws:policy/NotKnownHere",
	}
	if got := prop(t, cf, entity.Role, key, "permissions"); !cmp.Equal(got, want) {
		t.Errorf("permissions:\n%s", cmp.Diff(want, got))
	}
	if got := prop(t, cf, entity.Role, key, "policy-names"); !cmp.Equal(got, []string{"p"}) {
		t.Errorf("policy names %q", got)
	}
	// "*" and {"AWS": "*"} are the same principal.
	tf := fromTF(t, `{"resource": {"aws_s3_bucket": {"b": {"bucket": "b"}}, "aws_s3_bucket_policy": {"p": {"bucket": "${aws_s3_bucket.b.id}",
		"policy": "{\"Statement\": [{\"Effect\": \"Deny\", \"Principal\": {\"AWS\": \"*\"}, \"Action\": \"s3:*\", \"Resource\": \"${aws_s3_bucket.b.arn}/*\"}]}"}}}}`)
	if got := prop(t, tf, entity.Bucket, "b", "policy"); !cmp.Equal(got, []string{"Deny s3:* on @bucket[b].arn/* for *"}) {
		t.Errorf("bucket policy %q", got)
	}
}

func TestHealthCheckDefaults(t *testing.T) {
	tf := fromTF(t, `{"resource": {"aws_lb_target_group": {
		"block": {"name": "block", "port": 80, "protocol": "HTTP", "health_check": {"path": "/h"}},
		"none":  {"name": "none", "port": 80, "protocol": "HTTP"}}}}`)
	// The provider sends its own thresholds for a health_check block; none
	// at all leaves the ELB API's.
	for _, tc := range []struct{ key, healthy, unhealthy, path string }{{"block", "3", "3", "/h"}, {"none", "5", "2", "/"}} {
		got := []string{
			prop(t, tf, entity.TargetGroup, tc.key, "health-check.healthy-threshold")[0],
			prop(t, tf, entity.TargetGroup, tc.key, "health-check.unhealthy-threshold")[0],
			prop(t, tf, entity.TargetGroup, tc.key, "health-check.path")[0],
		}
		if want := []string{tc.healthy, tc.unhealthy, tc.path}; !cmp.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tc.key, got, want)
		}
	}
}

func TestLaunchTemplateMetadata(t *testing.T) {
	cf := fromCFN(t, `{"Resources": {
		"LT": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateName": "lt", "LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "required"}}}},
		"I": {"Type": "AWS::EC2::Instance", "Properties": {"Tags": [{"Key": "Name", "Value": "i"}],
			"LaunchTemplate": {"LaunchTemplateName": "lt", "Version": {"Fn::GetAtt": ["LT", "LatestVersionNumber"]}}}}
	}}`)
	if got := prop(t, cf, entity.Instance, "i", "imds.tokens"); !cmp.Equal(got, []string{"required"}) {
		t.Errorf("imds tokens from the launch template: %q", got)
	}
	if len(cf.Unsupported) > 0 {
		t.Errorf("unsupported: %v", cf.Unsupported)
	}
}

func TestUnknownTypesAreListed(t *testing.T) {
	tf := fromTF(t, `{"resource": {"aws_sqs_queue": {"q": {}}, "aws_s3_bucket_versioning": {"v": {"bucket": "literal"}}},
		"data": {"aws_vpc": {"d": {}}}}`)
	var got []string
	for _, n := range tf.Unsupported {
		got = append(got, n.Addr)
	}
	want := []string{"aws_s3_bucket_versioning.v", "aws_sqs_queue.q", "data.aws_vpc.d"}
	if !cmp.Equal(got, want) {
		t.Errorf("unsupported %q, want %q", got, want)
	}
}

// TestUncomparedPropertiesAreListed: a property of a mapped resource that
// no comparison reads makes the resource unsupported, unless it needs no
// comparison (tags, rule descriptions).
func TestUncomparedPropertiesAreListed(t *testing.T) {
	cf := fromCFN(t, `{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "b",
		"AccelerateConfiguration": {"AccelerationStatus": "Enabled"}, "Tags": [{"Key": "team", "Value": "x"}]}}}}`)
	tf := fromTF(t, `{"resource": {"aws_instance": {"i": {"tags": {"Name": "i", "team": "x"}, "monitoring": true}}}}`)
	var got []string
	for _, n := range append(cf.Unsupported, tf.Unsupported...) {
		got = append(got, n.Addr+": "+n.Reason)
	}
	want := []string{"B: property AccelerateConfiguration.AccelerationStatus is not compared by diff", "aws_instance.i: property monitoring is not compared by diff"}
	if !cmp.Equal(got, want) {
		t.Errorf("unsupported:\n%s", cmp.Diff(want, got))
	}
}

// TestUncomparedNestedKeysAreListed: a key that only one side sets deep
// inside a compared property is listed with its full path, not dropped.
func TestUncomparedNestedKeysAreListed(t *testing.T) {
	cf := fromCFN(t, `{"Resources": {"I": {"Type": "AWS::EC2::Instance", "Properties": {"InstanceType": "t3.micro",
		"MetadataOptions": {"HttpTokens": "required", "InstanceMetadataTags": "enabled"},
		"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": true, "KmsKeyId": "alias/x"}}]}}}}`)
	tf := fromTF(t, `{"resource": {"aws_instance": {"i": {"instance_type": "t3.micro",
		"metadata_options": {"http_tokens": "required", "instance_metadata_tags": "enabled"},
		"root_block_device": {"encrypted": true, "kms_key_id": "alias/x"}}}}}`)
	var got []string
	for _, n := range append(cf.Unsupported, tf.Unsupported...) {
		got = append(got, n.Addr+": "+n.Reason)
	}
	want := []string{
		"I: property BlockDeviceMappings.Ebs.KmsKeyId is not compared by diff",
		"I: property MetadataOptions.InstanceMetadataTags is not compared by diff",
		"aws_instance.i: property metadata_options.instance_metadata_tags is not compared by diff",
		"aws_instance.i: property root_block_device.kms_key_id is not compared by diff",
	}
	if !cmp.Equal(got, want) {
		t.Errorf("unsupported:\n%s", cmp.Diff(want, got))
	}
}

// TestFixtureEntities: every resource of the synth fixtures is accounted
// for, and every entity carries exactly the declared properties.
func TestFixtureEntities(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "synth", "*"))
	if len(dirs) == 0 {
		t.Fatal("no fixtures")
	}
	for _, dir := range dirs {
		for _, side := range []string{"cdk.tf.json", "template.json"} {
			b, err := os.ReadFile(filepath.Join(dir, side))
			if err != nil {
				t.Fatal(err)
			}
			var s *entity.Set
			if side == "template.json" {
				s = fromCFN(t, string(b))
			} else {
				s = fromTF(t, string(b))
			}
			name := filepath.Base(dir) + "/" + side
			if len(s.Unsupported) > 0 {
				t.Errorf("%s: unsupported %v", name, s.Unsupported)
			}
			if n := len(s.Of(entity.ArtifactStore)); n != 1 {
				t.Errorf("%s: %d artifact stores", name, n)
			}
			for _, e := range s.Entities {
				declared := map[string]bool{}
				for _, p := range entity.Properties(e.Kind) {
					declared[p] = true
					if _, ok := e.Props[p]; !ok {
						t.Errorf("%s: %s %s: property %s not set", name, e.Kind, e.Key, p)
					}
				}
				for p := range e.Props {
					if !declared[p] {
						t.Errorf("%s: %s %s: undeclared property %s", name, e.Kind, e.Key, p)
					}
				}
				for p, v := range e.Props {
					for _, r := range v.Render(nil) {
						if strings.Contains(r, "<") && !strings.Contains(r, "<fetch") && !strings.Contains(r, "<environment>") && !strings.Contains(r, "<<") && !strings.Contains(r, ">/dev/null") {
							t.Errorf("%s: %s %s: %s refers to something unmapped: %q", name, e.Kind, e.Key, p, r)
						}
					}
				}
			}
		}
	}
}
