package entity

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// FromCloudFormation maps a CloudFormation document onto entities.
func FromCloudFormation(doc *inventory.Document) (*Set, error) {
	if doc == nil || doc.Dialect != inventory.CloudFormation {
		return nil, fmt.Errorf("not a CloudFormation document")
	}
	c := &cloudFormation{}
	b := newBuilder(doc, c)
	c.b = b
	c.build(b)
	return b.finish(), nil
}

type cloudFormation struct {
	b     *builder
	store *Entity // the CDK bootstrap bucket, by role
	// storeParams are parameters naming the bucket the deployer uploads
	// artifacts to (a Lambda's Code.S3Bucket): the artifact store by role.
	storeParams map[string]bool
	// autoDelete holds CDK's auto-delete-objects provider resources: they
	// implement a bucket's data-on-destroy and are compared as that.
	autoDelete map[string]bool
}

// The CDK bootstrap assets bucket ("cdk-hnb659fds-assets-ACCOUNT-REGION"),
// with the region as a token or a literal, and the content-hash keys of the
// assets in it (or "<hash>", as golden files normalise them).
var (
	bootstrapARN    = regexp.MustCompile(`arn:\{partition\}:s3:::cdk-[a-z0-9]+-assets-\{account\}-(?:\{region\}|[a-z]{2}(?:-gov)?-[a-z]+-\d)`)
	bootstrapBucket = regexp.MustCompile(`cdk-[a-z0-9]+-assets-\{account\}-(?:\{region\}|[a-z]{2}(?:-gov)?-[a-z]+-\d)`)
	assetKey        = regexp.MustCompile(`^/(?:[0-9a-f]{64}|<hash>)(?:\.(?:[A-Za-z0-9_-]+|<hash>))*`)
)

// objectKey is a hand-written object key after the artifact store's name
// ("/server/server-linux-amd64"), not a wildcard.
var objectKey = regexp.MustCompile(`^/[A-Za-z0-9_.\-][^\s"*]*`)

const autoDeleteMarker = "{cdk-auto-delete-provider}"

func (c *cloudFormation) special(b *builder, res *inventory.Resource, r *inventory.Ref) (Expr, bool) {
	if c.autoDelete[res.Addr] {
		return Text(autoDeleteMarker), true
	}
	if res.Mode != inventory.Parameter {
		return nil, false
	}
	if c.storeParams[res.Addr] {
		st := c.artifactStore()
		st.Sources = []string{res.Addr}
		return RefExpr(ArtifactStore, st.Key, "name"), true
	}
	def, hasDefault := res.Props["Default"]
	if strings.HasPrefix(res.Type, "AWS::SSM::Parameter::Value<") && hasDefault {
		return Text("{ssm:" + literal(def, "?") + "}"), true
	}
	if hasDefault {
		return b.expr(def), true
	}
	return Text(inputName(res.Addr)), true
}

func (c *cloudFormation) attr(res *inventory.Resource, a string) string {
	switch res.Type + "." + a {
	case "AWS::S3::Bucket.", "AWS::DynamoDB::Table.", "AWS::IAM::Role.", "AWS::Lambda::Function.":
		return "name"
	case "AWS::S3::Bucket.Arn", "AWS::DynamoDB::Table.Arn", "AWS::IAM::Role.Arn", "AWS::Lambda::Function.Arn",
		"AWS::ElasticLoadBalancingV2::LoadBalancer.", "AWS::ElasticLoadBalancingV2::LoadBalancer.LoadBalancerArn",
		"AWS::ElasticLoadBalancingV2::TargetGroup.", "AWS::ElasticLoadBalancingV2::TargetGroup.TargetGroupArn",
		"AWS::Lambda::Url.FunctionArn":
		return "arn"
	case "AWS::EC2::VPC.", "AWS::EC2::VPC.VpcId", "AWS::EC2::Subnet.", "AWS::EC2::Subnet.SubnetId",
		"AWS::EC2::SecurityGroup.", "AWS::EC2::SecurityGroup.GroupId", "AWS::EC2::InternetGateway.",
		"AWS::EC2::InternetGateway.InternetGatewayId", "AWS::EC2::Instance.", "AWS::EC2::Instance.InstanceId":
		return "id"
	case "AWS::IAM::InstanceProfile.":
		return "profile-name"
	case "AWS::IAM::InstanceProfile.Arn":
		return "profile-arn"
	case "AWS::EC2::Instance.PrivateIp":
		return "private-ip"
	case "AWS::EC2::Instance.PublicIp":
		return "public-ip"
	case "AWS::EC2::Instance.PrivateDnsName":
		return "private-dns"
	case "AWS::ElasticLoadBalancingV2::LoadBalancer.DNSName":
		return "dns-name"
	case "AWS::ElasticLoadBalancingV2::Listener.", "AWS::ElasticLoadBalancingV2::Listener.ListenerArn":
		return "listener-arn"
	case "AWS::Lambda::Url.FunctionUrl":
		return "url"
	case "AWS::EC2::KeyPair.":
		return "name"
	case "AWS::EC2::RouteTable.", "AWS::EC2::RouteTable.RouteTableId":
		return "route-table-id"
	case "AWS::ApiGatewayV2::Api.", "AWS::ApiGatewayV2::Api.ApiId":
		return "id"
	case "AWS::ApiGatewayV2::Integration.":
		return "id"
	case "AWS::DynamoDB::Table.StreamArn":
		return "stream-arn"
	case "AWS::EC2::LaunchTemplate.", "AWS::EC2::LaunchTemplate.LaunchTemplateId":
		return "id"
	case "AWS::EC2::LaunchTemplate.LatestVersionNumber":
		// Terraform's latest_version.
		return "latest-version"
	case "AWS::EC2::LaunchTemplate.DefaultVersionNumber":
		return "default-version"
	case "AWS::AutoScaling::AutoScalingGroup.":
		return "name"
	case "AWS::ElasticLoadBalancingV2::LoadBalancer.LoadBalancerFullName", "AWS::ElasticLoadBalancingV2::TargetGroup.TargetGroupFullName":
		// Terraform's arn_suffix.
		return "full-name"
	case "AWS::ElasticLoadBalancingV2::LoadBalancer.LoadBalancerName", "AWS::ElasticLoadBalancingV2::TargetGroup.TargetGroupName":
		return "name"
	}
	if a == "" {
		return "ref"
	}
	return kebab(a)
}

