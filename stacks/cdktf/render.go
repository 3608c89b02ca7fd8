package cdktf

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/twinstack/twinstack/constructs"
)

// visit translates one model node.
func (r *renderer) visit(n constructs.Node) error {
	switch n := n.(type) {
	case *constructs.Bucket:
		return r.bucket(n)
	case *constructs.Table:
		return r.table(n)
	case *constructs.VPC:
		r.resource("aws_vpc", n.ID, vpc{CIDRBlock: n.CIDR, EnableDNSHostnames: n.DNSHostnames, EnableDNSSupport: n.DNSSupport})
		return nil
	case *constructs.InternetGateway:
		return r.gateway(n)
	case *constructs.Subnet:
		return r.subnet(n)
	case *constructs.SecurityGroup:
		return r.securityGroup(n)
	case *constructs.ArtifactStore:
		return r.artifactStore(n)
	case *constructs.Artifact:
		return r.artifact(n)
	case *constructs.Role:
		return r.role(n)
	case *constructs.LoadBalancer:
		return r.loadBalancer(n)
	case *constructs.ServerGroup:
		return r.serverGroup(n)
	case *constructs.Function:
		return r.function(n)
	case *constructs.Output:
		return r.output(n)
	default:
		return fmt.Errorf("unsupported node %T", n)
	}
}

// part is one Terraform resource of a model node; every part of a node is
// named after the node (aws_s3_bucket_versioning.ImagesBucket).
type part struct {
	typ  string
	body any
}

// emit adds a node's parts as resources, or, when the deploy releases
// the node, leaves them out and records each address for a `removed`
// block. The addresses either way are what the handover blocks name.
func (r *renderer) emit(id constructs.ID, parts []part) {
	for _, p := range parts {
		r.parts[id] = append(r.parts[id], address(p.typ, id))
		if !r.released[id] {
			r.resource(p.typ, id, p.body)
		}
	}
}

// bucket is the image bucket with its versioning, public-access block,
// default encryption and policy. A released bucket is read as a data
// source instead, for what refers to it.
func (r *renderer) bucket(b *constructs.Bucket) error {
	id, err := r.ref(b.ID, constructs.AttrID)
	if err != nil {
		return err
	}
	parts := []part{{"aws_s3_bucket", s3Bucket{Bucket: r.name(b.Name), ForceDestroy: b.Removal == constructs.Destroy}}}
	if b.Versioned {
		parts = append(parts, part{"aws_s3_bucket_versioning", s3BucketVersioning{Bucket: id, VersioningConfiguration: versioningConfigured{Status: "Enabled"}}})
	}
	if len(b.Lifecycle) > 0 {
		lc := s3Lifecycle{Bucket: id}
		for _, rule := range b.Lifecycle {
			lr := lifecycleRule{ID: rule.ID, Status: "Enabled"}
			if rule.AbortIncompleteMultipartDays > 0 {
				lr.AbortIncompleteMultipartUpload = &abortMultipart{DaysAfterInitiation: rule.AbortIncompleteMultipartDays}
			}
			if rule.NoncurrentExpirationDays > 0 {
				lr.NoncurrentVersionExpiration = &noncurrentExpiration{NoncurrentDays: rule.NoncurrentExpirationDays}
			}
			lc.Rule = append(lc.Rule, lr)
		}
		// Rules about noncurrent versions need versioning in place.
		if b.Versioned {
			lc.DependsOn = []string{address("aws_s3_bucket_versioning", b.ID)}
		}
		parts = append(parts, part{"aws_s3_bucket_lifecycle_configuration", lc})
	}
	var deps []string
	if b.BlockPublicAccess {
		parts = append(parts, part{"aws_s3_bucket_public_access_block", publicAccessBlock(id)})
		deps = append(deps, address("aws_s3_bucket_public_access_block", b.ID))
	}
	if b.Encryption != "" {
		parts = append(parts, part{"aws_s3_bucket_server_side_encryption_configuration", encryption(id, b.Encryption)})
	}
	var doc *policyDocument
	docName := string(b.ID + "Policy")
	if len(b.Policy) > 0 {
		stmts, err := r.statements(b.Policy)
		if err != nil {
			return err
		}
		doc = &policyDocument{Statement: stmts}
		parts = append(parts, part{"aws_s3_bucket_policy", s3BucketPolicy{
			Bucket: id, Policy: interp("data.aws_iam_policy_document." + docName + ".json"), DependsOn: deps,
		}})
	}
	if r.released[b.ID] {
		r.data("aws_s3_bucket", string(b.ID), s3BucketData{Bucket: r.name(b.Name)})
	} else if doc != nil {
		r.data("aws_iam_policy_document", docName, *doc)
	}
	r.emit(b.ID, parts)
	return nil
}

