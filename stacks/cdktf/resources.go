package cdktf

// Bodies of the Terraform resources and data sources this package emits, one
// struct per type, in the hashicorp/aws 5.x schema. JSON tags are the
// Terraform argument names. Convention: a nested block that may appear at
// most once is an object; a repeatable block is a list of objects.
// depends_on is part of the body where a resource needs it.

// awsProvider is the provider "aws" configuration.
type awsProvider struct {
	Region                    string         `json:"region"`
	AccessKey                 string         `json:"access_key,omitempty"`
	SecretKey                 string         `json:"secret_key,omitempty"`
	S3UsePathStyle            bool           `json:"s3_use_path_style,omitempty"`
	SkipCredentialsValidation bool           `json:"skip_credentials_validation,omitempty"`
	SkipMetadataAPICheck      bool           `json:"skip_metadata_api_check,omitempty"`
	SkipRegionValidation      bool           `json:"skip_region_validation,omitempty"`
	SkipRequestingAccountID   *bool          `json:"skip_requesting_account_id,omitempty"`
	Endpoints                 []awsEndpoints `json:"endpoints,omitempty"`
}

// awsEndpoints points each service the stack uses at one URL.
type awsEndpoints struct {
	Autoscaling string `json:"autoscaling"`
	DynamoDB    string `json:"dynamodb"`
	EC2         string `json:"ec2"`
	ELBv2       string `json:"elbv2"`
	IAM         string `json:"iam"`
	Lambda      string `json:"lambda"`
	Logs        string `json:"logs"`
	S3          string `json:"s3"`
	SSM         string `json:"ssm"`
	STS         string `json:"sts"`
}

// requiredProvider is one entry of terraform.required_providers.
type requiredProvider struct {
	Source  string `json:"source"`
	Version string `json:"version"`
}

// Data sources.

type callerIdentity struct{}

type awsPartition struct{}

type availabilityZones struct {
	State  string       `json:"state"`
	Filter []zoneFilter `json:"filter,omitempty"`
}

type zoneFilter struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

type ssmParameter struct {
	Name string `json:"name"`
}

type policyDocument struct {
	Statement []policyStatement `json:"statement"`
}

type policyStatement struct {
	Sid        string             `json:"sid,omitempty"`
	Effect     string             `json:"effect"`
	Actions    []string           `json:"actions"`
	Resources  []string           `json:"resources,omitempty"`
	Principals []policyPrincipals `json:"principals,omitempty"`
	Condition  []policyCondition  `json:"condition,omitempty"`
}

type policyPrincipals struct {
	Type        string   `json:"type"`
	Identifiers []string `json:"identifiers"`
}

type policyCondition struct {
	Test     string   `json:"test"`
	Variable string   `json:"variable"`
	Values   []string `json:"values"`
}

// Top-level blocks of the handover (constructs.Handover).

// removedBlock forgets a resource without destroying it (Terraform 1.7).
type removedBlock struct {
	From      string           `json:"from"`
	Lifecycle removedLifecycle `json:"lifecycle"`
}

type removedLifecycle struct {
	// Destroy false is the point of the block: never omitted.
	Destroy bool `json:"destroy"`
}

// importBlock adopts an existing object as a resource (Terraform 1.5).
type importBlock struct {
	To string `json:"to"`
	ID string `json:"id"`
}

// S3.

// s3BucketData reads a bucket the stack no longer manages.
type s3BucketData struct {
	Bucket string `json:"bucket"`
}

type s3Bucket struct {
	Bucket       string `json:"bucket"`
	ForceDestroy bool   `json:"force_destroy"`
}

type s3BucketVersioning struct {
	Bucket                  string               `json:"bucket"`
	VersioningConfiguration versioningConfigured `json:"versioning_configuration"`
}

type versioningConfigured struct {
	Status string `json:"status"`
}

type s3PublicAccessBlock struct {
	Bucket                string `json:"bucket"`
	BlockPublicACLs       bool   `json:"block_public_acls"`
	BlockPublicPolicy     bool   `json:"block_public_policy"`
	IgnorePublicACLs      bool   `json:"ignore_public_acls"`
	RestrictPublicBuckets bool   `json:"restrict_public_buckets"`
}

type s3Encryption struct {
	Bucket string    `json:"bucket"`
	Rule   []sseRule `json:"rule"`
}

type sseRule struct {
	ApplyServerSideEncryptionByDefault sseDefault `json:"apply_server_side_encryption_by_default"`
}

type sseDefault struct {
	SSEAlgorithm string `json:"sse_algorithm"`
}

type s3BucketPolicy struct {
	Bucket    string   `json:"bucket"`
	Policy    string   `json:"policy"`
	DependsOn []string `json:"depends_on,omitempty"`
}

type s3Lifecycle struct {
	Bucket    string          `json:"bucket"`
	Rule      []lifecycleRule `json:"rule"`
	DependsOn []string        `json:"depends_on,omitempty"`
}