func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// post recognises the CDK bootstrap assets bucket by its name and stands
// it, and the content-hash keys of the assets in it, in for the artifact
// storage role.
func (c *cloudFormation) post(e Expr) Expr {
	var out []Expr
	afterStore := false
	for _, p := range e {
		if p.Ref != nil {
			out = append(out, Expr{p})
			afterStore = p.Ref.Kind == ArtifactStore
			continue
		}
		lit := p.Lit
		if afterStore {
			if m := assetKey.FindString(lit); m != "" {
				out = append(out, Text("/{object}"))
				lit = lit[len(m):]
			} else if m := objectKey.FindString(lit); m != "" {
				// A key written by hand in the artifact store.
				out = append(out, Text("/{object}"))
				lit = lit[len(m):]
			}
		}
		afterStore = false
		for lit != "" {
			loc := bootstrapARN.FindStringIndex(lit)
			attr := "arn"
			if loc == nil {
				loc = bootstrapBucket.FindStringIndex(lit)
				attr = "name"
			}
			if loc == nil {
				out = append(out, Text(lit))
				break
			}
			out = append(out, Text(lit[:loc[0]]), RefExpr(ArtifactStore, c.artifactStore().Key, attr))
			lit = lit[loc[1]:]
			if m := assetKey.FindString(lit); m != "" {
				out = append(out, Text("/{object}"))
				lit = lit[len(m):]
			}
		}
	}
	return Join(out...)
}

func (c *cloudFormation) artifactStore() *Entity {
	if c.store == nil {
		c.store = c.b.entity(ArtifactStore, "artifacts", "")
		c.store.Sources = []string{"(CDK bootstrap assets bucket)"}
		c.store.Props["public-access-block"] = ScalarText(storePAB)
		c.store.Props["tls-only"] = ScalarText(storeTLS)
	}
	return c.store
}

