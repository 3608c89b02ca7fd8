package constructs

import "strconv"

// ID identifies a node of the model. It is stable and becomes the resource's
// logical ID (CloudFormation) or resource name (Terraform).
type ID string

// Attr names an attribute of a node that other nodes refer to. Renderers map
// each to their own token (Fn::GetAtt / ${type.name.attr}).
type Attr string

const (
	AttrID        Attr = "id"         // security group id, subnet id, VPC id, instance id
	AttrARN       Attr = "arn"        // bucket, table, role, function ARN
	AttrName      Attr = "name"       // bucket name, table name, function name
	AttrPrivateIP Attr = "private_ip" // instance private IPv4 address
	AttrDNSName   Attr = "dns_name"   // load balancer DNS name
	AttrURL       Attr = "url"        // function URL
	// AttrFullName is the part of a load balancer's or target group's ARN
	// after "loadbalancer/" or ":" ("app/<name>/<id>",
	// "targetgroup/<name>/<id>"): Terraform's arn_suffix,
	// CloudFormation's LoadBalancerFullName / TargetGroupFullName. The
	// scaling policy's resource label joins the two.
	AttrFullName Attr = "full_name"
)

// Ref points at an attribute of another node.
type Ref struct {
	To   ID
	Attr Attr
}

// Value is either a literal string or a reference, optionally with a literal
// prefix and suffix around the reference ("http://" + dns + ":80").
type Value struct {
	Literal string
	Ref     *Ref
	Prefix  string
	Suffix  string
}

// Lit is a literal Value.
func Lit(s string) Value { return Value{Literal: s} }

// RefTo is a Value that refers to attr of node id.
func RefTo(id ID, attr Attr) Value { return Value{Ref: &Ref{To: id, Attr: attr}} }

// Wrap surrounds a reference Value with literal text.
func (v Value) Wrap(prefix, suffix string) Value {
	v.Prefix, v.Suffix = prefix, suffix
	return v
}

// Removal says what happens to a stateful resource when its stack is
// destroyed.
type Removal string

const (
	Retain  Removal = "retain"  // keep the data (default)
	Destroy Removal = "destroy" // empty and delete (opt-in)
)

// System is the whole architecture. Build it with New.
type System struct {
	Prefix string // name prefix, valid in bucket names
	Region string

	Bucket        Bucket
	ImagesTable   Table
	AlbumsTable   Table
	Network       Network
	Groups        []SecurityGroup // lambda, [alb], server: in Walk order
	Roles         []Role          // server, lambda
	Servers       ServerGroup
	LoadBalancer  LoadBalancer // always: the group's instances come and go
	Function      Function
	ServerBinary  Artifact // the server, built for the instances' architecture
	FunctionCode  Artifact // the Lambda zip
	Outputs       []Output
	ServerService Service // the systemd service user data installs
	// Handover says whether this deploy releases or adopts the Retained
	// resources (release_data, adopt_data).
	Handover Handover
}

// Bucket is the image bucket.
type Bucket struct {
	ID ID
	// Name may contain AccountToken, which renderers replace by the
	// deploying account's id (bucket names are global).
	Name              string
	Versioned         bool
	BlockPublicAccess bool   // all four public-access blocks
	Encryption        string // "AES256" (SSE-S3)
	DenyInsecure      bool   // bucket policy denying non-TLS access
	Removal           Removal
	Policy            []Statement // the bucket policy (DenyInsecure)
	// Lifecycle lists the bucket's lifecycle rules, each for the whole
	// bucket, enabled.
	Lifecycle []LifecycleRule
}

// LifecycleRule is one enabled bucket lifecycle rule over every object.
// A zero number of days leaves that action out.
type LifecycleRule struct {
	ID string
	// AbortIncompleteMultipartDays aborts multipart uploads still
	// incomplete this many days after they started (their parts are
	// billed but invisible).
	AbortIncompleteMultipartDays int
	// NoncurrentExpirationDays deletes a version this many days after a
	// newer version or a delete marker replaced it.
	NoncurrentExpirationDays int
}

// AccountToken stands for the AWS account id in names.
const AccountToken = "{account}"

// KeyType is a DynamoDB attribute type.
type KeyType string

const (
	String KeyType = "S"
	Number KeyType = "N"
)

// Key is a DynamoDB key attribute.
type Key struct {
	Name string
	Type KeyType
}

// Index is a global secondary index projecting all attributes.
type Index struct {
	Name       string
	Partition  Key
	Sort       *Key
	Projection string // "ALL"
}

// Table is a DynamoDB table.
type Table struct {
	ID                  ID
	Name                string
	Partition           Key
	Sort                *Key
	BillingMode         string // "PAY_PER_REQUEST"
	PointInTimeRecovery bool
	Indexes             []Index
	Removal             Removal
	// DeletionProtection refuses DeleteTable through any API while on; it
	// is on exactly when the data is retained.
	DeletionProtection bool
}

// Network is the VPC with its public subnets, internet gateway and routes.
type Network struct {
	VPC      VPC
	Gateway  ID
	Subnets  []Subnet
	Internet string // destination of the default route, "0.0.0.0/0"
}

