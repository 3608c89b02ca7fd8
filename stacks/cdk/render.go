package cdk

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/twinstack/twinstack/constructs"
)

// Logical-ID suffixes of resources that the model implies but does not name
// (one per subnet, gateway, bucket or security-group rule).
const (
	suffixAttachment  = "Attachment"            // InternetGateway -> InternetGatewayAttachment
	suffixAssociation = "RouteTableAssociation" // PublicSubnet1 -> PublicSubnet1RouteTableAssociation
	suffixRoute       = "DefaultRoute"          // PublicSubnet1 -> PublicSubnet1DefaultRoute
	suffixPolicy      = "Policy"                // ImagesBucket -> ImagesBucketPolicy
	suffixScaling     = "ScalingPolicy"         // ServerGroup -> ServerGroupScalingPolicy
)

// matchNothing is the egress rule AWS CDK itself uses to express "no
// outbound traffic": CloudFormation keeps a security group's default
// allow-all egress unless the group lists at least one inline egress rule,
// and rules naming another group are separate resources.
var matchNothing = awsec2.CfnSecurityGroup_EgressProperty{
	CidrIp:      jsii.String("255.255.255.255/32"),
	Description: jsii.String("Disallow all traffic"),
	IpProtocol:  jsii.String("icmp"),
	FromPort:    jsii.Number(252),
	ToPort:      jsii.Number(86),
}

// renderer holds what one stack's rendering has produced so far: tokens for
// model attributes, and the L1/L2 objects later nodes attach to. It lives
// for one call of New.
type renderer struct {
	sys     *constructs.System
	stack   awscdk.Stack
	root    string
	imports cdkconstructs.Construct

	attrs map[constructs.ID]map[constructs.Attr]*string

	vpc        awsec2.CfnVPC
	vpcView    awsec2.IVpc
	gateway    awsec2.CfnInternetGateway
	attachment awsec2.CfnVPCGatewayAttachment
	subnets    map[constructs.ID]*subnetRefs
	subnetIDs  []constructs.ID

	cfnGroups map[constructs.ID]awsec2.CfnSecurityGroup
	groups    map[constructs.ID]awsec2.ISecurityGroup // immutable views for L2s
	// groupRules are a group's rules that are resources of their own
	// (those naming another group), by the group they belong to.
	groupRules map[constructs.ID][]awscdk.CfnResource

	artifacts map[constructs.ID]string // absolute paths
	assets    map[constructs.ID]awss3assets.Asset
	roles     map[constructs.ID]awsiam.IRole
	profiles  map[constructs.ID]awsiam.IInstanceProfile // by role ID

	targetGroups map[constructs.ID]elbv2.IApplicationTargetGroup
}

type subnetRefs struct {
	cfn   awsec2.CfnSubnet
	az    *string
	table awsec2.CfnRouteTable
	assoc awsec2.CfnSubnetRouteTableAssociation
	route awsec2.CfnRoute
	view  awsec2.ISubnet
}

func (r *renderer) visit(n constructs.Node) error {
	switch n := n.(type) {
	case *constructs.Bucket:
		return r.bucket(n)
	case *constructs.Table:
		return r.table(n)
	case *constructs.VPC:
		return r.network(n)
	case *constructs.InternetGateway:
		return r.internetGateway(n)
	case *constructs.Subnet:
		return r.subnet(n)
	case *constructs.SecurityGroup:
		return r.securityGroup(n)
	case *constructs.ArtifactStore:
		// The bootstrap's asset bucket is the store: cdk deploy publishes
		// the artifacts there. The model says what a role may read
		// (constructs.ArtifactRead); this renderer says where.
		return nil
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
		return fmt.Errorf("unsupported model node %T", n)
	}
}

// setAttr records the token for attribute a of node id.
func (r *renderer) setAttr(id constructs.ID, a constructs.Attr, token *string) {
	m := r.attrs[id]
	if m == nil {
		m = map[constructs.Attr]*string{}
		r.attrs[id] = m
	}
	m[a] = token
}

// value turns a model value into a string that may carry CDK tokens; CDK
// renders literal text around a token as Fn::Join.
func (r *renderer) value(v constructs.Value) (*string, error) {
	if v.Ref == nil {
		return withAccount(v.Prefix + v.Literal + v.Suffix), nil
	}
	tok, ok := r.attrs[v.Ref.To][v.Ref.Attr]
	if !ok {
		return nil, fmt.Errorf("reference to %s.%s: no such rendered attribute", v.Ref.To, v.Ref.Attr)
	}
	if v.Prefix == "" && v.Suffix == "" {
		return tok, nil
	}
	// Around a reference the text is already a join: the account is one
	// more token in it.
	account := func(s string) string { return strings.ReplaceAll(s, constructs.AccountToken, *awscdk.Aws_ACCOUNT_ID()) }
	return jsii.String(account(v.Prefix) + *tok + account(v.Suffix)), nil
}

// withAccount is literal text in which constructs.AccountToken stands for
// the deploying account: an Fn::Sub of AWS::AccountId then, since the
// stack is environment-agnostic (the account is known at deploy time
// only). Text without the token stays a plain string.
func withAccount(s string) *string {
	if !strings.Contains(s, constructs.AccountToken) {
		return jsii.String(s)
	}
	// "${" in the literal itself is text, not a Sub variable.
	s = strings.ReplaceAll(s, "${", "${!")
	return awscdk.Fn_Sub(jsii.String(strings.ReplaceAll(s, constructs.AccountToken, "${AWS::AccountId}")), nil)
}

