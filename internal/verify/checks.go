package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/twinstack/twinstack/constructs"
)

// notFoundCode reports whether an AWS API error code means that the thing
// asked for does not exist.
func notFoundCode(code string) bool {
	switch code {
	case "NotFound", "NoSuchBucket", "NoSuchBucketPolicy", "NoSuchPublicAccessBlockConfiguration", "NoSuchLifecycleConfiguration",
		"ServerSideEncryptionConfigurationNotFoundError",
		"ResourceNotFoundException", "TableNotFoundException",
		"NoSuchEntity",
		"LoadBalancerNotFound", "TargetGroupNotFound", "ListenerNotFound",
		"InvalidInstanceID.NotFound", "InvalidGroup.NotFound", "InvalidVpcID.NotFound", "InvalidSubnetID.NotFound",
		"InvalidRouteTableID.NotFound", "InvalidInternetGatewayID.NotFound",
		"InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException", "InvalidLaunchTemplateId.VersionNotFound",
		"ParameterNotFound":
		return true
	}
	return false
}

// APIErrorCode is the AWS API error code of err, or "".
func APIErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// found turns a lookup error into the (found, err) pair of a check: errors
// whose API error code means "does not exist" (and errNotFound) mean
// missing; others are failures.
func found(err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	if errors.Is(err, errNotFound) || notFoundCode(APIErrorCode(err)) {
		return false, nil
	}
	return false, err
}

// lookup finds one deployed resource (found=false when it does not exist).
type lookup[T any] func(ctx context.Context) (T, bool, error)

// lookupOf wraps a reader method that returns errNotFound-style errors.
func lookupOf[T any](fn func(ctx context.Context) (T, error)) lookup[T] {
	return func(ctx context.Context) (T, bool, error) {
		v, err := fn(ctx)
		if err != nil {
			ok, err := found(err)
			var zero T
			return zero, ok, err
		}
		return v, true, nil
	}
}

// prop is a check of one property read from a looked-up resource. read
// returns found=false when the resource exists but the property does not.
func prop[T any](id string, res constructs.ID, property, want string, l lookup[T], read func(ctx context.Context, v T) (string, bool, error)) check {
	return check{id: id, resource: res, property: property, want: want,
		get: func(ctx context.Context) (string, bool, error) {
			v, ok, err := l(ctx)
			if !ok || err != nil {
				return "", false, err
			}
			return read(ctx, v)
		}}
}

// value is a read that cannot be absent or fail.
func value[T any](fn func(v T) string) func(context.Context, T) (string, bool, error) {
	return func(_ context.Context, v T) (string, bool, error) { return fn(v), true, nil }
}

// must returns a lookup's value for a patch: absence is an error there.
func must[T any](ctx context.Context, l lookup[T], what string) (T, error) {
	v, ok, err := l(ctx)
	if err != nil {
		return v, err
	}
	if !ok {
		return v, fmt.Errorf("%s: %w", what, errNotFound)
	}
	return v, nil
}

func tf(b bool) string { return strconv.FormatBool(b) }

// --- S3 ---

func bucketChecks(r *reader) []check {
	b := &r.sys.Bucket
	name := func() *string { return aws.String(r.bucketName()) }
	var cs []check
	cs = append(cs, check{id: "bucket.exists", resource: b.ID, property: "bucket", want: "exists",
		get: func(ctx context.Context) (string, bool, error) {
			_, err := r.c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: name()})
			if ok, err := found(err); !ok {
				return "", false, err
			}
			return "exists", true, nil
		}})
	if b.Versioned {
		cs = append(cs, check{id: "bucket.versioning", resource: b.ID, property: "VersioningConfiguration.Status", want: string(s3types.BucketVersioningStatusEnabled),
			get: func(ctx context.Context) (string, bool, error) {
				o, err := r.c.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: name()})
				if ok, err := found(err); !ok {
					return "", false, err
				}
				return string(o.Status), true, nil // "" when never enabled
			},
			patch: func(ctx context.Context) error {
				_, err := r.c.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: name(),
					VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
				return err
			}})
	}
	if b.BlockPublicAccess {
		pab := lookupOf(func(ctx context.Context) (*s3types.PublicAccessBlockConfiguration, error) {
			return cached(r, "pab", func() (*s3types.PublicAccessBlockConfiguration, error) {
				o, err := r.c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: name()})
				if err != nil {
					return nil, err
				}
				if o.PublicAccessBlockConfiguration == nil {
					return nil, errNotFound
				}
				return o.PublicAccessBlockConfiguration, nil
			})
		})
		flags := []struct {
			name string
			ptr  func(*s3types.PublicAccessBlockConfiguration) **bool
		}{
			{"BlockPublicAcls", func(c *s3types.PublicAccessBlockConfiguration) **bool { return &c.BlockPublicAcls }},
			{"BlockPublicPolicy", func(c *s3types.PublicAccessBlockConfiguration) **bool { return &c.BlockPublicPolicy }},
			{"IgnorePublicAcls", func(c *s3types.PublicAccessBlockConfiguration) **bool { return &c.IgnorePublicAcls }},
			{"RestrictPublicBuckets", func(c *s3types.PublicAccessBlockConfiguration) **bool { return &c.RestrictPublicBuckets }},
		}
		for _, f := range flags {
			c := prop("bucket.public-access-block."+f.name, b.ID, "PublicAccessBlockConfiguration."+f.name, "true", pab,
				value(func(c *s3types.PublicAccessBlockConfiguration) string { return tf(aws.ToBool(*f.ptr(c))) }))
			// The patch sets this flag and keeps the others as they are
			// (all false when there was no configuration).
			c.patch = func(ctx context.Context) error {
				cur := s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(false), BlockPublicPolicy: aws.Bool(false), IgnorePublicAcls: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}
				if v, ok, err := pab(ctx); err != nil {
					return err
				} else if ok {
					for _, g := range flags {
						*g.ptr(&cur) = aws.Bool(aws.ToBool(*g.ptr(v)))
					}
				}
				*f.ptr(&cur) = aws.Bool(true)
				_, err := r.c.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: name(), PublicAccessBlockConfiguration: &cur})
				return err
			}
			cs = append(cs, c)
		}
	}
	if b.Encryption != "" {
		cs = append(cs, check{id: "bucket.encryption", resource: b.ID, property: "ServerSideEncryptionConfiguration.Rules.SSEAlgorithm", want: b.Encryption,
			get: func(ctx context.Context) (string, bool, error) {
				o, err := r.c.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: name()})
				if ok, err := found(err); !ok {
					return "", false, err
				}
				var algs []string
				if o.ServerSideEncryptionConfiguration != nil {
					for _, rule := range o.ServerSideEncryptionConfiguration.Rules {
						if d := rule.ApplyServerSideEncryptionByDefault; d != nil {
							algs = append(algs, string(d.SSEAlgorithm))
						}
					}
				}
				return sortedSet(algs), true, nil
			},
			patch: func(ctx context.Context) error {
				_, err := r.c.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: name(),
					ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
						ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(b.Encryption)}}}}})
				return err
			}})
	}
	for _, st := range b.Policy {
		want := r.renderStatement(st)
		cs = append(cs, check{id: "bucket.policy." + st.Sid, resource: b.ID, property: "Policy.Statement[" + st.Sid + "]", want: want,
			get: func(ctx context.Context) (string, bool, error) {
				o, err := r.c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: name()})
				if ok, err := found(err); !ok {
					return "", false, err
				}
				sts, err := parsePolicy(aws.ToString(o.Policy))
				if err != nil {
					return "", false, err
				}
				var got []string
				for _, s := range sts {
					g := renderParsed(s)
					if g == want {
						return g, true, nil
					}
					if s.Effect == st.Effect {
						got = append(got, g)
					}
				}
				if len(got) == 0 {
					return "no " + st.Effect + " statement", true, nil
				}
				return strings.Join(got, " | "), true, nil
			},
			// The model's whole policy replaces whatever is there.
			patch: func(ctx context.Context) error {
				doc, err := r.policyJSON(b.Policy, true)
				if err != nil {
					return err
				}
				_, err = r.c.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: name(), Policy: aws.String(doc)})
				return err
			}})
	}
	return cs
}

