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
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/twinstack/twinstack/constructs"
)

// found turns a lookup error into the (found, err) pair of a check:
// not-found errors mean "missing", others are failures.
func found(err error) (bool, error) {
	if err == nil {
		return true, nil
	}
	if errors.Is(err, errNotFound) || isNotFound(err.Error()) {
		return false, nil
	}
	return false, err
}

func buildChecks(r *reader) []check {
	var cs []check
	cs = append(cs, bucketChecks(r)...)
	for _, t := range []*constructs.Table{&r.sys.ImagesTable, &r.sys.AlbumsTable} {
		cs = append(cs, tableChecks(r, t)...)
	}
	cs = append(cs, networkChecks(r)...)
	for i := range r.sys.Groups {
		cs = append(cs, groupChecks(r, &r.sys.Groups[i])...)
	}
	for i := range r.sys.Roles {
		cs = append(cs, roleChecks(r, &r.sys.Roles[i])...)
	}
	for i := range r.sys.Servers {
		cs = append(cs, instanceChecks(r, &r.sys.Servers[i])...)
	}
	if r.sys.LoadBalancer != nil {
		cs = append(cs, loadBalancerChecks(r, r.sys.LoadBalancer)...)
	}
	cs = append(cs, functionChecks(r, &r.sys.Function)...)
	cs = append(cs, hardeningChecks(r)...)
	return cs
}

// --- S3 ---