func (r *renderer) values(vs []constructs.Value) ([]*string, error) {
	out := make([]*string, 0, len(vs))
	for _, v := range vs {
		s, err := r.value(v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// overrideID gives the resource behind an L2 construct the model's ID as
// its logical ID.
// Properties listed in drop are removed: values an L2 construct states that
// the model does not (all of them AWS defaults or implied by another
// property).
func overrideID(c cdkconstructs.IConstruct, id string, drop ...string) error {
	res, ok := c.Node().DefaultChild().(awscdk.CfnResource)
	if !ok {
		return fmt.Errorf("%s: construct has no CloudFormation resource", id)
	}
	res.OverrideLogicalId(jsii.String(id))
	for _, p := range drop {
		res.AddPropertyDeletionOverride(jsii.String(p))
	}
	return nil
}

func removalPolicy(r constructs.Removal) (awscdk.RemovalPolicy, error) {
	switch r {
	case constructs.Retain, "":
		return awscdk.RemovalPolicy_RETAIN, nil
	case constructs.Destroy:
		return awscdk.RemovalPolicy_DESTROY, nil
	}
	return "", fmt.Errorf("unsupported removal %q", r)
}

// statement translates one model IAM statement. PolicyStatement_FromJson
// keeps it as written: a "*" principal stays the string "*".
func (r *renderer) statement(s constructs.Statement) (awsiam.PolicyStatement, error) {
	res, err := r.values(s.Resources)
	if err != nil {
		return nil, fmt.Errorf("statement %s: %w", s.Sid, err)
	}
	if s.Effect != "Allow" && s.Effect != "Deny" {
		return nil, fmt.Errorf("statement %s: unsupported effect %q", s.Sid, s.Effect)
	}
	m := map[string]any{"Effect": s.Effect, "Action": s.Actions, "Resource": res}
	if s.Sid != "" {
		m["Sid"] = s.Sid
	}
	if s.Principal != "" {
		m["Principal"] = s.Principal
	}
	if len(s.Condition) > 0 {
		m["Condition"] = s.Condition
	}
	return awsiam.PolicyStatement_FromJson(m), nil
}

func (r *renderer) bucket(b *constructs.Bucket) error {
	if b.Encryption != "AES256" {
		return fmt.Errorf("unsupported bucket encryption %q", b.Encryption)
	}
	if b.DenyInsecure && len(b.Policy) == 0 {
		return errors.New("bucket denies insecure transport but the model has no policy statement")
	}
	removal, err := removalPolicy(b.Removal)
	if err != nil {
		return err
	}
	props := &awss3.BucketProps{
		BucketName:    withAccount(b.Name),
		Versioned:     jsii.Bool(b.Versioned),
		Encryption:    awss3.BucketEncryption_S3_MANAGED,
		RemovalPolicy: removal,
		// Deleting a bucket that holds objects fails: opting into
		// destroy means emptying it first (a CDK custom resource).
		AutoDeleteObjects: jsii.Bool(b.Removal == constructs.Destroy),
	}
	if b.BlockPublicAccess {
		props.BlockPublicAccess = awss3.BlockPublicAccess_BLOCK_ALL()
	}
	if len(b.Lifecycle) > 0 {
		var rules []*awss3.LifecycleRule
		for _, rule := range b.Lifecycle {
			lr := &awss3.LifecycleRule{Id: jsii.String(rule.ID), Enabled: jsii.Bool(true)}
			if rule.AbortIncompleteMultipartDays > 0 {
				lr.AbortIncompleteMultipartUploadAfter = awscdk.Duration_Days(jsii.Number(rule.AbortIncompleteMultipartDays))
			}
			if rule.NoncurrentExpirationDays > 0 {
				lr.NoncurrentVersionExpiration = awscdk.Duration_Days(jsii.Number(rule.NoncurrentExpirationDays))
			}
			rules = append(rules, lr)
		}
		props.LifecycleRules = &rules
	}
	bucket := awss3.NewBucket(r.stack, jsii.String(string(b.ID)), props)
	if err := overrideID(bucket, string(b.ID)); err != nil {
		return err
	}
	r.setAttr(b.ID, constructs.AttrName, bucket.BucketName())
	r.setAttr(b.ID, constructs.AttrARN, bucket.BucketArn())
	for _, s := range b.Policy {
		st, err := r.statement(s)
		if err != nil {
			return err
		}
		bucket.AddToResourcePolicy(st)
	}
	if p := bucket.Policy(); p != nil {
		if err := overrideID(p, string(b.ID)+suffixPolicy); err != nil {
			return err
		}
	}
	return nil
}

func attribute(k constructs.Key) (*awsdynamodb.Attribute, error) {
	var t awsdynamodb.AttributeType
	switch k.Type {
	case constructs.String:
		t = awsdynamodb.AttributeType_STRING
	case constructs.Number:
		t = awsdynamodb.AttributeType_NUMBER
	default:
		return nil, fmt.Errorf("key %s: unsupported type %q", k.Name, k.Type)
	}
	return &awsdynamodb.Attribute{Name: jsii.String(k.Name), Type: t}, nil
}

func (r *renderer) table(t *constructs.Table) error {
	if t.BillingMode != "PAY_PER_REQUEST" {
		return fmt.Errorf("unsupported billing mode %q", t.BillingMode)
	}
	removal, err := removalPolicy(t.Removal)
	if err != nil {
		return err
	}
	pk, err := attribute(t.Partition)
	if err != nil {
		return err
	}
	props := &awsdynamodb.TableProps{
		TableName:     jsii.String(t.Name),
		PartitionKey:  pk,
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		RemovalPolicy: removal,
	}
	if t.DeletionProtection {
		props.DeletionProtection = jsii.Bool(true)
	}
	if t.Sort != nil {
		if props.SortKey, err = attribute(*t.Sort); err != nil {
			return err
		}
	}
	if t.PointInTimeRecovery {
		props.PointInTimeRecoverySpecification = &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)}
	}
	table := awsdynamodb.NewTable(r.stack, jsii.String(string(t.ID)), props)
	for _, ix := range t.Indexes {
		if ix.Projection != "ALL" {
			return fmt.Errorf("index %s: unsupported projection %q", ix.Name, ix.Projection)
		}
		gsi := &awsdynamodb.GlobalSecondaryIndexProps{IndexName: jsii.String(ix.Name), ProjectionType: awsdynamodb.ProjectionType_ALL}
		if gsi.PartitionKey, err = attribute(ix.Partition); err != nil {
			return err
		}
		if ix.Sort != nil {
			if gsi.SortKey, err = attribute(*ix.Sort); err != nil {
				return err
			}
		}
		table.AddGlobalSecondaryIndex(gsi)
	}
	if err := overrideID(table, string(t.ID)); err != nil {
		return err
	}
	r.setAttr(t.ID, constructs.AttrName, table.TableName())
	r.setAttr(t.ID, constructs.AttrARN, table.TableArn())
	return nil
}

// The network is L1: the model fixes every CIDR, zone index and route
// table, which the L2 Vpc would choose (and name) itself.
func (r *renderer) network(v *constructs.VPC) error {
	r.vpc = awsec2.NewCfnVPC(r.stack, jsii.String(string(v.ID)), &awsec2.CfnVPCProps{
		CidrBlock:          jsii.String(v.CIDR),
		EnableDnsSupport:   jsii.Bool(v.DNSSupport),
		EnableDnsHostnames: jsii.Bool(v.DNSHostnames),
	})
	r.setAttr(v.ID, constructs.AttrID, r.vpc.Ref())
	return nil
}

func (r *renderer) internetGateway(g *constructs.InternetGateway) error {
	if r.vpc == nil || r.attrs[g.VPC] == nil {
		return fmt.Errorf("gateway before its VPC %s", g.VPC)
	}
	r.gateway = awsec2.NewCfnInternetGateway(r.stack, jsii.String(string(g.ID)), nil)
	r.attachment = awsec2.NewCfnVPCGatewayAttachment(r.stack, jsii.String(string(g.ID)+suffixAttachment), &awsec2.CfnVPCGatewayAttachmentProps{
		VpcId:             r.attrs[g.VPC][constructs.AttrID],
		InternetGatewayId: r.gateway.Ref(),
	})
	r.setAttr(g.ID, constructs.AttrID, r.gateway.Ref())
	return nil
}

func (r *renderer) subnet(s *constructs.Subnet) error {
	if r.gateway == nil {
		return errors.New("subnet before the internet gateway")
	}
	id := string(s.ID)
	az := awscdk.Fn_Select(jsii.Number(s.AZ), awscdk.Fn_GetAzs(jsii.String("")))
	sn := awsec2.NewCfnSubnet(r.stack, jsii.String(id), &awsec2.CfnSubnetProps{
		VpcId:               r.vpc.Ref(),
		CidrBlock:           jsii.String(s.CIDR),
		AvailabilityZone:    az,
		MapPublicIpOnLaunch: jsii.Bool(s.Public),
	})
	rt := awsec2.NewCfnRouteTable(r.stack, jsii.String(string(s.RouteTable)), &awsec2.CfnRouteTableProps{VpcId: r.vpc.Ref()})
	assoc := awsec2.NewCfnSubnetRouteTableAssociation(r.stack, jsii.String(id+suffixAssociation), &awsec2.CfnSubnetRouteTableAssociationProps{
		SubnetId:     sn.Ref(),
		RouteTableId: rt.Ref(),
	})
	route := awsec2.NewCfnRoute(r.stack, jsii.String(id+suffixRoute), &awsec2.CfnRouteProps{
		RouteTableId:         rt.Ref(),
		DestinationCidrBlock: jsii.String(r.sys.Network.Internet),
		GatewayId:            r.gateway.Ref(),
	})
	// A route to a gateway that is not attached yet fails.
	route.Node().AddDependency(r.attachment)
	view := awsec2.Subnet_FromSubnetAttributes(r.imports, jsii.String(id), &awsec2.SubnetAttributes{
		SubnetId:         sn.Ref(),
		AvailabilityZone: az,
		RouteTableId:     rt.Ref(),
	})
	r.subnets[s.ID] = &subnetRefs{cfn: sn, az: az, table: rt, assoc: assoc, route: route, view: view}
	r.subnetIDs = append(r.subnetIDs, s.ID)
	r.setAttr(s.ID, constructs.AttrID, sn.Ref())
	return nil
}

// vpcRef returns the IVpc the L2 constructs (server group, load balancer, Lambda)
// take. It is an import of the L1 network and adds no resources.
func (r *renderer) vpcRef() (awsec2.IVpc, error) {
	if r.vpcView != nil {
		return r.vpcView, nil
	}
	if r.vpc == nil || len(r.subnetIDs) == 0 {
		return nil, errors.New("network not rendered yet")
	}
	var azs, ids, tables []*string
	for _, id := range r.subnetIDs {
		s := r.subnets[id]
		azs = append(azs, s.az)
		ids = append(ids, s.cfn.Ref())
		tables = append(tables, s.table.Ref())
	}
	r.vpcView = awsec2.Vpc_FromVpcAttributes(r.imports, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId:                     r.vpc.Ref(),
		AvailabilityZones:         &azs,
		PublicSubnetIds:           &ids,
		PublicSubnetRouteTableIds: &tables,
	})
	return r.vpcView, nil
}