func (c *cloudFormation) build(b *builder) {
	byType := map[string][]*inventory.Resource{}
	for _, res := range b.doc.Resources {
		switch res.Mode {
		case inventory.Managed:
			byType[res.Type] = append(byType[res.Type], res)
		case inventory.Parameter:
			if res.Addr == "BootstrapVersion" && strings.HasPrefix(literal(res.Props["Default"], ""), "/cdk-bootstrap/") {
				b.ignore(res, "CDK bootstrap version check (the template's Rules), not infrastructure")
			} else {
				b.used[res.Addr] = true
			}
		}
	}
	c.storeParams = map[string]bool{}
	for _, fn := range byType["AWS::Lambda::Function"] {
		if p := b.target(prop(fn, "Code", "S3Bucket")); p != nil && p.Mode == inventory.Parameter {
			c.storeParams[p.Addr] = true
		}
	}
	for _, res := range byType["AWS::CDK::Metadata"] {
		b.ignore(res, "CDK version reporting, not infrastructure")
	}
	// CDK's auto-delete-objects custom resource empties a bucket on
	// destroy: its provider function and role are that bucket's
	// data-on-destroy, not a function and a role of the system.
	c.autoDelete = map[string]bool{}
	autoDeleted := map[string]bool{}
	for _, cr := range byType["Custom::S3AutoDeleteObjects"] {
		if fn := b.target(b.read(cr, "ServiceToken")); fn != nil {
			c.autoDelete[fn.Addr] = true
			if role := b.target(b.read(fn, "Role")); role != nil {
				c.autoDelete[role.Addr] = true
			}
		}
		if bk := b.target(b.read(cr, "BucketName")); bk != nil {
			autoDeleted[bk.Addr] = true
		}
		b.ignore(cr, "CDK auto-delete-objects custom resource: compared as the bucket's data-on-destroy")
	}
	for _, typ := range []string{"AWS::Lambda::Function", "AWS::IAM::Role"} {
		for _, res := range byType[typ] {
			if c.autoDelete[res.Addr] {
				b.ignore(res, "CDK auto-delete-objects provider: compared as the bucket's data-on-destroy")
			}
		}
	}

	for _, res := range byType["AWS::S3::Bucket"] {
		b.entity(Bucket, b.text(b.read(res, "BucketName")), res.Addr)
	}
	for _, res := range byType["AWS::DynamoDB::Table"] {
		b.entity(Table, b.text(b.read(res, "TableName")), res.Addr)
	}
	for _, res := range byType["AWS::EC2::VPC"] {
		b.entity(VPC, b.text(b.read(res, "CidrBlock")), res.Addr)
	}
	igwVPC := map[string]inventory.Value{}
	var attachments []*inventory.Resource
	for _, a := range byType["AWS::EC2::VPCGatewayAttachment"] {
		if igw := b.target(b.read(a, "InternetGatewayId")); igw != nil {
			igwVPC[igw.Addr] = b.read(a, "VpcId")
			attachments = append(attachments, a)
			continue
		}
		b.unsupported(a, "attaches no internet gateway of the template (VPN gateways are not compared)")
	}
	for _, res := range byType["AWS::EC2::InternetGateway"] {
		b.entity(Gateway, b.vpcKey(igwVPC[res.Addr]), res.Addr)
	}
	for _, res := range byType["AWS::EC2::Subnet"] {
		b.entity(Subnet, b.text(b.read(res, "CidrBlock")), res.Addr)
	}
	for _, res := range byType["AWS::EC2::SecurityGroup"] {
		b.entity(SecurityGroup, literal(b.read(res, "GroupName"), ""), res.Addr)
	}
	roleTrust := map[*Entity][]statement{}
	for _, res := range byType["AWS::IAM::Role"] {
		if c.autoDelete[res.Addr] {
			continue
		}
		sts, err := b.statements(b.read(res, "AssumeRolePolicyDocument"))
		_, key := trust(sts)
		e := b.entity(Role, key, res.Addr)
		if err != nil {
			b.problem(res, "AssumeRolePolicyDocument: "+err.Error())
		}
		roleTrust[e] = sts
	}
	for _, res := range byType["AWS::EC2::Instance"] {
		b.entity(Instance, literal(tagValue(b.read(res, "Tags"), "Name"), ""), res.Addr)
	}
	templates, standalone := c.launchTemplates(b, byType)
	for _, res := range standalone {
		b.entity(LaunchTemplate, literal(b.read(res, "LaunchTemplateName"), ""), res.Addr)
	}
	for _, res := range byType["AWS::AutoScaling::AutoScalingGroup"] {
		b.entity(AutoScalingGroup, literal(b.read(res, "AutoScalingGroupName"), ""), res.Addr)
	}
	for _, res := range byType["AWS::AutoScaling::ScalingPolicy"] {
		b.entity(ScalingPolicy, c.scalingPolicyKey(b, res), res.Addr)
	}
	// Volumes are known by where they are attached: a VolumeAttachment or
	// an instance's Volumes list.
	attached := map[string]volumeAttachment{}
	for _, a := range byType["AWS::EC2::VolumeAttachment"] {
		if v := b.target(b.read(a, "VolumeId")); v != nil {
			attached[v.Addr] = volumeAttachment{literal(b.read(a, "Device"), "?"), b.expr(b.read(a, "InstanceId"))}
		}
	}
	for _, inst := range byType["AWS::EC2::Instance"] {
		for _, m := range list(b.read(inst, "Volumes")) {
			if v := b.target(get(m, "VolumeId")); v != nil && b.owner[inst.Addr] != nil {
				attached[v.Addr] = volumeAttachment{literal(get(m, "Device"), "?"), RefExpr(Instance, b.owner[inst.Addr].Key, "id")}
			}
		}
	}
	for _, res := range byType["AWS::EC2::Volume"] {
		at := attached[res.Addr]
		e := b.entity(Volume, at.text().String(), res.Addr)
		e.Props["attached"] = Scalar(at.text())
	}
	b.attach(byType["AWS::EC2::VolumeAttachment"], "VolumeId", Volume)
	for _, res := range byType["AWS::ElasticLoadBalancingV2::TargetGroup"] {
		b.entity(TargetGroup, literal(b.read(res, "Name"), ""), res.Addr)
	}
	for _, res := range byType["AWS::ElasticLoadBalancingV2::LoadBalancer"] {
		b.entity(LoadBalancer, literal(b.read(res, "Name"), ""), res.Addr)
	}
	for _, res := range byType["AWS::Lambda::Function"] {
		if c.autoDelete[res.Addr] {
			continue
		}
		b.entity(Function, b.text(b.read(res, "FunctionName")), res.Addr)
	}
	for _, res := range byType["AWS::EC2::VPCEndpoint"] {
		b.entity(Endpoint, b.text(b.read(res, "ServiceName")), res.Addr)
	}
	for _, res := range byType["AWS::EC2::KeyPair"] {
		b.entity(KeyPair, b.text(b.read(res, "KeyName")), res.Addr)
	}
	for _, res := range byType["AWS::ApiGatewayV2::Api"] {
		b.entity(HTTPAPI, b.text(b.read(res, "Name")), res.Addr)
	}
	for _, res := range byType["AWS::Logs::LogGroup"] {
		b.entity(LogGroup, b.text(b.read(res, "LogGroupName")), res.Addr)
	}

	// Instance profiles and policies may name several roles.
	profiles := b.attachMany(byType["AWS::IAM::InstanceProfile"], "Roles", Role)
	policies := b.attachMany(byType["AWS::IAM::Policy"], "Roles", Role)
	managed := b.attachMany(byType["AWS::IAM::ManagedPolicy"], "Roles", Role)
	rolePolicies := b.attach(byType["AWS::IAM::RolePolicy"], "RoleName", Role)
	bucketPolicies := b.attach(byType["AWS::S3::BucketPolicy"], "Bucket", Bucket)
	for _, a := range attachments {
		if e := b.owner[b.target(b.read(a, "InternetGatewayId")).Addr]; e != nil {
			b.fold(e, a.Addr)
		}
	}
	sgRules := map[*Entity][]*inventory.Resource{}
	for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
		for e, rs := range b.attach(byType[typ], "GroupId", SecurityGroup) {
			sgRules[e] = append(sgRules[e], rs...)
		}
	}
	listeners := b.attach(byType["AWS::ElasticLoadBalancingV2::Listener"], "LoadBalancerArn", LoadBalancer)
	urls := b.attach(byType["AWS::Lambda::Url"], "TargetFunctionArn", Function)
	perms := b.attach(byType["AWS::Lambda::Permission"], "FunctionName", Function)
	apiIntegrations := b.attach(byType["AWS::ApiGatewayV2::Integration"], "ApiId", HTTPAPI)
	apiRoutes := b.attach(byType["AWS::ApiGatewayV2::Route"], "ApiId", HTTPAPI)
	apiStages := b.attach(byType["AWS::ApiGatewayV2::Stage"], "ApiId", HTTPAPI)
	groupHooks := b.attach(byType["AWS::AutoScaling::LifecycleHook"], "AutoScalingGroupName", AutoScalingGroup)
	routes := c.routes(b, byType)

	for _, e := range b.set.Entities {
		if len(e.Sources) == 0 || e.Kind == ArtifactStore {
			continue
		}
		res := b.doc.Lookup(e.Sources[0])
		switch e.Kind {
		case Bucket:
			c.bucket(b, e, res, bucketPolicies[e], autoDeleted[res.Addr])
		case Table:
			c.table(b, e, res)
		case VPC:
			e.Props["cidr"] = Scalar(b.expr(b.read(res, "CidrBlock")))
			e.Props["dns-support"] = ScalarText(boolText(b.read(res, "EnableDnsSupport"), true))
			e.Props["dns-hostnames"] = ScalarText(boolText(b.read(res, "EnableDnsHostnames"), false))
		case Gateway:
			e.Props["vpc"] = Scalar(b.expr(igwVPC[res.Addr]))
		case Subnet:
			e.Props["cidr"] = Scalar(b.expr(b.read(res, "CidrBlock")))
			az := b.read(res, "AvailabilityZone")
			if az == nil {
				az = b.read(res, "AvailabilityZoneId")
			}
			e.Props["availability-zone"] = Scalar(b.expr(az))
			e.Props["vpc"] = Scalar(b.expr(b.read(res, "VpcId")))
			e.Props["public-ip-on-launch"] = ScalarText(boolText(b.read(res, "MapPublicIpOnLaunch"), false))
			e.Props["routes"] = SetOf(routes[res.Addr]...)
		case SecurityGroup:
			c.securityGroup(b, e, res, sgRules[e])
		case Role:
			c.role(b, e, res, roleTrust[e], policies[e], managed[e], rolePolicies[e], profiles[e])
		case Instance:
			c.instance(b, e, res, templates[res.Addr])
		case TargetGroup:
			c.targetGroup(b, e, res)
		case LoadBalancer:
			c.loadBalancer(b, e, res, listeners[e])
		case LaunchTemplate:
			c.launchTemplate(b, e, res)
		case AutoScalingGroup:
			c.autoScalingGroup(b, e, res, groupHooks[e])
		case ScalingPolicy:
			c.scalingPolicy(b, e, res)
		case Function:
			c.function(b, e, res, urls[e])
			var items []Expr
			for _, p := range perms[e] {
				items = append(items, invokePermission(b.expr(b.read(p, "Action")), b.expr(b.read(p, "Principal")),
					executeARN(b.expr(b.read(p, "SourceArn"))), b.expr(b.read(p, "FunctionUrlAuthType"))))
			}
			e.Props["invoke-permissions"] = SetOf(items...)
		case Endpoint:
			e.Props["service"] = Scalar(b.expr(b.read(res, "ServiceName")))
			e.Props["type"] = ScalarText(literal(b.read(res, "VpcEndpointType"), "Gateway"))
			e.Props["vpc"] = Scalar(b.expr(b.read(res, "VpcId")))
			e.Props["subnets"] = b.refSet(b.read(res, "SubnetIds"))
			e.Props["security-groups"] = b.refSet(b.read(res, "SecurityGroupIds"))
			e.Props["route-tables"] = b.refSet(b.read(res, "RouteTableIds"))
			e.Props["private-dns"] = ScalarText(boolText(b.read(res, "PrivateDnsEnabled"), false))
			sts, err := b.statements(b.read(res, "PolicyDocument"))
			if err != nil {
				b.problem(res, "PolicyDocument: "+err.Error())
			}
			e.Props["policy"] = endpointPolicy(sts)
		case KeyPair:
			e.Props["name"] = Scalar(b.expr(b.read(res, "KeyName")))
			var material Expr
			if v := b.read(res, "PublicKeyMaterial"); v != nil {
				material = b.expr(v)
			}
			e.Props["public-key"] = Scalar(publicKey(material))
		case LogGroup:
			e.Props["name"] = Scalar(b.expr(b.read(res, "LogGroupName")))
			e.Props["retention"] = ScalarText(retentionText(numText(b.read(res, "RetentionInDays"), "")))
		case Volume:
			e.Props["availability-zone"] = Scalar(b.expr(b.read(res, "AvailabilityZone")))
			e.Props["size"] = ScalarText(numText(b.read(res, "Size"), Unset))
			e.Props["type"] = ScalarText(literal(b.read(res, "VolumeType"), "gp2"))
			e.Props["encrypted"] = ScalarText(boolText(b.read(res, "Encrypted"), false))
			e.Props["iops"] = ScalarText(numText(b.read(res, "Iops"), Unset))
			e.Props["throughput"] = ScalarText(numText(b.read(res, "Throughput"), Unset))
		case HTTPAPI:
			e.Props["name"] = Scalar(b.expr(b.read(res, "Name")))
			e.Props["protocol"] = ScalarText(literal(b.read(res, "ProtocolType"), Unset))
			integ := map[string]Expr{}
			for _, in := range apiIntegrations[e] {
				integ[in.Addr] = Join(Text(literal(b.read(in, "IntegrationType"), Unset)+" "), invokeTarget(b.expr(b.read(in, "IntegrationUri"))),
					Text(" payload "+literal(b.read(in, "PayloadFormatVersion"), "1.0")))
			}
			var routes []Expr
			for _, rt := range apiRoutes[e] {
				target := Text("(no target)")
				if s, ok := b.read(rt, "Target").(inventory.Str); ok {
					for _, p := range s {
						if p.Ref != nil {
							if d, ok := integ[p.Ref.Addr]; ok {
								target = d
							}
						}
					}
				}
				routes = append(routes, Join(Text(literal(b.read(rt, "RouteKey"), Unset)+" -> "), target,
					Text(" (auth "+literal(b.read(rt, "AuthorizationType"), "NONE")+")")))
			}
			e.Props["routes"] = SetOf(routes...)
			var stages []Expr
			for _, st := range apiStages[e] {
				stages = append(stages, Text(literal(b.read(st, "StageName"), Unset)+" auto-deploy "+boolText(b.read(st, "AutoDeploy"), false)))
			}
			e.Props["stages"] = SetOf(stages...)
		}
	}
	for _, o := range b.doc.Outputs {
		e := b.entity(Output, o.Name, "")
		e.Sources = []string{"Outputs." + o.Name}
		e.Props["value"] = Scalar(b.expr(o.Value))
		e.Props["description"] = ScalarText(o.Description)
		if o.Undecided {
			b.set.Unsupported = append(b.set.Unsupported, Note{Addr: "Outputs." + o.Name, Type: "output", Reason: "condition decided only at deploy time"})
		}
	}
}