// VPC is the virtual network.
type VPC struct {
	ID   ID
	CIDR string
	// DNSSupport and DNSHostnames turn on the Amazon DNS server and
	// public DNS hostnames for instances (both AWS CDK defaults).
	DNSSupport   bool
	DNSHostnames bool
}

// ZoneOptIn is the opt-in status of the zones a subnet may use: the
// region's own Availability Zones, which need no opt-in. A Local Zone or
// Wavelength Zone the account opted into is listed by
// DescribeAvailabilityZones too, and its name ("us-west-2-lax-1a") sorts
// before "us-west-2a", so without this filter Terraform's zone 0 could be
// one (CloudFormation's Fn::GetAZs lists only the region's AZs).
const ZoneOptIn = "opt-in-not-required"

// Subnet is a public subnet in the AZ at index AZ of the region's zones
// (those of ZoneOptIn). Each has its own route table (as AWS CDK builds them) with a default route to
// the internet gateway.
type Subnet struct {
	ID         ID
	CIDR       string
	AZ         int
	Public     bool // instances get public IPv4 addresses
	RouteTable ID
}

// Protocol of a security-group rule.
const (
	TCP = "tcp"
	All = "-1"
)

// Rule is one security-group rule. Exactly one of Peer and CIDR is set.
type Rule struct {
	Description string
	Protocol    string // TCP or All
	FromPort    int
	ToPort      int
	Peer        ID     // another security group
	CIDR        string // an IPv4 CIDR
}

// SecurityGroup is a group with all its rules. Egress lists every allowed
// outbound rule: an empty list means no outbound traffic at all.
type SecurityGroup struct {
	ID          ID
	Name        string
	Description string
	Ingress     []Rule
	Egress      []Rule
}

// Statement is one IAM policy statement. Resources are ARNs, given as values
// (an attribute of a node plus a literal suffix such as "/images/*").
type Statement struct {
	Sid       string
	Effect    string // "Allow" or "Deny"
	Principal string // for resource policies: "*"; empty in identity policies
	Actions   []string
	Resources []Value
	// Condition is operator -> key -> value, e.g. Bool/aws:SecureTransport/false.
	Condition map[string]map[string]string
}

// Role is an IAM role with its trust, managed policies and one inline policy.
type Role struct {
	ID              ID
	Name            string
	Service         string   // trusted service principal, "ec2.amazonaws.com"
	ManagedPolicies []string // AWS managed policy names, e.g. "AmazonSSMManagedInstanceCore"
	PolicyName      string
	Statements      []Statement
	ReadsArtifact   *ID // read access to where the renderer stores this artifact
	InstanceProfile ID  // non-empty for EC2 roles
	ProfileName     string
}

// ServerGroup is the Auto Scaling group that runs the servers behind the
// load balancer: it replaces an instance that fails its install or the
// load balancer's health check, follows the scaling policy between Min and
// Max, and rolls a new launch template (a new binary, a new image) out one
// instance at a time.
type ServerGroup struct {
	ID   ID
	Name string // <prefix>-servers; user data names it to complete the launch hook
	// NameTag is the Name tag every instance gets at launch.
	NameTag  string
	Template LaunchTemplate
	// Min <= Desired <= Max instances; Max > Desired leaves room for a
	// rolling update to launch before it terminates.
	Min, Desired, Max int
	Subnets           []ID // spread over these, one AZ each
	TargetGroup       ID   // instances register here
	// HealthCheckType "ELB": an instance the target group reports
	// unhealthy is replaced, not only one EC2 reports impaired.
	HealthCheckType string
	// HealthCheckGraceSec is how long after InService the group ignores
	// a failing health check (the server's first start).
	HealthCheckGraceSec int
	LaunchHook          LifecycleHook
	Scaling             TargetTracking
	Rolling             RollingUpdate
}

// LifecycleHook holds a launching instance in Pending:Wait until user data
// completes the action: CONTINUE once the server answers its readiness
// probe, ABANDON when the install fails. An instance that never answers is
// abandoned when HeartbeatSec runs out (DefaultResult), and the group
// launches another. It is the "signal" of both toolchains: CloudFormation's
// rolling update and Terraform's instance refresh see the new instance
// InService only when its server is ready.
type LifecycleHook struct {
	Name          string
	Transition    string // autoscaling:EC2_INSTANCE_LAUNCHING
	DefaultResult string // ABANDON
	HeartbeatSec  int
}

// TargetTracking is the group's scaling policy: keep the load balancer's
// requests per target (ALBRequestCountPerTarget, requests per minute) near
// TargetValue. Its resource label joins the load balancer's and the target
// group's full names (AttrFullName).
type TargetTracking struct {
	// Name is the policy's name where the toolchain can set it
	// (Terraform); CloudFormation's AWS::AutoScaling::ScalingPolicy has no
	// settable name and generates one, so diff and verify find the policy
	// by its group, not by this name.
	Name         string
	Metric       string // ALBRequestCountPerTarget
	TargetValue  int
	LoadBalancer ID
	TargetGroup  ID
}