func bucketChecks(r *reader) []check {
	b := &r.sys.Bucket
	name := func() *string { return aws.String(r.bucketName()) }
	var cs []check
	cs = append(cs, check{id: "bucket.exists", resource: b.ID, want: "exists",
		get: func(ctx context.Context) (string, bool, error) {
			_, err := r.c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: name()})
			if err != nil {
				if strings.Contains(err.Error(), "NotFound") || strings.Contains(err.Error(), "404") {
					return "", false, nil
				}
				return "", false, err
			}
			return "exists", true, nil
		}})
	if b.Versioned {
		cs = append(cs, check{id: "bucket.versioning", resource: b.ID, want: "Enabled",
			get: func(ctx context.Context) (string, bool, error) {
				o, err := r.c.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: name()})
				if err != nil {
					return "", false, err
				}
				if o.Status == "" {
					return "never enabled", true, nil
				}
				return string(o.Status), true, nil
			},
			patch: func(ctx context.Context) error {
				_, err := r.c.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: name(),
					VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
				return err
			}})
	}
	if b.BlockPublicAccess {
		const all = "BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls, RestrictPublicBuckets"
		cs = append(cs, check{id: "bucket.public-access-block", resource: b.ID, want: all,
			get: func(ctx context.Context) (string, bool, error) {
				o, err := r.c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: name()})
				if err != nil {
					return "", false, notFoundIs(err, "NoSuchPublicAccessBlockConfiguration")
				}
				c := o.PublicAccessBlockConfiguration
				var on []string
				if c != nil {
					for n, v := range map[string]*bool{"BlockPublicAcls": c.BlockPublicAcls, "BlockPublicPolicy": c.BlockPublicPolicy, "IgnorePublicAcls": c.IgnorePublicAcls, "RestrictPublicBuckets": c.RestrictPublicBuckets} {
						if aws.ToBool(v) {
							on = append(on, n)
						}
					}
				}
				if len(on) == 0 {
					return "none", true, nil
				}
				return sortedSet(on), true, nil
			},
			patch: func(ctx context.Context) error {
				t := aws.Bool(true)
				_, err := r.c.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: name(),
					PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: t, BlockPublicPolicy: t, IgnorePublicAcls: t, RestrictPublicBuckets: t}})
				return err
			}})
	}
	if b.Encryption != "" {
		cs = append(cs, check{id: "bucket.encryption", resource: b.ID, want: b.Encryption,
			get: func(ctx context.Context) (string, bool, error) {
				o, err := r.c.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: name()})
				if err != nil {
					return "", false, notFoundIs(err, "ServerSideEncryptionConfigurationNotFoundError")
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
		cs = append(cs, check{id: "bucket.policy." + st.Sid, resource: b.ID, want: want,
			get: func(ctx context.Context) (string, bool, error) {
				o, err := r.c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: name()})
				if err != nil {
					return "", false, notFoundIs(err, "NoSuchBucketPolicy")
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

func notFoundIs(err error, code string) error {
	if strings.Contains(err.Error(), code) {
		return nil
	}
	return err
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
	sort.Slice(parts, func(i, j int) bool {
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

func tableChecks(r *reader, t *constructs.Table) []check {
	pre := "table." + string(t.ID) + "."
	desc := func(ctx context.Context) (*ddbtypes.TableDescription, bool, error) {
		o, err := r.table(ctx, t)
		if err != nil {
			ok, err := found(err)
			return nil, ok, err
		}
		return o.Table, o.Table != nil, nil
	}
	cs := []check{
		{id: pre + "keys", resource: t.ID, want: modelKeys(t.Partition, t.Sort),
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := desc(ctx)
				if !ok {
					return "", ok, err
				}
				return keyText(d.KeySchema, d.AttributeDefinitions), true, nil
			}},
		{id: pre + "billing", resource: t.ID, want: t.BillingMode,
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := desc(ctx)
				if !ok {
					return "", ok, err
				}
				if d.BillingModeSummary == nil {
					return "PROVISIONED", true, nil
				}
				return string(d.BillingModeSummary.BillingMode), true, nil
			}},
	}
	var wantIdx []string
	for _, ix := range t.Indexes {
		wantIdx = append(wantIdx, ix.Name+" ("+modelKeys(ix.Partition, ix.Sort)+", "+ix.Projection+")")
	}
	cs = append(cs, check{id: pre + "indexes", resource: t.ID, want: orDefault(strings.Join(wantIdx, "; "), "none"),
		get: func(ctx context.Context) (string, bool, error) {
			d, ok, err := desc(ctx)
			if !ok {
				return "", ok, err
			}
			var got []string
			for _, g := range d.GlobalSecondaryIndexes {
				proj := ""
				if g.Projection != nil {
					proj = string(g.Projection.ProjectionType)
				}
				got = append(got, aws.ToString(g.IndexName)+" ("+keyText(g.KeySchema, d.AttributeDefinitions)+", "+proj+")")
			}
			sort.Strings(got)
			return orDefault(strings.Join(got, "; "), "none"), true, nil
		}})
	cs = append(cs, check{id: pre + "deletion-protection", resource: t.ID, want: onOff(t.DeletionProtection),
		get: func(ctx context.Context) (string, bool, error) {
			d, ok, err := desc(ctx)
			if !ok {
				return "", ok, err
			}
			return onOff(aws.ToBool(d.DeletionProtectionEnabled)), true, nil
		}})
	want := "DISABLED"
	if t.PointInTimeRecovery {
		want = "ENABLED"
	}
	name := t.Name
	cs = append(cs, check{id: pre + "pitr", resource: t.ID, want: want,
		get: func(ctx context.Context) (string, bool, error) {
			if _, ok, err := desc(ctx); !ok {
				return "", ok, err
			}
			o, err := r.c.DynamoDB.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: &name})
			if err != nil {
				return "", false, err
			}
			if d := o.ContinuousBackupsDescription; d != nil && d.PointInTimeRecoveryDescription != nil {
				return string(d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus), true, nil
			}
			return "DISABLED", true, nil
		},
		patch: func(ctx context.Context) error {
			_, err := r.c.DynamoDB.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: &name,
				PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(t.PointInTimeRecovery)}})
			return err
		}})
	return cs
}

// --- network ---

func networkChecks(r *reader) []check {
	n := &r.sys.Network
	cs := []check{
		{id: "vpc.cidr", resource: n.VPC.ID, want: n.VPC.CIDR,
			get: func(ctx context.Context) (string, bool, error) {
				v, err := r.vpc(ctx)
				if err != nil {
					ok, err := found(err)
					return "", ok, err
				}
				return aws.ToString(v.CidrBlock), true, nil
			}},
		{id: "vpc.dns", resource: n.VPC.ID, want: fmt.Sprintf("support %s, hostnames %s", onOff(n.VPC.DNSSupport), onOff(n.VPC.DNSHostnames)),
			get: func(ctx context.Context) (string, bool, error) {
				id, err := r.vpcID(ctx)
				if err != nil {
					ok, err := found(err)
					return "", ok, err
				}
				sup, err := r.c.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &id, Attribute: ec2types.VpcAttributeNameEnableDnsSupport})
				if err != nil {
					return "", false, err
				}
				host, err := r.c.EC2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &id, Attribute: ec2types.VpcAttributeNameEnableDnsHostnames})
				if err != nil {
					return "", false, err
				}
				return fmt.Sprintf("support %s, hostnames %s", onOff(attrBool(sup.EnableDnsSupport)), onOff(attrBool(host.EnableDnsHostnames))), true, nil
			},
			patch: func(ctx context.Context) error {
				id, err := r.vpcID(ctx)
				if err != nil {
					return err
				}
				if _, err := r.c.EC2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &id, EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(n.VPC.DNSSupport)}}); err != nil {
					return err
				}
				_, err = r.c.EC2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &id, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(n.VPC.DNSHostnames)}})
				return err
			}},
		{id: "vpc.internet-gateway", resource: n.Gateway, want: "attached",
			get: func(ctx context.Context) (string, bool, error) {
				igw, err := r.internetGateway(ctx)
				if err != nil {
					ok, err := found(err)
					return "", ok, err
				}
				return "attached", igw != "", nil
			}},
	}
	for _, s := range n.Subnets {
		want := fmt.Sprintf("%s in zone %d, public=%t", s.CIDR, s.AZ, s.Public)
		cs = append(cs, check{id: "subnet." + string(s.ID), resource: s.ID, want: want,
			patch: func(ctx context.Context) error {
				d, err := r.subnet(ctx, s.ID)
				if err != nil {
					return err
				}
				_, err = r.c.EC2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: d.SubnetId, MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: aws.Bool(s.Public)}})
				return err
			},
			get: func(ctx context.Context) (string, bool, error) {
				d, err := r.subnet(ctx, s.ID)
				if err != nil {
					ok, err := found(err)
					return "", ok, err
				}
				zs, err := r.zones(ctx)
				if err != nil {
					return "", false, err
				}
				zi := -1
				for i, z := range zs {
					if z == aws.ToString(d.AvailabilityZone) {
						zi = i
					}
				}
				return fmt.Sprintf("%s in zone %d, public=%t", aws.ToString(d.CidrBlock), zi, aws.ToBool(d.MapPublicIpOnLaunch)), true, nil
			}})
		cs = append(cs, check{id: "subnet." + string(s.ID) + ".default-route", resource: s.RouteTable, want: n.Internet + " -> internet gateway",
			// The patch associates the subnet with the route table the
			// deployment created for it (found in the inventory).
			patch: func(ctx context.Context) error {
				rtb := r.physical(s.RouteTable)
				if !strings.HasPrefix(rtb, "rtb-") {
					return fmt.Errorf("route table %s: not in the deployment's inventory", s.RouteTable)
				}
				d, err := r.subnet(ctx, s.ID)
				if err != nil {
					return err
				}
				_, err = r.c.EC2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{SubnetId: d.SubnetId, RouteTableId: aws.String(rtb)})
				return err
			},
			get: func(ctx context.Context) (string, bool, error) {
				d, err := r.subnet(ctx, s.ID)
				if err != nil {
					ok, err := found(err)
					return "", ok, err
				}
				rts, err := r.routeTables(ctx)
				if err != nil {
					return "", false, err
				}
				igw, _ := r.internetGateway(ctx)
				rt := routeTableFor(rts, aws.ToString(d.SubnetId))
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
			}})
	}
	return cs
}

