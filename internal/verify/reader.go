package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/twinstack/twinstack/constructs"
)

// reader finds the deployed counterparts of model nodes and memoises what
// it reads, so that checks of one resource share one API call.
type reader struct {
	c       *Clients
	sys     *constructs.System
	inv     map[constructs.ID]string
	account string
	region  string
	memo    map[string]memoEntry
	// functionZip is the Lambda code, for the architecture patch.
	functionZip string
	// deployment and declared: which toolchain deployed, and its record
	// (Options.Declared).
	deployment string
	declared   *Declared
}

type memoEntry struct {
	v   any
	err error
}

func newReader(ctx context.Context, c *Clients, sys *constructs.System, inv map[constructs.ID]string) (*reader, error) {
	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("who am i (sts): %w", err)
	}
	return &reader{c: c, sys: sys, inv: inv, account: aws.ToString(id.Account), region: sys.Region, memo: map[string]memoEntry{}}, nil
}

// forget drops everything read so far (after a patch).
func (r *reader) forget() { r.memo = map[string]memoEntry{} }

func cached[T any](r *reader, key string, fn func() (T, error)) (T, error) {
	if e, ok := r.memo[key]; ok {
		v, _ := e.v.(T)
		return v, e.err
	}
	v, err := fn()
	r.memo[key] = memoEntry{v, err}
	return v, err
}

// errNotFound marks a resource that does not exist.
var errNotFound = errors.New("not found")

func (r *reader) physical(id constructs.ID) string {
	if r.inv == nil {
		return ""
	}
	return r.inv[id]
}

// physicalName is the deployed name of a resource: its physical id from
// the stack where there is one, else the model's name.
func (r *reader) physicalName(id constructs.ID, name string) *string {
	if p := r.physical(id); p != "" {
		return aws.String(p)
	}
	return aws.String(name)
}

func (r *reader) bucketName() string {
	if p := r.physical(r.sys.Bucket.ID); p != "" {
		return p
	}
	return strings.ReplaceAll(r.sys.Bucket.Name, constructs.AccountToken, r.account)
}

func (r *reader) table(ctx context.Context, t *constructs.Table) (*dynamodb.DescribeTableOutput, error) {
	name := t.Name
	if p := r.physical(t.ID); p != "" {
		name = p
	}
	return cached(r, "table/"+name, func() (*dynamodb.DescribeTableOutput, error) {
		return r.c.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	})
}

// groups returns the deployed security groups by model id.
func (r *reader) groups(ctx context.Context) (map[constructs.ID]ec2types.SecurityGroup, error) {
	return cached(r, "groups", func() (map[constructs.ID]ec2types.SecurityGroup, error) {
		out := map[constructs.ID]ec2types.SecurityGroup{}
		var ids, names []string
		byName := map[string]constructs.ID{}
		byID := map[string]constructs.ID{}
		for _, g := range r.sys.Groups {
			if p := r.physical(g.ID); strings.HasPrefix(p, "sg-") {
				ids = append(ids, p)
				byID[p] = g.ID
			} else {
				names = append(names, g.Name)
				byName[g.Name] = g.ID
			}
		}
		if len(ids) > 0 {
			o, err := r.c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: ids})
			if err != nil {
				return nil, fmt.Errorf("describe security groups: %w", err)
			}
			for _, g := range o.SecurityGroups {
				out[byID[aws.ToString(g.GroupId)]] = g
			}
		}
		if len(names) > 0 {
			in := &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: names}}}
			if v := r.physical(r.sys.Network.VPC.ID); v != "" {
				in.Filters = append(in.Filters, ec2types.Filter{Name: aws.String("vpc-id"), Values: []string{v}})
			}
			o, err := r.c.EC2.DescribeSecurityGroups(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("describe security groups: %w", err)
			}
			for _, g := range o.SecurityGroups {
				if id, ok := byName[aws.ToString(g.GroupName)]; ok {
					out[id] = g
				}
			}
		}
		return out, nil
	})
}

// groupName maps a deployed group id to its model id (or the raw id).
func (r *reader) groupName(ctx context.Context, gid string) string {
	gs, _ := r.groups(ctx)
	for id, g := range gs {
		if aws.ToString(g.GroupId) == gid {
			return string(id)
		}
	}
	return gid
}