// lifecycleRule is one rule over the whole bucket (an empty filter).
type lifecycleRule struct {
	ID                             string                `json:"id"`
	Status                         string                `json:"status"`
	Filter                         struct{}              `json:"filter"`
	AbortIncompleteMultipartUpload *abortMultipart       `json:"abort_incomplete_multipart_upload,omitempty"`
	NoncurrentVersionExpiration    *noncurrentExpiration `json:"noncurrent_version_expiration,omitempty"`
}

type abortMultipart struct {
	DaysAfterInitiation int `json:"days_after_initiation"`
}

type noncurrentExpiration struct {
	NoncurrentDays int `json:"noncurrent_days"`
}

type s3Object struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Source string `json:"source"`
}

// DynamoDB.

// dynamoTableData reads a table the stack no longer manages.
type dynamoTableData struct {
	Name string `json:"name"`
}

type dynamoTable struct {
	Name                      string              `json:"name"`
	BillingMode               string              `json:"billing_mode"`
	HashKey                   string              `json:"hash_key"`
	RangeKey                  string              `json:"range_key,omitempty"`
	Attribute                 []dynamoAttribute   `json:"attribute"`
	GlobalSecondaryIndex      []dynamoIndex       `json:"global_secondary_index,omitempty"`
	PointInTimeRecovery       pointInTimeRecovery `json:"point_in_time_recovery"`
	DeletionProtectionEnabled bool                `json:"deletion_protection_enabled"`
}

type dynamoAttribute struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type dynamoIndex struct {
	Name           string `json:"name"`
	HashKey        string `json:"hash_key"`
	RangeKey       string `json:"range_key,omitempty"`
	ProjectionType string `json:"projection_type"`
}

type pointInTimeRecovery struct {
	Enabled bool `json:"enabled"`
}

// Network.

type vpc struct {
	CIDRBlock          string `json:"cidr_block"`
	EnableDNSHostnames bool   `json:"enable_dns_hostnames"`
	EnableDNSSupport   bool   `json:"enable_dns_support"`
}

type internetGateway struct {
	VPCID string `json:"vpc_id"`
}

type subnet struct {
	VPCID               string `json:"vpc_id"`
	CIDRBlock           string `json:"cidr_block"`
	AvailabilityZone    string `json:"availability_zone"`
	MapPublicIPOnLaunch bool   `json:"map_public_ip_on_launch"`
}

type routeTable struct {
	VPCID string `json:"vpc_id"`
}

type route struct {
	RouteTableID         string `json:"route_table_id"`
	DestinationCIDRBlock string `json:"destination_cidr_block"`
	GatewayID            string `json:"gateway_id"`
}

type routeTableAssociation struct {
	SubnetID     string `json:"subnet_id"`
	RouteTableID string `json:"route_table_id"`
}

type securityGroup struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	VPCID       string `json:"vpc_id"`
}

// securityGroupRule is aws_vpc_security_group_ingress_rule and
// aws_vpc_security_group_egress_rule. Ports are absent for protocol "-1".
type securityGroupRule struct {
	SecurityGroupID           string `json:"security_group_id"`
	Description               string `json:"description,omitempty"`
	IPProtocol                string `json:"ip_protocol"`
	FromPort                  *int   `json:"from_port,omitempty"`
	ToPort                    *int   `json:"to_port,omitempty"`
	CIDRIPv4                  string `json:"cidr_ipv4,omitempty"`
	ReferencedSecurityGroupID string `json:"referenced_security_group_id,omitempty"`
}

// IAM.

type iamRole struct {
	Name             string `json:"name"`
	AssumeRolePolicy string `json:"assume_role_policy"`
}

type iamRolePolicy struct {
	Name   string `json:"name"`
	Role   string `json:"role"`
	Policy string `json:"policy"`
}

type iamRolePolicyAttachment struct {
	Role      string `json:"role"`
	PolicyARN string `json:"policy_arn"`
}

type iamInstanceProfile struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// EC2.

// launchTemplate is aws_launch_template: what every server of the group
// starts from. The subnet is the group's choice (vpc_zone_identifier), and
// the subnets map public IPv4 addresses on launch, so there is no
// network_interfaces block.
type launchTemplate struct {
	Name                string          `json:"name"`
	ImageID             string          `json:"image_id"`
	InstanceType        string          `json:"instance_type"`
	IAMInstanceProfile  ltProfile       `json:"iam_instance_profile"`
	VPCSecurityGroupIDs []string        `json:"vpc_security_group_ids"`
	MetadataOptions     metadataOptions `json:"metadata_options"`
	BlockDeviceMappings []ltBlockDevice `json:"block_device_mappings"`
	CreditSpecification *creditSpec     `json:"credit_specification,omitempty"`
	UserData            string          `json:"user_data"`
}

type ltProfile struct {
	Name string `json:"name"`
}

type ltBlockDevice struct {
	DeviceName string `json:"device_name"`
	EBS        ltEBS  `json:"ebs"`
}

// ltEBS is a launch template's EBS volume. The provider types encrypted
// as a string ("true", "false" or unset: the AMI's setting).
type ltEBS struct {
	Encrypted  string `json:"encrypted"`
	VolumeSize int    `json:"volume_size"`
	VolumeType string `json:"volume_type"`
}

type creditSpec struct {
	CPUCredits string `json:"cpu_credits"`
}