// attachMany folds each resource into every entity of kind k its list
// attribute refers to.
func (b *builder) attachMany(rs []*inventory.Resource, attr string, k Kind) map[*Entity][]*inventory.Resource {
	out := map[*Entity][]*inventory.Resource{}
	for _, res := range rs {
		n := 0
		for _, v := range list(b.read(res, attr)) {
			if o := b.ownerOf(v); o != nil && o.Kind == k {
				b.fold(o, res.Addr)
				out[o] = append(out[o], res)
				n++
			}
		}
		if n == 0 {
			b.unsupported(res, fmt.Sprintf("its %s refers to nothing diff maps", attr))
		}
	}
	return out
}

func tagValue(tags inventory.Value, key string) inventory.Value {
	for _, t := range list(tags) {
		if literal(get(t, "Key"), "") == key {
			return get(t, "Value")
		}
	}
	return nil
}

func (c *cloudFormation) bucket(b *builder, e *Entity, res *inventory.Resource, policies []*inventory.Resource, autoDeleted bool) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "BucketName")))
	e.Props["versioning"] = ScalarText(literal(b.read(res, "VersioningConfiguration", "Status"), "Disabled"))
	pab := b.read(res, "PublicAccessBlockConfiguration")
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		v := "true" // new buckets block all public access by default
		if pab != nil {
			v = boolText(get(pab, k), false)
		}
		e.Props["public-access-block."+kebab(k)] = ScalarText(v)
	}
	enc := literal(b.read(res, "BucketEncryption", "ServerSideEncryptionConfiguration", "ServerSideEncryptionByDefault", "SSEAlgorithm"), "AES256")
	e.Props["encryption"] = ScalarText(enc)
	var rules []Expr
	for _, rule := range list(b.read(res, "LifecycleConfiguration", "Rules")) {
		var acts []string
		if d := get(rule, "AbortIncompleteMultipartUpload", "DaysAfterInitiation"); d != nil {
			acts = append(acts, "abort incomplete multipart uploads after "+numText(d, "?")+" days")
		}
		if d := get(rule, "NoncurrentVersionExpiration", "NoncurrentDays"); d != nil {
			acts = append(acts, "expire noncurrent versions after "+numText(d, "?")+" days")
		}
		if d := get(rule, "NoncurrentVersionExpirationInDays"); d != nil {
			acts = append(acts, "expire noncurrent versions after "+numText(d, "?")+" days")
		}
		if d := get(rule, "ExpirationInDays"); d != nil {
			acts = append(acts, "expire objects after "+numText(d, "?")+" days")
		}
		rules = append(rules, lifecycleRule(literal(get(rule, "Status"), "Enabled"), literal(get(rule, "Prefix"), ""), acts))
	}
	b.consume(res, "LifecycleConfiguration.Rules.Id", "LifecycleConfiguration.Rules.Status", "LifecycleConfiguration.Rules.Prefix",
		"LifecycleConfiguration.Rules.AbortIncompleteMultipartUpload.DaysAfterInitiation", "LifecycleConfiguration.Rules.NoncurrentVersionExpiration.NoncurrentDays",
		"LifecycleConfiguration.Rules.NoncurrentVersionExpirationInDays", "LifecycleConfiguration.Rules.ExpirationInDays")
	e.Props["lifecycle"] = SetOf(rules...)
	var sts []statement
	for _, p := range policies {
		s, err := b.statements(b.read(p, "PolicyDocument"))
		if err != nil {
			b.problem(p, "PolicyDocument: "+err.Error())
		}
		for _, st := range s {
			if !mentions(st.principals, autoDeleteMarker) {
				sts = append(sts, st)
			}
		}
	}
	e.Props["policy"] = SetOf(permissions(sts)...)
	onDestroy := "kept"
	if autoDeleted && !retained(res) {
		onDestroy = "destroyed"
	}
	e.Props["data-on-destroy"] = ScalarText(onDestroy)
}