func publicAccessBlock(bucket string) s3PublicAccessBlock {
	return s3PublicAccessBlock{Bucket: bucket, BlockPublicACLs: true, BlockPublicPolicy: true, IgnorePublicACLs: true, RestrictPublicBuckets: true}
}

func encryption(bucket, algorithm string) s3Encryption {
	return s3Encryption{Bucket: bucket, Rule: []sseRule{{ApplyServerSideEncryptionByDefault: sseDefault{SSEAlgorithm: algorithm}}}}
}

// statements translates IAM statements into aws_iam_policy_document blocks.
func (r *renderer) statements(in []constructs.Statement) ([]policyStatement, error) {
	var out []policyStatement
	for _, s := range in {
		ps := policyStatement{Sid: s.Sid, Effect: s.Effect, Actions: s.Actions}
		for _, v := range s.Resources {
			res, err := r.statementValue(v)
			if err != nil {
				return nil, fmt.Errorf("statement %s: %w", s.Sid, err)
			}
			ps.Resources = append(ps.Resources, res)
		}
		switch s.Principal {
		case "":
		case "*":
			// type "*" renders "Principal": "*", as the model says.
			ps.Principals = []policyPrincipals{{Type: "*", Identifiers: []string{"*"}}}
		default:
			return nil, fmt.Errorf("statement %s: unsupported principal %q", s.Sid, s.Principal)
		}
		ops := make([]string, 0, len(s.Condition))
		for op := range s.Condition {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			keys := make([]string, 0, len(s.Condition[op]))
			for k := range s.Condition[op] {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				ps.Condition = append(ps.Condition, policyCondition{Test: op, Variable: k, Values: []string{s.Condition[op][k]}})
			}
		}
		out = append(out, ps)
	}
	return out, nil
}

// statementValue renders a statement's resource. A literal ARN may hold
// constructs.AccountToken (the launch hook's group ARN, whose account the
// model cannot know): it becomes the deploying account's id, as in bucket
// names.
func (r *renderer) statementValue(v constructs.Value) (string, error) {
	if v.Ref == nil {
		return r.name(v.Literal), nil
	}
	return r.value(v)
}

// table is a DynamoDB table. Retained tables get deletion protection (see
// the package doc); a released table is read as a data source instead.
func (r *renderer) table(t *constructs.Table) error {
	attrs := map[string]string{}
	var errs []error
	add := func(k constructs.Key) {
		if old, ok := attrs[k.Name]; ok && old != string(k.Type) {
			errs = append(errs, fmt.Errorf("attribute %s has types %s and %s", k.Name, old, k.Type))
		}
		attrs[k.Name] = string(k.Type)
	}
	body := dynamoTable{
		Name:                      t.Name,
		BillingMode:               t.BillingMode,
		HashKey:                   t.Partition.Name,
		PointInTimeRecovery:       pointInTimeRecovery{Enabled: t.PointInTimeRecovery},
		DeletionProtectionEnabled: t.DeletionProtection,
	}
	add(t.Partition)
	if t.Sort != nil {
		body.RangeKey = t.Sort.Name
		add(*t.Sort)
	}
	for _, ix := range t.Indexes {
		gsi := dynamoIndex{Name: ix.Name, HashKey: ix.Partition.Name, ProjectionType: ix.Projection}
		add(ix.Partition)
		if ix.Sort != nil {
			gsi.RangeKey = ix.Sort.Name
			add(*ix.Sort)
		}
		body.GlobalSecondaryIndex = append(body.GlobalSecondaryIndex, gsi)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		body.Attribute = append(body.Attribute, dynamoAttribute{Name: n, Type: attrs[n]})
	}
	if r.released[t.ID] {
		r.data("aws_dynamodb_table", string(t.ID), dynamoTableData{Name: t.Name})
	}
	r.emit(t.ID, []part{{"aws_dynamodb_table", body}})
	return nil
}

func (r *renderer) gateway(g *constructs.InternetGateway) error {
	vpcID, err := r.ref(g.VPC, constructs.AttrID)
	if err != nil {
		return err
	}
	r.resource("aws_internet_gateway", g.ID, internetGateway{VPCID: vpcID})
	return nil
}