func (r *reader) vpcID(ctx context.Context) (string, error) {
	if p := r.physical(r.sys.Network.VPC.ID); p != "" {
		return p, nil
	}
	return cached(r, "vpcid", func() (string, error) {
		gs, err := r.groups(ctx)
		if err != nil {
			return "", err
		}
		for _, g := range r.sys.Groups {
			if sg, ok := gs[g.ID]; ok && sg.VpcId != nil {
				return *sg.VpcId, nil
			}
		}
		if lb, err := r.loadBalancer(ctx, &r.sys.LoadBalancer); err == nil && lb.VpcId != nil {
			return *lb.VpcId, nil
		}
		return "", fmt.Errorf("vpc: %w (no security group or load balancer of the model to find it by)", errNotFound)
	})
}

func (r *reader) vpc(ctx context.Context) (*ec2types.Vpc, error) {
	id, err := r.vpcID(ctx)
	if err != nil {
		return nil, err
	}
	return cached(r, "vpc", func() (*ec2types.Vpc, error) {
		o, err := r.c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
		if err != nil {
			return nil, fmt.Errorf("describe vpc %s: %w", id, err)
		}
		if len(o.Vpcs) == 0 {
			return nil, errNotFound
		}
		return &o.Vpcs[0], nil
	})
}

// subnet returns the VPC's subnet for model id; an errNotFound error when
// the deployment has none.
func (r *reader) subnet(ctx context.Context, id constructs.ID) (ec2types.Subnet, error) {
	ss, err := r.subnets(ctx)
	if err != nil {
		return ec2types.Subnet{}, err
	}
	d, ok := ss[id]
	if !ok {
		return ec2types.Subnet{}, fmt.Errorf("subnet %s: %w", id, errNotFound)
	}
	return d, nil
}

// subnets returns the VPC's subnets by model id.
func (r *reader) subnets(ctx context.Context) (map[constructs.ID]ec2types.Subnet, error) {
	vid, err := r.vpcID(ctx)
	if err != nil {
		return nil, err
	}
	return cached(r, "subnets", func() (map[constructs.ID]ec2types.Subnet, error) {
		o, err := r.c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vid}}}})
		if err != nil {
			return nil, fmt.Errorf("describe subnets: %w", err)
		}
		// By the deployment's inventory where it names the subnet, else by
		// CIDR.
		out := map[constructs.ID]ec2types.Subnet{}
		for _, s := range r.sys.Network.Subnets {
			p := r.physical(s.ID)
			for _, d := range o.Subnets {
				if (p != "" && aws.ToString(d.SubnetId) == p) || (p == "" && aws.ToString(d.CidrBlock) == s.CIDR) {
					out[s.ID] = d
				}
			}
		}
		return out, nil
	})
}

// subnetName maps a deployed subnet id to its model id (or the raw id).
func (r *reader) subnetName(ctx context.Context, sid string) string {
	ss, _ := r.subnets(ctx)
	for id, s := range ss {
		if aws.ToString(s.SubnetId) == sid {
			return string(id)
		}
	}
	return sid
}

func (r *reader) zones(ctx context.Context) ([]string, error) {
	return cached(r, "zones", func() ([]string, error) {
		o, err := r.c.EC2.DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
		if err != nil {
			return nil, fmt.Errorf("describe availability zones: %w", err)
		}
		var zs []string
		for _, z := range o.AvailabilityZones {
			if z.ZoneType == nil || *z.ZoneType == "availability-zone" {
				zs = append(zs, aws.ToString(z.ZoneName))
			}
		}
		sort.Strings(zs)
		return zs, nil
	})
}

func (r *reader) internetGateway(ctx context.Context) (string, error) {
	vid, err := r.vpcID(ctx)
	if err != nil {
		return "", err
	}
	return cached(r, "igw", func() (string, error) {
		o, err := r.c.EC2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{{Name: aws.String("attachment.vpc-id"), Values: []string{vid}}}})
		if err != nil {
			return "", fmt.Errorf("describe internet gateways: %w", err)
		}
		if len(o.InternetGateways) == 0 {
			return "", nil
		}
		return aws.ToString(o.InternetGateways[0].InternetGatewayId), nil
	})
}

func (r *reader) routeTables(ctx context.Context) ([]ec2types.RouteTable, error) {
	vid, err := r.vpcID(ctx)
	if err != nil {
		return nil, err
	}
	return cached(r, "rtb", func() ([]ec2types.RouteTable, error) {
		o, err := r.c.EC2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vid}}}})
		if err != nil {
			return nil, fmt.Errorf("describe route tables: %w", err)
		}
		return o.RouteTables, nil
	})
}

func (r *reader) role(ctx context.Context, ro *constructs.Role) (*iam.GetRoleOutput, error) {
	name := ro.Name
	if p := r.physical(ro.ID); p != "" && !strings.HasPrefix(p, "arn:") {
		name = p
	}
	return cached(r, "role/"+name, func() (*iam.GetRoleOutput, error) {
		return r.c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	})
}