// renderStatement is the canonical text of a model statement.
func (r *reader) renderStatement(st constructs.Statement) string {
	var res []string
	for _, v := range st.Resources {
		res = append(res, r.arn(v))
	}
	s := statement{Effect: st.Effect, Actions: st.Actions, Resources: res, Conditions: map[string]map[string][]string{}}
	if st.Principal != "" {
		s.Principals = []string{st.Principal}
	}
	for op, kv := range st.Condition {
		s.Conditions[op] = map[string][]string{}
		for k, v := range kv {
			s.Conditions[op][strings.ToLower(k)] = []string{v}
		}
	}
	return renderParsed(s)
}

func renderParsed(s statement) string {
	var conds []string
	for op, kv := range s.Conditions {
		for k, v := range kv {
			conds = append(conds, op+" "+k+"="+strings.Join(v, "|"))
		}
	}
	sort.Strings(conds)
	out := s.Effect + " " + sortedSet(s.Actions) + " on " + sortedSet(s.Resources)
	if len(s.Principals) > 0 {
		out += " for " + sortedSet(s.Principals)
	}
	if len(conds) > 0 {
		out += " if " + strings.Join(conds, " and ")
	}
	return out
}

func (r *reader) policyJSON(sts []constructs.Statement, resourcePolicy bool) (string, error) {
	type stmt struct {
		Sid       string                       `json:"Sid,omitempty"`
		Effect    string                       `json:"Effect"`
		Principal any                          `json:"Principal,omitempty"`
		Action    []string                     `json:"Action"`
		Resource  []string                     `json:"Resource"`
		Condition map[string]map[string]string `json:"Condition,omitempty"`
	}
	doc := struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{Version: "2012-10-17"}
	for _, s := range sts {
		x := stmt{Sid: s.Sid, Effect: s.Effect, Action: s.Actions, Condition: s.Condition}
		if resourcePolicy && s.Principal != "" {
			x.Principal = map[string]string{"AWS": s.Principal}
		}
		for _, v := range s.Resources {
			x.Resource = append(x.Resource, r.arn(v))
		}
		doc.Statement = append(doc.Statement, x)
	}
	b, err := json.Marshal(doc)
	return string(b), err
}

// --- DynamoDB ---

func keyText(ks []ddbtypes.KeySchemaElement, defs []ddbtypes.AttributeDefinition) string {
	types := map[string]string{}
	for _, d := range defs {
		types[aws.ToString(d.AttributeName)] = string(d.AttributeType)
	}
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %s %s", aws.ToString(k.AttributeName), types[aws.ToString(k.AttributeName)], k.KeyType))
	}
	sort.SliceStable(parts, func(i, j int) bool {
		return strings.HasSuffix(parts[i], "HASH") && !strings.HasSuffix(parts[j], "HASH")
	})
	return strings.Join(parts, ", ")
}

func modelKeys(p constructs.Key, s *constructs.Key) string {
	out := fmt.Sprintf("%s %s HASH", p.Name, p.Type)
	if s != nil {
		out += fmt.Sprintf(", %s %s RANGE", s.Name, s.Type)
	}
	return out
}

func tableChecks(r *reader) []check {
	var cs []check
	for _, t := range []*constructs.Table{&r.sys.ImagesTable, &r.sys.AlbumsTable} {
		cs = append(cs, oneTableChecks(r, t)...)
	}
	return cs
}