func (r *renderer) subnetSelection(ids []constructs.ID) (*awsec2.SubnetSelection, error) {
	var views []awsec2.ISubnet
	for _, id := range ids {
		s, ok := r.subnets[id]
		if !ok {
			return nil, fmt.Errorf("unknown subnet %s", id)
		}
		views = append(views, s.view)
	}
	return &awsec2.SubnetSelection{Subnets: &views}, nil
}

// declareGroups creates every security group before any rule, because
// rules refer to groups in both directions.
func (r *renderer) declareGroups() {
	for _, g := range r.sys.Groups {
		cfn := awsec2.NewCfnSecurityGroup(r.stack, jsii.String(string(g.ID)), &awsec2.CfnSecurityGroupProps{
			GroupName:        jsii.String(g.Name),
			GroupDescription: jsii.String(g.Description),
			VpcId:            r.vpc.Ref(),
		})
		r.cfnGroups[g.ID] = cfn
		// Immutable: L2 constructs must not add rules the model lacks
		// (a listener's "open" rule, load balancer to target rules).
		r.groups[g.ID] = awsec2.SecurityGroup_FromSecurityGroupId(r.imports, jsii.String(string(g.ID)), cfn.AttrGroupId(), &awsec2.SecurityGroupImportOptions{
			Mutable:          jsii.Bool(false),
			AllowAllOutbound: jsii.Bool(false),
		})
		r.setAttr(g.ID, constructs.AttrID, cfn.AttrGroupId())
	}
}