// subnet is a subnet in the AZ at index AZ, with its own route table, a
// default route to the internet gateway and the association.
func (r *renderer) subnet(s *constructs.Subnet) error {
	vpcID, err := r.ref(r.sys.Network.VPC.ID, constructs.AttrID)
	if err != nil {
		return err
	}
	r.resource("aws_subnet", s.ID, subnet{
		VPCID:               vpcID,
		CIDRBlock:           s.CIDR,
		AvailabilityZone:    interp("data.aws_availability_zones." + dataZones + ".names[" + strconv.Itoa(s.AZ) + "]"),
		MapPublicIPOnLaunch: s.Public,
	})
	if s.RouteTable == "" {
		return nil
	}
	r.resource("aws_route_table", s.RouteTable, routeTable{VPCID: vpcID})
	rt, err := r.ref(s.RouteTable, constructs.AttrID)
	if err != nil {
		return err
	}
	if s.Public {
		igw, err := r.ref(r.sys.Network.Gateway, constructs.AttrID)
		if err != nil {
			return err
		}
		r.resource("aws_route", s.RouteTable, route{RouteTableID: rt, DestinationCIDRBlock: r.sys.Network.Internet, GatewayID: igw})
	}
	sub, err := r.ref(s.ID, constructs.AttrID)
	if err != nil {
		return err
	}
	r.resource("aws_route_table_association", s.ID, routeTableAssociation{SubnetID: sub, RouteTableID: rt})
	return nil
}

// securityGroup is a group without inline rules plus one rule resource per
// model rule. The provider removes AWS's default allow-all egress when it
// creates a group, so an empty Egress list means no outbound traffic.
func (r *renderer) securityGroup(g *constructs.SecurityGroup) error {
	vpcID, err := r.ref(r.sys.Network.VPC.ID, constructs.AttrID)
	if err != nil {
		return err
	}
	r.resource("aws_security_group", g.ID, securityGroup{Name: g.Name, Description: g.Description, VPCID: vpcID})
	sg, err := r.ref(g.ID, constructs.AttrID)
	if err != nil {
		return err
	}
	for _, dir := range []struct {
		typ, suffix string
		rules       []constructs.Rule
	}{
		{"aws_vpc_security_group_ingress_rule", "Ingress", g.Ingress},
		{"aws_vpc_security_group_egress_rule", "Egress", g.Egress},
	} {
		for i, rule := range dir.rules {
			body, err := r.rule(sg, rule)
			if err != nil {
				return fmt.Errorf("%s rule %d: %w", strings.ToLower(dir.suffix), i+1, err)
			}
			r.resource(dir.typ, RuleName(g.ID, dir.suffix, i), body)
		}
	}
	return nil
}

// RuleName is the Terraform name of the i-th (0-based) rule of a group in
// direction "Ingress" or "Egress": ServerSecurityGroupIngress1.
func RuleName(group constructs.ID, direction string, i int) constructs.ID {
	return constructs.ID(string(group) + direction + strconv.Itoa(i+1))
}

func (r *renderer) rule(sg string, rule constructs.Rule) (securityGroupRule, error) {
	body := securityGroupRule{SecurityGroupID: sg, Description: rule.Description, IPProtocol: rule.Protocol}
	if rule.Protocol != constructs.All {
		from, to := rule.FromPort, rule.ToPort
		body.FromPort, body.ToPort = &from, &to
	}
	switch {
	case rule.Peer != "" && rule.CIDR != "":
		return body, errors.New("both a peer and a CIDR")
	case rule.Peer != "":
		peer, err := r.ref(rule.Peer, constructs.AttrID)
		if err != nil {
			return body, err
		}
		body.ReferencedSecurityGroupID = peer
	case rule.CIDR != "":
		body.CIDRIPv4 = rule.CIDR
	default:
		return body, errors.New("neither a peer nor a CIDR")
	}
	return body, nil
}

// artifactStore is the model's artifact store as a bucket of this stack,
// rendered as the model describes it, when it holds any artifact.
func (r *renderer) artifactStore(st *constructs.ArtifactStore) error {
	r.store = st
	if len(st.Artifacts) == 0 {
		return nil
	}
	return r.bucket(&st.Bucket)
}