func oneTableChecks(r *reader, t *constructs.Table) []check {
	pre := "table." + string(t.ID) + "."
	desc := lookupOf(func(ctx context.Context) (*ddbtypes.TableDescription, error) {
		o, err := r.table(ctx, t)
		if err != nil {
			return nil, err
		}
		if o.Table == nil {
			return nil, errNotFound
		}
		return o.Table, nil
	})
	var wantIdx []string
	for _, ix := range t.Indexes {
		wantIdx = append(wantIdx, ix.Name+" ("+modelKeys(ix.Partition, ix.Sort)+", "+ix.Projection+")")
	}
	sort.Strings(wantIdx)
	cs := []check{
		prop(pre+"keys", t.ID, "KeySchema", modelKeys(t.Partition, t.Sort), desc, value(func(d *ddbtypes.TableDescription) string {
			return keyText(d.KeySchema, d.AttributeDefinitions)
		})),
		prop(pre+"billing", t.ID, "BillingModeSummary.BillingMode", t.BillingMode, desc, value(func(d *ddbtypes.TableDescription) string {
			if d.BillingModeSummary == nil {
				return "PROVISIONED"
			}
			return string(d.BillingModeSummary.BillingMode)
		})),
		prop(pre+"indexes", t.ID, "GlobalSecondaryIndexes", orDefault(strings.Join(wantIdx, "; "), "none"), desc, value(func(d *ddbtypes.TableDescription) string {
			var got []string
			for _, g := range d.GlobalSecondaryIndexes {
				proj := ""
				if g.Projection != nil {
					proj = string(g.Projection.ProjectionType)
				}
				got = append(got, aws.ToString(g.IndexName)+" ("+keyText(g.KeySchema, d.AttributeDefinitions)+", "+proj+")")
			}
			sort.Strings(got)
			return orDefault(strings.Join(got, "; "), "none")
		})),
		prop(pre+"deletion-protection", t.ID, "DeletionProtectionEnabled", tf(t.DeletionProtection), desc, value(func(d *ddbtypes.TableDescription) string {
			return tf(aws.ToBool(d.DeletionProtectionEnabled))
		})),
	}
	want := string(ddbtypes.PointInTimeRecoveryStatusDisabled)
	if t.PointInTimeRecovery {
		want = string(ddbtypes.PointInTimeRecoveryStatusEnabled)
	}
	pitr := prop(pre+"pitr", t.ID, "PointInTimeRecoveryDescription.PointInTimeRecoveryStatus", want, desc, func(ctx context.Context, d *ddbtypes.TableDescription) (string, bool, error) {
		o, err := r.c.DynamoDB.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: d.TableName})
		if ok, err := found(err); !ok {
			return "", false, err
		}
		if c := o.ContinuousBackupsDescription; c != nil && c.PointInTimeRecoveryDescription != nil {
			return string(c.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus), true, nil
		}
		return string(ddbtypes.PointInTimeRecoveryStatusDisabled), true, nil
	})
	pitr.patch = func(ctx context.Context) error {
		d, err := must(ctx, desc, "table "+t.Name)
		if err != nil {
			return err
		}
		_, err = r.c.DynamoDB.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: d.TableName,
			PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(t.PointInTimeRecovery)}})
		return err
	}
	return append(cs, pitr)
}

// --- network ---

func networkChecks(r *reader) []check {
	n := &r.sys.Network
	vpcID := lookupOf(r.vpcID)
	dns := func(id, property string, want bool, attr ec2types.VpcAttributeName, pick func(*ec2.DescribeVpcAttributeOutput) *ec2types.AttributeBooleanValue, in func(*ec2types.AttributeBooleanValue) *ec2.ModifyVpcAttributeInput) check {
		c := prop(id, n.VPC.ID, property, tf(want), vpcID, func(ctx context.Context, vid string) (string, bool, error) {
			o, err := r.c.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &vid, Attribute: attr})
			if ok, err := found(err); !ok {
				return "", false, err
			}
			return tf(attrBool(pick(o))), true, nil
		})
		c.patch = func(ctx context.Context) error {
			vid, err := must(ctx, vpcID, "vpc")
			if err != nil {
				return err
			}
			x := in(&ec2types.AttributeBooleanValue{Value: aws.Bool(want)})
			x.VpcId = &vid
			_, err = r.c.EC2.ModifyVpcAttribute(ctx, x)
			return err
		}
		return c
	}
	cs := []check{
		prop("vpc.cidr", n.VPC.ID, "CidrBlock", n.VPC.CIDR, lookupOf(r.vpc), value(func(v *ec2types.Vpc) string { return aws.ToString(v.CidrBlock) })),
		dns("vpc.dns-support", "EnableDnsSupport", n.VPC.DNSSupport, ec2types.VpcAttributeNameEnableDnsSupport,
			func(o *ec2.DescribeVpcAttributeOutput) *ec2types.AttributeBooleanValue { return o.EnableDnsSupport },
			func(v *ec2types.AttributeBooleanValue) *ec2.ModifyVpcAttributeInput {
				return &ec2.ModifyVpcAttributeInput{EnableDnsSupport: v}
			}),
		dns("vpc.dns-hostnames", "EnableDnsHostnames", n.VPC.DNSHostnames, ec2types.VpcAttributeNameEnableDnsHostnames,
			func(o *ec2.DescribeVpcAttributeOutput) *ec2types.AttributeBooleanValue { return o.EnableDnsHostnames },
			func(v *ec2types.AttributeBooleanValue) *ec2.ModifyVpcAttributeInput {
				return &ec2.ModifyVpcAttributeInput{EnableDnsHostnames: v}
			}),
		prop("vpc.internet-gateway", n.Gateway, "InternetGateway.Attachments", "attached", vpcID, func(ctx context.Context, _ string) (string, bool, error) {
			igw, err := r.internetGateway(ctx)
			if err != nil {
				return "", false, err
			}
			return "attached", igw != "", nil
		}),
	}
	for _, s := range n.Subnets {
		pre := "subnet." + string(s.ID)
		sub := lookupOf(func(ctx context.Context) (ec2types.Subnet, error) { return r.subnet(ctx, s.ID) })
		cs = append(cs,
			prop(pre+".cidr", s.ID, "CidrBlock", s.CIDR, sub, value(func(d ec2types.Subnet) string { return aws.ToString(d.CidrBlock) })),
			prop(pre+".zone", s.ID, "AvailabilityZone", fmt.Sprintf("zone %d", s.AZ), sub, func(ctx context.Context, d ec2types.Subnet) (string, bool, error) {
				zs, err := r.zones(ctx)
				if err != nil {
					return "", false, err
				}
				for i, z := range zs {
					if z == aws.ToString(d.AvailabilityZone) {
						return fmt.Sprintf("zone %d", i), true, nil
					}
				}
				return aws.ToString(d.AvailabilityZone), true, nil
			}))
		mp := prop(pre+".map-public-ip", s.ID, "MapPublicIpOnLaunch", tf(s.Public), sub, value(func(d ec2types.Subnet) string { return tf(aws.ToBool(d.MapPublicIpOnLaunch)) }))
		mp.patch = func(ctx context.Context) error {
			d, err := must(ctx, sub, "subnet "+string(s.ID))
			if err != nil {
				return err
			}
			_, err = r.c.EC2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: d.SubnetId, MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(s.Public)}})
			return err
		}
		route := prop(pre+".default-route", s.RouteTable, "RouteTable.Routes["+n.Internet+"]", n.Internet+" -> internet gateway", sub, func(ctx context.Context, d ec2types.Subnet) (string, bool, error) {
			rts, err := r.routeTables(ctx)
			if err != nil {
				return "", false, err
			}
			igw, err := r.internetGateway(ctx)
			if err != nil {
				return "", false, err
			}
			rt, _ := routeTableFor(rts, aws.ToString(d.SubnetId))
			if rt == nil {
				return "", false, nil
			}
			for _, rr := range rt.Routes {
				if aws.ToString(rr.DestinationCidrBlock) != n.Internet {
					continue
				}
				if gw := aws.ToString(rr.GatewayId); gw != "" && gw == igw {
					return n.Internet + " -> internet gateway", true, nil
				}
				return n.Internet + " -> " + aws.ToString(rr.GatewayId) + aws.ToString(rr.NatGatewayId), true, nil
			}
			return "no default route", true, nil
		})
		// The patch associates the subnet with the route table the
		// deployment created for it (found in the inventory), replacing
		// any other association.
		route.patch = func(ctx context.Context) error {
			rtb := r.physical(s.RouteTable)
			if !strings.HasPrefix(rtb, "rtb-") {
				return fmt.Errorf("route table %s: not in the deployment's inventory", s.RouteTable)
			}
			d, err := must(ctx, sub, "subnet "+string(s.ID))
			if err != nil {
				return err
			}
			rts, err := r.routeTables(ctx)
			if err != nil {
				return err
			}
			if _, assoc := routeTableFor(rts, aws.ToString(d.SubnetId)); assoc != "" {
				_, err = r.c.EC2.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: aws.String(assoc), RouteTableId: aws.String(rtb)})
				return err
			}
			_, err = r.c.EC2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{SubnetId: d.SubnetId, RouteTableId: aws.String(rtb)})
			return err
		}
		cs = append(cs, mp, route)
	}
	return cs
}

