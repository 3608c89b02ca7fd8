package constructs

import (
	"sort"
	"strconv"
)

// Fixed parts of the design. They are not configuration: changing one is a
// change of architecture, reviewed as such.
const (
	VPCCIDR          = "10.20.0.0/16"
	ServerPort       = 8080
	ListenerPort     = 80
	HealthPath       = "/healthz"
	RootVolumeGiB    = 8
	FunctionRuntime  = "provided.al2023"
	FunctionArch     = "arm64"
	FunctionHandler  = "bootstrap"
	FunctionURLAuth  = "AWS_IAM"
	ServerBinaryPath = "/opt/twinstack/twinstack"
	ServiceName      = "twinstack-server"
	ImagesPrefix     = "images/"

	// ListIndex is the images table's GSI that lists images newest first:
	// every image item carries ListPartition = ListPartitionValue and a
	// sortable ListSort (RFC 3339 UTC creation time).
	ListIndex          = "by-created"
	ListPartition      = "entity"
	ListPartitionValue = "image"
	ListSort           = "created_at"

	// IngestSlots is each server's limit on concurrent ingests
	// (MAX_CONCURRENT_INGESTS): a request beyond it gets 429 at once.
	IngestSlots = 8
	// MetadataHopLimit keeps IMDSv2 tokens on the instance.
	MetadataHopLimit = 1
	// AbortIncompleteMultipartDays is when the bucket aborts an upload
	// that never completed.
	AbortIncompleteMultipartDays = 1

	// HealthCheckGraceSec is how long a new server may fail the load
	// balancer's health check before the group replaces it: boot, the
	// retried download (up to 105 s) and the server's start.
	HealthCheckGraceSec = 300
	// LaunchHookTimeoutSec is how long a launching instance may take to
	// report its server ready before the group abandons it.
	LaunchHookTimeoutSec = 600
	// ScalingMetric is the target-tracking metric: requests per minute
	// per registered target.
	ScalingMetric = "ALBRequestCountPerTarget"
	// ScalingPolicyType is the Auto Scaling policy type of TargetTracking.
	ScalingPolicyType = "TargetTrackingScaling"
	// RollingPauseSec is how long a rolling update waits after each new
	// instance before the next step (the launch hook has already held the
	// instance until its server was ready; this lets it warm up).
	RollingPauseSec = 60
)

// IDs of the image bucket's lifecycle rules.
const (
	RuleAbortMultipart   = "abort-incomplete-multipart-uploads"
	RuleExpireNoncurrent = "expire-noncurrent-versions"
)

// Paths of the artifacts, relative to the project root.
const (
	LambdaZipPath = "build/lambda.zip"
)

// ServerBinaryFile is where the server binary for arch is built, relative to
// the project root ("build/server-linux-amd64").
func ServerBinaryFile(arch string) string {
	goarch := "amd64"
	if arch == "arm64" {
		goarch = "arm64"
	}
	return "build/server-linux-" + goarch
}

// AMIParameter is the public SSM parameter with the latest Amazon Linux 2023
// AMI for arch.
func AMIParameter(arch string) string {
	return "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-" + arch
}

// FunctionLogGroupName is the log group Lambda writes a function's logs to.
func FunctionLogGroupName(function string) string { return "/aws/lambda/" + function }

// ManagedPolicyARN is the ARN of an AWS managed policy in the aws partition.
// Renderers may express the partition as a token.
func ManagedPolicyARN(name string) string { return "arn:aws:iam::aws:policy/" + name }

// IDs of the security groups.
const (
	lambdaSG = ID("LambdaSecurityGroup")
	albSG    = ID("LoadBalancerSecurityGroup")
	serverSG = ID("ServerSecurityGroup")
)