type ports struct {
	from, to *float64
	suffix   string // part of a rule's logical ID: "8080", "22To23", "All"
}

func rulePorts(rule constructs.Rule) (ports, error) {
	switch rule.Protocol {
	case constructs.All:
		return ports{suffix: "All"}, nil
	case constructs.TCP:
		p := ports{from: jsii.Number(rule.FromPort), to: jsii.Number(rule.ToPort), suffix: strconv.Itoa(rule.FromPort)}
		if rule.ToPort != rule.FromPort {
			p.suffix += "To" + strconv.Itoa(rule.ToPort)
		}
		return p, nil
	}
	return ports{}, fmt.Errorf("rule %q: unsupported protocol %q", rule.Description, rule.Protocol)
}

// securityGroup renders the group's rules exactly as the model lists them:
// CIDR rules inline, rules naming another group as separate
// SecurityGroupIngress/Egress resources (so that groups can refer to each
// other without a cycle).
func (r *renderer) securityGroup(g *constructs.SecurityGroup) error {
	if r.vpc == nil {
		return errors.New("security group before the VPC")
	}
	if len(r.cfnGroups) == 0 {
		r.declareGroups()
	}
	cfn, ok := r.cfnGroups[g.ID]
	if !ok {
		return errors.New("security group is not in the model's group list")
	}
	groupID := cfn.AttrGroupId()
	ingress, err := r.rules(g.Ingress,
		func(rule constructs.Rule, p ports) any {
			return &awsec2.CfnSecurityGroup_IngressProperty{
				IpProtocol: jsii.String(rule.Protocol), CidrIp: jsii.String(rule.CIDR),
				FromPort: p.from, ToPort: p.to, Description: jsii.String(rule.Description),
			}
		},
		func(rule constructs.Rule, peer awsec2.CfnSecurityGroup, p ports) {
			res := awsec2.NewCfnSecurityGroupIngress(r.stack, jsii.String(string(g.ID)+"IngressFrom"+string(rule.Peer)+p.suffix), &awsec2.CfnSecurityGroupIngressProps{
				GroupId: groupID, IpProtocol: jsii.String(rule.Protocol), SourceSecurityGroupId: peer.AttrGroupId(),
				FromPort: p.from, ToPort: p.to, Description: jsii.String(rule.Description),
			})
			r.groupRules[g.ID] = append(r.groupRules[g.ID], res)
		})
	if err != nil {
		return err
	}
	egress, err := r.rules(g.Egress,
		func(rule constructs.Rule, p ports) any {
			return &awsec2.CfnSecurityGroup_EgressProperty{
				IpProtocol: jsii.String(rule.Protocol), CidrIp: jsii.String(rule.CIDR),
				FromPort: p.from, ToPort: p.to, Description: jsii.String(rule.Description),
			}
		},
		func(rule constructs.Rule, peer awsec2.CfnSecurityGroup, p ports) {
			res := awsec2.NewCfnSecurityGroupEgress(r.stack, jsii.String(string(g.ID)+"EgressTo"+string(rule.Peer)+p.suffix), &awsec2.CfnSecurityGroupEgressProps{
				GroupId: groupID, IpProtocol: jsii.String(rule.Protocol), DestinationSecurityGroupId: peer.AttrGroupId(),
				FromPort: p.from, ToPort: p.to, Description: jsii.String(rule.Description),
			})
			r.groupRules[g.ID] = append(r.groupRules[g.ID], res)
		})
	if err != nil {
		return err
	}
	if len(egress) == 0 {
		// Without an inline egress rule CloudFormation keeps the
		// default allow-all egress; the model allows only its own.
		m := matchNothing
		egress = append(egress, &m)
	}
	if len(ingress) > 0 {
		cfn.SetSecurityGroupIngress(ingress)
	}
	cfn.SetSecurityGroupEgress(egress)
	return nil
}