func routeTableFor(rts []ec2types.RouteTable, subnetID string) *ec2types.RouteTable {
	var main *ec2types.RouteTable
	for i := range rts {
		for _, a := range rts[i].Associations {
			if aws.ToString(a.SubnetId) == subnetID {
				return &rts[i]
			}
			if aws.ToBool(a.Main) {
				main = &rts[i]
			}
		}
	}
	return main
}

// --- security groups ---

// ruleText is the canonical text of a rule: "tcp 8080 from LambdaSecurityGroup".
func ruleText(proto string, from, to int, dir, peer string) string {
	p := proto
	switch proto {
	case constructs.All, "all":
		return "all " + dir + " " + peer
	}
	ports := strconv.Itoa(from)
	if to != from {
		ports += "-" + strconv.Itoa(to)
	}
	return p + " " + ports + " " + dir + " " + peer
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

// deployedRules flattens a group's permissions into canonical rule texts.
// The AWS CDK's "disallow all traffic" placeholder (icmp 252-86 to
// 255.255.255.255/32) allows nothing and is left out.
func (r *reader) deployedRules(ctx context.Context, perms []ec2types.IpPermission, egress bool) []string {
	dir := "from"
	if egress {
		dir = "to"
	}
	var out []string
	for _, p := range perms {
		proto := aws.ToString(p.IpProtocol)
		from, to := int(aws.ToInt32(p.FromPort)), int(aws.ToInt32(p.ToPort))
		for _, ip := range p.IpRanges {
			c := aws.ToString(ip.CidrIp)
			if proto == "icmp" && c == "255.255.255.255/32" && from == 252 && to == 86 {
				continue
			}
			out = append(out, ruleText(proto, from, to, dir, c))
		}
		for _, ip := range p.Ipv6Ranges {
			out = append(out, ruleText(proto, from, to, dir, aws.ToString(ip.CidrIpv6)))
		}
		for _, g := range p.UserIdGroupPairs {
			out = append(out, ruleText(proto, from, to, dir, r.groupName(ctx, aws.ToString(g.GroupId))))
		}
		for _, pl := range p.PrefixListIds {
			out = append(out, ruleText(proto, from, to, dir, aws.ToString(pl.PrefixListId)))
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

func groupChecks(r *reader, g *constructs.SecurityGroup) []check {
	pre := "sg." + string(g.ID)
	get := func(ctx context.Context) (ec2types.SecurityGroup, bool, error) {
		gs, err := r.groups(ctx)
		if err != nil {
			return ec2types.SecurityGroup{}, false, err
		}
		d, ok := gs[g.ID]
		return d, ok, nil
	}
	cs := []check{{id: pre + ".exists", resource: g.ID, want: g.Name,
		get: func(ctx context.Context) (string, bool, error) {
			d, ok, err := get(ctx)
			return aws.ToString(d.GroupName), ok, err
		}}}
	for _, egress := range []bool{false, true} {
		rules, dir := g.Ingress, "ingress"
		if egress {
			rules, dir = g.Egress, "egress"
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
			cs = append(cs, check{id: fmt.Sprintf("%s.%s[%s]", pre, dir, text), resource: g.ID, want: "allowed",
				get: func(ctx context.Context) (string, bool, error) {
					d, ok, err := get(ctx)
					if !ok {
						return "", ok, err
					}
					for _, x := range r.deployedRules(ctx, perms(d), egress) {
						if x == text {
							return "allowed", true, nil
						}
					}
					return "", false, nil
				},
				patch: func(ctx context.Context) error {
					d, ok, err := get(ctx)
					if !ok {
						return fmt.Errorf("group %s: %w", g.ID, errors.Join(err, errNotFound))
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
				}})
		}
		cs = append(cs, check{id: fmt.Sprintf("%s.%s.nothing-else", pre, dir), resource: g.ID, want: "no other rules",
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := get(ctx)
				if !ok {
					return "", ok, err
				}
				var extra []string
				for _, x := range r.deployedRules(ctx, perms(d), egress) {
					if !contains(want, x) {
						extra = append(extra, x)
					}
				}
				if len(extra) == 0 {
					return "no other rules", true, nil
				}
				return "also " + sortedSet(extra), true, nil
			},
			// Only egress extras are patched: the default allow-all egress
			// an emulator leaves in place. Extra ingress is never removed
			// by verify.
			patch: func(ctx context.Context) error {
				if !egress {
					return errors.New("extra ingress rules are not removed automatically")
				}
				d, ok, err := get(ctx)
				if !ok {
					return errors.Join(err, errNotFound)
				}
				for _, p := range d.IpPermissionsEgress {
					for _, ip := range p.IpRanges {
						if ru := ruleText(aws.ToString(p.IpProtocol), int(aws.ToInt32(p.FromPort)), int(aws.ToInt32(p.ToPort)), "to", aws.ToString(ip.CidrIp)); !contains(want, ru) {
							q := p
							q.IpRanges, q.Ipv6Ranges, q.UserIdGroupPairs, q.PrefixListIds = []ec2types.IpRange{{CidrIp: ip.CidrIp}}, nil, nil, nil
							if _, err := r.c.EC2.RevokeSecurityGroupEgress(ctx, &ec2.RevokeSecurityGroupEgressInput{GroupId: d.GroupId, IpPermissions: []ec2types.IpPermission{q}}); err != nil {
								return err
							}
						}
					}
				}
				return nil
			}})
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

func roleChecks(r *reader, ro *constructs.Role) []check {
	pre := "role." + string(ro.ID)
	cs := []check{{id: pre + ".trust", resource: ro.ID, want: "sts:AssumeRole by " + ro.Service,
		get: func(ctx context.Context) (string, bool, error) {
			o, err := r.role(ctx, ro)
			if err != nil {
				ok, err := found(err)
				return "", ok, err
			}
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
		}}}
	var wantArns []string
	for _, m := range ro.ManagedPolicies {
		wantArns = append(wantArns, constructs.ManagedPolicyARN(m))
	}
	cs = append(cs, check{id: pre + ".managed-policies", resource: ro.ID, want: orDefault(sortedSet(wantArns), "none"),
		get: func(ctx context.Context) (string, bool, error) {
			if _, err := r.role(ctx, ro); err != nil {
				ok, err := found(err)
				return "", ok, err
			}
			a, err := r.attached(ctx, ro)
			if err != nil {
				return "", false, err
			}
			var aws []string
			for _, x := range a {
				if strings.HasPrefix(x, "arn:aws:iam::aws:policy/") {
					aws = append(aws, x)
				}
			}
			return orDefault(sortedSet(aws), "none"), true, nil
		},
		patch: func(ctx context.Context) error {
			a, _ := r.attached(ctx, ro)
			for _, arn := range wantArns {
				if contains(a, arn) {
					continue
				}
				if _, err := r.c.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r.roleName(ctx, ro)), PolicyArn: aws.String(arn)}); err != nil {
					return err
				}
			}
			return nil
		}})
	for _, st := range ro.Statements {
		cs = append(cs, check{id: pre + ".policy." + st.Sid, resource: ro.ID, want: "granted",
			get: func(ctx context.Context) (string, bool, error) {
				if _, err := r.role(ctx, ro); err != nil {
					ok, err := found(err)
					return "", ok, err
				}
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
			},
			patch: func(ctx context.Context) error {
				doc, err := r.policyJSON(ro.Statements, false)
				if err != nil {
					return err
				}
				_, err = r.c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.roleName(ctx, ro)), PolicyName: aws.String(orDefault(ro.PolicyName, string(ro.ID))), PolicyDocument: aws.String(doc)})
				return err
			}})
	}
	cs = append(cs, check{id: pre + ".no-wildcard-grants", resource: ro.ID, want: "none",
		get: func(ctx context.Context) (string, bool, error) {
			if _, err := r.role(ctx, ro); err != nil {
				ok, err := found(err)
				return "", ok, err
			}
			sts, err := r.rolePolicies(ctx, ro)
			if err != nil {
				return "", false, err
			}
			var bad []string
			for _, s := range sts {
				if s.Effect != "Allow" {
					continue
				}
				for _, a := range s.Actions {
					if a == "*" || strings.HasSuffix(a, ":*") {
						bad = append(bad, a+" on "+sortedSet(s.Resources))
					}
				}
				if contains(s.Resources, "*") && !constructs.WildcardOnly(s.Actions) {
					bad = append(bad, sortedSet(s.Actions)+" on *")
				}
			}
			return orDefault(sortedSet(bad), "none"), true, nil
		}})
	if ro.InstanceProfile != "" {
		name := ro.ProfileName
		cs = append(cs, check{id: "profile." + string(ro.InstanceProfile), resource: ro.InstanceProfile, want: "role " + ro.Name,
			get: func(ctx context.Context) (string, bool, error) {
				pn := name
				if p := r.physical(ro.InstanceProfile); p != "" && !strings.HasPrefix(p, "arn:") {
					pn = p
				}
				o, err := r.c.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: &pn})
				if err != nil {
					ok, err := found(err)
					return "", ok, err
				}
				var roles []string
				for _, x := range o.InstanceProfile.Roles {
					roles = append(roles, aws.ToString(x.RoleName))
				}
				return "role " + sortedSet(roles), true, nil
			}})
	}
	return cs
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