type metadataOptions struct {
	HTTPEndpoint            string `json:"http_endpoint"`
	HTTPTokens              string `json:"http_tokens"`
	HTTPPutResponseHopLimit int    `json:"http_put_response_hop_limit,omitempty"`
}

// Auto Scaling.

type autoscalingGroup struct {
	Name                   string            `json:"name"`
	MinSize                int               `json:"min_size"`
	MaxSize                int               `json:"max_size"`
	DesiredCapacity        int               `json:"desired_capacity"`
	VPCZoneIdentifier      []string          `json:"vpc_zone_identifier"`
	TargetGroupARNs        []string          `json:"target_group_arns"`
	HealthCheckType        string            `json:"health_check_type"`
	HealthCheckGracePeriod int               `json:"health_check_grace_period"`
	LaunchTemplate         asgLaunchTemplate `json:"launch_template"`
	InitialLifecycleHook   []lifecycleHook   `json:"initial_lifecycle_hook"`
	Tag                    []asgTag          `json:"tag"`
	InstanceRefresh        instanceRefresh   `json:"instance_refresh"`
	DependsOn              []string          `json:"depends_on,omitempty"`
}

type asgLaunchTemplate struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

type lifecycleHook struct {
	Name                string `json:"name"`
	LifecycleTransition string `json:"lifecycle_transition"`
	DefaultResult       string `json:"default_result"`
	HeartbeatTimeout    int    `json:"heartbeat_timeout"`
}

type asgTag struct {
	Key               string `json:"key"`
	Value             string `json:"value"`
	PropagateAtLaunch bool   `json:"propagate_at_launch"`
}

type instanceRefresh struct {
	Strategy    string             `json:"strategy"`
	Preferences refreshPreferences `json:"preferences"`
}

type refreshPreferences struct {
	MinHealthyPercentage int `json:"min_healthy_percentage"`
	MaxHealthyPercentage int `json:"max_healthy_percentage"`
	InstanceWarmup       int `json:"instance_warmup"`
}

type autoscalingPolicy struct {
	Name                        string         `json:"name"`
	AutoscalingGroupName        string         `json:"autoscaling_group_name"`
	PolicyType                  string         `json:"policy_type"`
	TargetTrackingConfiguration targetTracking `json:"target_tracking_configuration"`
}

type targetTracking struct {
	PredefinedMetricSpecification predefinedMetric `json:"predefined_metric_specification"`
	TargetValue                   int              `json:"target_value"`
}

type predefinedMetric struct {
	PredefinedMetricType string `json:"predefined_metric_type"`
	ResourceLabel        string `json:"resource_label"`
}

// Load balancing.

type loadBalancer struct {
	Name             string   `json:"name"`
	Internal         bool     `json:"internal"`
	LoadBalancerType string   `json:"load_balancer_type"`
	Subnets          []string `json:"subnets"`
	SecurityGroups   []string `json:"security_groups"`
}

type targetGroup struct {
	Name        string      `json:"name"`
	Port        int         `json:"port"`
	Protocol    string      `json:"protocol"`
	TargetType  string      `json:"target_type"`
	VPCID       string      `json:"vpc_id"`
	HealthCheck healthCheck `json:"health_check"`
}

type healthCheck struct {
	Path               string `json:"path"`
	HealthyThreshold   int    `json:"healthy_threshold"`
	UnhealthyThreshold int    `json:"unhealthy_threshold"`
	Interval           int    `json:"interval"`
	Timeout            int    `json:"timeout"`
	Matcher            string `json:"matcher"`
}

type listener struct {
	LoadBalancerARN string           `json:"load_balancer_arn"`
	Port            int              `json:"port"`
	Protocol        string           `json:"protocol"`
	DefaultAction   []listenerAction `json:"default_action"`
}

type listenerAction struct {
	Type           string `json:"type"`
	TargetGroupARN string `json:"target_group_arn"`
}

// Lambda.

type lambdaFunction struct {
	FunctionName   string            `json:"function_name"`
	Role           string            `json:"role"`
	Runtime        string            `json:"runtime"`
	Architectures  []string          `json:"architectures"`
	Handler        string            `json:"handler"`
	MemorySize     int               `json:"memory_size"`
	Timeout        int               `json:"timeout"`
	Reserved       int               `json:"reserved_concurrent_executions,omitempty"`
	Filename       string            `json:"filename"`
	SourceCodeHash string            `json:"source_code_hash"`
	VPCConfig      lambdaVPCConfig   `json:"vpc_config"`
	Environment    lambdaEnvironment `json:"environment"`
	DependsOn      []string          `json:"depends_on,omitempty"`
}

type logGroup struct {
	Name            string `json:"name"`
	RetentionInDays int    `json:"retention_in_days"`
}

type lambdaVPCConfig struct {
	SubnetIDs        []string `json:"subnet_ids"`
	SecurityGroupIDs []string `json:"security_group_ids"`
}

type lambdaEnvironment struct {
	Variables map[string]string `json:"variables"`
}

type lambdaFunctionURL struct {
	FunctionName      string `json:"function_name"`
	AuthorizationType string `json:"authorization_type"`
}