// artifact makes a cdktf asset of a built file. An artifact the store
// holds (the server binary) is also uploaded to the store's bucket.
func (r *renderer) artifact(a *constructs.Artifact) error {
	p, err := r.artifactPath(a)
	if err != nil {
		return err
	}
	asset := cdktf.NewTerraformAsset(r.stack, jsii.String(string(a.ID)), &cdktf.TerraformAssetConfig{
		Path: jsii.String(p),
		Type: cdktf.AssetType_FILE,
	})
	r.assets[a.ID] = asset
	if r.store == nil || !r.store.Holds(a.ID) {
		return nil
	}
	bucket, err := r.ref(r.store.Bucket.ID, constructs.AttrID)
	if err != nil {
		return err
	}
	r.types[a.ID] = "aws_s3_object"
	r.resource("aws_s3_object", a.ID, s3Object{
		Bucket: bucket,
		// The key changes with the content, so a new binary is new user
		// data: a new launch template version, which the group's
		// instance refresh rolls out.
		Key:    path.Join(string(a.ID), *asset.AssetHash(), path.Base(a.Path)),
		Source: *asset.Path(),
	})
	return nil
}

// role is an IAM role trusted by one service, with its managed policies,
// its inline policy (plus read access to the artifact it reads) and, for
// EC2, an instance profile.
func (r *renderer) role(ro *constructs.Role) error {
	trust := string(ro.ID) + "Trust"
	r.data("aws_iam_policy_document", trust, policyDocument{Statement: []policyStatement{{
		Effect:     "Allow",
		Actions:    []string{constructs.AssumeRoleAction},
		Principals: []policyPrincipals{{Type: "Service", Identifiers: []string{ro.Service}}},
	}}})
	r.resource("aws_iam_role", ro.ID, iamRole{Name: ro.Name, AssumeRolePolicy: interp("data.aws_iam_policy_document." + trust + ".json")})
	roleName, err := r.ref(ro.ID, constructs.AttrName)
	if err != nil {
		return err
	}
	for _, p := range ro.ManagedPolicies {
		arn := strings.Replace(constructs.ManagedPolicyARN(p), "arn:aws:", "arn:"+interp("data.aws_partition."+dataPartition+".partition")+":", 1)
		r.resource("aws_iam_role_policy_attachment", attachmentName(ro.ID, p), iamRolePolicyAttachment{Role: roleName, PolicyARN: arn})
	}
	stmts, err := r.statements(ro.Statements)
	if err != nil {
		return err
	}
	if ro.ReadsArtifact != nil {
		if r.types[*ro.ReadsArtifact] != "aws_s3_object" {
			return fmt.Errorf("reads artifact %q, which is not uploaded", *ro.ReadsArtifact)
		}
		read := constructs.ArtifactRead(*ro.ReadsArtifact)
		stmts = append(stmts, policyStatement{
			Sid:       read.Sid,
			Effect:    read.Effect,
			Actions:   read.Actions,
			Resources: []string{interp(address("aws_s3_object", *ro.ReadsArtifact) + ".arn")},
		})
	}
	if len(stmts) > 0 {
		if ro.PolicyName == "" {
			return errors.New("inline statements without a policy name")
		}
		doc := string(ro.ID) + "Policy"
		r.data("aws_iam_policy_document", doc, policyDocument{Statement: stmts})
		r.resource("aws_iam_role_policy", ro.ID, iamRolePolicy{Name: ro.PolicyName, Role: roleName, Policy: interp("data.aws_iam_policy_document." + doc + ".json")})
	}
	if ro.InstanceProfile != "" {
		r.resource("aws_iam_instance_profile", ro.InstanceProfile, iamInstanceProfile{Name: ro.ProfileName, Role: roleName})
	}
	return nil
}

// attachmentName names a managed-policy attachment after the role and the
// policy's last path element: FunctionRole_AWSLambdaBasicExecutionRole.
func attachmentName(role constructs.ID, policy string) constructs.ID {
	return constructs.ID(string(role) + "_" + path.Base(policy))
}