// routeTableFor returns the route table that routes subnetID (its explicit
// association, else the main table) and the explicit association's id.
func routeTableFor(rts []ec2types.RouteTable, subnetID string) (*ec2types.RouteTable, string) {
	var main *ec2types.RouteTable
	for i := range rts {
		for _, a := range rts[i].Associations {
			if aws.ToString(a.SubnetId) == subnetID {
				return &rts[i], aws.ToString(a.RouteTableAssociationId)
			}
			if aws.ToBool(a.Main) {
				main = &rts[i]
			}
		}
	}
	return main, ""
}

// --- security groups ---

// ruleText is the canonical text of a rule: "tcp 8080 from LambdaSecurityGroup".
func ruleText(proto string, from, to int, dir, peer string) string {
	switch proto {
	case constructs.All, "all":
		return "all " + dir + " " + peer
	}
	ports := strconv.Itoa(from)
	if to != from {
		ports += "-" + strconv.Itoa(to)
	}
	return proto + " " + ports + " " + dir + " " + peer
}

func modelRuleText(ru constructs.Rule, egress bool) string {
	dir := "from"
	if egress {
		dir = "to"
	}
	peer := ru.CIDR
	if ru.Peer != "" {
		peer = string(ru.Peer)
	}
	return ruleText(ru.Protocol, ru.FromPort, ru.ToPort, dir, peer)
}

// deployedRule is one deployed rule: its canonical text and the
// permission that grants exactly it (for a revoke).
type deployedRule struct {
	text string
	perm ec2types.IpPermission
}

// deployedRules flattens a group's permissions into single rules. The AWS
// CDK's "disallow all traffic" placeholder (icmp 252-86 to
// 255.255.255.255/32) allows nothing and is left out.
func (r *reader) deployedRules(ctx context.Context, perms []ec2types.IpPermission, egress bool) []deployedRule {
	dir := "from"
	if egress {
		dir = "to"
	}
	var out []deployedRule
	for _, p := range perms {
		proto := aws.ToString(p.IpProtocol)
		from, to := int(aws.ToInt32(p.FromPort)), int(aws.ToInt32(p.ToPort))
		one := func() ec2types.IpPermission {
			return ec2types.IpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
		}
		for _, ip := range p.IpRanges {
			c := aws.ToString(ip.CidrIp)
			if proto == "icmp" && c == "255.255.255.255/32" && from == 252 && to == 86 {
				continue
			}
			q := one()
			q.IpRanges = []ec2types.IpRange{{CidrIp: ip.CidrIp}}
			out = append(out, deployedRule{ruleText(proto, from, to, dir, c), q})
		}
		for _, ip := range p.Ipv6Ranges {
			q := one()
			q.Ipv6Ranges = []ec2types.Ipv6Range{{CidrIpv6: ip.CidrIpv6}}
			out = append(out, deployedRule{ruleText(proto, from, to, dir, aws.ToString(ip.CidrIpv6)), q})
		}
		for _, g := range p.UserIdGroupPairs {
			q := one()
			q.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: g.GroupId}}
			out = append(out, deployedRule{ruleText(proto, from, to, dir, r.groupName(ctx, aws.ToString(g.GroupId))), q})
		}
		for _, pl := range p.PrefixListIds {
			q := one()
			q.PrefixListIds = []ec2types.PrefixListId{{PrefixListId: pl.PrefixListId}}
			out = append(out, deployedRule{ruleText(proto, from, to, dir, aws.ToString(pl.PrefixListId)), q})
		}
	}
	return out
}

func (r *reader) permission(ctx context.Context, ru constructs.Rule) (ec2types.IpPermission, error) {
	p := ec2types.IpPermission{IpProtocol: aws.String(ru.Protocol)}
	if ru.Protocol != constructs.All {
		p.FromPort, p.ToPort = aws.Int32(int32(ru.FromPort)), aws.Int32(int32(ru.ToPort))
	}
	if ru.CIDR != "" {
		p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(ru.CIDR), Description: aws.String(ru.Description)}}
	} else {
		gs, err := r.groups(ctx)
		if err != nil {
			return p, err
		}
		g, ok := gs[ru.Peer]
		if !ok {
			return p, fmt.Errorf("peer group %s: %w", ru.Peer, errNotFound)
		}
		p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: g.GroupId, Description: aws.String(ru.Description)}}
	}
	return p, nil
}

