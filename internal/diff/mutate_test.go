package diff_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/diff"
	"github.com/twinstack/twinstack/internal/diff/entity"
)

// change is one (entity, property) whose comparison a mutation must alter.
type change struct{ Kind, Key, Property string }

// mutation edits one side of a synth fixture.
type mutation struct {
	name string
	// fixture is the synth case edited (count2 unless set).
	fixture string
	tf, cfn func(t *testing.T, d doc)
	// want lists what changes in the report, Terraform's keys.
	want []change
	// rekey renames an entity in the baseline (kind, old key, new key)
	// when the mutation changes a Terraform key: its baseline differences
	// are then reported under the new key.
	rekey [3]string
}

// Keys of the count2 fixture (prefix tw-demo, eu-west-1).
const (
	kBucket   = "tw-demo-images-{account}-eu-west-1"
	kImages   = "tw-demo-images"
	kVPC      = "10.20.0.0/16"
	kIGW      = "in vpc 10.20.0.0/16"
	kSubnet1  = "10.20.0.0/24"
	kServerSG = "tw-demo-server"
	kLambdaSG = "tw-demo-lambda"
	kRole     = "service:ec2.amazonaws.com"
	kTemplate = "tw-demo-server"
	kGroup    = "tw-demo-servers"
	kPolicy   = "tw-demo-servers ALBRequestCountPerTarget"
	kTG       = "tw-demo-tg"
	kLB       = "tw-demo-alb"
	kFunction = "tw-demo-ingest"
	kLogGroup = "/aws/lambda/tw-demo-ingest"
)

// Resource paths in the count2 fixture.
const (
	tfBucket   = "resource.aws_s3_bucket.ImagesBucket"
	tfPAB      = "resource.aws_s3_bucket_public_access_block.ImagesBucket"
	tfTable    = "resource.aws_dynamodb_table.ImagesTable"
	tfSubnet1  = "resource.aws_subnet.PublicSubnet1"
	tfServerSG = "resource.aws_security_group.ServerSecurityGroup"
	tfTemplate = "resource.aws_launch_template.ServerLaunchTemplate"
	tfGroup    = "resource.aws_autoscaling_group.ServerGroup"
	tfPolicy   = "resource.aws_autoscaling_policy.ServerGroup"
	tfTG       = "resource.aws_lb_target_group.ServerTargetGroup"
	tfLB       = "resource.aws_lb.LoadBalancer"
	tfFunction = "resource.aws_lambda_function.Function"
	tfRolePol  = "data.aws_iam_policy_document.ServerRolePolicy"
	tfLogGroup = "resource.aws_cloudwatch_log_group.FunctionLogGroup"

	cfBucket   = "Resources.ImagesBucket.Properties"
	cfTable    = "Resources.ImagesTable.Properties"
	cfSubnet1  = "Resources.PublicSubnet1.Properties"
	cfServerSG = "Resources.ServerSecurityGroup.Properties"
	cfRole     = "Resources.ServerRole.Properties"
	cfRolePol  = "Resources.ServerRole.Properties.Policies.0.PolicyDocument.Statement"
	cfTemplate = "Resources.ServerLaunchTemplate.Properties.LaunchTemplateData"
	cfGroup    = "Resources.ServerGroup.Properties"
	cfRolling  = "Resources.ServerGroup.UpdatePolicy.AutoScalingRollingUpdate"
	cfPolicy   = "Resources.ServerGroupScalingPolicy.Properties"
	cfTG       = "Resources.ServerTargetGroup.Properties"
	cfLB       = "Resources.LoadBalancer.Properties"
	cfFunction = "Resources.Function.Properties"
	cfLogGroup = "Resources.FunctionLogGroup.Properties"
)

func setter(path string, v any) func(*testing.T, doc) {
	return func(t *testing.T, d doc) { set(t, d, path, v) }
}