// serverGroup is the Auto Scaling group of servers: its launch template
// (AMI from the public SSM parameter, IMDSv2, encrypted root volume, user
// data that installs the binary from the artifacts bucket and completes
// the launch hook), the group itself registering its instances with the
// load balancer's target group, and its target-tracking policy.
func (r *renderer) serverGroup(g *constructs.ServerGroup) error {
	lt := g.Template
	if err := r.launchTemplate(&lt); err != nil {
		return fmt.Errorf("%s: %w", lt.ID, err)
	}
	var subnets []string
	for _, s := range g.Subnets {
		id, err := r.ref(s, constructs.AttrID)
		if err != nil {
			return err
		}
		subnets = append(subnets, id)
	}
	tg, err := r.ref(g.TargetGroup, constructs.AttrARN)
	if err != nil {
		return err
	}
	ltID, err := r.ref(lt.ID, constructs.AttrID)
	if err != nil {
		return err
	}
	// A new launch template version (a new binary, a new image, new user
	// data) changes the group's launch_template, which starts the
	// instance refresh.
	ltVersion := interp(address("aws_launch_template", lt.ID) + ".latest_version")
	// An instance runs its user data as soon as it boots: the role's
	// policy, the group's egress (a resource of its own here, inline in
	// CloudFormation) and each subnet's route to the internet must be in
	// place before the group launches one, or the download and the launch
	// hook's completion fail and the group abandons the instance.
	role := r.sys.Role(lt.Role)
	if role == nil {
		return fmt.Errorf("unknown role %q", lt.Role)
	}
	var deps []string
	if len(role.Statements) > 0 || role.ReadsArtifact != nil {
		deps = append(deps, address("aws_iam_role_policy", role.ID))
	}
	if sg := r.sys.Group(lt.Group); sg != nil {
		for i := range sg.Egress {
			deps = append(deps, address("aws_vpc_security_group_egress_rule", RuleName(sg.ID, "Egress", i)))
		}
	}
	for _, id := range g.Subnets {
		for _, s := range r.sys.Network.Subnets {
			if s.ID != id || s.RouteTable == "" {
				continue
			}
			if s.Public {
				deps = append(deps, address("aws_route", s.RouteTable))
			}
			deps = append(deps, address("aws_route_table_association", s.ID))
		}
	}
	r.resource("aws_autoscaling_group", g.ID, autoscalingGroup{
		Name:                   g.Name,
		MinSize:                g.Min,
		MaxSize:                g.Max,
		DesiredCapacity:        g.Desired,
		VPCZoneIdentifier:      subnets,
		TargetGroupARNs:        []string{tg},
		HealthCheckType:        g.HealthCheckType,
		HealthCheckGracePeriod: g.HealthCheckGraceSec,
		LaunchTemplate:         asgLaunchTemplate{ID: ltID, Version: ltVersion},
		// The hook must exist when the first instances launch, so it is
		// part of the group, not an aws_autoscaling_lifecycle_hook
		// created after it.
		InitialLifecycleHook: []lifecycleHook{{
			Name:                g.LaunchHook.Name,
			LifecycleTransition: g.LaunchHook.Transition,
			DefaultResult:       g.LaunchHook.DefaultResult,
			HeartbeatTimeout:    g.LaunchHook.HeartbeatSec,
		}},
		Tag: []asgTag{{Key: "Name", Value: g.NameTag, PropagateAtLaunch: true}},
		InstanceRefresh: instanceRefresh{Strategy: "Rolling", Preferences: refreshPreferences{
			MinHealthyPercentage: g.Rolling.MinHealthyPercent,
			MaxHealthyPercentage: g.Rolling.MaxHealthyPercent,
			InstanceWarmup:       g.Rolling.PauseSec,
		}},
		DependsOn: deps,
	})
	return r.scalingPolicy(g)
}