func groupChecks(r *reader) []check {
	var cs []check
	for i := range r.sys.Groups {
		cs = append(cs, oneGroupChecks(r, &r.sys.Groups[i])...)
	}
	return cs
}

func oneGroupChecks(r *reader, g *constructs.SecurityGroup) []check {
	pre := "sg." + string(g.ID)
	get := func(ctx context.Context) (ec2types.SecurityGroup, bool, error) {
		gs, err := r.groups(ctx)
		if err != nil {
			return ec2types.SecurityGroup{}, false, err
		}
		d, ok := gs[g.ID]
		return d, ok, nil
	}
	cs := []check{prop(pre+".exists", g.ID, "GroupName", g.Name, get, value(func(d ec2types.SecurityGroup) string { return aws.ToString(d.GroupName) }))}
	for _, egress := range []bool{false, true} {
		rules, dir, property := g.Ingress, "ingress", "IpPermissions"
		if egress {
			rules, dir, property = g.Egress, "egress", "IpPermissionsEgress"
		}
		perms := func(d ec2types.SecurityGroup) []ec2types.IpPermission {
			if egress {
				return d.IpPermissionsEgress
			}
			return d.IpPermissions
		}
		var want []string
		for _, ru := range rules {
			text := modelRuleText(ru, egress)
			want = append(want, text)
			c := prop(fmt.Sprintf("%s.%s[%s]", pre, dir, text), g.ID, property+"["+text+"]", "allowed", get, func(ctx context.Context, d ec2types.SecurityGroup) (string, bool, error) {
				for _, x := range r.deployedRules(ctx, perms(d), egress) {
					if x.text == text {
						return "allowed", true, nil
					}
				}
				return "", false, nil
			})
			c.patch = func(ctx context.Context) error {
				d, err := must(ctx, get, "group "+string(g.ID))
				if err != nil {
					return err
				}
				p, err := r.permission(ctx, ru)
				if err != nil {
					return err
				}
				if egress {
					_, err = r.c.EC2.AuthorizeSecurityGroupEgress(ctx, &ec2.AuthorizeSecurityGroupEgressInput{GroupId: d.GroupId, IpPermissions: []ec2types.IpPermission{p}})
				} else {
					_, err = r.c.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: d.GroupId, IpPermissions: []ec2types.IpPermission{p}})
				}
				return err
			}
			cs = append(cs, c)
		}
		extra := func(ctx context.Context, d ec2types.SecurityGroup) []deployedRule {
			var out []deployedRule
			for _, x := range r.deployedRules(ctx, perms(d), egress) {
				if !contains(want, x.text) {
					out = append(out, x)
				}
			}
			return out
		}
		c := prop(fmt.Sprintf("%s.%s.nothing-else", pre, dir), g.ID, property+" (rules not in the model)", "no other rules", get, func(ctx context.Context, d ec2types.SecurityGroup) (string, bool, error) {
			var texts []string
			for _, x := range extra(ctx, d) {
				texts = append(texts, x.text)
			}
			if len(texts) == 0 {
				return "no other rules", true, nil
			}
			return "also " + sortedSet(texts), true, nil
		})
		// The patch revokes every rule the model does not have.
		c.patch = func(ctx context.Context) error {
			d, err := must(ctx, get, "group "+string(g.ID))
			if err != nil {
				return err
			}
			for _, x := range extra(ctx, d) {
				if egress {
					_, err = r.c.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: d.GroupId, IpPermissions: []ec2types.IpPermission{x.perm}})
				} else {
					_, err = r.c.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: d.GroupId, IpPermissions: []ec2types.IpPermission{x.perm}})
				}
				if err != nil {
					return fmt.Errorf("revoke %s: %w", x.text, err)
				}
			}
			return nil
		}
		cs = append(cs, c)
	}
	return cs
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// --- IAM ---

func roleChecks(r *reader) []check {
	var cs []check
	for i := range r.sys.Roles {
		cs = append(cs, oneRoleChecks(r, &r.sys.Roles[i])...)
	}
	return cs
}