// --- EC2 instances ---

func instanceChecks(r *reader, in *constructs.Instance) []check {
	pre := "instance." + string(in.ID)
	get := func(ctx context.Context) (*ec2types.Instance, bool, error) {
		d, err := r.instance(ctx, in)
		if err != nil {
			ok, err := found(err)
			return nil, ok, err
		}
		return d, true, nil
	}
	field := func(suffix, want string, f func(context.Context, *ec2types.Instance) (string, error)) check {
		return check{id: pre + suffix, resource: in.ID, want: want,
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := get(ctx)
				if !ok {
					return "", ok, err
				}
				v, err := f(ctx, d)
				return v, err == nil, err
			}}
	}
	cs := []check{
		field(".type", in.Type, func(_ context.Context, d *ec2types.Instance) (string, error) { return string(d.InstanceType), nil }),
		field(".architecture", in.Architecture, func(_ context.Context, d *ec2types.Instance) (string, error) {
			return string(d.Architecture), nil
		}),
	}
	ami := check{id: pre + ".ami", resource: in.ID, want: "latest AL2023 (" + in.AMIParameter + ")",
		get: func(ctx context.Context) (string, bool, error) {
			d, ok, err := get(ctx)
			if !ok {
				return "", ok, err
			}
			p, err := cached(r, "ssm/"+in.AMIParameter, func() (string, error) {
				o, err := r.c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(in.AMIParameter)})
				if err != nil {
					return "", err
				}
				return aws.ToString(o.Parameter.Value), nil
			})
			if err != nil {
				return "", false, fmt.Errorf("ssm parameter %s: %w", in.AMIParameter, err)
			}
			if aws.ToString(d.ImageId) == p {
				return "latest AL2023 (" + in.AMIParameter + ")", true, nil
			}
			return aws.ToString(d.ImageId) + " (parameter holds " + p + ")", true, nil
		}}
	cs = append(cs, ami)
	subnet := field(".subnet", string(in.Subnet), func(ctx context.Context, d *ec2types.Instance) (string, error) {
		return r.subnetName(ctx, aws.ToString(d.SubnetId)), nil
	})
	cs = append(cs, subnet)
	if in.RequireIMDSv2 {
		c := field(".imdsv2", "required", func(_ context.Context, d *ec2types.Instance) (string, error) {
			if d.MetadataOptions == nil {
				return "optional", nil
			}
			return string(d.MetadataOptions.HttpTokens), nil
		})
		c.patch = func(ctx context.Context) error {
			d, ok, err := get(ctx)
			if !ok {
				return errors.Join(err, errNotFound)
			}
			_, err = r.c.EC2.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: d.InstanceId,
				HttpTokens: ec2types.HttpTokensStateRequired, HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled})
			return err
		}
		cs = append(cs, c)
	}
	want := "unencrypted"
	if in.RootVolume.Encrypted {
		want = "encrypted"
	}
	cs = append(cs, field(".root-volume", fmt.Sprintf("%s %d GiB %s", in.RootVolume.Type, in.RootVolume.SizeGiB, want), func(ctx context.Context, d *ec2types.Instance) (string, error) {
		var vid string
		for _, m := range d.BlockDeviceMappings {
			if aws.ToString(m.DeviceName) == aws.ToString(d.RootDeviceName) && m.Ebs != nil {
				vid = aws.ToString(m.Ebs.VolumeId)
			}
		}
		if vid == "" {
			return "no root volume", nil
		}
		o, err := r.c.EC2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{vid}})
		if err != nil || len(o.Volumes) == 0 {
			return "", fmt.Errorf("describe volume %s: %w", vid, err)
		}
		v := o.Volumes[0]
		enc := "unencrypted"
		if aws.ToBool(v.Encrypted) {
			enc = "encrypted"
		}
		return fmt.Sprintf("%s %d GiB %s", v.VolumeType, aws.ToInt32(v.Size), enc), nil
	}))
	role := r.sys.Role(in.Role)
	if role != nil && role.ProfileName != "" {
		cs = append(cs, field(".profile", role.ProfileName, func(_ context.Context, d *ec2types.Instance) (string, error) {
			if d.IamInstanceProfile == nil {
				return "none", nil
			}
			arn := aws.ToString(d.IamInstanceProfile.Arn)
			return arn[strings.LastIndex(arn, "/")+1:], nil
		}))
	}
	g := r.sys.Group(in.Group)
	groups := field(".security-groups", string(in.Group), func(ctx context.Context, d *ec2types.Instance) (string, error) {
		var names []string
		for _, x := range d.SecurityGroups {
			names = append(names, r.groupName(ctx, aws.ToString(x.GroupId)))
		}
		return sortedSet(names), nil
	})
	groups.patch = func(ctx context.Context) error {
		d, ok, err := get(ctx)
		if !ok {
			return errors.Join(err, errNotFound)
		}
		gs, err := r.groups(ctx)
		if err != nil {
			return err
		}
		sg, ok := gs[g.ID]
		if !ok {
			return fmt.Errorf("group %s: %w", g.ID, errNotFound)
		}
		_, err = r.c.EC2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: d.InstanceId, Groups: []string{aws.ToString(sg.GroupId)}})
		return err
	}
	cs = append(cs, groups)
	return cs
}

