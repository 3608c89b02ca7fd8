package constructs

import (
	"fmt"
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

	// TTLAttribute is the images table's TTL attribute (Number, epoch
	// seconds): idempotency records carry it and expire.
	TTLAttribute = "expires_at"
	// IngestSlots is each server's limit on concurrent ingests
	// (MAX_CONCURRENT_INGESTS): a request beyond it gets 429 at once.
	IngestSlots = 8
	// MetadataHopLimit keeps IMDSv2 tokens on the instance.
	MetadataHopLimit = 1
	// AbortIncompleteMultipartDays is when the bucket aborts an upload
	// that never completed.
	AbortIncompleteMultipartDays = 1
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

// ManagedPolicyARN is the ARN of an AWS managed policy in the aws partition.
// Renderers may express the partition as a token.
func ManagedPolicyARN(name string) string { return "arn:aws:iam::aws:policy/" + name }

// New validates cfg and builds the system it describes.
func New(cfg Config) (*System, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	arch, _ := Architecture(cfg.InstanceType)
	p := cfg.Prefix
	removal := Retain
	if cfg.DestroyData {
		removal = Destroy
	}
	s := &System{Prefix: p, Region: cfg.Region}

	s.Bucket = Bucket{
		ID:                "ImagesBucket",
		Name:              fmt.Sprintf("%s-images-%s-%s", p, AccountToken, cfg.Region),
		Versioned:         true,
		BlockPublicAccess: true,
		Encryption:        "AES256",
		DenyInsecure:      true,
		Removal:           removal,
	}
	s.Bucket.Policy = []Statement{denyInsecureTransport(s.Bucket.ID)}
	s.Bucket.Lifecycle = []LifecycleRule{
		{ID: RuleAbortMultipart, AbortIncompleteMultipartDays: AbortIncompleteMultipartDays},
		{ID: RuleExpireNoncurrent, NoncurrentExpirationDays: cfg.NoncurrentVersionDays},
	}

	s.ImagesTable = Table{
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
		TTLAttribute:       TTLAttribute,
	}
	s.AlbumsTable = Table{
		ID:          "AlbumsTable",
		Name:        p + "-albums",
		Partition:   Key{"id", String},
		BillingMode: "PAY_PER_REQUEST",
		// PITR is a property of the images table in the design; the albums
		// table holds demo state that is re-seeded at start.
		Removal:            removal,
		DeletionProtection: removal == Retain,
	}

	s.Network = Network{
		VPC:      VPC{ID: "Vpc", CIDR: VPCCIDR, DNSSupport: true, DNSHostnames: true},
		Gateway:  "InternetGateway",
		Internet: "0.0.0.0/0",
		Subnets: []Subnet{
			{ID: "PublicSubnet1", CIDR: "10.20.0.0/24", AZ: 0, Public: true, RouteTable: "PublicSubnet1RouteTable"},
			{ID: "PublicSubnet2", CIDR: "10.20.1.0/24", AZ: 1, Public: true, RouteTable: "PublicSubnet2RouteTable"},
		},
	}
	subnetIDs := []ID{"PublicSubnet1", "PublicSubnet2"}

	multi := cfg.InstanceCount >= 2
	const (
		lambdaSG = ID("LambdaSecurityGroup")
		albSG    = ID("LoadBalancerSecurityGroup")
		serverSG = ID("ServerSecurityGroup")
	)
	lambdaGroup := SecurityGroup{ID: lambdaSG, Name: p + "-lambda", Description: "twinstack Lambda: calls the server only"}
	serverGroup := SecurityGroup{
		ID: serverSG, Name: p + "-server", Description: "twinstack servers: 8080 from the Lambda and the load balancer only",
		Ingress: []Rule{{Description: "server port from the Lambda", Protocol: TCP, FromPort: ServerPort, ToPort: ServerPort, Peer: lambdaSG}},
		// The servers download images from the internet and call S3 and
		// DynamoDB through their public endpoints.
		Egress: []Rule{{Description: "all outbound", Protocol: All, CIDR: "0.0.0.0/0"}},
	}
	if multi {
		lambdaGroup.Egress = []Rule{{Description: "load balancer listener", Protocol: TCP, FromPort: ListenerPort, ToPort: ListenerPort, Peer: albSG}}
		serverGroup.Ingress = append(serverGroup.Ingress, Rule{Description: "server port from the load balancer", Protocol: TCP, FromPort: ServerPort, ToPort: ServerPort, Peer: albSG})
	} else {
		lambdaGroup.Egress = []Rule{{Description: "server port", Protocol: TCP, FromPort: ServerPort, ToPort: ServerPort, Peer: serverSG}}
	}
	if cfg.AdminCIDR != "" {
		serverGroup.Ingress = append(serverGroup.Ingress, Rule{Description: "SSH from the admin network", Protocol: TCP, FromPort: 22, ToPort: 22, CIDR: cfg.AdminCIDR})
	}
	s.Groups = append(s.Groups, lambdaGroup)
	if multi {
		s.Groups = append(s.Groups, SecurityGroup{
			ID: albSG, Name: p + "-alb", Description: "twinstack load balancer: 80 from the Lambda only",
			Ingress: []Rule{{Description: "listener from the Lambda", Protocol: TCP, FromPort: ListenerPort, ToPort: ListenerPort, Peer: lambdaSG}},
			Egress:  []Rule{{Description: "server port", Protocol: TCP, FromPort: ServerPort, ToPort: ServerPort, Peer: serverSG}},
		})
	}
	s.Groups = append(s.Groups, serverGroup)

	s.ServerBinary = Artifact{ID: "ServerBinary", Path: ServerBinaryFile(arch)}
	s.FunctionCode = Artifact{ID: "FunctionCode", Path: LambdaZipPath}

	serverBinary := s.ServerBinary.ID
	s.Roles = []Role{
		{
			ID:              "ServerRole",
			Name:            p + "-server",
			Service:         "ec2.amazonaws.com",
			PolicyName:      "server-data-access",
			Statements:      serverStatements(s, cfg.SSMAccess),
			ReadsArtifact:   &serverBinary,
			InstanceProfile: "ServerInstanceProfile",
			ProfileName:     p + "-server",
		},
		{
			ID:      "FunctionRole",
			Name:    p + "-lambda",
			Service: "lambda.amazonaws.com",
			ManagedPolicies: []string{
				"service-role/AWSLambdaBasicExecutionRole",
				"service-role/AWSLambdaVPCAccessExecutionRole",
			},
		},
	}

	for i := 1; i <= cfg.InstanceCount; i++ {
		s.Servers = append(s.Servers, Instance{
			ID:               ID("Server" + strconv.Itoa(i)),
			Name:             fmt.Sprintf("%s-server-%d", p, i),
			Index:            i,
			Type:             cfg.InstanceType,
			Architecture:     arch,
			AMIParameter:     AMIParameter(arch),
			Subnet:           subnetIDs[(i-1)%len(subnetIDs)],
			Group:            serverSG,
			Role:             "ServerRole",
			RequireIMDSv2:    true,
			MetadataHopLimit: MetadataHopLimit,
			RootVolume:       Volume{SizeGiB: RootVolumeGiB, Type: "gp3", Encrypted: true, Device: "/dev/xvda"},
		})
	}

	var serverURL Value
	if multi {
		lb := &LoadBalancer{
			ID: "LoadBalancer", Name: p + "-alb", Internal: true, Subnets: subnetIDs, Group: albSG,
			Listener: "LoadBalancerListener", ListenerPort: ListenerPort,
			TargetGroup: "ServerTargetGroup", TargetName: p + "-tg", TargetPort: ServerPort, HealthPath: HealthPath,
			Health: HealthCheck{HealthyThreshold: 3, UnhealthyThreshold: 3, IntervalSec: 15, TimeoutSec: 5, Matcher: "200"},
		}
		for _, in := range s.Servers {
			lb.Targets = append(lb.Targets, in.ID)
		}
		s.LoadBalancer = lb
		serverURL = RefTo(lb.ID, AttrDNSName).Wrap("http://", "")
	} else {
		serverURL = RefTo(s.Servers[0].ID, AttrPrivateIP).Wrap("http://", ":"+strconv.Itoa(ServerPort))
	}

	s.Function = Function{
		ID: "Function", Name: p + "-ingest",
		Runtime: FunctionRuntime, Architecture: FunctionArch, Handler: FunctionHandler,
		MemoryMB: cfg.LambdaMemoryMB, TimeoutSec: cfg.LambdaTimeoutSec,
		ReservedConcurrency: cfg.LambdaReservedConcurrency,
		Role:                "FunctionRole", Group: lambdaSG, Subnets: subnetIDs, Code: s.FunctionCode.ID,
		Environment: []EnvVar{{Name: "SERVER_URL", Value: serverURL}},
		URL:         "FunctionUrl", URLAuth: FunctionURLAuth,
	}

	s.ServerService = Service{
		Name:       ServiceName,
		BinaryPath: ServerBinaryPath,
		Environment: sortedEnv([]EnvVar{
			{Name: "PORT", Value: Lit(strconv.Itoa(ServerPort))},
			{Name: "IMAGES_BUCKET", Value: RefTo(s.Bucket.ID, AttrName)},
			{Name: "IMAGES_TABLE", Value: RefTo(s.ImagesTable.ID, AttrName)},
			{Name: "ALBUMS_TABLE", Value: RefTo(s.AlbumsTable.ID, AttrName)},
			{Name: "AWS_REGION", Value: Lit(cfg.Region)},
			{Name: "ALLOWED_ORIGIN_PORTS", Value: Lit(cfg.AllowedOriginPorts)},
			{Name: "IDEMPOTENCY_TTL", Value: Lit(strconv.Itoa(cfg.IdempotencyTTLHours) + "h")},
			{Name: "TTL_ATTRIBUTE", Value: Lit(TTLAttribute)},
			{Name: "MAX_CONCURRENT_INGESTS", Value: Lit(strconv.Itoa(IngestSlots))},
		}),
	}

	s.Outputs = []Output{
		{Name: OutputBucketName, Description: "image bucket", Value: RefTo(s.Bucket.ID, AttrName)},
		{Name: OutputImagesTableName, Description: "image metadata table", Value: RefTo(s.ImagesTable.ID, AttrName)},
		{Name: OutputAlbumsTableName, Description: "albums table", Value: RefTo(s.AlbumsTable.ID, AttrName)},
		{Name: OutputServerPrivateIPs, Description: "private IPv4 addresses of the servers, comma-separated", Values: privateIPs(s.Servers), Join: ","},
	}
	if s.LoadBalancer != nil {
		s.Outputs = append(s.Outputs, Output{Name: OutputLoadBalancerDNSName, Description: "internal load balancer DNS name", Value: RefTo(s.LoadBalancer.ID, AttrDNSName)})
	}
	s.Outputs = append(s.Outputs,
		Output{Name: OutputFunctionName, Description: "Lambda function name", Value: RefTo(s.Function.ID, AttrName)},
		Output{Name: OutputFunctionURL, Description: "Lambda function URL (AWS_IAM auth)", Value: RefTo(s.Function.URL, AttrURL)},
	)
	if _, err := s.ArtifactStore(); err != nil {
		return nil, err
	}
	return s, nil
}

func privateIPs(servers []Instance) []Value {
	var vs []Value
	for _, in := range servers {
		vs = append(vs, RefTo(in.ID, AttrPrivateIP))
	}
	return vs
}

func sortedEnv(env []EnvVar) []EnvVar {
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	return env
}