// awsManaged reports whether arn is an AWS managed policy.
func awsManaged(arn string) bool { return strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") }

func oneRoleChecks(r *reader, ro *constructs.Role) []check {
	pre := "role." + string(ro.ID)
	role := lookupOf(func(ctx context.Context) (*iam.GetRoleOutput, error) { return r.role(ctx, ro) })
	cs := []check{prop(pre+".trust", ro.ID, "AssumeRolePolicyDocument", "sts:AssumeRole by "+ro.Service, role, func(_ context.Context, o *iam.GetRoleOutput) (string, bool, error) {
		sts, err := parsePolicy(aws.ToString(o.Role.AssumeRolePolicyDocument))
		if err != nil {
			return "", false, err
		}
		var got []string
		for _, s := range sts {
			if s.Effect == "Allow" {
				got = append(got, sortedSet(s.Actions)+" by "+strings.TrimPrefix(sortedSet(s.Principals), "Service:"))
			}
		}
		return strings.Join(got, "; "), true, nil
	})}
	// IAM names are global to the account: the model scopes them to the
	// region, and a role the stack names otherwise (another prefix, a
	// name from before the scoping) would collide with a second region.
	if ro.Name != "" {
		cs = append(cs, prop(pre+".name", ro.ID, "RoleName", ro.Name, role, value(func(o *iam.GetRoleOutput) string { return aws.ToString(o.Role.RoleName) })))
	}
	var wantArns []string
	for _, m := range ro.ManagedPolicies {
		wantArns = append(wantArns, constructs.ManagedPolicyARN(m))
	}
	mp := prop(pre+".managed-policies", ro.ID, "AttachedPolicies (AWS managed)", orDefault(sortedSet(wantArns), "none"), role, func(ctx context.Context, _ *iam.GetRoleOutput) (string, bool, error) {
		a, err := r.attached(ctx, ro)
		if err != nil {
			return "", false, err
		}
		var got []string
		for _, x := range a {
			if awsManaged(x) {
				got = append(got, x)
			}
		}
		return orDefault(sortedSet(got), "none"), true, nil
	})
	// The patch attaches what is missing and detaches AWS managed policies
	// the model does not have.
	mp.patch = func(ctx context.Context) error {
		if _, err := must(ctx, role, "role "+ro.Name); err != nil {
			return err
		}
		a, err := r.attached(ctx, ro)
		if err != nil {
			return err
		}
		name := aws.String(r.roleName(ctx, ro))
		for _, arn := range wantArns {
			if !contains(a, arn) {
				if _, err := r.c.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String(arn)}); err != nil {
					return fmt.Errorf("attach %s: %w", arn, err)
				}
			}
		}
		for _, arn := range a {
			if awsManaged(arn) && !contains(wantArns, arn) {
				if _, err := r.c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: name, PolicyArn: aws.String(arn)}); err != nil {
					return fmt.Errorf("detach %s: %w", arn, err)
				}
			}
		}
		return nil
	}
	cs = append(cs, mp)
	for _, st := range ro.Statements {
		c := prop(pre+".policy."+st.Sid, ro.ID, "RolePolicy.Statement["+st.Sid+"]", "granted", role, func(ctx context.Context, _ *iam.GetRoleOutput) (string, bool, error) {
			sts, err := r.rolePolicies(ctx, ro)
			if err != nil {
				return "", false, err
			}
			var miss []string
			for _, a := range st.Actions {
				for _, v := range st.Resources {
					res := r.arn(v)
					if !allowed(sts, a, res) {
						miss = append(miss, a+" on "+res)
					}
				}
			}
			if len(miss) == 0 {
				return "granted", true, nil
			}
			if len(miss) == len(st.Actions)*len(st.Resources) {
				return "", false, nil
			}
			return "not granted: " + strings.Join(miss, ", "), true, nil
		})
		// The model's inline policy replaces the one of that name.
		c.patch = func(ctx context.Context) error {
			doc, err := r.policyJSON(ro.Statements, false)
			if err != nil {
				return err
			}
			_, err = r.c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.roleName(ctx, ro)), PolicyName: aws.String(orDefault(ro.PolicyName, string(ro.ID))), PolicyDocument: aws.String(doc)})
			return err
		}
		cs = append(cs, c)
	}
	cs = append(cs, prop(pre+".grants-beyond-model", ro.ID, "RolePolicy.Statement (grants not in the model)", "none", role, func(ctx context.Context, _ *iam.GetRoleOutput) (string, bool, error) {
		sts, err := r.rolePolicies(ctx, ro)
		if err != nil {
			return "", false, err
		}
		return orDefault(sortedSet(r.grantsBeyond(ro, sts)), "none"), true, nil
	}))
	if ro.InstanceProfile != "" {
		name := ro.ProfileName
		profile := lookupOf(func(ctx context.Context) (*iam.GetInstanceProfileOutput, error) {
			pn := name
			if p := r.physical(ro.InstanceProfile); p != "" && !strings.HasPrefix(p, "arn:") {
				pn = p
			}
			return cached(r, "profile/"+pn, func() (*iam.GetInstanceProfileOutput, error) {
				return r.c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: &pn})
			})
		})
		ppre := "profile." + string(ro.InstanceProfile)
		cs = append(cs, prop(ppre, ro.InstanceProfile, "InstanceProfile.Roles", "role "+ro.Name, profile, value(func(o *iam.GetInstanceProfileOutput) string {
			var roles []string
			for _, x := range o.InstanceProfile.Roles {
				roles = append(roles, aws.ToString(x.RoleName))
			}
			return "role " + sortedSet(roles)
		})))
		if name != "" {
			cs = append(cs, prop(ppre+".name", ro.InstanceProfile, "InstanceProfileName", name, profile, value(func(o *iam.GetInstanceProfileOutput) string {
				return aws.ToString(o.InstanceProfile.InstanceProfileName)
			})))
		}
	}
	return cs
}

// grantsBeyond lists, as "action on resource", what the deployed
// statements allow that no model statement of the role allows: an extra
// action, a model action on a wider or another resource, a wildcard
// ("s3:*", Resource "*"). A model grant on "*" covers only the actions
// AWS accepts nothing narrower for (constructs.WildcardReason), so any
// other action on "*" is listed. The renderers add one statement of
// their own to a role that reads its artifact: s3:GetObject on an object
// outside the model's bucket.
func (r *reader) grantsBeyond(ro *constructs.Role, sts []statement) []string {
	type grant struct{ actions, resources []string }
	var model []grant
	for _, st := range ro.Statements {
		if st.Effect != "Allow" {
			continue
		}
		g := grant{actions: st.Actions}
		for _, v := range st.Resources {
			g.resources = append(g.resources, r.arn(v))
		}
		model = append(model, g)
	}
	bucket := "arn:aws:s3:::" + r.bucketName()
	artifact := func(a, res string) bool {
		return ro.ReadsArtifact != nil && strings.EqualFold(a, "s3:GetObject") &&
			strings.HasPrefix(res, "arn:aws:s3:::") && strings.Contains(res, "/") && !strings.ContainsAny(res, "*?") &&
			!strings.HasPrefix(res, bucket+"/")
	}
	covered := func(a, res string) bool {
		for _, g := range model {
			okA, okR := false, false
			for _, x := range g.actions {
				okA = okA || globMatch(x, a)
			}
			for _, x := range g.resources {
				if x == "*" {
					// Only for what AWS accepts nothing narrower for.
					_, ok := constructs.WildcardReason(a)
					okR = okR || ok
					continue
				}
				okR = okR || globMatch(x, res)
			}
			if okA && okR {
				return true
			}
		}
		return artifact(a, res)
	}
	var out []string
	for _, s := range sts {
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Actions {
			for _, res := range s.Resources {
				if !covered(a, res) {
					out = append(out, a+" on "+res)
				}
			}
		}
	}
	return out
}

// allowed reports whether an Allow statement grants action on resource.
func allowed(sts []statement, action, resource string) bool {
	for _, s := range sts {
		if s.Effect != "Allow" {
			continue
		}
		okA, okR := false, false
		for _, a := range s.Actions {
			if globMatch(a, action) {
				okA = true
			}
		}
		for _, x := range s.Resources {
			if globMatch(x, resource) {
				okR = true
			}
		}
		if okA && okR {
			return true
		}
	}
	return false
}

// --- load balancer ---