// --- load balancer ---

func loadBalancerChecks(r *reader, lb *constructs.LoadBalancer) []check {
	getLB := func(ctx context.Context) (*elbtypes.LoadBalancer, bool, error) {
		d, err := r.loadBalancer(ctx, lb)
		if err != nil {
			ok, err := found(err)
			return nil, ok, err
		}
		return d, true, nil
	}
	getTG := func(ctx context.Context) (*elbtypes.TargetGroup, bool, error) {
		d, err := r.targetGroup(ctx, lb)
		if err != nil {
			ok, err := found(err)
			return nil, ok, err
		}
		return d, true, nil
	}
	scheme := "internet-facing"
	if lb.Internal {
		scheme = "internal"
	}
	var subnets []string
	for _, s := range lb.Subnets {
		subnets = append(subnets, string(s))
	}
	cs := []check{
		{id: "lb." + string(lb.ID), resource: lb.ID, want: scheme + " application",
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := getLB(ctx)
				if !ok {
					return "", ok, err
				}
				return string(d.Scheme) + " " + string(d.Type), true, nil
			}},
		{id: "lb." + string(lb.ID) + ".subnets", resource: lb.ID, want: sortedSet(subnets),
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := getLB(ctx)
				if !ok {
					return "", ok, err
				}
				var got []string
				for _, z := range d.AvailabilityZones {
					got = append(got, r.subnetName(ctx, aws.ToString(z.SubnetId)))
				}
				return sortedSet(got), true, nil
			}},
		{id: "lb." + string(lb.ID) + ".security-groups", resource: lb.ID, want: string(lb.Group),
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := getLB(ctx)
				if !ok {
					return "", ok, err
				}
				var got []string
				for _, g := range d.SecurityGroups {
					got = append(got, r.groupName(ctx, g))
				}
				return sortedSet(got), true, nil
			}},
		{id: "lb." + string(lb.Listener), resource: lb.Listener, want: fmt.Sprintf("HTTP %d forward to %s", lb.ListenerPort, lb.TargetName),
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := getLB(ctx)
				if !ok {
					return "", ok, err
				}
				o, err := r.c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: d.LoadBalancerArn})
				if err != nil {
					return "", false, err
				}
				var got []string
				for _, l := range o.Listeners {
					for _, a := range l.DefaultActions {
						tg := aws.ToString(a.TargetGroupArn)
						if t, err := r.targetGroup(ctx, lb); err == nil && aws.ToString(t.TargetGroupArn) == tg {
							tg = aws.ToString(t.TargetGroupName)
						}
						got = append(got, fmt.Sprintf("%s %d %s to %s", l.Protocol, aws.ToInt32(l.Port), a.Type, tg))
					}
				}
				if len(got) == 0 {
					return "", false, nil
				}
				return sortedSet(got), true, nil
			}},
		{id: "lb." + string(lb.TargetGroup), resource: lb.TargetGroup, want: fmt.Sprintf("HTTP %d instance targets", lb.TargetPort),
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := getTG(ctx)
				if !ok {
					return "", ok, err
				}
				return fmt.Sprintf("%s %d %s targets", d.Protocol, aws.ToInt32(d.Port), d.TargetType), true, nil
			}},
		{id: "lb." + string(lb.TargetGroup) + ".health-check", resource: lb.TargetGroup, want: healthText("HTTP", lb.HealthPath, lb.Health),
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := getTG(ctx)
				if !ok {
					return "", ok, err
				}
				h := constructs.HealthCheck{HealthyThreshold: int(aws.ToInt32(d.HealthyThresholdCount)), UnhealthyThreshold: int(aws.ToInt32(d.UnhealthyThresholdCount)),
					IntervalSec: int(aws.ToInt32(d.HealthCheckIntervalSeconds)), TimeoutSec: int(aws.ToInt32(d.HealthCheckTimeoutSeconds))}
				if d.Matcher != nil {
					h.Matcher = aws.ToString(d.Matcher.HttpCode)
				}
				return healthText(string(d.HealthCheckProtocol), aws.ToString(d.HealthCheckPath), h), true, nil
			},
			patch: func(ctx context.Context) error {
				d, ok, err := getTG(ctx)
				if !ok {
					return errors.Join(err, errNotFound)
				}
				h := lb.Health
				_, err = r.c.ELB.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: d.TargetGroupArn,
					HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPath: aws.String(lb.HealthPath),
					HealthCheckIntervalSeconds: aws.Int32(int32(h.IntervalSec)), HealthCheckTimeoutSeconds: aws.Int32(int32(h.TimeoutSec)),
					HealthyThresholdCount: aws.Int32(int32(h.HealthyThreshold)), UnhealthyThresholdCount: aws.Int32(int32(h.UnhealthyThreshold)),
					Matcher: &elbtypes.Matcher{HttpCode: aws.String(h.Matcher)}})
				return err
			}},
	}
	var want []string
	for _, t := range lb.Targets {
		want = append(want, fmt.Sprintf("%s:%d", t, lb.TargetPort))
	}
	cs = append(cs, check{id: "lb." + string(lb.TargetGroup) + ".targets", resource: lb.TargetGroup, want: sortedSet(want),
		get: func(ctx context.Context) (string, bool, error) {
			d, ok, err := getTG(ctx)
			if !ok {
				return "", ok, err
			}
			o, err := r.c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: d.TargetGroupArn})
			if err != nil {
				return "", false, err
			}
			var got []string
			for _, h := range o.TargetHealthDescriptions {
				if h.Target != nil {
					got = append(got, fmt.Sprintf("%s:%d", r.instanceName(ctx, aws.ToString(h.Target.Id)), aws.ToInt32(h.Target.Port)))
				}
			}
			return orDefault(sortedSet(got), "none"), true, nil
		},
		patch: func(ctx context.Context) error {
			d, ok, err := getTG(ctx)
			if !ok {
				return errors.Join(err, errNotFound)
			}
			var ts []elbtypes.TargetDescription
			for _, id := range lb.Targets {
				for i := range r.sys.Servers {
					if r.sys.Servers[i].ID == id {
						in, err := r.instance(ctx, &r.sys.Servers[i])
						if err != nil {
							return err
						}
						ts = append(ts, elbtypes.TargetDescription{Id: in.InstanceId, Port: aws.Int32(int32(lb.TargetPort))})
					}
				}
			}
			_, err = r.c.ELB.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: d.TargetGroupArn, Targets: ts})
			return err
		}})
	return cs
}