// rules renders one direction of a group's rules: a CIDR rule becomes an
// inline property (returned), a rule naming another group its own resource
// (made by peerRule), in the model's order.
func (r *renderer) rules(rules []constructs.Rule, inline func(constructs.Rule, ports) any, peerRule func(constructs.Rule, awsec2.CfnSecurityGroup, ports)) ([]any, error) {
	var out []any
	for _, rule := range rules {
		p, err := rulePorts(rule)
		if err != nil {
			return nil, err
		}
		switch {
		case rule.CIDR != "" && rule.Peer == "":
			out = append(out, inline(rule, p))
		case rule.Peer != "" && rule.CIDR == "":
			peer, ok := r.cfnGroups[rule.Peer]
			if !ok {
				return nil, fmt.Errorf("rule %q: unknown peer group %s", rule.Description, rule.Peer)
			}
			peerRule(rule, peer, p)
		default:
			return nil, fmt.Errorf("rule %q: want exactly one of peer and CIDR", rule.Description)
		}
	}
	return out, nil
}

// artifact records where a built file is. It is staged by the node that
// ships it: the Lambda's code as the function's asset (Code_FromAsset), the
// server binary as a file asset the instances download (asset).
func (r *renderer) artifact(a *constructs.Artifact) error {
	r.artifacts[a.ID] = filepath.Join(r.root, a.Path)
	return nil
}

// asset stages artifact id once as a CDK file asset, published to the
// bootstrap bucket by `cdk deploy`.
func (r *renderer) asset(id constructs.ID) (awss3assets.Asset, error) {
	if a, ok := r.assets[id]; ok {
		return a, nil
	}
	path, ok := r.artifacts[id]
	if !ok {
		return nil, fmt.Errorf("unknown artifact %s", id)
	}
	a := awss3assets.NewAsset(r.stack, jsii.String(string(id)), &awss3assets.AssetProps{Path: jsii.String(path)})
	r.assets[id] = a
	return a, nil
}

func (r *renderer) role(n *constructs.Role) error {
	var managed []awsiam.IManagedPolicy
	for _, name := range n.ManagedPolicies {
		managed = append(managed, awsiam.ManagedPolicy_FromAwsManagedPolicyName(jsii.String(name)))
	}
	var stmts []awsiam.PolicyStatement
	for _, s := range n.Statements {
		st, err := r.statement(s)
		if err != nil {
			return err
		}
		stmts = append(stmts, st)
	}
	if n.ReadsArtifact != nil {
		asset, err := r.asset(*n.ReadsArtifact)
		if err != nil {
			return err
		}
		// Read access to this one object of the asset bucket, not the
		// bucket-wide read that Asset.GrantRead writes.
		read := constructs.ArtifactRead(*n.ReadsArtifact)
		read.Resources = []constructs.Value{constructs.Lit("arn:" + *awscdk.Aws_PARTITION() + ":s3:::" + *asset.S3BucketName() + "/" + *asset.S3ObjectKey())}
		st, err := r.statement(read)
		if err != nil {
			return err
		}
		stmts = append(stmts, st)
	}
	props := &awsiam.RoleProps{
		RoleName:        jsii.String(n.Name),
		AssumedBy:       awsiam.NewServicePrincipal(jsii.String(n.Service), nil),
		ManagedPolicies: &managed,
	}
	if len(stmts) > 0 {
		if n.PolicyName == "" {
			return errors.New("role has statements but no policy name")
		}
		props.InlinePolicies = &map[string]awsiam.PolicyDocument{
			n.PolicyName: awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &stmts}),
		}
	}
	role := awsiam.NewRole(r.stack, jsii.String(string(n.ID)), props)
	if err := overrideID(role, string(n.ID)); err != nil {
		return err
	}
	r.roles[n.ID] = role
	r.setAttr(n.ID, constructs.AttrARN, role.RoleArn())
	r.setAttr(n.ID, constructs.AttrName, role.RoleName())
	if n.InstanceProfile != "" {
		p := awsiam.NewInstanceProfile(r.stack, jsii.String(string(n.InstanceProfile)), &awsiam.InstanceProfileProps{
			Role:                role,
			InstanceProfileName: jsii.String(n.ProfileName),
		})
		if err := overrideID(p, string(n.InstanceProfile)); err != nil {
			return err
		}
		r.profiles[n.ID] = p
	}
	return nil
}

