package diff_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff"
)

// generate builds an equivalent Terraform/CloudFormation pair of units
// units: a bucket with its settings and policy, a table, a security group
// with a rule naming the previous group, a role with an inline policy on
// the table, and a subnet with its route table. Each unit is 12 Terraform
// and 10 CloudFormation resources. renamed gives every CloudFormation name
// another prefix, so that entities must be paired by their properties.
func generate(t testing.TB, units int, renamed bool) (tf, cf diff.Input) {
	t.Helper()
	tfRes := map[string]map[string]any{}
	put := func(typ, name string, body map[string]any) {
		if tfRes[typ] == nil {
			tfRes[typ] = map[string]any{}
		}
		tfRes[typ][name] = body
	}
	cfRes := map[string]any{}
	pre := ""
	if renamed {
		pre = "x"
	}
	put("aws_vpc", "v", map[string]any{"cidr_block": "10.0.0.0/8"})
	cfRes["V"] = map[string]any{"Type": "AWS::EC2::VPC", "Properties": map[string]any{"CidrBlock": "10.0.0.0/8"}}
	for i := 0; i < units; i++ {
		n := fmt.Sprintf("u%d", i)
		bucket := fmt.Sprintf("gen-%d-${data.aws_caller_identity.c.account_id}", i)
		put("aws_s3_bucket", n, map[string]any{"bucket": bucket})
		put("aws_s3_bucket_versioning", n, map[string]any{"bucket": "${aws_s3_bucket." + n + ".id}", "versioning_configuration": map[string]any{"status": "Enabled"}})
		put("aws_s3_bucket_public_access_block", n, map[string]any{"bucket": "${aws_s3_bucket." + n + ".id}",
			"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true})
		put("aws_s3_bucket_policy", n, map[string]any{"bucket": "${aws_s3_bucket." + n + ".id}",
			"policy": `${jsonencode({Statement = [{Effect = "Deny", Principal = "*", Action = "s3:*", Resource = "${aws_s3_bucket.` + n + `.arn}/*", Condition = {Bool = {"aws:SecureTransport" = "false"}}}]})}`})
		put("aws_dynamodb_table", n, map[string]any{"name": "table-" + n, "hash_key": "id", "billing_mode": "PAY_PER_REQUEST",
			"attribute": []any{map[string]any{"name": "id", "type": "S"}}})
		put("aws_security_group", n, map[string]any{"name": "sg-" + n, "description": "generated", "vpc_id": "${aws_vpc.v.id}"})
		prev := fmt.Sprintf("u%d", (i+units-1)%units)
		put("aws_vpc_security_group_ingress_rule", n, map[string]any{"security_group_id": "${aws_security_group." + n + ".id}",
			"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "referenced_security_group_id": "${aws_security_group." + prev + ".id}"})
		put("aws_iam_role", n, map[string]any{"name": "role-" + n,
			"assume_role_policy": fmt.Sprintf(`{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"svc%d.amazonaws.com"}}]}`, i)})
		put("aws_iam_role_policy", n, map[string]any{"name": "p", "role": "${aws_iam_role." + n + ".name}",
			"policy": `{"Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:PutItem"],"Resource":"${aws_dynamodb_table.` + n + `.arn}"}]}`})
		cidr := fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)
		put("aws_subnet", n, map[string]any{"vpc_id": "${aws_vpc.v.id}", "cidr_block": cidr, "availability_zone": "${data.aws_availability_zones.a.names[0]}"})
		put("aws_route_table", n, map[string]any{"vpc_id": "${aws_vpc.v.id}"})
		put("aws_route_table_association", n, map[string]any{"route_table_id": "${aws_route_table." + n + ".id}", "subnet_id": "${aws_subnet." + n + ".id}"})

		c := fmt.Sprintf("U%d", i)
		cp := fmt.Sprintf("U%d", (i+units-1)%units)
		ref := func(id string) map[string]any { return map[string]any{"Ref": id} }
		att := func(id, a string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, a}} }
		cfRes[c+"Bucket"] = map[string]any{"Type": "AWS::S3::Bucket", "Properties": map[string]any{
			"BucketName":                     map[string]any{"Fn::Sub": fmt.Sprintf(pre+"gen-%d-${AWS::AccountId}", i)},
			"VersioningConfiguration":        map[string]any{"Status": "Enabled"},
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		}, "DeletionPolicy": "Retain"}
		cfRes[c+"BucketPolicy"] = map[string]any{"Type": "AWS::S3::BucketPolicy", "Properties": map[string]any{"Bucket": ref(c + "Bucket"),
			"PolicyDocument": map[string]any{"Statement": []any{map[string]any{"Effect": "Deny", "Principal": map[string]any{"AWS": "*"}, "Action": "s3:*",
				"Resource":  map[string]any{"Fn::Join": []any{"", []any{att(c+"Bucket", "Arn"), "/*"}}},
				"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}}}}}}
		cfRes[c+"Table"] = map[string]any{"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Delete", "Properties": map[string]any{
			"TableName": pre + "table-" + n, "BillingMode": "PAY_PER_REQUEST",
			"KeySchema":            []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}},
			"AttributeDefinitions": []any{map[string]any{"AttributeName": "id", "AttributeType": "S"}}}}
		cfRes[c+"Group"] = map[string]any{"Type": "AWS::EC2::SecurityGroup", "Properties": map[string]any{"GroupName": pre + "sg-" + n, "GroupDescription": "generated",
			"VpcId":               ref("V"),
			"SecurityGroupEgress": []any{map[string]any{"CidrIp": "255.255.255.255/32", "IpProtocol": "icmp", "FromPort": 252, "ToPort": 86}}}}
		cfRes[c+"Ingress"] = map[string]any{"Type": "AWS::EC2::SecurityGroupIngress", "Properties": map[string]any{"GroupId": att(c+"Group", "GroupId"),
			"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": att(cp+"Group", "GroupId")}}
		cfRes[c+"Role"] = map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{"RoleName": pre + "role-" + n,
			"AssumeRolePolicyDocument": map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole",
				"Principal": map[string]any{"Service": fmt.Sprintf("svc%d.amazonaws.com", i)}}}}}}
		cfRes[c+"Policy"] = map[string]any{"Type": "AWS::IAM::Policy", "Properties": map[string]any{"PolicyName": "p", "Roles": []any{ref(c + "Role")},
			"PolicyDocument": map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Action": []any{"dynamodb:GetItem", "dynamodb:PutItem"},
				"Resource": att(c+"Table", "Arn")}}}}}
		cfRes[c+"Subnet"] = map[string]any{"Type": "AWS::EC2::Subnet", "Properties": map[string]any{"VpcId": ref("V"), "CidrBlock": cidr,
			"AvailabilityZone": map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::GetAZs": ""}}}}}
		cfRes[c+"RouteTable"] = map[string]any{"Type": "AWS::EC2::RouteTable", "Properties": map[string]any{"VpcId": ref("V")}}
		cfRes[c+"Association"] = map[string]any{"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": map[string]any{
			"RouteTableId": ref(c + "RouteTable"), "SubnetId": ref(c + "Subnet")}}
	}
	tfDoc := map[string]any{
		"resource": tfRes,
		"data": map[string]any{
			"aws_caller_identity":    map[string]any{"c": map[string]any{}},
			"aws_availability_zones": map[string]any{"a": map[string]any{}},
		},
	}
	tb, err := json.Marshal(tfDoc)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := json.Marshal(map[string]any{"Resources": cfRes})
	if err != nil {
		t.Fatal(err)
	}
	return diff.Input{Path: "generated.tf.json", Data: tb}, diff.Input{Path: "generated.template.json", Data: cb}
}