func (r *reader) roleName(ctx context.Context, ro *constructs.Role) string {
	if o, err := r.role(ctx, ro); err == nil && o.Role != nil {
		return aws.ToString(o.Role.RoleName)
	}
	return ro.Name
}

// rolePolicies returns the statements of every inline policy of the role
// and of the customer-managed policies attached to it.
func (r *reader) rolePolicies(ctx context.Context, ro *constructs.Role) ([]statement, error) {
	name := r.roleName(ctx, ro)
	return cached(r, "rolepol/"+name, func() ([]statement, error) {
		var out []statement
		l, err := r.c.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &name})
		if err != nil {
			return nil, fmt.Errorf("list role policies: %w", err)
		}
		for _, pn := range l.PolicyNames {
			p, err := r.c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &name, PolicyName: aws.String(pn)})
			if err != nil {
				return nil, fmt.Errorf("get role policy %s: %w", pn, err)
			}
			st, err := parsePolicy(aws.ToString(p.PolicyDocument))
			if err != nil {
				return nil, fmt.Errorf("role policy %s: %w", pn, err)
			}
			out = append(out, st...)
		}
		a, err := r.attached(ctx, ro)
		if err != nil {
			return nil, err
		}
		for _, arn := range a {
			if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
				continue // AWS managed: checked by name
			}
			p, err := r.c.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
			if err != nil || p.Policy == nil {
				continue
			}
			v, err := r.c.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
			if err != nil || v.PolicyVersion == nil {
				continue
			}
			if st, err := parsePolicy(aws.ToString(v.PolicyVersion.Document)); err == nil {
				out = append(out, st...)
			}
		}
		return out, nil
	})
}

func (r *reader) attached(ctx context.Context, ro *constructs.Role) ([]string, error) {
	name := r.roleName(ctx, ro)
	return cached(r, "attached/"+name, func() ([]string, error) {
		o, err := r.c.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &name})
		if err != nil {
			return nil, fmt.Errorf("list attached role policies: %w", err)
		}
		var arns []string
		for _, p := range o.AttachedPolicies {
			arns = append(arns, aws.ToString(p.PolicyArn))
		}
		return arns, nil
	})
}

func (r *reader) loadBalancer(ctx context.Context, lb *constructs.LoadBalancer) (*elbtypes.LoadBalancer, error) {
	return cached(r, "lb", func() (*elbtypes.LoadBalancer, error) {
		in := &elb.DescribeLoadBalancersInput{Names: []string{lb.Name}}
		if p := r.physical(lb.ID); strings.HasPrefix(p, "arn:") {
			in = &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{p}}
		}
		o, err := r.c.ELB.DescribeLoadBalancers(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe load balancers: %w", err)
		}
		if len(o.LoadBalancers) == 0 {
			return nil, errNotFound
		}
		return &o.LoadBalancers[0], nil
	})
}

func (r *reader) targetGroup(ctx context.Context, lb *constructs.LoadBalancer) (*elbtypes.TargetGroup, error) {
	return cached(r, "tg", func() (*elbtypes.TargetGroup, error) {
		in := &elb.DescribeTargetGroupsInput{Names: []string{lb.TargetName}}
		if p := r.physical(lb.TargetGroup); strings.HasPrefix(p, "arn:") {
			in = &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{p}}
		}
		o, err := r.c.ELB.DescribeTargetGroups(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("describe target groups: %w", err)
		}
		if len(o.TargetGroups) == 0 {
			return nil, errNotFound
		}
		return &o.TargetGroups[0], nil
	})
}

func (r *reader) arn(v constructs.Value) string {
	if v.Ref == nil {
		// A literal ARN the model builds names the account as a token
		// (the launch hook's group ARN), which the deployment resolved.
		return strings.ReplaceAll(v.Literal, constructs.AccountToken, r.account)
	}
	var base string
	switch v.Ref.To {
	case r.sys.Bucket.ID:
		base = "arn:aws:s3:::" + r.bucketName()
	case r.sys.ImagesTable.ID:
		base = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r.region, r.account, r.sys.ImagesTable.Name)
	case r.sys.AlbumsTable.ID:
		base = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", r.region, r.account, r.sys.AlbumsTable.Name)
	default:
		base = "${" + string(v.Ref.To) + "." + string(v.Ref.Attr) + "}"
	}
	return v.Prefix + base + v.Suffix
}