func mentions(es []Expr, s string) bool {
	for _, e := range es {
		if strings.Contains(e.String(), s) {
			return true
		}
	}
	return false
}

// retained reports a DeletionPolicy that keeps the resource (or a
// snapshot of its data) when the stack is deleted.
func retained(res *inventory.Resource) bool {
	switch literal(res.Meta["DeletionPolicy"], "Delete") {
	case "Retain", "RetainExceptOnCreate", "Snapshot":
		return true
	}
	return false
}

func (c *cloudFormation) table(b *builder, e *Entity, res *inventory.Resource) {
	types := map[string]string{}
	for _, a := range list(b.read(res, "AttributeDefinitions")) {
		types[literal(get(a, "AttributeName"), "")] = literal(get(a, "AttributeType"), "?")
	}
	keys := func(schema inventory.Value) (hash, rng string) {
		hash, rng = "none", "none"
		for _, k := range list(schema) {
			n := literal(get(k, "AttributeName"), "")
			switch literal(get(k, "KeyType"), "") {
			case "HASH":
				hash = n + " " + types[n]
			case "RANGE":
				rng = n + " " + types[n]
			}
		}
		return hash, rng
	}
	hash, rng := keys(b.read(res, "KeySchema"))
	e.Props["name"] = Scalar(b.expr(b.read(res, "TableName")))
	e.Props["partition-key"] = ScalarText(hash)
	e.Props["sort-key"] = ScalarText(rng)
	e.Props["billing-mode"] = ScalarText(literal(b.read(res, "BillingMode"), "PROVISIONED"))
	e.Props["ttl"] = ScalarText(ttlText(literal(b.read(res, "TimeToLiveSpecification", "AttributeName"), ""),
		boolText(b.read(res, "TimeToLiveSpecification", "Enabled"), false) == "true"))
	e.Props["capacity"] = ScalarText(capacity(literal(b.read(res, "BillingMode"), "PROVISIONED"),
		numText(b.read(res, "ProvisionedThroughput", "ReadCapacityUnits"), Unset), numText(b.read(res, "ProvisionedThroughput", "WriteCapacityUnits"), Unset)))
	e.Props["point-in-time-recovery"] = ScalarText(boolText(b.read(res, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), false))
	var idx []Expr
	for _, g := range list(b.read(res, "GlobalSecondaryIndexes")) {
		h, r := keys(get(g, "KeySchema"))
		idx = append(idx, Text(indexItem(literal(get(g, "IndexName"), ""), h, r, literal(get(g, "Projection", "ProjectionType"), "?"))))
	}
	for _, l := range list(b.read(res, "LocalSecondaryIndexes")) {
		h, r := keys(get(l, "KeySchema"))
		idx = append(idx, Text("local "+indexItem(literal(get(l, "IndexName"), ""), h, r, literal(get(l, "Projection", "ProjectionType"), "?"))))
	}
	e.Props["indexes"] = SetOf(idx...)
	protect := boolText(b.read(res, "DeletionProtectionEnabled"), false)
	e.Props["deletion-protection"] = ScalarText(protect)
	onDestroy := "destroyed"
	if protect == "true" || retained(res) {
		onDestroy = "kept"
	}
	e.Props["data-on-destroy"] = ScalarText(onDestroy)
}