// TestGenerated: the generated pair is equivalent, at scale.
func TestGenerated(t *testing.T) {
	tf, cf := generate(t, 100, false)
	r := run(t, tf, cf)
	if r.Status != diff.Equivalent {
		t.Errorf("status %s: %s\n%v\n%v", r.Status, r.Summary(), r.Different, r.Unsupported)
	}
	if len(r.Equal) != 100*5+1 { // bucket, table, group, role, subnet per unit; the VPC
		t.Errorf("%d equal entities, want %d", len(r.Equal), 100*5+1)
	}
}

func BenchmarkDiff(b *testing.B) {
	for _, name := range cases {
		tf, cf := fixture(b, name)
		b.Run("synth-"+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tf.Data) + len(cf.Data)))
			for b.Loop() {
				if _, err := diff.Run(tf, cf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// 1,201 Terraform and 1,001 CloudFormation resources; renamed: every
	// name differs, so 400 entities are paired by their properties.
	for _, renamed := range []bool{false, true} {
		tf, cf := generate(b, 100, renamed)
		name := "generated-1000"
		if renamed {
			name += "-renamed"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tf.Data) + len(cf.Data)))
			for b.Loop() {
				if _, err := diff.Run(tf, cf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestGeneratedRenamed: with every name different, entities are still
// paired with their counterparts, and only the names are reported.
func TestGeneratedRenamed(t *testing.T) {
	tf, cf := generate(t, 100, true)
	r := run(t, tf, cf)
	if len(r.OnlyTerraform)+len(r.OnlyCloudFormation) > 0 {
		t.Fatalf("unpaired: %d terraform, %d cloudformation", len(r.OnlyTerraform), len(r.OnlyCloudFormation))
	}
	byProp := map[string]int{}
	for _, d := range r.Different {
		byProp[d.Kind+"/"+d.Property]++
		if d.Property == "name" && "x"+d.Terraform[0] != d.CloudFormation[0] {
			t.Errorf("%s %s paired with %s", d.Kind, d.Terraform[0], d.CloudFormation[0])
		}
	}
	want := map[string]int{"bucket/name": 100, "table/name": 100, "security-group/name": 100, "role/name": 100}
	if d := cmp.Diff(want, byProp); d != "" {
		t.Errorf("differences (-want +got):\n%s", d)
	}
}