// launchTemplate is aws_launch_template lt.ID.
func (r *renderer) launchTemplate(lt *constructs.LaunchTemplate) error {
	ami, ok := r.amis[lt.AMIParameter]
	if !ok {
		ami = "ami_" + strings.ReplaceAll(lt.Architecture, "-", "_")
		for _, other := range r.amis {
			if other == ami {
				return fmt.Errorf("two AMI parameters for architecture %s", lt.Architecture)
			}
		}
		r.amis[lt.AMIParameter] = ami
		r.data("aws_ssm_parameter", ami, ssmParameter{Name: lt.AMIParameter})
	}
	sg, err := r.ref(lt.Group, constructs.AttrID)
	if err != nil {
		return err
	}
	role := r.sys.Role(lt.Role)
	if role == nil || role.InstanceProfile == "" {
		return fmt.Errorf("role %q has no instance profile", lt.Role)
	}
	profile, err := r.ref(role.InstanceProfile, constructs.AttrName)
	if err != nil {
		return err
	}
	userData, err := r.userData()
	if err != nil {
		return err
	}
	tokens := "optional"
	if lt.RequireIMDSv2 {
		tokens = "required"
	}
	var credits *creditSpec
	if lt.CPUCredits != "" {
		credits = &creditSpec{CPUCredits: lt.CPUCredits}
	}
	v := lt.RootVolume
	r.resource("aws_launch_template", lt.ID, launchTemplate{
		Name:                lt.Name,
		ImageID:             interp("data.aws_ssm_parameter." + ami + ".insecure_value"),
		InstanceType:        lt.Type,
		IAMInstanceProfile:  ltProfile{Name: profile},
		VPCSecurityGroupIDs: []string{sg},
		MetadataOptions:     metadataOptions{HTTPEndpoint: "enabled", HTTPTokens: tokens, HTTPPutResponseHopLimit: lt.MetadataHopLimit},
		BlockDeviceMappings: []ltBlockDevice{{DeviceName: v.Device, EBS: ltEBS{
			Encrypted: strconv.FormatBool(v.Encrypted), VolumeSize: v.SizeGiB, VolumeType: v.Type,
		}}},
		CreditSpecification: credits,
		// A launch template takes user data base64-encoded (aws_instance
		// encoded it itself). The script is a template with references in
		// it, so it is encoded by Terraform, after interpolation.
		UserData: interp("base64encode(" + hclQuote(userData) + ")"),
	})
	return nil
}

// scalingPolicy is the group's target-tracking policy. Its resource label
// joins the load balancer's and the target group's full names.
func (r *renderer) scalingPolicy(g *constructs.ServerGroup) error {
	sc := g.Scaling
	lb, err := r.ref(sc.LoadBalancer, constructs.AttrFullName)
	if err != nil {
		return err
	}
	tg, err := r.ref(sc.TargetGroup, constructs.AttrFullName)
	if err != nil {
		return err
	}
	name, err := r.ref(g.ID, constructs.AttrName)
	if err != nil {
		return err
	}
	r.resource("aws_autoscaling_policy", g.ID, autoscalingPolicy{
		Name:                 sc.Name,
		AutoscalingGroupName: name,
		PolicyType:           constructs.ScalingPolicyType,
		TargetTrackingConfiguration: targetTracking{
			PredefinedMetricSpecification: predefinedMetric{PredefinedMetricType: sc.Metric, ResourceLabel: lb + "/" + tg},
			TargetValue:                   sc.TargetValue,
		},
	})
	return nil
}

// userData renders the model's start-up script. The model text is escaped
// for Terraform; the references inside it are not.
func (r *renderer) userData() (string, error) {
	bin := r.sys.ServerBinary.ID
	if r.types[bin] != "aws_s3_object" {
		return "", fmt.Errorf("server binary %q is not uploaded", bin)
	}
	// Placeholders stand for interpolations until the script is escaped.
	var exprs []string
	hole := func(s string) string {
		exprs = append(exprs, s)
		return fmt.Sprintf("\x00%d\x00", len(exprs)-1)
	}
	obj := address("aws_s3_object", bin)
	var errs []error
	script := r.sys.UserData(hole(interp(obj+".bucket")), hole(interp(obj+".key")), func(v constructs.Value) string {
		s, err := r.value(v)
		errs = append(errs, err)
		return hole(s)
	})
	if err := errors.Join(errs...); err != nil {
		return "", fmt.Errorf("user data: %w", err)
	}
	script = escape(script)
	for i, e := range exprs {
		script = strings.Replace(script, fmt.Sprintf("\x00%d\x00", i), e, 1)
	}
	return script, nil
}