func (c *cloudFormation) routes(b *builder, byType map[string][]*inventory.Resource) map[string][]Expr {
	tableRoutes := map[string][]Expr{}
	routeOf := map[string][]string{}
	for _, r := range byType["AWS::EC2::Route"] {
		rt := b.target(b.read(r, "RouteTableId"))
		if rt == nil || rt.Type != "AWS::EC2::RouteTable" {
			b.unsupported(r, "its RouteTableId refers to no route table")
			continue
		}
		dest := Text("?")
		for _, k := range []string{"DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId"} {
			if d := b.read(r, k); d != nil {
				dest = b.expr(d)
				break
			}
		}
		target := Text("?")
		for _, k := range []string{"GatewayId", "NatGatewayId", "EgressOnlyInternetGatewayId", "TransitGatewayId", "VpcPeeringConnectionId", "NetworkInterfaceId", "VpcEndpointId", "InstanceId"} {
			if d := b.read(r, k); d != nil {
				target = b.expr(d)
				break
			}
		}
		tableRoutes[rt.Addr] = append(tableRoutes[rt.Addr], Join(dest, Text(" -> "), target))
		routeOf[rt.Addr] = append(routeOf[rt.Addr], r.Addr)
	}
	out := map[string][]Expr{}
	tables := map[string]bool{}
	for _, a := range byType["AWS::EC2::SubnetRouteTableAssociation"] {
		rt := b.target(b.read(a, "RouteTableId"))
		sn := b.target(b.read(a, "SubnetId"))
		if rt == nil || sn == nil || b.owner[sn.Addr] == nil {
			b.unsupported(a, "associates no route table with a mapped subnet")
			continue
		}
		e := b.owner[sn.Addr]
		b.fold(e, a.Addr)
		b.fold(e, rt.Addr)
		for _, r := range routeOf[rt.Addr] {
			b.fold(e, r)
		}
		tables[rt.Addr] = true
		out[sn.Addr] = append(out[sn.Addr], tableRoutes[rt.Addr]...)
	}
	for _, rt := range byType["AWS::EC2::RouteTable"] {
		if !tables[rt.Addr] {
			b.unsupported(rt, "route table associated with no subnet")
		}
	}
	return out
}

func (c *cloudFormation) securityGroup(b *builder, e *Entity, res *inventory.Resource, rules []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "GroupName")))
	e.Props["description"] = Scalar(b.expr(b.read(res, "GroupDescription")))
	e.Props["vpc"] = Scalar(b.expr(b.read(res, "VpcId")))
	items := map[string][]Expr{}
	ruleOf := func(m inventory.Value, peerKeys ...string) []rule {
		base := rule{protocol: protocolName(literal(get(m, "IpProtocol"), "")), from: numText(get(m, "FromPort"), ""), to: numText(get(m, "ToPort"), "")}
		var out []rule
		for _, k := range peerKeys {
			if p := get(m, k); p != nil {
				r := base
				r.peer = b.expr(p)
				out = append(out, r)
			}
		}
		return out
	}
	ingressPeers := []string{"CidrIp", "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId", "SourceSecurityGroupName"}
	egressPeers := []string{"CidrIp", "CidrIpv6", "DestinationSecurityGroupId", "DestinationPrefixListId"}
	for _, r := range list(b.read(res, "SecurityGroupIngress")) {
		for _, ru := range ruleOf(r, ingressPeers...) {
			items["ingress"] = append(items["ingress"], ru.item("ingress"))
		}
	}
	inlineEgress := b.read(res, "SecurityGroupEgress")
	_, hasInline := res.Props["SecurityGroupEgress"]
	if !hasInline {
		// CloudFormation keeps EC2's default rule when a group lists no
		// egress: all traffic to 0.0.0.0/0.
		items["egress"] = append(items["egress"], rule{protocol: "all", peer: Text("0.0.0.0/0")}.item("egress"))
	}
	for _, r := range list(inlineEgress) {
		for _, ru := range ruleOf(r, egressPeers...) {
			if ru.isPlaceholder() {
				continue // CDK's "no egress at all"
			}
			items["egress"] = append(items["egress"], ru.item("egress"))
		}
	}
	for _, r := range rules {
		b.consume(r, append(append([]string{"IpProtocol", "FromPort", "ToPort"}, ingressPeers...), egressPeers...)...)
		m := inventory.Map(r.Props)
		if r.Type == "AWS::EC2::SecurityGroupIngress" {
			for _, ru := range ruleOf(m, ingressPeers...) {
				items["ingress"] = append(items["ingress"], ru.item("ingress"))
			}
			continue
		}
		for _, ru := range ruleOf(m, egressPeers...) {
			if !ru.isPlaceholder() {
				items["egress"] = append(items["egress"], ru.item("egress"))
			}
		}
	}
	e.Props["ingress"] = SetOf(items["ingress"]...)
	e.Props["egress"] = SetOf(items["egress"]...)
}