// value resolves a model value against the deployment (SERVER_URL).
func (r *reader) value(ctx context.Context, v constructs.Value) (string, error) {
	if v.Ref == nil {
		return v.Literal, nil
	}
	switch v.Ref.Attr {
	case constructs.AttrDNSName:
		lb, err := r.loadBalancer(ctx, &r.sys.LoadBalancer)
		if err != nil {
			return "", fmt.Errorf("load balancer: %w", err)
		}
		return v.Prefix + aws.ToString(lb.DNSName) + v.Suffix, nil
	case constructs.AttrName:
		switch v.Ref.To {
		case r.sys.Bucket.ID:
			return v.Prefix + r.bucketName() + v.Suffix, nil
		case r.sys.ImagesTable.ID:
			return v.Prefix + r.sys.ImagesTable.Name + v.Suffix, nil
		case r.sys.AlbumsTable.ID:
			return v.Prefix + r.sys.AlbumsTable.Name + v.Suffix, nil
		}
	case constructs.AttrARN:
		return r.arn(v), nil
	}
	return "", fmt.Errorf("cannot resolve %s.%s", v.Ref.To, v.Ref.Attr)
}

// statement is an IAM policy statement in a normalised form.
type statement struct {
	Sid        string
	Effect     string
	Principals []string
	Actions    []string
	Resources  []string
	Conditions map[string]map[string][]string
}

func strList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func parsePolicy(doc string) ([]statement, error) {
	if u, err := url.QueryUnescape(doc); err == nil && strings.HasPrefix(strings.TrimSpace(u), "{") {
		doc = u
	}
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		// Some emulators store a document given as a template object in
		// its Python repr ({'Version': '2012-10-17', ...}).
		if err2 := json.Unmarshal([]byte(pythonReprToJSON(doc)), &d); err2 != nil {
			return nil, fmt.Errorf("policy document: %w", err)
		}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(d.Statement, &raws); err != nil {
		raws = []json.RawMessage{d.Statement}
	}
	var out []statement
	for _, raw := range raws {
		var s struct {
			Sid       string
			Effect    string
			Principal json.RawMessage
			Action    json.RawMessage
			Resource  json.RawMessage
			Condition map[string]map[string]json.RawMessage
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("policy statement: %w", err)
		}
		st := statement{Sid: s.Sid, Effect: s.Effect, Actions: strList(s.Action), Resources: strList(s.Resource), Conditions: map[string]map[string][]string{}}
		if p := strList(s.Principal); p != nil {
			st.Principals = p
		} else if len(s.Principal) > 0 {
			var m map[string]json.RawMessage
			if json.Unmarshal(s.Principal, &m) == nil {
				for k, v := range m {
					for _, x := range strList(v) {
						if x == "*" {
							st.Principals = append(st.Principals, "*")
						} else {
							st.Principals = append(st.Principals, k+":"+x)
						}
					}
				}
			}
		}
		for op, kv := range s.Condition {
			st.Conditions[op] = map[string][]string{}
			for k, v := range kv {
				vals := strList(v)
				if vals == nil {
					var b bool
					if json.Unmarshal(v, &b) == nil {
						vals = []string{fmt.Sprint(b)}
					}
				}
				st.Conditions[op][strings.ToLower(k)] = vals
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// globMatch matches IAM-style patterns: * any run, ? one character.
func globMatch(pattern, s string) bool {
	if pattern == s || pattern == "*" {
		return true
	}
	p, t := 0, 0
	star, mark := -1, 0
	for t < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || strings.EqualFold(pattern[p:p+1], s[t:t+1])):
			p++
			t++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, t
			p++
		case star >= 0:
			p = star + 1
			mark++
			t = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// pythonReprToJSON turns the repr of a Python dict of strings, lists and
// booleans into JSON: quotes swapped, True/False/None spelled as JSON.
func pythonReprToJSON(s string) string {
	var b strings.Builder
	inStr := false
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr && c == '\\' && i+1 < len(s):
			b.WriteByte(c)
			i++
			b.WriteByte(s[i])
		case inStr && c == q:
			inStr = false
			b.WriteByte('"')
		case inStr && c == '"':
			b.WriteString(`\"`)
		case inStr:
			b.WriteByte(c)
		case c == '\'' || c == '"':
			inStr, q = true, c
			b.WriteByte('"')
		case strings.HasPrefix(s[i:], "True"):
			b.WriteString("true")
			i += 3
		case strings.HasPrefix(s[i:], "False"):
			b.WriteString("false")
			i += 4
		case strings.HasPrefix(s[i:], "None"):
			b.WriteString("null")
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