func (r *renderer) loadBalancer(n *constructs.LoadBalancer) error {
	vpc, err := r.vpcRef()
	if err != nil {
		return err
	}
	group, ok := r.groups[n.Group]
	if !ok {
		return fmt.Errorf("unknown security group %s", n.Group)
	}
	subnets, err := r.subnetSelection(n.Subnets)
	if err != nil {
		return err
	}
	lb := elbv2.NewApplicationLoadBalancer(r.stack, jsii.String(string(n.ID)), &elbv2.ApplicationLoadBalancerProps{
		Vpc:              vpc,
		VpcSubnets:       subnets,
		InternetFacing:   jsii.Bool(!n.Internal),
		LoadBalancerName: jsii.String(n.Name),
		SecurityGroup:    group,
	})
	// The L2 states deletion_protection.enabled=false, the AWS default.
	if err := overrideID(lb, string(n.ID), "LoadBalancerAttributes"); err != nil {
		return err
	}
	tg := elbv2.NewApplicationTargetGroup(r.stack, jsii.String(string(n.TargetGroup)), &elbv2.ApplicationTargetGroupProps{
		Vpc:             vpc,
		TargetGroupName: jsii.String(n.TargetName),
		TargetType:      elbv2.TargetType_INSTANCE,
		Port:            jsii.Number(n.TargetPort),
		Protocol:        elbv2.ApplicationProtocol_HTTP,
		HealthCheck: &elbv2.HealthCheck{
			Path:                    jsii.String(n.HealthPath),
			HealthyThresholdCount:   jsii.Number(n.Health.HealthyThreshold),
			UnhealthyThresholdCount: jsii.Number(n.Health.UnhealthyThreshold),
			Interval:                awscdk.Duration_Seconds(jsii.Number(n.Health.IntervalSec)),
			Timeout:                 awscdk.Duration_Seconds(jsii.Number(n.Health.TimeoutSec)),
			HealthyHttpCodes:        jsii.String(n.Health.Matcher),
		},
		// No targets: the server group registers its instances.
	})
	// The L2 states stickiness.enabled=false, the AWS default.
	if err := overrideID(tg, string(n.TargetGroup), "TargetGroupAttributes"); err != nil {
		return err
	}
	l := lb.AddListener(jsii.String(string(n.Listener)), &elbv2.BaseApplicationListenerProps{
		Port:                jsii.Number(n.ListenerPort),
		Protocol:            elbv2.ApplicationProtocol_HTTP,
		Open:                jsii.Bool(false), // the model's rules only
		DefaultTargetGroups: &[]elbv2.IApplicationTargetGroup{tg},
	})
	if err := overrideID(l, string(n.Listener)); err != nil {
		return err
	}
	r.setAttr(n.ID, constructs.AttrDNSName, lb.LoadBalancerDnsName())
	r.setAttr(n.ID, constructs.AttrARN, lb.LoadBalancerArn())
	r.setAttr(n.ID, constructs.AttrFullName, lb.LoadBalancerFullName())
	r.setAttr(n.TargetGroup, constructs.AttrARN, tg.TargetGroupArn())
	r.setAttr(n.TargetGroup, constructs.AttrFullName, tg.TargetGroupFullName())
	r.targetGroups[n.TargetGroup] = tg
	return nil
}

// launchTemplate renders what every server starts from. User data is the
// model's script with the server binary's asset location filled in.
func (r *renderer) launchTemplate(n *constructs.LaunchTemplate) (awsec2.LaunchTemplate, error) {
	group, ok := r.groups[n.Group]
	if !ok {
		return nil, fmt.Errorf("unknown security group %s", n.Group)
	}
	// The role's profile, made with the role (one profile per role).
	profile, ok := r.profiles[n.Role]
	if !ok {
		return nil, fmt.Errorf("role %s has no instance profile", n.Role)
	}
	binary, err := r.asset(r.sys.ServerBinary.ID)
	if err != nil {
		return nil, err
	}
	if !n.RootVolume.Encrypted || n.RootVolume.Type != "gp3" {
		return nil, fmt.Errorf("unsupported root volume %+v", n.RootVolume)
	}
	var verr error
	script := r.sys.UserData(*binary.S3BucketName(), *binary.S3ObjectKey(), func(v constructs.Value) string {
		s, err := r.value(v)
		if err != nil {
			verr = errors.Join(verr, err)
			return ""
		}
		return *s
	})
	if verr != nil {
		return nil, fmt.Errorf("user data: %w", verr)
	}
	props := &awsec2.LaunchTemplateProps{
		LaunchTemplateName: jsii.String(n.Name),
		InstanceType:       awsec2.NewInstanceType(jsii.String(n.Type)),
		MachineImage:       awsec2.MachineImage_FromSsmParameter(jsii.String(n.AMIParameter), &awsec2.SsmParameterImageOptions{Os: awsec2.OperatingSystemType_LINUX}),
		SecurityGroup:      group,
		InstanceProfile:    profile,
		UserData:           awsec2.UserData_Custom(jsii.String(script)),
		BlockDevices: &[]*awsec2.BlockDevice{{
			DeviceName: jsii.String(n.RootVolume.Device),
			Volume: awsec2.BlockDeviceVolume_Ebs(jsii.Number(n.RootVolume.SizeGiB), &awsec2.EbsDeviceOptions{
				Encrypted:  jsii.Bool(true),
				VolumeType: awsec2.EbsDeviceVolumeType_GP3,
			}),
		}},
	}
	if n.RequireIMDSv2 {
		props.RequireImdsv2 = jsii.Bool(true)
		props.HttpTokens = awsec2.LaunchTemplateHttpTokens_REQUIRED
	}
	if n.MetadataHopLimit > 0 {
		props.HttpPutResponseHopLimit = jsii.Number(n.MetadataHopLimit)
	}
	switch n.CPUCredits {
	case "":
	case "standard":
		props.CpuCredits = awsec2.CpuCredits_STANDARD
	case "unlimited":
		props.CpuCredits = awsec2.CpuCredits_UNLIMITED
	default:
		return nil, fmt.Errorf("unsupported CPU credits %q", n.CPUCredits)
	}
	lt := awsec2.NewLaunchTemplate(r.stack, jsii.String(string(n.ID)), props)
	// The L2 names the template, its instances and their volumes after
	// its construct path; the instances' Name is the group's tag
	// (ServerGroup.NameTag), which a template tag would shadow.
	awscdk.Tags_Of(lt).Remove(jsii.String("Name"), nil)
	if err := overrideID(lt, string(n.ID)); err != nil {
		return nil, err
	}
	return lt, nil
}