func loadBalancerChecks(r *reader) []check {
	lb := &r.sys.LoadBalancer
	getLB := lookupOf(func(ctx context.Context) (*elbtypes.LoadBalancer, error) { return r.loadBalancer(ctx, lb) })
	getTG := lookupOf(func(ctx context.Context) (*elbtypes.TargetGroup, error) { return r.targetGroup(ctx, lb) })
	// The listener is the balancer's one listener on the model's port, or
	// its only listener.
	getL := lookupOf(func(ctx context.Context) (*elbtypes.Listener, error) {
		d, err := r.loadBalancer(ctx, lb)
		if err != nil {
			return nil, err
		}
		return cached(r, "listener", func() (*elbtypes.Listener, error) {
			o, err := r.c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: d.LoadBalancerArn})
			if err != nil {
				return nil, err
			}
			for i, l := range o.Listeners {
				if int(aws.ToInt32(l.Port)) == lb.ListenerPort || len(o.Listeners) == 1 {
					return &o.Listeners[i], nil
				}
			}
			return nil, errNotFound
		})
	})
	scheme := "internet-facing"
	if lb.Internal {
		scheme = "internal"
	}
	var subnets []string
	for _, s := range lb.Subnets {
		subnets = append(subnets, string(s))
	}
	pre, lpre, tpre := "lb."+string(lb.ID), "lb."+string(lb.Listener), "lb."+string(lb.TargetGroup)
	cs := []check{
		prop(pre+".scheme", lb.ID, "Scheme", scheme, getLB, value(func(d *elbtypes.LoadBalancer) string { return string(d.Scheme) })),
		prop(pre+".type", lb.ID, "Type", "application", getLB, value(func(d *elbtypes.LoadBalancer) string { return string(d.Type) })),
		prop(pre+".subnets", lb.ID, "AvailabilityZones.SubnetId", sortedSet(subnets), getLB, func(ctx context.Context, d *elbtypes.LoadBalancer) (string, bool, error) {
			var got []string
			for _, z := range d.AvailabilityZones {
				got = append(got, r.subnetName(ctx, aws.ToString(z.SubnetId)))
			}
			return orDefault(sortedSet(got), "none"), true, nil
		}),
		prop(pre+".security-groups", lb.ID, "SecurityGroups", string(lb.Group), getLB, func(ctx context.Context, d *elbtypes.LoadBalancer) (string, bool, error) {
			var got []string
			for _, g := range d.SecurityGroups {
				got = append(got, r.groupName(ctx, g))
			}
			return orDefault(sortedSet(got), "none"), true, nil
		}),
		prop(lpre+".protocol", lb.Listener, "Protocol", "HTTP", getL, value(func(l *elbtypes.Listener) string { return string(l.Protocol) })),
		prop(lpre+".port", lb.Listener, "Port", strconv.Itoa(lb.ListenerPort), getL, value(func(l *elbtypes.Listener) string { return strconv.Itoa(int(aws.ToInt32(l.Port))) })),
		prop(lpre+".default-action", lb.Listener, "DefaultActions", "forward to "+lb.TargetName, getL, func(ctx context.Context, l *elbtypes.Listener) (string, bool, error) {
			var got []string
			for _, a := range l.DefaultActions {
				tg := aws.ToString(a.TargetGroupArn)
				if t, err := r.targetGroup(ctx, lb); err == nil && aws.ToString(t.TargetGroupArn) == tg {
					tg = aws.ToString(t.TargetGroupName)
				}
				got = append(got, fmt.Sprintf("%s to %s", a.Type, tg))
			}
			return orDefault(sortedSet(got), "none"), true, nil
		}),
		prop(tpre+".protocol", lb.TargetGroup, "Protocol", "HTTP", getTG, value(func(d *elbtypes.TargetGroup) string { return string(d.Protocol) })),
		prop(tpre+".port", lb.TargetGroup, "Port", strconv.Itoa(lb.TargetPort), getTG, value(func(d *elbtypes.TargetGroup) string { return strconv.Itoa(int(aws.ToInt32(d.Port))) })),
		prop(tpre+".target-type", lb.TargetGroup, "TargetType", "instance", getTG, value(func(d *elbtypes.TargetGroup) string { return string(d.TargetType) })),
	}
	h := lb.Health
	i32 := func(p *int32) string { return strconv.Itoa(int(aws.ToInt32(p))) }
	health := []struct {
		name, property, want string
		read                 func(*elbtypes.TargetGroup) string
		set                  func(*elb.ModifyTargetGroupInput)
	}{
		{"protocol", "HealthCheckProtocol", "HTTP", func(d *elbtypes.TargetGroup) string { return string(d.HealthCheckProtocol) },
			func(in *elb.ModifyTargetGroupInput) { in.HealthCheckProtocol = elbtypes.ProtocolEnumHttp }},
		{"path", "HealthCheckPath", lb.HealthPath, func(d *elbtypes.TargetGroup) string { return aws.ToString(d.HealthCheckPath) },
			func(in *elb.ModifyTargetGroupInput) { in.HealthCheckPath = aws.String(lb.HealthPath) }},
		{"interval", "HealthCheckIntervalSeconds", strconv.Itoa(h.IntervalSec), func(d *elbtypes.TargetGroup) string { return i32(d.HealthCheckIntervalSeconds) },
			func(in *elb.ModifyTargetGroupInput) { in.HealthCheckIntervalSeconds = aws.Int32(int32(h.IntervalSec)) }},
		{"timeout", "HealthCheckTimeoutSeconds", strconv.Itoa(h.TimeoutSec), func(d *elbtypes.TargetGroup) string { return i32(d.HealthCheckTimeoutSeconds) },
			func(in *elb.ModifyTargetGroupInput) { in.HealthCheckTimeoutSeconds = aws.Int32(int32(h.TimeoutSec)) }},
		{"healthy-threshold", "HealthyThresholdCount", strconv.Itoa(h.HealthyThreshold), func(d *elbtypes.TargetGroup) string { return i32(d.HealthyThresholdCount) },
			func(in *elb.ModifyTargetGroupInput) { in.HealthyThresholdCount = aws.Int32(int32(h.HealthyThreshold)) }},
		{"unhealthy-threshold", "UnhealthyThresholdCount", strconv.Itoa(h.UnhealthyThreshold), func(d *elbtypes.TargetGroup) string { return i32(d.UnhealthyThresholdCount) },
			func(in *elb.ModifyTargetGroupInput) {
				in.UnhealthyThresholdCount = aws.Int32(int32(h.UnhealthyThreshold))
			}},
		{"matcher", "Matcher.HttpCode", h.Matcher, func(d *elbtypes.TargetGroup) string {
			if d.Matcher == nil {
				return ""
			}
			return aws.ToString(d.Matcher.HttpCode)
		}, func(in *elb.ModifyTargetGroupInput) { in.Matcher = &elbtypes.Matcher{HttpCode: aws.String(h.Matcher)} }},
	}
	for _, x := range health {
		c := prop(tpre+".health-check."+x.name, lb.TargetGroup, x.property, x.want, getTG, value(x.read))
		c.patch = func(ctx context.Context) error {
			d, err := must(ctx, getTG, "target group "+lb.TargetName)
			if err != nil {
				return err
			}
			in := &elb.ModifyTargetGroupInput{TargetGroupArn: d.TargetGroupArn}
			x.set(in)
			_, err = r.c.ELB.ModifyTargetGroup(ctx, in)
			return err
		}
		cs = append(cs, c)
	}
	return append(cs, targetsCheck(r, lb, getTG))
}