// loadBalancer is the internal ALB, its target group and the listener
// forwarding to it. The server group registers its instances itself.
func (r *renderer) loadBalancer(lb *constructs.LoadBalancer) error {
	var subnets []string
	for _, s := range lb.Subnets {
		id, err := r.ref(s, constructs.AttrID)
		if err != nil {
			return err
		}
		subnets = append(subnets, id)
	}
	sg, err := r.ref(lb.Group, constructs.AttrID)
	if err != nil {
		return err
	}
	vpcID, err := r.ref(r.sys.Network.VPC.ID, constructs.AttrID)
	if err != nil {
		return err
	}
	r.resource("aws_lb", lb.ID, loadBalancer{
		Name: lb.Name, Internal: lb.Internal, LoadBalancerType: "application",
		Subnets: subnets, SecurityGroups: []string{sg},
	})
	r.resource("aws_lb_target_group", lb.TargetGroup, targetGroup{
		Name: lb.TargetName, Port: lb.TargetPort, Protocol: "HTTP", TargetType: "instance", VPCID: vpcID,
		HealthCheck: healthCheck{
			Path:               lb.HealthPath,
			HealthyThreshold:   lb.Health.HealthyThreshold,
			UnhealthyThreshold: lb.Health.UnhealthyThreshold,
			Interval:           lb.Health.IntervalSec,
			Timeout:            lb.Health.TimeoutSec,
			Matcher:            lb.Health.Matcher,
		},
	})
	tg, err := r.ref(lb.TargetGroup, constructs.AttrARN)
	if err != nil {
		return err
	}
	arn, err := r.ref(lb.ID, constructs.AttrARN)
	if err != nil {
		return err
	}
	r.resource("aws_lb_listener", lb.Listener, listener{
		LoadBalancerARN: arn, Port: lb.ListenerPort, Protocol: "HTTP",
		DefaultAction: []listenerAction{{Type: "forward", TargetGroupARN: tg}},
	})
	return nil
}

// function is the Lambda, its code uploaded from the zip asset, and its
// function URL.
func (r *renderer) function(f *constructs.Function) error {
	asset, ok := r.assets[f.Code]
	if !ok {
		return fmt.Errorf("code artifact %q not declared before the function", f.Code)
	}
	role, err := r.ref(f.Role, constructs.AttrARN)
	if err != nil {
		return err
	}
	var subnets []string
	for _, s := range f.Subnets {
		id, err := r.ref(s, constructs.AttrID)
		if err != nil {
			return err
		}
		subnets = append(subnets, id)
	}
	sg, err := r.ref(f.Group, constructs.AttrID)
	if err != nil {
		return err
	}
	env := map[string]string{}
	for _, e := range f.Environment {
		v, err := r.value(e.Value)
		if err != nil {
			return fmt.Errorf("environment %s: %w", e.Name, err)
		}
		env[e.Name] = v
	}
	// The log group exists before the function runs, so Lambda never
	// creates one of its own without retention.
	r.resource("aws_cloudwatch_log_group", f.Logs.ID, logGroup{Name: f.Logs.Name, RetentionInDays: f.Logs.RetentionDays})
	// The execution role needs its VPC permissions before the function can
	// create its network interfaces.
	deps := []string{address("aws_cloudwatch_log_group", f.Logs.ID)}
	if ro := r.sys.Role(f.Role); ro != nil {
		for _, p := range ro.ManagedPolicies {
			deps = append(deps, address("aws_iam_role_policy_attachment", attachmentName(ro.ID, p)))
		}
		if len(ro.Statements) > 0 {
			deps = append(deps, address("aws_iam_role_policy", ro.ID))
		}
	}
	file := *asset.Path()
	r.resource("aws_lambda_function", f.ID, lambdaFunction{
		FunctionName:   f.Name,
		Role:           role,
		Runtime:        f.Runtime,
		Architectures:  []string{f.Architecture},
		Handler:        f.Handler,
		MemorySize:     f.MemoryMB,
		Timeout:        f.TimeoutSec,
		Reserved:       f.ReservedConcurrency,
		Filename:       file,
		SourceCodeHash: interp("filebase64sha256(" + hclQuote(file) + ")"),
		VPCConfig:      lambdaVPCConfig{SubnetIDs: subnets, SecurityGroupIDs: []string{sg}},
		Environment:    lambdaEnvironment{Variables: env},
		DependsOn:      deps,
	})
	if f.URL != "" {
		name, err := r.ref(f.ID, constructs.AttrName)
		if err != nil {
			return err
		}
		r.resource("aws_lambda_function_url", f.URL, lambdaFunctionURL{FunctionName: name, AuthorizationType: f.URLAuth})
	}
	return nil
}

// output is a stack output named exactly as in the model.
func (r *renderer) output(o *constructs.Output) error {
	value, err := r.value(o.Value)
	if err != nil {
		return err
	}
	cfg := &cdktf.TerraformOutputConfig{Value: jsii.String(value), StaticId: jsii.Bool(true)}
	if o.Description != "" {
		cfg.Description = jsii.String(o.Description)
	}
	cdktf.NewTerraformOutput(r.stack, jsii.String(o.Name), cfg)
	return nil
}