// serverGroup renders the Auto Scaling group with its launch template,
// launch hook, scaling policy and rolling update.
func (r *renderer) serverGroup(n *constructs.ServerGroup) error {
	vpc, err := r.vpcRef()
	if err != nil {
		return err
	}
	subnets, err := r.subnetSelection(n.Subnets)
	if err != nil {
		return err
	}
	tg, ok := r.targetGroups[n.TargetGroup]
	if !ok {
		return fmt.Errorf("unknown target group %s", n.TargetGroup)
	}
	if n.HealthCheckType != "ELB" {
		return fmt.Errorf("unsupported health check type %q", n.HealthCheckType)
	}
	lt, err := r.launchTemplate(&n.Template)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Template.ID, err)
	}
	pause := awscdk.Duration_Seconds(jsii.Number(n.Rolling.PauseSec))
	// The model's list, empty included: left unset, the L2 would suspend
	// its six defaults.
	suspend := []awsautoscaling.ScalingProcess{}
	for _, p := range n.Rolling.SuspendProcesses {
		suspend = append(suspend, awsautoscaling.ScalingProcess(p))
	}
	asg := awsautoscaling.NewAutoScalingGroup(r.stack, jsii.String(string(n.ID)), &awsautoscaling.AutoScalingGroupProps{
		Vpc:                  vpc,
		VpcSubnets:           subnets,
		LaunchTemplate:       lt,
		AutoScalingGroupName: jsii.String(n.Name),
		MinCapacity:          jsii.Number(n.Min),
		DesiredCapacity:      jsii.Number(n.Desired),
		MaxCapacity:          jsii.Number(n.Max),
		HealthChecks: awsautoscaling.HealthChecks_WithAdditionalChecks(&awsautoscaling.AdditionalHealthChecksOptions{
			AdditionalTypes: &[]awsautoscaling.AdditionalHealthCheckType{awsautoscaling.AdditionalHealthCheckType_ELB},
			GracePeriod:     awscdk.Duration_Seconds(jsii.Number(n.HealthCheckGraceSec)),
		}),
		UpdatePolicy: awsautoscaling.UpdatePolicy_RollingUpdate(&awsautoscaling.RollingUpdateOptions{
			MaxBatchSize:          jsii.Number(n.Rolling.MaxBatch),
			MinInstancesInService: jsii.Number(n.Rolling.MinInService),
			PauseTime:             pause,
			SuspendProcesses:      &suspend,
		}),
	})
	// The model sets the desired capacity: each deployment restores it,
	// which is what the L2's warning is about.
	awscdk.Annotations_Of(asg).AcknowledgeWarning(jsii.String("@aws-cdk/aws-autoscaling:desiredCapacitySet"), jsii.String("the model's desired capacity"))
	cfn, ok := asg.Node().DefaultChild().(awsautoscaling.CfnAutoScalingGroup)
	if !ok {
		return errors.New("auto scaling group has no CloudFormation resource")
	}
	cfn.OverrideLogicalId(jsii.String(string(n.ID)))
	// The hook must exist when the first instances launch, so it is part
	// of the group, not a LifecycleHook resource created after it.
	h := n.LaunchHook
	cfn.SetLifecycleHookSpecificationList([]any{&awsautoscaling.CfnAutoScalingGroup_LifecycleHookSpecificationProperty{
		LifecycleHookName:   jsii.String(h.Name),
		LifecycleTransition: jsii.String(h.Transition),
		DefaultResult:       jsii.String(h.DefaultResult),
		HeartbeatTimeout:    jsii.Number(h.HeartbeatSec),
	}})
	// The L2 tags the group with its construct path; every instance gets
	// the model's name instead.
	awscdk.Tags_Of(asg).Add(jsii.String("Name"), jsii.String(n.NameTag), &awscdk.TagProps{ApplyToLaunchedInstances: jsii.Bool(true)})
	asg.AttachToApplicationTargetGroup(tg)
	if err := r.scaling(asg, n); err != nil {
		return err
	}
	// No instance may boot before it can download the binary and
	// complete its launch hook: the subnets' routes to the internet, the
	// role (its policy is inline, part of the role resource) and the
	// servers' security group with every rule of its own come first.
	// The template's references imply some of this; stating it keeps it
	// true if a policy or rule becomes a resource of its own.
	for _, id := range n.Subnets {
		s := r.subnets[id]
		asg.Node().AddDependency(s.assoc, s.route)
	}
	if role, ok := r.roles[n.Template.Role]; ok {
		asg.Node().AddDependency(role)
	}
	if g, ok := r.cfnGroups[n.Template.Group]; ok {
		asg.Node().AddDependency(g)
	}
	for _, rule := range r.groupRules[n.Template.Group] {
		asg.Node().AddDependency(rule)
	}
	r.setAttr(n.ID, constructs.AttrName, asg.AutoScalingGroupName())
	return nil
}