func mutations() []mutation {
	one := func(kind entity.Kind, key, prop string) []change { return []change{{string(kind), key, prop}} }
	var ms []mutation
	add := func(name string, want []change, tf, cfn func(*testing.T, doc)) {
		ms = append(ms, mutation{name: name, want: want, tf: tf, cfn: cfn})
	}

	// Bucket.
	add("bucket name", one(entity.Bucket, kBucket, "name"), nil, setter(cfBucket+".BucketName", "renamed-images"))
	ms = append(ms, mutation{name: "bucket name (tf)", want: one(entity.Bucket, "renamed-images", "name"), tf: setter(tfBucket+".bucket", "renamed-images")})
	add("bucket versioning", one(entity.Bucket, kBucket, "versioning"),
		setter("resource.aws_s3_bucket_versioning.ImagesBucket.versioning_configuration.status", "Suspended"),
		setter(cfBucket+".VersioningConfiguration.Status", "Suspended"))
	for _, k := range [][2]string{{"block_public_acls", "BlockPublicAcls"}, {"block_public_policy", "BlockPublicPolicy"},
		{"ignore_public_acls", "IgnorePublicAcls"}, {"restrict_public_buckets", "RestrictPublicBuckets"}} {
		prop := "public-access-block." + strings.ReplaceAll(k[0], "_", "-")
		add("bucket "+prop, one(entity.Bucket, kBucket, prop), setter(tfPAB+"."+k[0], false), setter(cfBucket+".PublicAccessBlockConfiguration."+k[1], false))
	}
	add("bucket encryption", one(entity.Bucket, kBucket, "encryption"),
		setter("resource.aws_s3_bucket_server_side_encryption_configuration.ImagesBucket.rule.0.apply_server_side_encryption_by_default.sse_algorithm", "aws:kms"),
		setter(cfBucket+".BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault.SSEAlgorithm", "aws:kms"))
	add("bucket policy", one(entity.Bucket, kBucket, "policy"),
		setter("data.aws_iam_policy_document.ImagesBucketPolicy.statement.0.actions", []any{"s3:GetObject"}),
		setter("Resources.ImagesBucketPolicy.Properties.PolicyDocument.Statement.0.Action", "s3:GetObject"))
	add("bucket policy condition", one(entity.Bucket, kBucket, "policy"),
		setter("data.aws_iam_policy_document.ImagesBucketPolicy.statement.0.condition.0.values", []any{"true"}),
		setter("Resources.ImagesBucketPolicy.Properties.PolicyDocument.Statement.0.Condition.Bool.aws:SecureTransport", "true"))
	add("bucket data-on-destroy", one(entity.Bucket, kBucket, "data-on-destroy"),
		setter(tfBucket+".force_destroy", true),
		func(t *testing.T, d doc) {
			// What AWS CDK writes for autoDeleteObjects: a custom resource
			// that empties the bucket, and no Retain.
			set(t, d, "Resources.ImagesBucket.DeletionPolicy", "Delete")
			set(t, d, "Resources.ImagesBucketAutoDelete", map[string]any{
				"Type":       "Custom::S3AutoDeleteObjects",
				"Properties": map[string]any{"BucketName": map[string]any{"Ref": "ImagesBucket"}},
			})
		})

	add("bucket lifecycle", one(entity.Bucket, kBucket, "lifecycle"),
		setter("resource.aws_s3_bucket_lifecycle_configuration.ImagesBucket.rule.1.noncurrent_version_expiration.noncurrent_days", 90),
		setter(cfBucket+".LifecycleConfiguration.Rules.1.NoncurrentVersionExpiration.NoncurrentDays", 90))

	// Table.
	// A TTL on one side only (the model has none: nothing of ours expires).
	add("table ttl", one(entity.Table, kImages, "ttl"),
		setter(tfTable+".ttl", map[string]any{"attribute_name": "expires_at", "enabled": true}),
		setter(cfTable+".TimeToLiveSpecification", map[string]any{"AttributeName": "expires_at", "Enabled": true}))
	ms = append(ms, mutation{name: "table name (tf)", want: one(entity.Table, "renamed", "name"), tf: setter(tfTable+".name", "renamed"), rekey: [3]string{"table", kImages, "renamed"}})
	add("table name", one(entity.Table, kImages, "name"), nil, setter(cfTable+".TableName", "renamed"))
	add("table partition key", one(entity.Table, kImages, "partition-key"),
		setter(tfTable+".attribute.[name=image_id].type", "N"),
		setter(cfTable+".AttributeDefinitions.[AttributeName=image_id].AttributeType", "N"))
	add("table sort key", one(entity.Table, kImages, "sort-key"),
		setter(tfTable+".range_key", "created_at"),
		func(t *testing.T, d doc) {
			appendTo(t, d, cfTable+".KeySchema", map[string]any{"AttributeName": "created_at", "KeyType": "RANGE"})
		})
	// Who may invoke the function: a permission on one side.
	add("function invoke permission", one(entity.Function, kFunction, "invoke-permissions"),
		setter("resource.aws_lambda_permission", map[string]any{"Events": map[string]any{"action": "lambda:InvokeFunction",
			"function_name": "${aws_lambda_function.Function.function_name}", "principal": "events.amazonaws.com", "statement_id": "events"}}),
		setter("Resources.FunctionEvents", map[string]any{"Type": "AWS::Lambda::Permission", "Properties": map[string]any{
			"Action": "lambda:InvokeFunction", "FunctionName": map[string]any{"Ref": "Function"}, "Principal": "events.amazonaws.com"}}))
	// An SSH key on one side.
	add("launch template key pair", one(entity.LaunchTemplate, kTemplate, "key-pair"),
		setter(tfTemplate+".key_name", "admin"), setter(cfTemplate+".KeyName", "admin"))
	// A lifecycle configuration replaced on one side (the model's own is
	// mutated above).
	add("bucket lifecycle", one(entity.Bucket, kBucket, "lifecycle"),
		setter("resource.aws_s3_bucket_lifecycle_configuration", map[string]any{"ImagesBucket": map[string]any{
			"bucket": "${aws_s3_bucket.ImagesBucket.id}",
			"rule": []any{map[string]any{"id": "abort", "status": "Enabled", "filter": map[string]any{},
				"abort_incomplete_multipart_upload": map[string]any{"days_after_initiation": 7}}}}}),
		setter(cfBucket+".LifecycleConfiguration", map[string]any{"Rules": []any{map[string]any{"Id": "abort", "Status": "Enabled",
			"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 7}}}}))
	// The Terraform-only artifacts bucket: the store must stay private.
	add("artifact store public access block", one(entity.ArtifactStore, "artifacts", "public-access-block"),
		setter("resource.aws_s3_bucket_public_access_block.ArtifactsBucket.block_public_policy", false), nil)
	add("artifact store TLS only", one(entity.ArtifactStore, "artifacts", "tls-only"),
		setter("data.aws_iam_policy_document.ArtifactsBucketPolicy.statement.0.effect", "Allow"), nil)
	// Provisioned instead of on demand: the capacity changes with it.
	add("table billing mode", []change{{"table", kImages, "billing-mode"}, {"table", kImages, "capacity"}},
		setter(tfTable+".billing_mode", "PROVISIONED"), setter(cfTable+".BillingMode", "PROVISIONED"))
	add("table point-in-time recovery", one(entity.Table, kImages, "point-in-time-recovery"),
		setter(tfTable+".point_in_time_recovery.enabled", false),
		setter(cfTable+".PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", false))
	add("table indexes", one(entity.Table, kImages, "indexes"),
		setter(tfTable+".global_secondary_index.0.projection_type", "KEYS_ONLY"),
		setter(cfTable+".GlobalSecondaryIndexes.0.Projection.ProjectionType", "KEYS_ONLY"))
	// Turning Terraform's deletion protection off also lets destroy delete
	// the data: two properties, both real.
	add("table deletion protection",
		[]change{{"table", kImages, "deletion-protection"}, {"table", kImages, "data-on-destroy"}},
		setter(tfTable+".deletion_protection_enabled", false), nil)
	add("table deletion protection (cfn)", one(entity.Table, kImages, "deletion-protection"),
		nil, setter(cfTable+".DeletionProtectionEnabled", false))
	// A protected table is kept whatever its DeletionPolicy, so this
	// mutation edits count3 (destroy_data: no protection, policy Delete).
	ms = append(ms, mutation{name: "table data-on-destroy", fixture: "count3",
		want: one(entity.Table, "twinstack-images", "data-on-destroy"),
		cfn:  setter("Resources.ImagesTable.DeletionPolicy", "Retain")})

	// Network.
	ms = append(ms, mutation{name: "vpc cidr (tf)", want: one(entity.VPC, "10.30.0.0/16", "cidr"), tf: setter("resource.aws_vpc.Vpc.cidr_block", "10.30.0.0/16"),
		rekey: [3]string{"vpc", kVPC, "10.30.0.0/16"}})
	add("vpc cidr", one(entity.VPC, kVPC, "cidr"), nil, setter("Resources.Vpc.Properties.CidrBlock", "10.30.0.0/16"))
	add("vpc dns support", one(entity.VPC, kVPC, "dns-support"),
		setter("resource.aws_vpc.Vpc.enable_dns_support", false), setter("Resources.Vpc.Properties.EnableDnsSupport", false))
	add("vpc dns hostnames", one(entity.VPC, kVPC, "dns-hostnames"),
		setter("resource.aws_vpc.Vpc.enable_dns_hostnames", false), setter("Resources.Vpc.Properties.EnableDnsHostnames", false))
	ms = append(ms, mutation{name: "internet gateway vpc (tf)", want: one(entity.Gateway, "vpc-0123456789", "vpc"),
		tf: setter("resource.aws_internet_gateway.InternetGateway.vpc_id", "vpc-0123456789")})
	add("internet gateway vpc", one(entity.Gateway, kIGW, "vpc"), nil,
		setter("Resources.InternetGatewayAttachment.Properties.VpcId", "vpc-0123456789"))
	ms = append(ms, mutation{name: "subnet cidr (tf)", want: one(entity.Subnet, "10.20.7.0/24", "cidr"), tf: setter(tfSubnet1+".cidr_block", "10.20.7.0/24")})
	add("subnet cidr", one(entity.Subnet, kSubnet1, "cidr"), nil, setter(cfSubnet1+".CidrBlock", "10.20.7.0/24"))
	add("subnet availability zone", one(entity.Subnet, kSubnet1, "availability-zone"),
		setter(tfSubnet1+".availability_zone", "${data.aws_availability_zones.available.names[2]}"),
		setter(cfSubnet1+".AvailabilityZone", map[string]any{"Fn::Select": []any{2, map[string]any{"Fn::GetAZs": ""}}}))
	add("subnet vpc", one(entity.Subnet, kSubnet1, "vpc"), setter(tfSubnet1+".vpc_id", "vpc-0123"), setter(cfSubnet1+".VpcId", "vpc-0123"))
	add("subnet public ip", one(entity.Subnet, kSubnet1, "public-ip-on-launch"),
		setter(tfSubnet1+".map_public_ip_on_launch", false), setter(cfSubnet1+".MapPublicIpOnLaunch", false))
	add("subnet routes", one(entity.Subnet, kSubnet1, "routes"),
		setter("resource.aws_route.PublicSubnet1RouteTable.destination_cidr_block", "10.0.0.0/8"),
		setter("Resources.PublicSubnet1DefaultRoute.Properties.DestinationCidrBlock", "10.0.0.0/8"))

	// Security groups.
	ms = append(ms, mutation{name: "security group name (tf)", want: one(entity.SecurityGroup, "renamed", "name"), tf: setter(tfServerSG+".name", "renamed"), rekey: [3]string{"security-group", kServerSG, "renamed"}})
	add("security group name", one(entity.SecurityGroup, kServerSG, "name"), nil, setter(cfServerSG+".GroupName", "renamed"))
	add("security group description", one(entity.SecurityGroup, kServerSG, "description"),
		setter(tfServerSG+".description", "changed"), setter(cfServerSG+".GroupDescription", "changed"))
	add("security group vpc", one(entity.SecurityGroup, kServerSG, "vpc"),
		setter(tfServerSG+".vpc_id", "vpc-0123"), setter(cfServerSG+".VpcId", "vpc-0123"))
	add("security group ingress port", one(entity.SecurityGroup, kServerSG, "ingress"),
		func(t *testing.T, d doc) {
			set(t, d, "resource.aws_vpc_security_group_ingress_rule.ServerSecurityGroupIngress1.from_port", 8081)
			set(t, d, "resource.aws_vpc_security_group_ingress_rule.ServerSecurityGroupIngress1.to_port", 8081)
		},
		func(t *testing.T, d doc) {
			set(t, d, "Resources.ServerSecurityGroupIngressFromLoadBalancerSecurityGroup8080.Properties.FromPort", 8081)
			set(t, d, "Resources.ServerSecurityGroupIngressFromLoadBalancerSecurityGroup8080.Properties.ToPort", 8081)
		})
	add("security group ingress peer", one(entity.SecurityGroup, kServerSG, "ingress"),
		setter("resource.aws_vpc_security_group_ingress_rule.ServerSecurityGroupIngress1.referenced_security_group_id", "${aws_security_group.ServerSecurityGroup.id}"),
		setter("Resources.ServerSecurityGroupIngressFromLoadBalancerSecurityGroup8080.Properties.SourceSecurityGroupId", map[string]any{"Fn::GetAtt": []any{"ServerSecurityGroup", "GroupId"}}))
	add("security group ingress protocol", one(entity.SecurityGroup, kServerSG, "ingress"),
		setter("resource.aws_vpc_security_group_ingress_rule.ServerSecurityGroupIngress1.ip_protocol", "udp"),
		setter("Resources.ServerSecurityGroupIngressFromLoadBalancerSecurityGroup8080.Properties.IpProtocol", "udp"))
	add("security group egress", one(entity.SecurityGroup, kServerSG, "egress"),
		setter("resource.aws_vpc_security_group_egress_rule.ServerSecurityGroupEgress1.cidr_ipv4", "10.0.0.0/8"),
		setter(cfServerSG+".SecurityGroupEgress.0.CidrIp", "10.0.0.0/8"))
	// Without CDK's placeholder rule CloudFormation keeps EC2's default
	// allow-all egress.
	add("security group default egress", one(entity.SecurityGroup, kLambdaSG, "egress"), nil,
		func(t *testing.T, d doc) { del(t, d, "Resources.LambdaSecurityGroup.Properties.SecurityGroupEgress") })
	add("security group extra egress", one(entity.SecurityGroup, kLambdaSG, "egress"),
		func(t *testing.T, d doc) {
			set(t, d, "resource.aws_vpc_security_group_egress_rule.Extra", map[string]any{
				"security_group_id": "${aws_security_group.LambdaSecurityGroup.id}", "ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0",
			})
		},
		func(t *testing.T, d doc) {
			appendTo(t, d, "Resources.LambdaSecurityGroup.Properties.SecurityGroupEgress", map[string]any{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"})
		})
	ms = append(ms, mutation{name: "security group ssh cidr", fixture: "count3", want: one(entity.SecurityGroup, "twinstack-server", "ingress"),
		tf:  setter("resource.aws_vpc_security_group_ingress_rule.ServerSecurityGroupIngress2.cidr_ipv4", "0.0.0.0/0"),
		cfn: setter(cfServerSG+".SecurityGroupIngress.0.CidrIp", "0.0.0.0/0")})

	// Roles.
	add("role name", one(entity.Role, kRole, "name"), setter("resource.aws_iam_role.ServerRole.name", "renamed"), setter(cfRole+".RoleName", "renamed"))
	ms = append(ms, mutation{name: "role trust (tf)", want: one(entity.Role, "service:ssm.amazonaws.com", "trust"),
		tf: setter("data.aws_iam_policy_document.ServerRoleTrust.statement.0.principals.0.identifiers", []any{"ssm.amazonaws.com"})})
	add("role trust", one(entity.Role, kRole, "trust"), nil,
		setter(cfRole+".AssumeRolePolicyDocument.Statement.0.Principal.Service", "ssm.amazonaws.com"))
	add("role policy name", one(entity.Role, kRole, "policy-names"),
		setter("resource.aws_iam_role_policy.ServerRole.name", "renamed"), setter(cfRole+".Policies.0.PolicyName", "renamed"))
	add("role permissions", one(entity.Role, kRole, "permissions"),
		func(t *testing.T, d doc) { appendTo(t, d, tfRolePol+".statement.1.actions", "dynamodb:BatchWriteItem") },
		func(t *testing.T, d doc) { appendTo(t, d, cfRolePol+".1.Action", "dynamodb:BatchWriteItem") })
	add("role permissions resource", one(entity.Role, kRole, "permissions"),
		setter(tfRolePol+".statement.0.resources", []any{"${aws_s3_bucket.ImagesBucket.arn}/*"}),
		setter(cfRolePol+".0.Resource", map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Fn::GetAtt": []any{"ImagesBucket", "Arn"}}, "/*"}}}))
	// The server role has no managed policy: attaching one is a change.
	add("role managed policy", one(entity.Role, kRole, "permissions"),
		setter("resource.aws_iam_role_policy_attachment.ServerRole_AmazonSSMManagedInstanceCore", map[string]any{
			"role": "${aws_iam_role.ServerRole.name}", "policy_arn": "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
		}),
		setter(cfRole+".ManagedPolicyArns", []any{map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSSMManagedInstanceCore"}}}}))
	// The artifact statement comes last, after the model's six (SSM on).
	add("role artifact access", one(entity.Role, kRole, "artifact-access"),
		setter(tfRolePol+".statement.6.actions", []any{"s3:PutObject"}), setter(cfRolePol+".6.Action", "s3:PutObject"))
	// The launch hook's statement names the group by a literal ARN.
	add("role launch hook permission", one(entity.Role, kRole, "permissions"),
		func(t *testing.T, d doc) {
			replaceText(t, d, tfRolePol+".statement.4.resources", "autoScalingGroupName/tw-demo-servers", "autoScalingGroupName/*")
		},
		func(t *testing.T, d doc) {
			replaceText(t, d, cfRolePol+".4.Resource", "autoScalingGroupName/tw-demo-servers", "autoScalingGroupName/*")
		})
	add("role instance profile", one(entity.Role, kRole, "instance-profile"),
		setter("resource.aws_iam_instance_profile.ServerInstanceProfile.name", "renamed"),
		setter("Resources.ServerInstanceProfile.Properties.InstanceProfileName", "renamed"))

	// Launch template.
	ms = append(ms, mutation{name: "launch template name (tf)", want: one(entity.LaunchTemplate, "renamed", "name"), tf: setter(tfTemplate+".name", "renamed"),
		rekey: [3]string{"launch-template", kTemplate, "renamed"}})
	add("launch template name", one(entity.LaunchTemplate, kTemplate, "name"), nil, setter("Resources.ServerLaunchTemplate.Properties.LaunchTemplateName", "renamed"))
	add("launch template type", one(entity.LaunchTemplate, kTemplate, "type"), setter(tfTemplate+".instance_type", "t3.small"), setter(cfTemplate+".InstanceType", "t3.small"))
	add("launch template ami", one(entity.LaunchTemplate, kTemplate, "ami"),
		setter(tfTemplate+".image_id", "ami-0123456789abcdef0"), setter(cfTemplate+".ImageId", "ami-0123456789abcdef0"))
	add("launch template security groups", one(entity.LaunchTemplate, kTemplate, "security-groups"),
		func(t *testing.T, d doc) {
			appendTo(t, d, tfTemplate+".vpc_security_group_ids", "${aws_security_group.LambdaSecurityGroup.id}")
		},
		func(t *testing.T, d doc) {
			appendTo(t, d, cfTemplate+".SecurityGroupIds", map[string]any{"Fn::GetAtt": []any{"LambdaSecurityGroup", "GroupId"}})
		})
	add("launch template profile", one(entity.LaunchTemplate, kTemplate, "profile"),
		setter(tfTemplate+".iam_instance_profile.name", "other-profile"), setter(cfTemplate+".IamInstanceProfile", map[string]any{"Name": "other-profile"}))
	add("launch template imds tokens", one(entity.LaunchTemplate, kTemplate, "imds.tokens"),
		setter(tfTemplate+".metadata_options.http_tokens", "optional"), setter(cfTemplate+".MetadataOptions.HttpTokens", "optional"))
	add("launch template imds endpoint", one(entity.LaunchTemplate, kTemplate, "imds.endpoint"),
		setter(tfTemplate+".metadata_options.http_endpoint", "disabled"), setter(cfTemplate+".MetadataOptions.HttpEndpoint", "disabled"))
	add("launch template imds hop limit", one(entity.LaunchTemplate, kTemplate, "imds.hop-limit"),
		setter(tfTemplate+".metadata_options.http_put_response_hop_limit", 2), setter(cfTemplate+".MetadataOptions.HttpPutResponseHopLimit", 2))
	add("launch template cpu credits", one(entity.LaunchTemplate, kTemplate, "cpu-credits"),
		setter(tfTemplate+".credit_specification.cpu_credits", "unlimited"), setter(cfTemplate+".CreditSpecification.CpuCredits", "unlimited"))
	add("launch template root volume encryption", one(entity.LaunchTemplate, kTemplate, "root-volume.encrypted"),
		setter(tfTemplate+".block_device_mappings.0.ebs.encrypted", false), setter(cfTemplate+".BlockDeviceMappings.0.Ebs.Encrypted", false))
	add("launch template root volume size", one(entity.LaunchTemplate, kTemplate, "root-volume.size"),
		setter(tfTemplate+".block_device_mappings.0.ebs.volume_size", 16), setter(cfTemplate+".BlockDeviceMappings.0.Ebs.VolumeSize", 16))
	add("launch template root volume type", one(entity.LaunchTemplate, kTemplate, "root-volume.type"),
		setter(tfTemplate+".block_device_mappings.0.ebs.volume_type", "gp2"), setter(cfTemplate+".BlockDeviceMappings.0.Ebs.VolumeType", "gp2"))
	add("launch template root volume deletion", one(entity.LaunchTemplate, kTemplate, "root-volume.delete-on-termination"),
		setter(tfTemplate+".block_device_mappings.0.ebs.delete_on_termination", false), setter(cfTemplate+".BlockDeviceMappings.0.Ebs.DeleteOnTermination", false))
	// The model tags nothing at launch through the template (the group
	// propagates its Name tag): a tag specification on one side.
	add("launch template launch tags", one(entity.LaunchTemplate, kTemplate, "launch-tags"),
		setter(tfTemplate+".tag_specifications", []any{map[string]any{"resource_type": "volume", "tags": map[string]any{"team": "images"}}}),
		setter(cfTemplate+".TagSpecifications", []any{map[string]any{"ResourceType": "volume", "Tags": []any{map[string]any{"Key": "team", "Value": "images"}}}}))
	add("launch template user data fetch", one(entity.LaunchTemplate, kTemplate, "user-data.fetch"),
		func(t *testing.T, d doc) {
			replaceText(t, d, tfTemplate+".user_data", " /opt/twinstack/twinstack.new --region", " /usr/local/bin/twinstack --region")
		},
		func(t *testing.T, d doc) {
			replaceText(t, d, cfTemplate+".UserData", " /opt/twinstack/twinstack.new --region", " /usr/local/bin/twinstack --region")
		})
	// The fetch's flags are compared too: no flag is stripped.
	add("launch template user data fetch flags", one(entity.LaunchTemplate, kTemplate, "user-data.fetch"),
		func(t *testing.T, d doc) {
			replaceText(t, d, tfTemplate+".user_data", " /opt/twinstack/twinstack.new --region", " /opt/twinstack/twinstack.new --no-progress --region")
		},
		func(t *testing.T, d doc) {
			replaceText(t, d, cfTemplate+".UserData", " /opt/twinstack/twinstack.new --region", " /opt/twinstack/twinstack.new --no-progress --region")
		})
	// A fetch without the script's retry wrapper is the same download but
	// not the same start-up: named in the rest of the script.
	add("launch template user data fetch retry", one(entity.LaunchTemplate, kTemplate, "user-data.script"),
		func(t *testing.T, d doc) {
			replaceText(t, d, tfTemplate+".user_data", "retry aws s3 cp ", "aws s3 cp ")
		},
		func(t *testing.T, d doc) { replaceText(t, d, cfTemplate+".UserData", "retry aws s3 cp ", "aws s3 cp ") })
	add("launch template user data environment", one(entity.LaunchTemplate, kTemplate, "user-data.environment"),
		func(t *testing.T, d doc) { replaceText(t, d, tfTemplate+".user_data", "PORT=8080", "PORT=9090") },
		func(t *testing.T, d doc) { replaceText(t, d, cfTemplate+".UserData", "PORT=8080", "PORT=9090") })
	add("launch template user data script", one(entity.LaunchTemplate, kTemplate, "user-data.script"),
		func(t *testing.T, d doc) { replaceText(t, d, tfTemplate+".user_data", "Restart=always", "Restart=no") },
		func(t *testing.T, d doc) { replaceText(t, d, cfTemplate+".UserData", "Restart=always", "Restart=no") })
	// The launch hook's name in the script is a literal: a group renamed
	// in the script only is a different script.
	add("launch template user data hook", one(entity.LaunchTemplate, kTemplate, "user-data.script"),
		func(t *testing.T, d doc) {
			replaceText(t, d, tfTemplate+".user_data", "--lifecycle-hook-name tw-demo-server-ready", "--lifecycle-hook-name other")
		},
		func(t *testing.T, d doc) {
			replaceText(t, d, cfTemplate+".UserData", "--lifecycle-hook-name tw-demo-server-ready", "--lifecycle-hook-name other")
		})

	// Auto Scaling group.
	ms = append(ms, mutation{name: "group name (tf)", want: one(entity.AutoScalingGroup, "renamed", "name"), tf: setter(tfGroup+".name", "renamed"),
		rekey: [3]string{"auto-scaling-group", kGroup, "renamed"}})
	add("group name", one(entity.AutoScalingGroup, kGroup, "name"), nil, setter(cfGroup+".AutoScalingGroupName", "renamed"))
	add("group launch template", one(entity.AutoScalingGroup, kGroup, "launch-template"),
		setter(tfGroup+".launch_template.id", "lt-0123456789abcdef0"), setter(cfGroup+".LaunchTemplate.LaunchTemplateId", "lt-0123456789abcdef0"))
	// "$Latest" is not latest_version: Terraform would start no refresh.
	add("group launch template version", one(entity.AutoScalingGroup, kGroup, "launch-template.version"),
		setter(tfGroup+".launch_template.version", "$Latest"),
		setter(cfGroup+".LaunchTemplate.Version", map[string]any{"Fn::GetAtt": []any{"ServerLaunchTemplate", "DefaultVersionNumber"}}))
	add("group min size", one(entity.AutoScalingGroup, kGroup, "min-size"), setter(tfGroup+".min_size", 2), setter(cfGroup+".MinSize", "2"))
	add("group max size", one(entity.AutoScalingGroup, kGroup, "max-size"), setter(tfGroup+".max_size", 6), setter(cfGroup+".MaxSize", "6"))
	// The desired capacity is also what the rolling update keeps in
	// service: CloudFormation's MinInstancesInService stays 2 of 3, a
	// percentage follows.
	// Terraform's 100% to 200% of 3 also replaces 3 at a time.
	// 150% of 3 rounds down to 4: still one at a time, but 3 in service.
	add("group desired capacity (tf)", []change{{"auto-scaling-group", kGroup, "desired-capacity"},
		{"auto-scaling-group", kGroup, "rolling-update.min-in-service"}}, setter(tfGroup+".desired_capacity", 3), nil)
	add("group desired capacity", []change{{"auto-scaling-group", kGroup, "desired-capacity"}, {"auto-scaling-group", kGroup, "rolling-update.min-in-service"}},
		nil, setter(cfGroup+".DesiredCapacity", "3"))
	add("group subnets", one(entity.AutoScalingGroup, kGroup, "subnets"),
		setter(tfGroup+".vpc_zone_identifier", []any{"${aws_subnet.PublicSubnet1.id}"}), setter(cfGroup+".VPCZoneIdentifier", []any{map[string]any{"Ref": "PublicSubnet1"}}))
	add("group target groups", one(entity.AutoScalingGroup, kGroup, "target-groups"),
		setter(tfGroup+".target_group_arns", []any{}), setter(cfGroup+".TargetGroupARNs", []any{}))
	add("group health check type", one(entity.AutoScalingGroup, kGroup, "health-check.type"),
		setter(tfGroup+".health_check_type", "EC2"), setter(cfGroup+".HealthCheckType", "EC2"))
	// The instance refresh waits the grace period when it has no warmup
	// of its own: Terraform's pause follows.
	// The refresh's pause is its own instance_warmup, not the grace.
	add("group health check grace (tf)", one(entity.AutoScalingGroup, kGroup, "health-check.grace-period"),
		setter(tfGroup+".health_check_grace_period", 120), nil)
	add("group health check grace", one(entity.AutoScalingGroup, kGroup, "health-check.grace-period"), nil, setter(cfGroup+".HealthCheckGracePeriod", 120))
	// Unset, the Terraform provider's 300 s against the API's 0 s.
	add("group health check grace default", one(entity.AutoScalingGroup, kGroup, "health-check.grace-period"),
		nil, func(t *testing.T, d doc) { del(t, d, cfGroup+".HealthCheckGracePeriod") })
	add("group default instance warmup (tf)", one(entity.AutoScalingGroup, kGroup, "default-instance-warmup"),
		setter(tfGroup+".default_instance_warmup", 60), nil)
	// Without its own instance_warmup the refresh waits the group's
	// default warmup.
	add("group refresh warmup falls back (tf)", one(entity.AutoScalingGroup, kGroup, "rolling-update.pause"),
		func(t *testing.T, d doc) { del(t, d, tfGroup+".instance_refresh.preferences.instance_warmup") }, nil)
	add("group default instance warmup", one(entity.AutoScalingGroup, kGroup, "default-instance-warmup"), nil, setter(cfGroup+".DefaultInstanceWarmup", 60))
	add("group tags", one(entity.AutoScalingGroup, kGroup, "tags"),
		setter(tfGroup+".tag.0.value", "renamed"), setter(cfGroup+".Tags.[Key=Name].Value", "renamed"))
	add("group tag propagation", one(entity.AutoScalingGroup, kGroup, "tags"),
		setter(tfGroup+".tag.0.propagate_at_launch", false), setter(cfGroup+".Tags.[Key=Name].PropagateAtLaunch", false))
	add("group launch hook default result", one(entity.AutoScalingGroup, kGroup, "launch-hooks"),
		setter(tfGroup+".initial_lifecycle_hook.0.default_result", "CONTINUE"), setter(cfGroup+".LifecycleHookSpecificationList.0.DefaultResult", "CONTINUE"))
	add("group launch hook heartbeat", one(entity.AutoScalingGroup, kGroup, "launch-hooks"),
		setter(tfGroup+".initial_lifecycle_hook.0.heartbeat_timeout", 300), setter(cfGroup+".LifecycleHookSpecificationList.0.HeartbeatTimeout", 300))
	add("group launch hook transition", one(entity.AutoScalingGroup, kGroup, "launch-hooks"),
		setter(tfGroup+".initial_lifecycle_hook.0.lifecycle_transition", "autoscaling:EC2_INSTANCE_TERMINATING"),
		setter(cfGroup+".LifecycleHookSpecificationList.0.LifecycleTransition", "autoscaling:EC2_INSTANCE_TERMINATING"))
	// A hook added after the group exists does not hold its first
	// instances.
	add("group launch hook after creation", one(entity.AutoScalingGroup, kGroup, "launch-hooks"),
		func(t *testing.T, d doc) {
			hook := get(t, d, tfGroup+".initial_lifecycle_hook.0").(map[string]any)
			del(t, d, tfGroup+".initial_lifecycle_hook")
			hook["autoscaling_group_name"] = "${aws_autoscaling_group.ServerGroup.name}"
			set(t, d, "resource.aws_autoscaling_lifecycle_hook", map[string]any{"Ready": hook})
		},
		func(t *testing.T, d doc) {
			hook := get(t, d, cfGroup+".LifecycleHookSpecificationList.0").(map[string]any)
			del(t, d, cfGroup+".LifecycleHookSpecificationList")
			hook["AutoScalingGroupName"] = map[string]any{"Ref": "ServerGroup"}
			set(t, d, "Resources.ServerGroupReady", map[string]any{"Type": "AWS::AutoScaling::LifecycleHook", "Properties": hook})
		})
	// The rolling update, in instances of the desired capacity (2).
	// Terraform's floor also bounds its batch: 1 to 4 of 2 replaces 3.
	add("group rolling update min in service (tf)", []change{{"auto-scaling-group", kGroup, "rolling-update.batch"}, {"auto-scaling-group", kGroup, "rolling-update.min-in-service"}},
		setter(tfGroup+".instance_refresh.preferences.min_healthy_percentage", 50), nil)
	add("group rolling update min in service", one(entity.AutoScalingGroup, kGroup, "rolling-update.min-in-service"),
		nil, setter(cfRolling+".MinInstancesInService", 1))
	add("group rolling update batch", one(entity.AutoScalingGroup, kGroup, "rolling-update.batch"),
		setter(tfGroup+".instance_refresh.preferences.max_healthy_percentage", 200), setter(cfRolling+".MaxBatchSize", 2))
	add("group rolling update pause", one(entity.AutoScalingGroup, kGroup, "rolling-update.pause"),
		setter(tfGroup+".instance_refresh.preferences.instance_warmup", 120), setter(cfRolling+".PauseTime", "PT5M"))
	add("group rolling update suspended processes", one(entity.AutoScalingGroup, kGroup, "rolling-update.suspend-processes"),
		nil, setter(cfRolling+".SuspendProcesses", []any{"HealthCheck"}))
	// Without a rolling update a new template reaches only new instances.
	none := []change{{"auto-scaling-group", kGroup, "rolling-update.batch"}, {"auto-scaling-group", kGroup, "rolling-update.min-in-service"},
		{"auto-scaling-group", kGroup, "rolling-update.pause"}}
	add("group rolling update none (tf)", none, func(t *testing.T, d doc) { del(t, d, tfGroup+".instance_refresh") }, nil)
	add("group rolling update none", none, nil, func(t *testing.T, d doc) { del(t, d, cfRolling) })

	// Scaling policy.
	// A policy is known by its group and metric: changed in Terraform, it
	// is reported under its new key.
	ms = append(ms, mutation{name: "scaling policy group (tf)", want: one(entity.ScalingPolicy, "other ALBRequestCountPerTarget", "group"),
		tf: setter(tfPolicy+".autoscaling_group_name", "other"), rekey: [3]string{"scaling-policy", kPolicy, "other ALBRequestCountPerTarget"}})
	add("scaling policy group", one(entity.ScalingPolicy, kPolicy, "group"), nil, setter(cfPolicy+".AutoScalingGroupName", "other"))
	add("scaling policy type", one(entity.ScalingPolicy, kPolicy, "type"),
		setter(tfPolicy+".policy_type", "PredictiveScaling"), setter(cfPolicy+".PolicyType", "PredictiveScaling"))
	ms = append(ms, mutation{name: "scaling policy metric (tf)", want: one(entity.ScalingPolicy, kGroup+" ASGAverageCPUUtilization", "metric"),
		tf:    setter(tfPolicy+".target_tracking_configuration.predefined_metric_specification.predefined_metric_type", "ASGAverageCPUUtilization"),
		rekey: [3]string{"scaling-policy", kPolicy, kGroup + " ASGAverageCPUUtilization"}})
	add("scaling policy metric", one(entity.ScalingPolicy, kPolicy, "metric"), nil,
		setter(cfPolicy+".TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType", "ASGAverageCPUUtilization"))
	add("scaling policy resource label", one(entity.ScalingPolicy, kPolicy, "resource-label"),
		func(t *testing.T, d doc) {
			replaceText(t, d, tfPolicy+".target_tracking_configuration.predefined_metric_specification.resource_label", "${aws_lb.LoadBalancer.arn_suffix}/", "app/other/0123/")
		},
		setter(cfPolicy+".TargetTrackingConfiguration.PredefinedMetricSpecification.ResourceLabel.Fn::Join.1.0", "app/other/0123"))
	add("scaling policy target value", one(entity.ScalingPolicy, kPolicy, "target-value"),
		setter(tfPolicy+".target_tracking_configuration.target_value", 500), setter(cfPolicy+".TargetTrackingConfiguration.TargetValue", 500))
	add("scaling policy scale-in", one(entity.ScalingPolicy, kPolicy, "disable-scale-in"),
		setter(tfPolicy+".target_tracking_configuration.disable_scale_in", true), setter(cfPolicy+".TargetTrackingConfiguration.DisableScaleIn", true))
	add("scaling policy warmup", one(entity.ScalingPolicy, kPolicy, "warmup"),
		setter(tfPolicy+".estimated_instance_warmup", 120), setter(cfPolicy+".EstimatedInstanceWarmup", 120))

	// Target group.
	ms = append(ms, mutation{name: "target group name (tf)", want: one(entity.TargetGroup, "renamed", "name"), tf: setter(tfTG+".name", "renamed"), rekey: [3]string{"target-group", kTG, "renamed"}})
	add("target group name", one(entity.TargetGroup, kTG, "name"), nil, setter(cfTG+".Name", "renamed"))
	add("target group protocol", one(entity.TargetGroup, kTG, "protocol"),
		setter(tfTG+".protocol", "HTTPS"),
		func(t *testing.T, d doc) {
			set(t, d, cfTG+".Protocol", "HTTPS")
			set(t, d, cfTG+".HealthCheckProtocol", "HTTP")
		})
	add("target group port", one(entity.TargetGroup, kTG, "port"), setter(tfTG+".port", 8081), setter(cfTG+".Port", 8081))
	add("target group target type", one(entity.TargetGroup, kTG, "target-type"), setter(tfTG+".target_type", "ip"), setter(cfTG+".TargetType", "ip"))
	add("target group vpc", one(entity.TargetGroup, kTG, "vpc"), setter(tfTG+".vpc_id", "vpc-0123"), setter(cfTG+".VpcId", "vpc-0123"))
	// The group registers its instances: a target of its own on one side.
	add("target group targets", one(entity.TargetGroup, kTG, "targets"),
		setter("resource.aws_lb_target_group_attachment", map[string]any{"Extra": map[string]any{
			"target_group_arn": "${aws_lb_target_group.ServerTargetGroup.arn}", "target_id": "i-0123456789abcdef0", "port": 8080}}),
		setter(cfTG+".Targets", []any{map[string]any{"Id": "i-0123456789abcdef0", "Port": 8080}}))
	for _, hc := range []struct {
		prop, tfKey, cfKey string
		tfVal, cfVal       any
	}{
		{"enabled", "enabled", "HealthCheckEnabled", false, false},
		{"protocol", "protocol", "HealthCheckProtocol", "HTTPS", "HTTPS"},
		{"port", "port", "HealthCheckPort", "8080", "8080"},
		{"path", "path", "HealthCheckPath", "/", "/"},
		{"interval", "interval", "HealthCheckIntervalSeconds", 10, 10},
		{"timeout", "timeout", "HealthCheckTimeoutSeconds", 3, 3},
		{"healthy-threshold", "healthy_threshold", "HealthyThresholdCount", 5, 5},
		{"unhealthy-threshold", "unhealthy_threshold", "UnhealthyThresholdCount", 2, 2},
	} {
		add("target group health check "+hc.prop, one(entity.TargetGroup, kTG, "health-check."+hc.prop),
			setter(tfTG+".health_check."+hc.tfKey, hc.tfVal), setter(cfTG+"."+hc.cfKey, hc.cfVal))
	}
	add("target group health check matcher", one(entity.TargetGroup, kTG, "health-check.matcher"),
		setter(tfTG+".health_check.matcher", "200-299"), setter(cfTG+".Matcher", map[string]any{"HttpCode": "200-299"}))

	// Load balancer.
	ms = append(ms, mutation{name: "load balancer name (tf)", want: one(entity.LoadBalancer, "renamed", "name"), tf: setter(tfLB+".name", "renamed"), rekey: [3]string{"load-balancer", kLB, "renamed"}})
	add("load balancer name", one(entity.LoadBalancer, kLB, "name"), nil, setter(cfLB+".Name", "renamed"))
	add("load balancer type", one(entity.LoadBalancer, kLB, "type"), setter(tfLB+".load_balancer_type", "network"), setter(cfLB+".Type", "network"))
	add("load balancer scheme", one(entity.LoadBalancer, kLB, "scheme"), setter(tfLB+".internal", false), setter(cfLB+".Scheme", "internet-facing"))
	add("load balancer subnets", one(entity.LoadBalancer, kLB, "subnets"),
		setter(tfLB+".subnets", []any{"${aws_subnet.PublicSubnet1.id}"}), setter(cfLB+".Subnets", []any{map[string]any{"Ref": "PublicSubnet1"}}))
	add("load balancer security groups", one(entity.LoadBalancer, kLB, "security-groups"),
		func(t *testing.T, d doc) {
			appendTo(t, d, tfLB+".security_groups", "${aws_security_group.LambdaSecurityGroup.id}")
		},
		func(t *testing.T, d doc) {
			appendTo(t, d, cfLB+".SecurityGroups", map[string]any{"Fn::GetAtt": []any{"LambdaSecurityGroup", "GroupId"}})
		})
	add("load balancer listener", one(entity.LoadBalancer, kLB, "listeners"),
		setter("resource.aws_lb_listener.LoadBalancerListener.port", 8080), setter("Resources.LoadBalancerListener.Properties.Port", 8080))

	// Function.
	ms = append(ms, mutation{name: "function name (tf)", want: one(entity.Function, "renamed", "name"), tf: setter(tfFunction+".function_name", "renamed"), rekey: [3]string{"function", kFunction, "renamed"}})
	add("function name", one(entity.Function, kFunction, "name"), nil, setter(cfFunction+".FunctionName", "renamed"))
	for _, f := range []struct {
		prop, tfKey, cfKey string
		v                  any
	}{
		{"runtime", "runtime", "Runtime", "provided.al2"},
		{"handler", "handler", "Handler", "main"},
		{"memory", "memory_size", "MemorySize", 1024},
		{"timeout", "timeout", "Timeout", 90},
		{"reserved-concurrency", "reserved_concurrent_executions", "ReservedConcurrentExecutions", 5},
	} {
		add("function "+f.prop, one(entity.Function, kFunction, f.prop), setter(tfFunction+"."+f.tfKey, f.v), setter(cfFunction+"."+f.cfKey, f.v))
	}
	add("function architecture", one(entity.Function, kFunction, "architecture"),
		setter(tfFunction+".architectures", []any{"x86_64"}), setter(cfFunction+".Architectures", []any{"x86_64"}))
	add("function environment", one(entity.Function, kFunction, "environment"),
		setter(tfFunction+".environment.variables.SERVER_URL", "http://example.com"),
		setter(cfFunction+".Environment.Variables.SERVER_URL", "http://example.com"))
	add("function vpc subnets", one(entity.Function, kFunction, "vpc.subnets"),
		setter(tfFunction+".vpc_config.subnet_ids", []any{"${aws_subnet.PublicSubnet1.id}"}),
		setter(cfFunction+".VpcConfig.SubnetIds", []any{map[string]any{"Ref": "PublicSubnet1"}}))
	add("function vpc security groups", one(entity.Function, kFunction, "vpc.security-groups"),
		setter(tfFunction+".vpc_config.security_group_ids", []any{"${aws_security_group.ServerSecurityGroup.id}"}),
		setter(cfFunction+".VpcConfig.SecurityGroupIds", []any{map[string]any{"Fn::GetAtt": []any{"ServerSecurityGroup", "GroupId"}}}))
	add("function role", one(entity.Function, kFunction, "role"),
		setter(tfFunction+".role", "${aws_iam_role.ServerRole.arn}"), setter(cfFunction+".Role", map[string]any{"Fn::GetAtt": []any{"ServerRole", "Arn"}}))
	add("function package", one(entity.Function, kFunction, "package"),
		setter(tfFunction+".image_uri", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ingest:latest"),
		func(t *testing.T, d doc) {
			set(t, d, cfFunction+".PackageType", "Image")
			set(t, d, cfFunction+".Code", map[string]any{"ImageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ingest:latest"})
		})
	// The function's log group (issue 17).
	ms = append(ms, mutation{name: "log group name (tf)", want: one(entity.LogGroup, "/aws/lambda/renamed", "name"), tf: setter(tfLogGroup+".name", "/aws/lambda/renamed"), rekey: [3]string{"log-group", kLogGroup, "/aws/lambda/renamed"}})
	add("log group name", one(entity.LogGroup, kLogGroup, "name"), nil, setter(cfLogGroup+".LogGroupName", "/aws/lambda/renamed"))
	add("log group retention", one(entity.LogGroup, kLogGroup, "retention"), setter(tfLogGroup+".retention_in_days", 7), setter(cfLogGroup+".RetentionInDays", 7))
	add("function url auth", one(entity.Function, kFunction, "url.auth"),
		setter("resource.aws_lambda_function_url.FunctionUrl.authorization_type", "NONE"), setter("Resources.FunctionUrl.Properties.AuthType", "NONE"))
	add("function url invoke mode", one(entity.Function, kFunction, "url.invoke-mode"),
		setter("resource.aws_lambda_function_url.FunctionUrl.invoke_mode", "RESPONSE_STREAM"), setter("Resources.FunctionUrl.Properties.InvokeMode", "RESPONSE_STREAM"))

	// Outputs.
	add("output value", one(entity.Output, "FunctionName", "value"),
		setter("output.FunctionName.value", "${aws_lambda_function.Function.arn}"),
		setter("Outputs.FunctionName.Value", map[string]any{"Fn::GetAtt": []any{"Function", "Arn"}}))
	add("output description", one(entity.Output, "FunctionName", "description"),
		setter("output.FunctionName.description", "changed"), setter("Outputs.FunctionName.Description", "changed"))
	return ms
}

// reportChanges indexes a report's differences.
func reportChanges(r *diff.Report) map[change]string {
	out := map[change]string{}
	for _, d := range r.Different {
		out[change{d.Kind, d.Key, d.Property}] = fmt.Sprint(d.Terraform, d.CloudFormation)
	}
	return out
}

func run(t *testing.T, tf, cf diff.Input) *diff.Report {
	t.Helper()
	r, err := diff.Run(tf, cf)
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	return r
}

// TestMutations changes one compared property on one side of a synthesized
// pair and expects the report to change in exactly that property.
func TestMutations(t *testing.T) {
	for _, m := range mutations() {
		name := m.fixture
		if name == "" {
			name = "count2"
		}
		tf0, cf0 := fixture(t, name)
		base := run(t, tf0, cf0)
		baseChanges := reportChanges(base)
		if m.rekey[0] != "" {
			moved := map[change]string{}
			for c, v := range baseChanges {
				if c.Kind == m.rekey[0] && c.Key == m.rekey[1] {
					c.Key = m.rekey[2]
				}
				moved[c] = v
			}
			baseChanges = moved
		}
		for _, side := range []string{"tf", "cfn"} {
			edit := m.tf
			if side == "cfn" {
				edit = m.cfn
			}
			if edit == nil {
				continue
			}
			t.Run(m.name+"/"+side, func(t *testing.T) {
				tf, cf := tf0, cf0
				if side == "tf" {
					d := decode(t, tf.Data)
					edit(t, d)
					tf.Data = encode(t, d)
				} else {
					d := decode(t, cf.Data)
					edit(t, d)
					cf.Data = encode(t, d)
				}
				r := run(t, tf, cf)
				got := changedBetween(baseChanges, reportChanges(r))
				want := append([]change(nil), m.want...)
				sortChanges(want)
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("changed properties (-want +got):\n%s", d)
				}
				if len(r.OnlyTerraform)+len(r.OnlyCloudFormation) != len(base.OnlyTerraform)+len(base.OnlyCloudFormation) {
					t.Errorf("entities on one side only: terraform %v, cloudformation %v", r.OnlyTerraform, r.OnlyCloudFormation)
				}
				if len(r.Unsupported) != len(base.Unsupported) {
					t.Errorf("unsupported: %v", r.Unsupported)
				}
				if r.Status == diff.Equivalent && len(r.Different) == 0 && len(m.want) > 0 && len(base.Different) == 0 {
					t.Errorf("status %s after a mutation", r.Status)
				}
			})
		}
	}
}

// changedBetween lists the (entity, property) pairs whose comparison is
// not the same in the two reports.
func changedBetween(a, b map[change]string) []change {
	var out []change
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sortChanges(out)
	return out
}

func sortChanges(s []change) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Kind != s[j].Kind {
			return s[i].Kind < s[j].Kind
		}
		if s[i].Key != s[j].Key {
			return s[i].Key < s[j].Key
		}
		return s[i].Property < s[j].Property
	})
}

// TestMutationsCoverEveryProperty: every compared property is changed by
// some mutation, on both sides where the property is free on both.
func TestMutationsCoverEveryProperty(t *testing.T) {
	covered := map[string]map[string]bool{}
	for _, m := range mutations() {
		for _, c := range m.want {
			k := c.Kind + "/" + c.Property
			if covered[k] == nil {
				covered[k] = map[string]bool{}
			}
			if m.tf != nil {
				covered[k]["tf"] = true
			}
			if m.cfn != nil {
				covered[k]["cfn"] = true
			}
		}
	}
	// Properties that one side cannot express independently.
	oneSided := map[string]string{
		"table/data-on-destroy":                               "Terraform keeps table data through deletion protection, which is its own property",
		"auto-scaling-group/rolling-update.suspend-processes": "Terraform's instance refresh suspends no process",
		"artifact-store/public-access-block":                  "CDK's artifact store is the bootstrap bucket, outside the template",
		"artifact-store/tls-only":                             "CDK's artifact store is the bootstrap bucket, outside the template",
	}
	// Kinds our model does not have: the synth fixtures cannot be mutated
	// into them; TestKeyPairs, TestVPCEndpoints, TestHTTPAPI, TestVolumes
	// and TestInstances change each property on each side.
	notInModel := map[entity.Kind]bool{entity.KeyPair: true, entity.Endpoint: true, entity.HTTPAPI: true, entity.Volume: true, entity.Instance: true}
	for _, k := range entity.Kinds() {
		if notInModel[k] {
			continue
		}
		for _, p := range entity.Properties(k) {
			key := string(k) + "/" + p
			sides := covered[key]
			switch {
			case len(sides) == 0:
				t.Errorf("no mutation test changes %s", key)
			case len(sides) == 1 && oneSided[key] == "":
				t.Errorf("mutation tests change %s on one side only (%v)", key, sides)
			}
		}
	}
}

// TestRemovals: an entity removed from one side is reported as only in the
// other (references to it become literals, which shows as property
// differences where they were used).
func TestRemovals(t *testing.T) {
	tests := []struct {
		name     string
		side     string
		edit     func(t *testing.T, d doc)
		wantOnly []diff.Item // on the other side, key and kind only
	}{
		{"table", "tf", func(t *testing.T, d doc) {
			del(t, d, "resource.aws_dynamodb_table.AlbumsTable")
			replaceText(t, d, "", "${aws_dynamodb_table.AlbumsTable.", "removed.")
		}, []diff.Item{{Kind: "table", Key: "tw-demo-albums"}}},
		{"table", "cfn", func(t *testing.T, d doc) {
			del(t, d, "Resources.AlbumsTable")
			replaceRefs(d, "AlbumsTable")
		}, []diff.Item{{Kind: "table", Key: "tw-demo-albums"}}},
		{"auto scaling group", "tf", func(t *testing.T, d doc) {
			del(t, d, tfGroup)
			replaceText(t, d, "", "${aws_autoscaling_group.ServerGroup.name}", "removed")
		}, []diff.Item{{Kind: "auto-scaling-group", Key: kGroup}}},
		{"auto scaling group", "cfn", func(t *testing.T, d doc) {
			del(t, d, "Resources.ServerGroup")
			replaceRefs(d, "ServerGroup")
		}, []diff.Item{{Kind: "auto-scaling-group", Key: kGroup}}},
		{"output", "tf", func(t *testing.T, d doc) { del(t, d, "output.FunctionName") }, []diff.Item{{Kind: "output", Key: "FunctionName"}}},
		{"output", "cfn", func(t *testing.T, d doc) { del(t, d, "Outputs.FunctionName") }, []diff.Item{{Kind: "output", Key: "FunctionName"}}},
		{"load balancer", "cfn", func(t *testing.T, d doc) {
			del(t, d, "Resources.LoadBalancer")
			del(t, d, "Resources.LoadBalancerListener")
			del(t, d, "Resources.ServerGroupScalingPolicy.DependsOn") // the listener
			replaceRefs(d, "LoadBalancer")
		}, []diff.Item{{Kind: "load-balancer", Key: kLB}}},
	}
	for _, tc := range tests {
		t.Run(tc.name+"/"+tc.side, func(t *testing.T) {
			tf, cf := fixture(t, "count2")
			if tc.side == "tf" {
				d := decode(t, tf.Data)
				tc.edit(t, d)
				tf.Data = encode(t, d)
			} else {
				d := decode(t, cf.Data)
				tc.edit(t, d)
				cf.Data = encode(t, d)
			}
			r := run(t, tf, cf)
			only, other := r.OnlyCloudFormation, r.OnlyTerraform
			if tc.side == "cfn" {
				only, other = r.OnlyTerraform, r.OnlyCloudFormation
			}
			strip := func(items []diff.Item) []diff.Item {
				var out []diff.Item
				for _, it := range items {
					out = append(out, diff.Item{Kind: it.Kind, Key: it.Key})
				}
				return out
			}
			if d := cmp.Diff(tc.wantOnly, strip(only)); d != "" {
				t.Errorf("only in the other side (-want +got):\n%s", d)
			}
			if len(other) > 0 {
				t.Errorf("only in the edited side: %v", other)
			}
			if r.Status != diff.Different {
				t.Errorf("status %s, want %s", r.Status, diff.Different)
			}
		})
	}
}