// New validates cfg and builds the system it describes.
func New(cfg Config) (*System, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	arch, _ := Architecture(cfg.InstanceType)
	removal := Retain
	if cfg.DestroyData {
		removal = Destroy
	}
	s := &System{Prefix: cfg.Prefix, Region: cfg.Region, Handover: handover(cfg)}
	s.Bucket = imageBucket(cfg, removal)
	s.ImagesTable, s.AlbumsTable = tables(cfg.Prefix, removal)
	s.Network = network()
	s.Groups = securityGroups(cfg.Prefix, cfg.AdminCIDR)
	s.ServerBinary = Artifact{ID: "ServerBinary", Path: ServerBinaryFile(arch)}
	s.FunctionCode = Artifact{ID: "FunctionCode", Path: LambdaZipPath}
	s.Roles = roles(s, cfg.SSMAccess)
	s.LoadBalancer = loadBalancer(cfg.Prefix, s.Network.SubnetIDs())
	s.Servers = serverGroup(cfg, arch, s.Network.SubnetIDs(), s.LoadBalancer)
	// The Lambda always calls the load balancer: instances come and go,
	// its name stays.
	serverURL := RefTo(s.LoadBalancer.ID, AttrDNSName).Wrap("http://", "")
	s.Function = function(cfg, s.Network.SubnetIDs(), s.FunctionCode.ID, serverURL)
	s.ServerService = serverService(s, cfg)
	s.Outputs = outputs(s)
	if _, err := s.ArtifactStore(); err != nil {
		return nil, err
	}
	return s, nil
}

// SubnetIDs lists the subnets' IDs in order.
func (n Network) SubnetIDs() []ID {
	ids := make([]ID, 0, len(n.Subnets))
	for _, sn := range n.Subnets {
		ids = append(ids, sn.ID)
	}
	return ids
}

// imageBucket is the image bucket: versioned, private, encrypted, TLS only,
// with its lifecycle rules.
func imageBucket(cfg Config, removal Removal) Bucket {
	b := Bucket{
		ID:                "ImagesBucket",
		Name:              imageBucketName(cfg.Prefix, cfg.Region),
		Versioned:         true,
		BlockPublicAccess: true,
		Encryption:        "AES256",
		DenyInsecure:      true,
		Removal:           removal,
	}
	b.Policy = []Statement{denyInsecureTransport(b.ID)}
	b.Lifecycle = []LifecycleRule{
		{ID: RuleAbortMultipart, AbortIncompleteMultipartDays: AbortIncompleteMultipartDays},
		{ID: RuleExpireNoncurrent, NoncurrentExpirationDays: cfg.NoncurrentVersionDays},
	}
	return b
}

// tables are the images table (with its listing index, PITR and TTL) and
// the albums table.
func tables(p string, removal Removal) (images, albums Table) {
	images = Table{
		ID:                  "ImagesTable",
		Name:                p + "-images",
		Partition:           Key{"image_id", String},
		BillingMode:         "PAY_PER_REQUEST",
		PointInTimeRecovery: true,
		Indexes: []Index{{
			Name:       ListIndex,
			Partition:  Key{ListPartition, String},
			Sort:       &Key{ListSort, String},
			Projection: "ALL",
		}},
		Removal:            removal,
		DeletionProtection: removal == Retain,
	}
	albums = Table{
		ID:          "AlbumsTable",
		Name:        p + "-albums",
		Partition:   Key{"id", String},
		BillingMode: "PAY_PER_REQUEST",
		// PITR is a property of the images table in the design; the albums
		// table holds demo state that is re-seeded at start.
		Removal:            removal,
		DeletionProtection: removal == Retain,
	}
	return images, albums
}

// network is the VPC with two public subnets in two zones.
func network() Network {
	return Network{
		VPC:      VPC{ID: "Vpc", CIDR: VPCCIDR, DNSSupport: true, DNSHostnames: true},
		Gateway:  "InternetGateway",
		Internet: "0.0.0.0/0",
		Subnets: []Subnet{
			{ID: "PublicSubnet1", CIDR: "10.20.0.0/24", AZ: 0, Public: true, RouteTable: "PublicSubnet1RouteTable"},
			{ID: "PublicSubnet2", CIDR: "10.20.1.0/24", AZ: 1, Public: true, RouteTable: "PublicSubnet2RouteTable"},
		},
	}
}