func (c *cloudFormation) role(b *builder, e *Entity, res *inventory.Resource, trustSts []statement, policies, managed, rolePolicies, profiles []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "RoleName")))
	items, _ := trust(trustSts)
	e.Props["trust"] = SetOf(items...)
	var names []Expr
	var sts []statement
	read := func(owner *inventory.Resource, name, doc inventory.Value, named bool) {
		if named {
			names = append(names, b.expr(name))
		}
		s, err := b.statements(doc)
		if err != nil {
			b.problem(owner, "PolicyDocument: "+err.Error())
		}
		sts = append(sts, s...)
	}
	for _, p := range list(b.read(res, "Policies")) {
		read(res, get(p, "PolicyName"), get(p, "PolicyDocument"), true)
	}
	for _, p := range append(policies, rolePolicies...) {
		read(p, b.read(p, "PolicyName"), b.read(p, "PolicyDocument"), true)
	}
	for _, p := range managed {
		read(p, nil, b.read(p, "PolicyDocument"), false)
	}
	for _, arn := range list(b.read(res, "ManagedPolicyArns")) {
		if pol := b.target(arn); pol != nil && pol.Type == "AWS::IAM::ManagedPolicy" {
			read(pol, nil, b.read(pol, "PolicyDocument"), false)
			continue
		}
		sts = append(sts, b.managedStatements(b.expr(arn))...)
	}
	e.Props["policy-names"] = SetOf(names...)
	setPermissions(e, sts)
	var pn []Expr
	for _, p := range profiles {
		if n := b.read(p, "InstanceProfileName"); n != nil {
			pn = append(pn, b.expr(n))
		} else {
			pn = append(pn, Text("(name generated at deploy)"))
		}
	}
	e.Props["instance-profile"] = SetOf(pn...)
}

func (c *cloudFormation) instance(b *builder, e *Entity, res *inventory.Resource, lt *inventory.Resource) {
	// The instance's own properties win over its launch template's; both
	// are read.
	data := func(path ...string) inventory.Value {
		if lt == nil {
			return nil
		}
		return b.read(lt, append([]string{"LaunchTemplateData"}, path...)...)
	}
	p := func(instKey, ltKey string, sub ...string) inventory.Value {
		var fromTemplate inventory.Value
		if ltKey != "" {
			fromTemplate = data(append([]string{ltKey}, sub...)...)
		}
		if v := b.read(res, append([]string{instKey}, sub...)...); v != nil {
			return v
		}
		return fromTemplate
	}
	e.Props["name"] = Scalar(b.expr(tagValue(b.read(res, "Tags"), "Name")))
	e.Props["type"] = Scalar(b.expr(p("InstanceType", "InstanceType")))
	e.Props["ami"] = Scalar(b.expr(p("ImageId", "ImageId")))
	subnet := b.read(res, "SubnetId")
	if subnet == nil {
		subnet = get(b.read(res, "NetworkInterfaces"), "SubnetId")
	}
	e.Props["subnet"] = Scalar(b.expr(subnet))
	groups := append(b.exprs(p("SecurityGroupIds", "SecurityGroupIds")), b.exprs(b.read(res, "SecurityGroups"))...)
	e.Props["security-groups"] = SetOf(groups...)
	// The instance names its profile; a launch template by name or ARN.
	profile := data("IamInstanceProfile", "Name")
	if arn := data("IamInstanceProfile", "Arn"); profile == nil {
		profile = arn
	}
	if v := b.read(res, "IamInstanceProfile"); v != nil {
		profile = v
	}
	e.Props["profile"] = Scalar(b.expr(profile))
	e.Props["key-pair"] = Scalar(b.expr(p("KeyName", "KeyName")))
	e.Props["imds.tokens"] = ScalarText(literal(p("MetadataOptions", "MetadataOptions", "HttpTokens"), Unset))
	e.Props["imds.endpoint"] = ScalarText(literal(p("MetadataOptions", "MetadataOptions", "HttpEndpoint"), "enabled"))
	e.Props["imds.hop-limit"] = ScalarText(numText(p("MetadataOptions", "MetadataOptions", "HttpPutResponseHopLimit"), Unset))
	// The instance spells it CPUCredits, a launch template CpuCredits.
	credits := data("CreditSpecification", "CpuCredits")
	if v := b.read(res, "CreditSpecification", "CPUCredits"); v != nil {
		credits = v
	}
	e.Props["cpu-credits"] = ScalarText(literal(credits, Unset))
	// The root volume's keys are compared one by one: any other (a KMS
	// key, a second volume) is listed as not compared.
	if prop(res, "BlockDeviceMappings") == nil && lt != nil {
		b.rootVolume(e, lt, []string{"LaunchTemplateData"}, cfnTemplateDevices)
	} else {
		b.rootVolume(e, res, nil, cfnTemplateDevices)
	}
	setUserData(e, b.expr(p("UserData", "UserData")))
}

func (c *cloudFormation) targetGroup(b *builder, e *Entity, res *inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "Name")))
	protocol := literal(b.read(res, "Protocol"), Unset)
	port := numText(b.read(res, "Port"), Unset)
	targetType := literal(b.read(res, "TargetType"), "instance")
	e.Props["protocol"] = ScalarText(protocol)
	e.Props["port"] = ScalarText(port)
	e.Props["target-type"] = ScalarText(targetType)
	e.Props["vpc"] = Scalar(b.expr(b.read(res, "VpcId")))
	var targets []Expr
	for _, t := range list(b.read(res, "Targets")) {
		targets = append(targets, Join(b.expr(get(t, "Id")), Text(":"+numText(get(t, "Port"), port))))
	}
	e.Props["targets"] = SetOf(targets...)
	hc := healthCheckDefaults(protocol, targetType)
	for k, v := range map[string]string{"HealthCheckEnabled": "enabled", "HealthCheckProtocol": "protocol", "HealthCheckPort": "port",
		"HealthCheckPath": "path", "HealthCheckIntervalSeconds": "interval", "HealthCheckTimeoutSeconds": "timeout",
		"HealthyThresholdCount": "healthy-threshold", "UnhealthyThresholdCount": "unhealthy-threshold"} {
		if x := b.read(res, k); x != nil {
			hc[v] = literal(x, hc[v])
		}
	}
	if m := b.read(res, "Matcher", "HttpCode"); m != nil {
		hc["matcher"] = literal(m, hc["matcher"])
	}
	setHealthCheck(e, hc)
}