// RollingUpdate is how a new launch template version reaches the
// instances: one new instance at a time, launched (and ready: the launch
// hook) before an old one stops, never fewer than the desired capacity in
// service. CloudFormation says it as UpdatePolicy AutoScalingRollingUpdate
// (MaxBatch, MinInService, PauseSec as PauseTime, nothing suspended);
// Terraform as instance_refresh preferences in percent of the desired
// capacity (MinHealthyPercent; MaxHealthyPercent = 100 + one instance's
// share, so one extra at a time; PauseSec as instance_warmup).
type RollingUpdate struct {
	MaxBatch          int
	MinInService      int
	PauseSec          int // wait after each new instance before the next step
	MinHealthyPercent int
	MaxHealthyPercent int
	// SuspendProcesses is empty: the group goes on replacing an unhealthy
	// server during an update, as it does during an instance refresh
	// (AWS CDK's rolling update would suspend six processes, which
	// Terraform cannot say).
	SuspendProcesses []string
}

// PauseTime is PauseSec as an ISO 8601 duration ("PT1M", "PT1M30S"), the
// form of CloudFormation's PauseTime.
func (r RollingUpdate) PauseTime() string {
	m, s := r.PauseSec/60, r.PauseSec%60
	out := "PT"
	if m > 0 {
		out += strconv.Itoa(m) + "M"
	}
	if s > 0 || m == 0 {
		out += strconv.Itoa(s) + "S"
	}
	return out
}

// LaunchTemplate is what every server instance starts from.
type LaunchTemplate struct {
	ID           ID
	Name         string
	Type         string // t3.micro
	Architecture string // x86_64 or arm64
	// AMIParameter is the public SSM parameter holding the latest AMI id.
	AMIParameter  string
	Group         ID
	Role          ID
	RequireIMDSv2 bool
	// MetadataHopLimit is the IMDS PUT response hop limit: 1 keeps the
	// session token from leaving the instance (a container or a forwarded
	// request one hop further gets none).
	MetadataHopLimit int
	RootVolume       Volume
	// CPUCredits is the credit option of a burstable type ("standard":
	// the instance runs at its baseline once its credits are spent, at no
	// extra charge); "" for other types, which have none.
	CPUCredits string
}

// Volume is the root EBS volume.
type Volume struct {
	SizeGiB   int
	Type      string // gp3
	Encrypted bool
	Device    string // /dev/xvda
}

// LoadBalancer is the internal Application Load Balancer.
type LoadBalancer struct {
	ID           ID
	Name         string
	Internal     bool
	Subnets      []ID
	Group        ID
	Listener     ID
	ListenerPort int // 80
	TargetGroup  ID
	TargetName   string
	TargetPort   int    // 8080
	HealthPath   string // /healthz
	Health       HealthCheck
}

// HealthCheck is the target group's health check beyond its path. Every
// value is explicit because the two toolchains' defaults differ (the
// Terraform provider sends 3/3 thresholds, CloudFormation leaves ELB's 5/2).
type HealthCheck struct {
	HealthyThreshold   int
	UnhealthyThreshold int
	IntervalSec        int
	TimeoutSec         int
	Matcher            string // HTTP codes, "200"
}

// Function is the Go Lambda.
type Function struct {
	ID           ID
	Name         string
	Runtime      string // provided.al2023
	Architecture string // arm64
	Handler      string // bootstrap
	MemoryMB     int
	TimeoutSec   int
	// ReservedConcurrency reserves and caps concurrent executions.
	ReservedConcurrency int
	Role                ID
	Group               ID
	Subnets             []ID
	Code                ID // the artifact
	// Environment is sorted by key in Walk order; SERVER_URL is a reference.
	Environment []EnvVar
	URL         ID     // the function URL node
	URLAuth     string // AWS_IAM
	// Logs is the function's log group, created by the stack before the
	// function so that Lambda never creates one without retention.
	Logs LogGroup
}

// LogGroup is a CloudWatch Logs group with a retention.
type LogGroup struct {
	ID            ID
	Name          string // /aws/lambda/<function name>
	RetentionDays int
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string
	Value Value
}

// Artifact is a file built by the project and shipped with the deployment.
type Artifact struct {
	ID   ID
	Path string // relative to the project root, e.g. build/lambda.zip
}

// Service is the systemd service that user data installs on each instance.
type Service struct {
	Name        string // twinstack-server
	BinaryPath  string // /opt/twinstack/twinstack
	Environment []EnvVar
}

// Stack output names. The model decides them (New); both renderers emit
// the outputs under these names, and the local cloud reads them back.
const (
	OutputBucketName          = "BucketName"
	OutputImagesTableName     = "ImagesTableName"
	OutputAlbumsTableName     = "AlbumsTableName"
	OutputServerGroupName     = "ServerGroupName"
	OutputLoadBalancerDNSName = "LoadBalancerDnsName"
	OutputFunctionName        = "FunctionName"
	OutputFunctionURL         = "FunctionUrl"
)

// Output is a stack output; Names are identical in both apps and contain no
// underscores (AWS CDK strips them).
type Output struct {
	Name        string
	Description string
	Value       Value
}