// securityGroups are the Lambda's, the load balancer's and the servers'
// groups, in Walk order: each allows only the next hop.
func securityGroups(p string, adminCIDR string) []SecurityGroup {
	lambdaGroup := SecurityGroup{
		ID: lambdaSG, Name: lambdaGroupName(p), Description: "twinstack Lambda: calls the load balancer only",
		Egress: []Rule{{Description: "load balancer listener", Protocol: TCP, FromPort: ListenerPort, ToPort: ListenerPort, Peer: albSG}},
	}
	serverGroup := SecurityGroup{
		ID: serverSG, Name: serverGroupName(p), Description: "twinstack servers: 8080 from the load balancer only",
		Ingress: []Rule{{Description: "server port from the load balancer", Protocol: TCP, FromPort: ServerPort, ToPort: ServerPort, Peer: albSG}},
		// The servers download images from the internet and call S3,
		// DynamoDB and Auto Scaling through their public endpoints.
		Egress: []Rule{{Description: "all outbound", Protocol: All, CIDR: "0.0.0.0/0"}},
	}
	if adminCIDR != "" {
		serverGroup.Ingress = append(serverGroup.Ingress, Rule{Description: "SSH from the admin network", Protocol: TCP, FromPort: 22, ToPort: 22, CIDR: adminCIDR})
	}
	albGroup := SecurityGroup{
		ID: albSG, Name: albGroupName(p), Description: "twinstack load balancer: 80 from the Lambda only",
		Ingress: []Rule{{Description: "listener from the Lambda", Protocol: TCP, FromPort: ListenerPort, ToPort: ListenerPort, Peer: lambdaSG}},
		Egress:  []Rule{{Description: "server port", Protocol: TCP, FromPort: ServerPort, ToPort: ServerPort, Peer: serverSG}},
	}
	return []SecurityGroup{lambdaGroup, albGroup, serverGroup}
}

// roles are the servers' role (data access, the server binary) and the
// Lambda's (managed policies only).
func roles(s *System, ssmAccess bool) []Role {
	serverBinary := s.ServerBinary.ID
	p := s.Prefix
	return []Role{
		{
			ID:              "ServerRole",
			Name:            iamName(p, "server", s.Region),
			Service:         "ec2.amazonaws.com",
			PolicyName:      "server-data-access",
			Statements:      serverStatements(s, ssmAccess),
			ReadsArtifact:   &serverBinary,
			InstanceProfile: "ServerInstanceProfile",
			ProfileName:     iamName(p, "server", s.Region),
		},
		{
			ID:      "FunctionRole",
			Name:    iamName(p, "lambda", s.Region),
			Service: "lambda.amazonaws.com",
			ManagedPolicies: []string{
				"service-role/AWSLambdaBasicExecutionRole",
				"service-role/AWSLambdaVPCAccessExecutionRole",
			},
		},
	}
}

// serverGroup is the Auto Scaling group of servers, spread over the
// subnets, registered with the load balancer's target group.
func serverGroup(cfg Config, arch string, subnets []ID, lb LoadBalancer) ServerGroup {
	name := serverGroupNameASG(cfg.Prefix)
	return ServerGroup{
		ID: "ServerGroup", Name: name, NameTag: cfg.Prefix + "-server",
		Template: LaunchTemplate{
			ID:               "ServerLaunchTemplate",
			Name:             launchTemplateName(cfg.Prefix),
			Type:             cfg.InstanceType,
			Architecture:     arch,
			AMIParameter:     AMIParameter(arch),
			Group:            serverSG,
			Role:             "ServerRole",
			RequireIMDSv2:    true,
			MetadataHopLimit: MetadataHopLimit,
			RootVolume:       Volume{SizeGiB: RootVolumeGiB, Type: "gp3", Encrypted: true, Device: "/dev/xvda"},
			CPUCredits:       CPUCredits(cfg.InstanceType),
		},
		Min: cfg.MinInstances, Desired: cfg.InstanceCount, Max: cfg.MaxInstances,
		Subnets:             subnets,
		TargetGroup:         lb.TargetGroup,
		HealthCheckType:     "ELB",
		HealthCheckGraceSec: HealthCheckGraceSec,
		LaunchHook: LifecycleHook{
			Name:          launchHookName(cfg.Prefix),
			Transition:    "autoscaling:EC2_INSTANCE_LAUNCHING",
			DefaultResult: "ABANDON",
			HeartbeatSec:  LaunchHookTimeoutSec,
		},
		Scaling: TargetTracking{
			Name: scalingPolicyName(cfg.Prefix), Metric: ScalingMetric, TargetValue: cfg.ScaleRequestsPerInstance,
			LoadBalancer: lb.ID, TargetGroup: lb.TargetGroup,
		},
		// One at a time, every desired instance kept in service: a new
		// one is launched (and ready) before an old one stops.
		Rolling: RollingUpdate{
			MaxBatch: 1, MinInService: cfg.InstanceCount, PauseSec: RollingPauseSec,
			MinHealthyPercent: 100, MaxHealthyPercent: 100 + (100+cfg.InstanceCount-1)/cfg.InstanceCount,
		},
	}
}