// scaling renders the group's target-tracking policy; its resource label
// is the model's (the load balancer's and target group's full names).
func (r *renderer) scaling(asg awsautoscaling.AutoScalingGroup, n *constructs.ServerGroup) error {
	sc := n.Scaling
	tg, ok := r.targetGroups[sc.TargetGroup]
	if !ok {
		return fmt.Errorf("scaling: unknown target group %s", sc.TargetGroup)
	}
	var metric awsautoscaling.PredefinedMetric
	switch sc.Metric {
	case "ALBRequestCountPerTarget":
		metric = awsautoscaling.PredefinedMetric_ALB_REQUEST_COUNT_PER_TARGET
	default:
		return fmt.Errorf("unsupported scaling metric %q", sc.Metric)
	}
	lbName, err := r.value(constructs.RefTo(sc.LoadBalancer, constructs.AttrFullName))
	if err != nil {
		return fmt.Errorf("scaling: %w", err)
	}
	tgName, err := r.value(constructs.RefTo(sc.TargetGroup, constructs.AttrFullName))
	if err != nil {
		return fmt.Errorf("scaling: %w", err)
	}
	id := string(n.ID) + suffixScaling
	p := awsautoscaling.NewTargetTrackingScalingPolicy(r.stack, jsii.String(id), &awsautoscaling.TargetTrackingScalingPolicyProps{
		AutoScalingGroup: asg,
		PredefinedMetric: metric,
		ResourceLabel:    jsii.String(*lbName + "/" + *tgName),
		TargetValue:      jsii.Number(sc.TargetValue),
	})
	// The metric exists once the listener joins the target group to the
	// load balancer; before that Auto Scaling rejects the policy.
	p.Node().AddDependency(tg.LoadBalancerAttached())
	// CloudFormation names the policy itself (<stack>-<logical
	// ID>-<suffix>): PolicyName is a read-only attribute of
	// AWS::AutoScaling::ScalingPolicy, so the model's Name has no place
	// in the template.
	return overrideID(p, id)
}

func (r *renderer) function(n *constructs.Function) error {
	vpc, err := r.vpcRef()
	if err != nil {
		return err
	}
	group, ok := r.groups[n.Group]
	if !ok {
		return fmt.Errorf("unknown security group %s", n.Group)
	}
	role, ok := r.roles[n.Role]
	if !ok {
		return fmt.Errorf("unknown role %s", n.Role)
	}
	code, ok := r.artifacts[n.Code]
	if !ok {
		return fmt.Errorf("unknown artifact %s", n.Code)
	}
	subnets, err := r.subnetSelection(n.Subnets)
	if err != nil {
		return err
	}
	var arch awslambda.Architecture
	switch n.Architecture {
	case "arm64":
		arch = awslambda.Architecture_ARM_64()
	case "x86_64":
		arch = awslambda.Architecture_X86_64()
	default:
		return fmt.Errorf("unsupported architecture %q", n.Architecture)
	}
	env := map[string]*string{}
	for _, e := range n.Environment {
		if env[e.Name], err = r.value(e.Value); err != nil {
			return fmt.Errorf("environment %s: %w", e.Name, err)
		}
	}
	// The log group exists before the function (DependsOn), so Lambda
	// never creates one of its own without retention.
	logs := awslogs.NewCfnLogGroup(r.stack, jsii.String(string(n.Logs.ID)), &awslogs.CfnLogGroupProps{
		LogGroupName:    jsii.String(n.Logs.Name),
		RetentionInDays: jsii.Number(n.Logs.RetentionDays),
	})
	logs.OverrideLogicalId(jsii.String(string(n.Logs.ID)))
	fn := awslambda.NewFunction(r.stack, jsii.String(string(n.ID)), &awslambda.FunctionProps{
		FunctionName: jsii.String(n.Name),
		Runtime:      awslambda.NewRuntime(jsii.String(n.Runtime), awslambda.RuntimeFamily_OTHER, nil),
		Architecture: arch,
		Handler:      jsii.String(n.Handler),
		Code:         awslambda.Code_FromAsset(jsii.String(code), nil),
		MemorySize:   jsii.Number(n.MemoryMB),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(n.TimeoutSec)),
		Role:         role,
		// Reserves and caps concurrent executions (the model's capacity).
		ReservedConcurrentExecutions: reserved(n.ReservedConcurrency),
		Vpc:                          vpc,
		VpcSubnets:                   subnets,
		SecurityGroups:               &[]awsec2.ISecurityGroup{group},
		// The model's subnets are public; the function needs no public
		// address, only the path to the server inside the VPC.
		AllowPublicSubnet: jsii.Bool(true),
		Environment:       &env,
	})
	if err := overrideID(fn, string(n.ID)); err != nil {
		return err
	}
	if res, ok := fn.Node().DefaultChild().(awscdk.CfnResource); ok {
		res.AddResourceDependency(logs, jsii.String("Lambda must not create the log group itself"))
	}
	r.setAttr(n.ID, constructs.AttrName, fn.FunctionName())
	r.setAttr(n.ID, constructs.AttrARN, fn.FunctionArn())
	if n.URL != "" {
		u := fn.AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType(n.URLAuth)})
		if err := overrideID(u, string(n.URL)); err != nil {
			return err
		}
		r.setAttr(n.URL, constructs.AttrURL, u.Url())
	}
	return nil
}

// reserved is the function's reserved concurrency; nil (unreserved) for 0.
func reserved(n int) *float64 {
	if n <= 0 {
		return nil
	}
	return jsii.Number(n)
}

func (r *renderer) output(o *constructs.Output) error {
	v, err := r.value(o.Value)
	if err != nil {
		return err
	}
	awscdk.NewCfnOutput(r.stack, jsii.String(o.Name), &awscdk.CfnOutputProps{
		Value:       v,
		Description: jsii.String(o.Description),
	})
	return nil
}
