package diff_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/internal/diff"
)

// generateHCL builds an equivalent hand-written-style pair of units units:
// an HCL module (variables, locals, jsonencode policies, cidrsubnet,
// nested blocks, ten resources per unit) and a YAML template (short-form
// tags, inline settings, seven resources per unit), names built from a
// variable on one side and a parameter on the other.
func generateHCL(units int) (tf, cf diff.Input) {
	var h, y strings.Builder
	h.WriteString(`variable "project" {
  default = "gen"
}
locals {
  prefix = "${var.project}-x"
}
data "aws_caller_identity" "c" {}
data "aws_availability_zones" "a" {}
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/8"
}
`)
	y.WriteString(`Parameters:
  Project:
    Type: String
    Default: gen
Resources:
  V:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/8
`)
	for i := 0; i < units; i++ {
		n, p := fmt.Sprintf("u%d", i), fmt.Sprintf("u%d", (i+units-1)%units)
		fmt.Fprintf(&h, `
resource "aws_s3_bucket" "%[1]s" {
  bucket = "${local.prefix}-%[2]d-${data.aws_caller_identity.c.account_id}"
}
resource "aws_s3_bucket_versioning" "%[1]s" {
  bucket = aws_s3_bucket.%[1]s.id
  versioning_configuration {
    status = "Enabled"
  }
}
resource "aws_s3_bucket_public_access_block" "%[1]s" {
  bucket                  = aws_s3_bucket.%[1]s.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}
resource "aws_s3_bucket_policy" "%[1]s" {
  bucket = aws_s3_bucket.%[1]s.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Deny", Principal = "*", Action = "s3:*", Resource = "${aws_s3_bucket.%[1]s.arn}/*", Condition = { Bool = { "aws:SecureTransport" = "false" } } }]
  })
}
resource "aws_dynamodb_table" "%[1]s" {
  name         = "${local.prefix}-table-%[2]d"
  hash_key     = "id"
  billing_mode = "PAY_PER_REQUEST"
  attribute {
    name = "id"
    type = "S"
  }
}
resource "aws_security_group" "%[1]s" {
  name        = "${local.prefix}-sg-%[2]d"
  description = "generated"
  vpc_id      = aws_vpc.v.id
}
resource "aws_vpc_security_group_ingress_rule" "%[1]s" {
  security_group_id            = aws_security_group.%[1]s.id
  referenced_security_group_id = aws_security_group.%[3]s.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}
resource "aws_iam_role" "%[1]s" {
  name = "${local.prefix}-role-%[2]d"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "svc%[2]d.amazonaws.com" } }]
  })
  inline_policy {
    name = "p"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = ["dynamodb:GetItem", "dynamodb:PutItem"], Resource = aws_dynamodb_table.%[1]s.arn }]
    })
  }
}
resource "aws_subnet" "%[1]s" {
  vpc_id            = aws_vpc.v.id
  cidr_block        = cidrsubnet("10.0.0.0/8", 16, %[2]d)
  availability_zone = data.aws_availability_zones.a.names[0]
}
resource "aws_route_table_association" "%[1]s" {
  route_table_id = aws_route_table.%[1]s.id
  subnet_id      = aws_subnet.%[1]s.id
}
resource "aws_route_table" "%[1]s" {
  vpc_id = aws_vpc.v.id
}
`, n, i, p)
		c, cp := fmt.Sprintf("U%d", i), fmt.Sprintf("U%d", (i+units-1)%units)
		fmt.Fprintf(&y, `  %[1]sBucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: !Sub ${Project}-x-%[3]d-${AWS::AccountId}
      VersioningConfiguration: {Status: Enabled}
      PublicAccessBlockConfiguration: {BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}
  %[1]sBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref %[1]sBucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Deny, Principal: "*", Action: "s3:*", Resource: !Sub "${%[1]sBucket.Arn}/*", Condition: {Bool: {"aws:SecureTransport": "false"}}}
  %[1]sTable:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Delete
    Properties:
      TableName: !Sub ${Project}-x-table-%[3]d
      BillingMode: PAY_PER_REQUEST
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  %[1]sGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupName: !Sub ${Project}-x-sg-%[3]d
      GroupDescription: generated
      VpcId: !Ref V
      SecurityGroupEgress: [{CidrIp: 255.255.255.255/32, IpProtocol: icmp, FromPort: 252, ToPort: 86}]
      SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, SourceSecurityGroupId: !GetAtt %[2]sGroup.GroupId}]
  %[1]sRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub ${Project}-x-role-%[3]d
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Action: "sts:AssumeRole", Principal: {Service: svc%[3]d.amazonaws.com}}]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: [dynamodb:GetItem, dynamodb:PutItem], Resource: !GetAtt %[1]sTable.Arn}]
  %[1]sSubnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref V
      CidrBlock: 10.%[4]d.%[5]d.0/24
      AvailabilityZone: !Select [0, !GetAZs ""]
  %[1]sRouteTable:
    Type: AWS::EC2::RouteTable
    Properties: {VpcId: !Ref V}
  %[1]sAssociation:
    Type: AWS::EC2::SubnetRouteTableAssociation
    Properties: {RouteTableId: !Ref %[1]sRouteTable, SubnetId: !Ref %[1]sSubnet}
`, c, cp, i, i/256, i%256)
	}
	files := []diff.Input{{Path: "gen/main.tf", Data: []byte(h.String())}}
	return diff.Input{Path: "gen", Files: files}, diff.Input{Path: "gen.yaml", Data: []byte(y.String())}
}

// TestGeneratedHCL: the generated hand-written-style pair (1,001
// Terraform resources) is equivalent.
func TestGeneratedHCL(t *testing.T) {
	tf, cf := generateHCL(100)
	r, err := diff.RunWith(tf, cf, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != diff.Equivalent {
		t.Fatalf("status %s: %s\n%v\n%v", r.Status, r.Summary(), r.Different, r.Unsupported)
	}
	if len(r.Equal) != 100*5+1 {
		t.Errorf("%d equal entities, want %d", len(r.Equal), 100*5+1)
	}
}

// BenchmarkDiffHCL: a 1,001-resource HCL module against its
// 801-resource YAML template.
func BenchmarkDiffHCL(b *testing.B) {
	tf, cf := generateHCL(100)
	b.Run("hcl-yaml-1000", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(tf.Files[0].Data) + len(cf.Data)))
		for b.Loop() {
			if _, err := diff.RunWith(tf, cf, diff.Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