// --- Lambda ---

func functionChecks(r *reader) []check {
	f := &r.sys.Function
	name := func() *string { return r.physicalName(f.ID, f.Name) }
	get := lookupOf(func(ctx context.Context) (*lambda.GetFunctionConfigurationOutput, error) {
		return cached(r, "fn", func() (*lambda.GetFunctionConfigurationOutput, error) {
			return r.c.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name()})
		})
	})
	type cfg = *lambda.GetFunctionConfigurationOutput
	field := func(suffix, property, want string, fn func(context.Context, cfg) string) check {
		return prop("function"+suffix, f.ID, property, want, get, func(ctx context.Context, d cfg) (string, bool, error) { return fn(ctx, d), true, nil })
	}
	var subnets []string
	for _, s := range f.Subnets {
		subnets = append(subnets, string(s))
	}
	cs := []check{
		field(".runtime", "Runtime", f.Runtime, func(_ context.Context, d cfg) string { return string(d.Runtime) }),
		field(".handler", "Handler", f.Handler, func(_ context.Context, d cfg) string { return aws.ToString(d.Handler) }),
	}
	arch := field(".architecture", "Architectures", f.Architecture, func(_ context.Context, d cfg) string {
		var as []string
		for _, a := range d.Architectures {
			as = append(as, string(a))
		}
		return orDefault(sortedSet(as), "x86_64")
	})
	arch.patch = func(ctx context.Context) error {
		if r.functionZip == "" {
			return errors.New("no function code to re-upload (the architecture can only be changed with the code)")
		}
		zip, err := os.ReadFile(r.functionZip)
		if err != nil {
			return err
		}
		_, err = r.c.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: name(), ZipFile: zip,
			Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(f.Architecture)}})
		return err
	}
	cs = append(cs, arch,
		field(".memory", "MemorySize", strconv.Itoa(f.MemoryMB)+" MB", func(_ context.Context, d cfg) string {
			return strconv.Itoa(int(aws.ToInt32(d.MemorySize))) + " MB"
		}),
		field(".timeout", "Timeout", strconv.Itoa(f.TimeoutSec)+" s", func(_ context.Context, d cfg) string {
			return strconv.Itoa(int(aws.ToInt32(d.Timeout))) + " s"
		}))
	if role := r.sys.Role(f.Role); role != nil {
		cs = append(cs, field(".role", "Role", role.Name, func(ctx context.Context, d cfg) string {
			arn := aws.ToString(d.Role)
			n := arn[strings.LastIndex(arn, "/")+1:]
			if n == r.roleName(ctx, role) {
				return role.Name
			}
			return n
		}))
	}
	// One check per environment variable, and one for variables the model
	// does not have.
	var names []string
	for _, e := range f.Environment {
		names = append(names, e.Name)
		c := prop("function.environment."+e.Name, f.ID, "Environment.Variables."+e.Name, "", get, func(_ context.Context, d cfg) (string, bool, error) {
			if d.Environment == nil {
				return "", false, nil
			}
			v, ok := d.Environment.Variables[e.Name]
			return v, ok, nil
		})
		c.wantFn = func(ctx context.Context) (string, error) { return r.value(ctx, e.Value) }
		cs = append(cs, c)
	}
	cs = append(cs, field(".environment.nothing-else", "Environment.Variables (not in the model)", "no other variables", func(_ context.Context, d cfg) string {
		var extra []string
		if d.Environment != nil {
			for k := range d.Environment.Variables {
				if !contains(names, k) {
					extra = append(extra, k)
				}
			}
		}
		if len(extra) == 0 {
			return "no other variables"
		}
		return "also " + sortedSet(extra)
	}),
		field(".vpc-subnets", "VpcConfig.SubnetIds", orDefault(sortedSet(subnets), "none"), func(ctx context.Context, d cfg) string {
			var got []string
			if d.VpcConfig != nil {
				for _, s := range d.VpcConfig.SubnetIds {
					got = append(got, r.subnetName(ctx, s))
				}
			}
			return orDefault(sortedSet(got), "none")
		}),
		field(".vpc-security-groups", "VpcConfig.SecurityGroupIds", orDefault(string(f.Group), "none"), func(ctx context.Context, d cfg) string {
			var got []string
			if d.VpcConfig != nil {
				for _, g := range d.VpcConfig.SecurityGroupIds {
					got = append(got, r.groupName(ctx, g))
				}
			}
			return orDefault(sortedSet(got), "none")
		}))
	if f.URL != "" {
		url := prop("function.url.auth", f.URL, "FunctionUrlConfig.AuthType", f.URLAuth, get, func(ctx context.Context, _ cfg) (string, bool, error) {
			o, err := r.c.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: name()})
			if ok, err := found(err); !ok {
				return "", false, err
			}
			return string(o.AuthType), true, nil
		})
		url.patch = func(ctx context.Context) error {
			auth := lambdatypes.FunctionUrlAuthType(f.URLAuth)
			_, err := r.c.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: name()})
			if ok, err := found(err); err != nil {
				return err
			} else if ok {
				_, err = r.c.Lambda.UpdateFunctionUrlConfig(ctx, &lambda.UpdateFunctionUrlConfigInput{FunctionName: name(), AuthType: auth})
				return err
			}
			_, err = r.c.Lambda.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: name(), AuthType: auth})
			return err
		}
		cs = append(cs, url)
	}
	return cs
}

func attrBool(v *ec2types.AttributeBooleanValue) bool { return v != nil && aws.ToBool(v.Value) }