// loadBalancer is the internal ALB in front of the server group.
func loadBalancer(p string, subnets []ID) LoadBalancer {
	return LoadBalancer{
		ID: "LoadBalancer", Name: loadBalancerName(p), Internal: true, Subnets: subnets, Group: albSG,
		Listener: "LoadBalancerListener", ListenerPort: ListenerPort,
		TargetGroup: "ServerTargetGroup", TargetName: p + "-tg", TargetPort: ServerPort, HealthPath: HealthPath,
		Health: HealthCheck{HealthyThreshold: 3, UnhealthyThreshold: 3, IntervalSec: 15, TimeoutSec: 5, Matcher: "200"},
	}
}

// function is the ingest Lambda running code, calling the server at
// serverURL.
func function(cfg Config, subnets []ID, code ID, serverURL Value) Function {
	name := cfg.Prefix + "-ingest"
	return Function{
		ID: "Function", Name: name,
		Runtime: FunctionRuntime, Architecture: FunctionArch, Handler: FunctionHandler,
		MemoryMB: cfg.LambdaMemoryMB, TimeoutSec: cfg.LambdaTimeoutSec,
		ReservedConcurrency: cfg.LambdaReservedConcurrency,
		Role:                "FunctionRole", Group: lambdaSG, Subnets: subnets, Code: code,
		Environment: []EnvVar{{Name: "SERVER_URL", Value: serverURL}},
		URL:         "FunctionUrl", URLAuth: FunctionURLAuth,
		Logs: LogGroup{ID: "FunctionLogGroup", Name: FunctionLogGroupName(name), RetentionDays: cfg.LambdaLogRetentionDays},
	}
}

// serverService is the systemd service user data installs, with the
// server's settings.
func serverService(s *System, cfg Config) Service {
	return Service{
		Name:       ServiceName,
		BinaryPath: ServerBinaryPath,
		Environment: sortedEnv([]EnvVar{
			{Name: "PORT", Value: Lit(strconv.Itoa(ServerPort))},
			{Name: "IMAGES_BUCKET", Value: RefTo(s.Bucket.ID, AttrName)},
			{Name: "IMAGES_TABLE", Value: RefTo(s.ImagesTable.ID, AttrName)},
			{Name: "ALBUMS_TABLE", Value: RefTo(s.AlbumsTable.ID, AttrName)},
			{Name: "AWS_REGION", Value: Lit(cfg.Region)},
			{Name: "ALLOWED_ORIGIN_PORTS", Value: Lit(cfg.AllowedOriginPorts)},
			{Name: "MAX_CONCURRENT_INGESTS", Value: Lit(strconv.Itoa(IngestSlots))},
		}),
	}
}

// outputs are the stack outputs, named by the Output* constants.
func outputs(s *System) []Output {
	out := []Output{
		{Name: OutputBucketName, Description: "image bucket", Value: RefTo(s.Bucket.ID, AttrName)},
		{Name: OutputImagesTableName, Description: "image metadata table", Value: RefTo(s.ImagesTable.ID, AttrName)},
		{Name: OutputAlbumsTableName, Description: "albums table", Value: RefTo(s.AlbumsTable.ID, AttrName)},
		{Name: OutputServerGroupName, Description: "Auto Scaling group of the servers", Value: RefTo(s.Servers.ID, AttrName)},
		{Name: OutputLoadBalancerDNSName, Description: "internal load balancer DNS name", Value: RefTo(s.LoadBalancer.ID, AttrDNSName)},
	}
	return append(out,
		Output{Name: OutputFunctionName, Description: "Lambda function name", Value: RefTo(s.Function.ID, AttrName)},
		Output{Name: OutputFunctionURL, Description: "Lambda function URL (AWS_IAM auth)", Value: RefTo(s.Function.URL, AttrURL)},
	)
}

func sortedEnv(env []EnvVar) []EnvVar {
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	return env
}