// --- Lambda ---

func functionChecks(r *reader, f *constructs.Function) []check {
	name := func() *string {
		if p := r.physical(f.ID); p != "" {
			return aws.String(p)
		}
		return aws.String(f.Name)
	}
	get := func(ctx context.Context) (*lambda.GetFunctionConfigurationOutput, bool, error) {
		o, err := cached(r, "fn", func() (*lambda.GetFunctionConfigurationOutput, error) {
			return r.c.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: name()})
		})
		if err != nil {
			ok, err := found(err)
			return nil, ok, err
		}
		return o, true, nil
	}
	field := func(suffix, want string, fn func(context.Context, *lambda.GetFunctionConfigurationOutput) (string, error)) check {
		return check{id: "function" + suffix, resource: f.ID, want: want,
			get: func(ctx context.Context) (string, bool, error) {
				d, ok, err := get(ctx)
				if !ok {
					return "", ok, err
				}
				v, err := fn(ctx, d)
				return v, err == nil, err
			}}
	}
	var subnets []string
	for _, s := range f.Subnets {
		subnets = append(subnets, string(s))
	}
	role := r.sys.Role(f.Role)
	cs := []check{
		field(".runtime", f.Runtime, func(_ context.Context, d *lambda.GetFunctionConfigurationOutput) (string, error) {
			return string(d.Runtime), nil
		}),
		field(".handler", f.Handler, func(_ context.Context, d *lambda.GetFunctionConfigurationOutput) (string, error) {
			return aws.ToString(d.Handler), nil
		}),
	}
	arch := field(".architecture", f.Architecture, func(_ context.Context, d *lambda.GetFunctionConfigurationOutput) (string, error) {
		var as []string
		for _, a := range d.Architectures {
			as = append(as, string(a))
		}
		return orDefault(sortedSet(as), "x86_64"), nil
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
		field(".memory", strconv.Itoa(f.MemoryMB)+" MB", func(_ context.Context, d *lambda.GetFunctionConfigurationOutput) (string, error) {
			return strconv.Itoa(int(aws.ToInt32(d.MemorySize))) + " MB", nil
		}),
		field(".timeout", strconv.Itoa(f.TimeoutSec)+" s", func(_ context.Context, d *lambda.GetFunctionConfigurationOutput) (string, error) {
			return strconv.Itoa(int(aws.ToInt32(d.Timeout))) + " s", nil
		}))
	if role != nil {
		cs = append(cs, field(".role", role.Name, func(ctx context.Context, d *lambda.GetFunctionConfigurationOutput) (string, error) {
			arn := aws.ToString(d.Role)
			n := arn[strings.LastIndex(arn, "/")+1:]
			if n == r.roleName(ctx, role) {
				return role.Name, nil
			}
			return n, nil
		}))
	}
	envCheck := check{id: "function.environment", resource: f.ID,
		wantFn: func(ctx context.Context) (string, error) {
			var kv []string
			for _, e := range f.Environment {
				v, err := r.value(ctx, e.Value)
				if err != nil {
					return "", err
				}
				kv = append(kv, e.Name+"="+v)
			}
			return orDefault(sortedSet(kv), "none"), nil
		},
		get: func(ctx context.Context) (string, bool, error) {
			d, ok, err := get(ctx)
			if !ok {
				return "", ok, err
			}
			var kv []string
			if d.Environment != nil {
				for k, v := range d.Environment.Variables {
					kv = append(kv, k+"="+v)
				}
			}
			return orDefault(sortedSet(kv), "none"), true, nil
		}}
	cs = append(cs, envCheck,
		field(".vpc-subnets", sortedSet(subnets), func(ctx context.Context, d *lambda.GetFunctionConfigurationOutput) (string, error) {
			var got []string
			if d.VpcConfig != nil {
				for _, s := range d.VpcConfig.SubnetIds {
					got = append(got, r.subnetName(ctx, s))
				}
			}
			return orDefault(sortedSet(got), "none"), nil
		}),
		field(".vpc-security-groups", string(f.Group), func(ctx context.Context, d *lambda.GetFunctionConfigurationOutput) (string, error) {
			var got []string
			if d.VpcConfig != nil {
				for _, g := range d.VpcConfig.SecurityGroupIds {
					got = append(got, r.groupName(ctx, g))
				}
			}
			return orDefault(sortedSet(got), "none"), nil
		}))
	if f.URL != "" {
		cs = append(cs, check{id: "function.url.auth", resource: f.URL, want: f.URLAuth,
			get: func(ctx context.Context) (string, bool, error) {
				if _, ok, err := get(ctx); !ok {
					return "", ok, err
				}
				o, err := r.c.Lambda.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: name()})
				if err != nil {
					ok, err := found(err)
					return "", ok, err
				}
				return string(o.AuthType), true, nil
			},
			patch: func(ctx context.Context) error {
				_, err := r.c.Lambda.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: name(), AuthType: lambdatypes.FunctionUrlAuthType(f.URLAuth)})
				return err
			}})
	}
	return cs
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func attrBool(v *ec2types.AttributeBooleanValue) bool { return v != nil && aws.ToBool(v.Value) }

// healthText is the canonical text of a target group's health check.
func healthText(proto, path string, h constructs.HealthCheck) string {
	return fmt.Sprintf("%s %s every %ds, timeout %ds, healthy after %d, unhealthy after %d, codes %s",
		proto, path, h.IntervalSec, h.TimeoutSec, h.HealthyThreshold, h.UnhealthyThreshold, h.Matcher)
}