func (c *cloudFormation) loadBalancer(b *builder, e *Entity, res *inventory.Resource, listeners []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "Name")))
	e.Props["type"] = ScalarText(literal(b.read(res, "Type"), "application"))
	e.Props["scheme"] = ScalarText(literal(b.read(res, "Scheme"), "internet-facing"))
	subnets := b.exprs(b.read(res, "Subnets"))
	for _, m := range list(b.read(res, "SubnetMappings")) {
		subnets = append(subnets, b.expr(get(m, "SubnetId")))
	}
	e.Props["subnets"] = SetOf(subnets...)
	e.Props["security-groups"] = b.refSet(b.read(res, "SecurityGroups"))
	var items []Expr
	for _, l := range listeners {
		head := Text(strings.ToUpper(literal(b.read(l, "Protocol"), "HTTP")) + ":" + numText(b.read(l, "Port"), "?") + " -> ")
		var acts []Expr
		for _, a := range list(b.read(l, "DefaultActions")) {
			acts = append(acts, b.action(a, "Type", "TargetGroupArn", "ForwardConfig", "TargetGroups", "TargetGroupArn"))
		}
		items = append(items, Join(head, joinExprs(acts, ", ")))
	}
	e.Props["listeners"] = SetOf(items...)
}

func (c *cloudFormation) function(b *builder, e *Entity, res *inventory.Resource, urls []*inventory.Resource) {
	e.Props["name"] = Scalar(b.expr(b.read(res, "FunctionName")))
	e.Props["runtime"] = ScalarText(literal(b.read(res, "Runtime"), Unset))
	e.Props["architecture"] = ScalarText(literal(b.read(res, "Architectures"), "x86_64"))
	e.Props["handler"] = ScalarText(literal(b.read(res, "Handler"), Unset))
	e.Props["memory"] = ScalarText(numText(b.read(res, "MemorySize"), "128"))
	e.Props["timeout"] = ScalarText(numText(b.read(res, "Timeout"), "3"))
	e.Props["reserved-concurrency"] = ScalarText(numText(b.read(res, "ReservedConcurrentExecutions"), "unreserved"))
	var env []Expr
	if vars, ok := b.read(res, "Environment", "Variables").(inventory.Map); ok {
		for _, k := range vars.Keys() {
			env = append(env, Join(Text(k+"="), b.expr(vars[k])))
		}
	}
	e.Props["environment"] = SetOf(env...)
	e.Props["vpc.subnets"] = b.refSet(b.read(res, "VpcConfig", "SubnetIds"))
	e.Props["vpc.security-groups"] = b.refSet(b.read(res, "VpcConfig", "SecurityGroupIds"))
	e.Props["role"] = Scalar(b.expr(b.read(res, "Role")))
	// Where the package comes from (the bootstrap bucket, inline code) is
	// the deploy-time artifact, compared by role.
	b.consume(res, "Code", "PackageType")
	pkg := "zip"
	if literal(prop(res, "PackageType"), "Zip") == "Image" || prop(res, "Code", "ImageUri") != nil {
		pkg = "image"
	}
	e.Props["package"] = ScalarText(pkg)
	setURL(e, urls, func(u *inventory.Resource) (string, string) {
		return literal(b.read(u, "AuthType"), Unset), literal(b.read(u, "InvokeMode"), "BUFFERED")
	})
}

// notCompared lists the CloudFormation properties that need no comparison.
func (*cloudFormation) notCompared(typ, p string) (string, bool) {
	switch {
	case strings.HasSuffix(p, ".Sid") || strings.HasSuffix(p, "PolicyDocument.Id"):
		return "statement ids are labels", true
	case typ == "AWS::S3::Bucket" && p == "LifecycleConfiguration.Rules.Id":
		return "lifecycle rule ids are labels; a rule is what it does (actions, scope, status)", true
	case typ == "AWS::EC2::SecurityGroup" && (p == "SecurityGroupIngress.Description" || p == "SecurityGroupEgress.Description"):
		return "rule descriptions are labels; a rule is (direction, protocol, ports, peer)", true
	case typ == "AWS::Lambda::Function" && (p == "Code.S3Bucket" || p == "Code.S3Key" || p == "Code.S3ObjectVersion" || p == "Code.ZipFile"):
		return "where the package is uploaded is a deploy-time artifact, compared by role (function/package)", true
	case p == "Tags" && typ == "AWS::AutoScaling::AutoScalingGroup":
		// Compared: a group's tags propagated at launch label its
		// instances (auto-scaling-group/tags).
		return "", false
	case p == "Tags":
		return "tags are labels", true
	case typ == "AWS::EC2::LaunchTemplate" && p == "TagSpecifications":
		return "tags of the launch template itself are labels (what it launches is tagged by LaunchTemplateData.TagSpecifications, compared)", true
	case p == "Description" && (typ == "AWS::EC2::SecurityGroupIngress" || typ == "AWS::EC2::SecurityGroupEgress"):
		return "rule descriptions are labels; a rule is (direction, protocol, ports, peer)", true
	case typ == "AWS::EC2::RouteTable" && p == "VpcId":
		return "a route table's VPC is that of the subnets it serves (subnet/vpc)", true
	}
	return "", false
}
