package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/twinstack/twinstack/constructs"
)

// world is an in-memory fake of the AWS APIs verify calls: one struct
// implements every narrow client interface. A nil resource does not exist
// (the API answers with its not-found error code); failCode makes every
// call fail with that code.
type world struct {
	// motoMetadata makes ModifyInstanceMetadataOptions reset the options a
	// request leaves out, as moto 5.2.1 does (AWS keeps them).
	motoMetadata bool
	failCode     string
	// template is the stack's template GetTemplate returns ("": no stack).
	template string
	// patchFail makes every write fail with this code.
	patchFail string
	// frozen makes writes succeed without changing anything.
	frozen bool

	bucket     string
	versioning s3types.BucketVersioningStatus
	pab        *s3types.PublicAccessBlockConfiguration
	enc        string
	policy     *string
	// lifecycle is nil when the bucket has no lifecycle configuration.
	lifecycle []s3types.LifecycleRule

	tables map[string]*ddbtypes.TableDescription
	pitr   map[string]ddbtypes.PointInTimeRecoveryStatus
	ttl    map[string]*ddbtypes.TimeToLiveDescription

	vpc                 *ec2types.Vpc
	dnsSupport, dnsHost bool
	zones               []string
	subnets             []ec2types.Subnet
	routeTables         []ec2types.RouteTable
	igw                 string
	groups              []ec2types.SecurityGroup
	instances           []ec2types.Instance
	ssm                 map[string]string

	// The server group: the Auto Scaling group (its Instances are the
	// group's view of w.instances), the launch templates, the group's
	// hooks and policies.
	asg       *astypes.AutoScalingGroup
	templates []*fakeTemplate
	hooks     []astypes.LifecycleHook
	policies  []astypes.ScalingPolicy

	// physical holds physical names the stack gives nodes, beyond the
	// default inventory (a role deployed under another name).
	physical map[constructs.ID]string
	roles    map[string]*iamtypes.Role
	attached map[string][]string
	inline   map[string]map[string]string
	profiles map[string]*iamtypes.InstanceProfile

	lb        *elbtypes.LoadBalancer
	listeners []elbtypes.Listener
	tg        *elbtypes.TargetGroup
	targets   []elbtypes.TargetDescription

	fn       *lambda.GetFunctionConfigurationOutput
	url      *lambdatypes.FunctionUrlAuthType
	reserved *int32

	logGroup *cwltypes.LogGroup
}

func apiErr(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "fake " + code}
}

func (w *world) fail() error {
	if w.failCode != "" {
		return apiErr(w.failCode)
	}
	return nil
}

func (w *world) write() (bool, error) {
	if err := w.fail(); err != nil {
		return false, err
	}
	if w.patchFail != "" {
		return false, apiErr(w.patchFail)
	}
	return !w.frozen, nil
}

func (w *world) clients() *Clients {
	return &Clients{S3: w, DynamoDB: w, EC2: w, IAM: w, ELB: w, AutoScaling: w, Lambda: w, Logs: w, STS: w, SSM: w, CloudFormation: w}
}

// fakeTemplate is a launch template with its versions by number.
type fakeTemplate struct {
	id, name    string
	latest, def int64
	versions    map[int64]*ec2types.ResponseLaunchTemplateData
}

const fakeAccount = "123456789012"

// --- STS, SSM, CloudFormation ---

func (w *world) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: aws.String(fakeAccount)}, nil
}

func (w *world) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	v, ok := w.ssm[aws.ToString(in.Name)]
	if !ok {
		return nil, apiErr("ParameterNotFound")
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Value: aws.String(v)}}, nil
}

func (w *world) DescribeStackResources(context.Context, *cloudformation.DescribeStackResourcesInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStackResourcesOutput, error) {
	return &cloudformation.DescribeStackResourcesOutput{}, nil
}

func (w *world) DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return &cloudformation.DescribeStacksOutput{}, nil
}

func (w *world) GetTemplate(context.Context, *cloudformation.GetTemplateInput, ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	if w.template == "" {
		return nil, apiErr("ValidationError")
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(w.template)}, nil
}

// --- S3 ---

func (w *world) hasBucket(b *string) error {
	if err := w.fail(); err != nil {
		return err
	}
	if w.bucket == "" || aws.ToString(b) != w.bucket {
		return apiErr("NoSuchBucket")
	}
	return nil
}

func (w *world) HeadBucket(_ context.Context, in *s3.HeadBucketInput, _ ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	if err := w.hasBucket(in.Bucket); err != nil {
		if w.failCode == "" {
			return nil, apiErr("NotFound")
		}
		return nil, err
	}
	return &s3.HeadBucketOutput{}, nil
}

func (w *world) GetBucketVersioning(_ context.Context, in *s3.GetBucketVersioningInput, _ ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	if err := w.hasBucket(in.Bucket); err != nil {
		return nil, err
	}
	return &s3.GetBucketVersioningOutput{Status: w.versioning}, nil
}

func (w *world) PutBucketVersioning(_ context.Context, in *s3.PutBucketVersioningInput, _ ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	w.versioning = in.VersioningConfiguration.Status
	return &s3.PutBucketVersioningOutput{}, nil
}

func (w *world) GetPublicAccessBlock(_ context.Context, in *s3.GetPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error) {
	if err := w.hasBucket(in.Bucket); err != nil {
		return nil, err
	}
	if w.pab == nil {
		return nil, apiErr("NoSuchPublicAccessBlockConfiguration")
	}
	c := *w.pab
	return &s3.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: &c}, nil
}

func (w *world) PutPublicAccessBlock(_ context.Context, in *s3.PutPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	c := *in.PublicAccessBlockConfiguration
	w.pab = &c
	return &s3.PutPublicAccessBlockOutput{}, nil
}

func (w *world) GetBucketEncryption(_ context.Context, in *s3.GetBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	if err := w.hasBucket(in.Bucket); err != nil {
		return nil, err
	}
	if w.enc == "" {
		return nil, apiErr("ServerSideEncryptionConfigurationNotFoundError")
	}
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
		ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(w.enc)}}}}}, nil
}

func (w *world) PutBucketEncryption(_ context.Context, in *s3.PutBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	w.enc = string(in.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
	return &s3.PutBucketEncryptionOutput{}, nil
}

func (w *world) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if err := w.hasBucket(in.Bucket); err != nil {
		return nil, err
	}
	if w.policy == nil {
		return nil, apiErr("NoSuchBucketPolicy")
	}
	return &s3.GetBucketPolicyOutput{Policy: w.policy}, nil
}

func (w *world) PutBucketPolicy(_ context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	w.policy = in.Policy
	return &s3.PutBucketPolicyOutput{}, nil
}

func (w *world) GetBucketLifecycleConfiguration(_ context.Context, in *s3.GetBucketLifecycleConfigurationInput, _ ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error) {
	if err := w.hasBucket(in.Bucket); err != nil {
		return nil, err
	}
	if w.lifecycle == nil {
		return nil, apiErr("NoSuchLifecycleConfiguration")
	}
	return &s3.GetBucketLifecycleConfigurationOutput{Rules: append([]s3types.LifecycleRule(nil), w.lifecycle...)}, nil
}

func (w *world) PutBucketLifecycleConfiguration(_ context.Context, in *s3.PutBucketLifecycleConfigurationInput, _ ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	w.lifecycle = append([]s3types.LifecycleRule{}, in.LifecycleConfiguration.Rules...)
	return &s3.PutBucketLifecycleConfigurationOutput{}, nil
}

// --- DynamoDB ---

func (w *world) DescribeTable(_ context.Context, in *dynamodb.DescribeTableInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	t, ok := w.tables[aws.ToString(in.TableName)]
	if !ok {
		return nil, apiErr("ResourceNotFoundException")
	}
	c := *t
	return &dynamodb.DescribeTableOutput{Table: &c}, nil
}

func (w *world) DescribeContinuousBackups(_ context.Context, in *dynamodb.DescribeContinuousBackupsInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeContinuousBackupsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if _, ok := w.tables[aws.ToString(in.TableName)]; !ok {
		return nil, apiErr("TableNotFoundException")
	}
	return &dynamodb.DescribeContinuousBackupsOutput{ContinuousBackupsDescription: &ddbtypes.ContinuousBackupsDescription{
		PointInTimeRecoveryDescription: &ddbtypes.PointInTimeRecoveryDescription{PointInTimeRecoveryStatus: w.pitr[aws.ToString(in.TableName)]}}}, nil
}

func (w *world) UpdateContinuousBackups(_ context.Context, in *dynamodb.UpdateContinuousBackupsInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateContinuousBackupsOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	st := ddbtypes.PointInTimeRecoveryStatusDisabled
	if aws.ToBool(in.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled) {
		st = ddbtypes.PointInTimeRecoveryStatusEnabled
	}
	w.pitr[aws.ToString(in.TableName)] = st
	return &dynamodb.UpdateContinuousBackupsOutput{}, nil
}

func (w *world) DescribeTimeToLive(_ context.Context, in *dynamodb.DescribeTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.DescribeTimeToLiveOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if _, ok := w.tables[aws.ToString(in.TableName)]; !ok {
		return nil, apiErr("ResourceNotFoundException")
	}
	d := &ddbtypes.TimeToLiveDescription{TimeToLiveStatus: ddbtypes.TimeToLiveStatusDisabled}
	if t := w.ttl[aws.ToString(in.TableName)]; t != nil {
		c := *t
		d = &c
	}
	return &dynamodb.DescribeTimeToLiveOutput{TimeToLiveDescription: d}, nil
}

// UpdateTimeToLive fails, as DynamoDB does, when asked to enable a second
// attribute or to disable one that is not enabled.
func (w *world) UpdateTimeToLive(_ context.Context, in *dynamodb.UpdateTimeToLiveInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	n, spec := aws.ToString(in.TableName), in.TimeToLiveSpecification
	cur := w.ttl[n]
	on := cur != nil && cur.TimeToLiveStatus == ddbtypes.TimeToLiveStatusEnabled
	switch {
	case aws.ToBool(spec.Enabled) && on:
		return nil, apiErr("ValidationException")
	case !aws.ToBool(spec.Enabled) && (!on || aws.ToString(cur.AttributeName) != aws.ToString(spec.AttributeName)):
		return nil, apiErr("ValidationException")
	case aws.ToBool(spec.Enabled):
		w.ttl[n] = &ddbtypes.TimeToLiveDescription{AttributeName: spec.AttributeName, TimeToLiveStatus: ddbtypes.TimeToLiveStatusEnabled}
	default:
		w.ttl[n] = nil
	}
	return &dynamodb.UpdateTimeToLiveOutput{}, nil
}

// --- EC2 ---

func filterValues(fs []ec2types.Filter, name string) ([]string, bool) {
	for _, f := range fs {
		if aws.ToString(f.Name) == name {
			return f.Values, true
		}
	}
	return nil, false
}

func (w *world) DescribeVpcAttribute(_ context.Context, in *ec2.DescribeVpcAttributeInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if w.vpc == nil || aws.ToString(in.VpcId) != aws.ToString(w.vpc.VpcId) {
		return nil, apiErr("InvalidVpcID.NotFound")
	}
	return &ec2.DescribeVpcAttributeOutput{EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(w.dnsSupport)},
		EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(w.dnsHost)}}, nil
}

func (w *world) ModifyVpcAttribute(_ context.Context, in *ec2.ModifyVpcAttributeInput, _ ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	if in.EnableDnsSupport != nil {
		w.dnsSupport = aws.ToBool(in.EnableDnsSupport.Value)
	}
	if in.EnableDnsHostnames != nil {
		w.dnsHost = aws.ToBool(in.EnableDnsHostnames.Value)
	}
	return &ec2.ModifyVpcAttributeOutput{}, nil
}

func (w *world) DescribeVpcs(_ context.Context, in *ec2.DescribeVpcsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if w.vpc == nil {
		return &ec2.DescribeVpcsOutput{}, nil
	}
	return &ec2.DescribeVpcsOutput{Vpcs: []ec2types.Vpc{*w.vpc}}, nil
}

func (w *world) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	return &ec2.DescribeSubnetsOutput{Subnets: append([]ec2types.Subnet(nil), w.subnets...)}, nil
}

func (w *world) DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	return &ec2.DescribeRouteTablesOutput{RouteTables: append([]ec2types.RouteTable(nil), w.routeTables...)}, nil
}

func (w *world) DescribeInternetGateways(context.Context, *ec2.DescribeInternetGatewaysInput, ...func(*ec2.Options)) (*ec2.DescribeInternetGatewaysOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if w.igw == "" {
		return &ec2.DescribeInternetGatewaysOutput{}, nil
	}
	return &ec2.DescribeInternetGatewaysOutput{InternetGateways: []ec2types.InternetGateway{{InternetGatewayId: aws.String(w.igw)}}}, nil
}

func (w *world) DescribeAvailabilityZones(context.Context, *ec2.DescribeAvailabilityZonesInput, ...func(*ec2.Options)) (*ec2.DescribeAvailabilityZonesOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	var out []ec2types.AvailabilityZone
	for _, z := range w.zones {
		out = append(out, ec2types.AvailabilityZone{ZoneName: aws.String(z)})
	}
	return &ec2.DescribeAvailabilityZonesOutput{AvailabilityZones: out}, nil
}

func (w *world) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	names, byName := filterValues(in.Filters, "group-name")
	var out []ec2types.SecurityGroup
	for _, g := range w.groups {
		if (byName && contains(names, aws.ToString(g.GroupName))) || contains(in.GroupIds, aws.ToString(g.GroupId)) {
			out = append(out, g)
		}
	}
	return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: out}, nil
}

func (w *world) group(id *string) *ec2types.SecurityGroup {
	for i := range w.groups {
		if aws.ToString(w.groups[i].GroupId) == aws.ToString(id) {
			return &w.groups[i]
		}
	}
	return nil
}

func (w *world) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	names, _ := filterValues(in.Filters, "tag:Name")
	var out []ec2types.Instance
	for _, x := range w.instances {
		for _, t := range x.Tags {
			if aws.ToString(t.Key) == "Name" && contains(names, aws.ToString(t.Value)) {
				out = append(out, x)
			}
		}
		if contains(in.InstanceIds, aws.ToString(x.InstanceId)) {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return &ec2.DescribeInstancesOutput{}, nil
	}
	return &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: out}}}, nil
}

func (w *world) instanceByID(id *string) *ec2types.Instance {
	for i := range w.instances {
		if aws.ToString(w.instances[i].InstanceId) == aws.ToString(id) {
			return &w.instances[i]
		}
	}
	return nil
}

func (w *world) AuthorizeSecurityGroupEgress(_ context.Context, in *ec2.AuthorizeSecurityGroupEgressInput, _ ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupEgressOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	g := w.group(in.GroupId)
	g.IpPermissionsEgress = append(g.IpPermissionsEgress, in.IpPermissions...)
	return &ec2.AuthorizeSecurityGroupEgressOutput{}, nil
}

func (w *world) AuthorizeSecurityGroupIngress(_ context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	g := w.group(in.GroupId)
	g.IpPermissions = append(g.IpPermissions, in.IpPermissions...)
	return &ec2.AuthorizeSecurityGroupIngressOutput{}, nil
}

// revoke removes permissions equal (by canonical JSON) to one revoked.
func revoke(have, gone []ec2types.IpPermission) []ec2types.IpPermission {
	key := func(p ec2types.IpPermission) string {
		for i := range p.IpRanges {
			p.IpRanges[i].Description = nil
		}
		b, _ := json.Marshal(p)
		return string(b)
	}
	var out []ec2types.IpPermission
	for _, p := range have {
		drop := false
		for _, q := range gone {
			if key(p) == key(q) {
				drop = true
			}
		}
		if !drop {
			out = append(out, p)
		}
	}
	return out
}

func (w *world) RevokeSecurityGroupEgress(_ context.Context, in *ec2.RevokeSecurityGroupEgressInput, _ ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupEgressOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	g := w.group(in.GroupId)
	g.IpPermissionsEgress = revoke(g.IpPermissionsEgress, in.IpPermissions)
	return &ec2.RevokeSecurityGroupEgressOutput{}, nil
}

func (w *world) RevokeSecurityGroupIngress(_ context.Context, in *ec2.RevokeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	g := w.group(in.GroupId)
	g.IpPermissions = revoke(g.IpPermissions, in.IpPermissions)
	return &ec2.RevokeSecurityGroupIngressOutput{}, nil
}

func (w *world) ModifyInstanceMetadataOptions(_ context.Context, in *ec2.ModifyInstanceMetadataOptionsInput, _ ...func(*ec2.Options)) (*ec2.ModifyInstanceMetadataOptionsOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	x := w.instanceByID(in.InstanceId)
	m := ec2types.InstanceMetadataOptionsResponse{}
	if x.MetadataOptions != nil && !w.motoMetadata {
		m = *x.MetadataOptions
	}
	if in.HttpEndpoint != "" {
		m.HttpEndpoint = ec2types.InstanceMetadataEndpointState(in.HttpEndpoint)
	}
	if in.HttpTokens != "" {
		m.HttpTokens = in.HttpTokens
	}
	if in.HttpPutResponseHopLimit != nil {
		m.HttpPutResponseHopLimit = in.HttpPutResponseHopLimit
	}
	x.MetadataOptions = &m
	return &ec2.ModifyInstanceMetadataOptionsOutput{}, nil
}

func (w *world) ModifySubnetAttribute(_ context.Context, in *ec2.ModifySubnetAttributeInput, _ ...func(*ec2.Options)) (*ec2.ModifySubnetAttributeOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	for i := range w.subnets {
		if aws.ToString(w.subnets[i].SubnetId) == aws.ToString(in.SubnetId) {
			w.subnets[i].MapPublicIpOnLaunch = in.MapPublicIpOnLaunch.Value
		}
	}
	return &ec2.ModifySubnetAttributeOutput{}, nil
}

func (w *world) AssociateRouteTable(_ context.Context, in *ec2.AssociateRouteTableInput, _ ...func(*ec2.Options)) (*ec2.AssociateRouteTableOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	for i := range w.routeTables {
		if aws.ToString(w.routeTables[i].RouteTableId) == aws.ToString(in.RouteTableId) {
			w.routeTables[i].Associations = append(w.routeTables[i].Associations, ec2types.RouteTableAssociation{SubnetId: in.SubnetId, RouteTableAssociationId: aws.String("rtbassoc-" + aws.ToString(in.SubnetId))})
		}
	}
	return &ec2.AssociateRouteTableOutput{}, nil
}

func (w *world) ReplaceRouteTableAssociation(_ context.Context, in *ec2.ReplaceRouteTableAssociationInput, _ ...func(*ec2.Options)) (*ec2.ReplaceRouteTableAssociationOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	var moved ec2types.RouteTableAssociation
	for i := range w.routeTables {
		var keep []ec2types.RouteTableAssociation
		for _, a := range w.routeTables[i].Associations {
			if aws.ToString(a.RouteTableAssociationId) == aws.ToString(in.AssociationId) {
				moved = a
				continue
			}
			keep = append(keep, a)
		}
		w.routeTables[i].Associations = keep
	}
	for i := range w.routeTables {
		if aws.ToString(w.routeTables[i].RouteTableId) == aws.ToString(in.RouteTableId) {
			w.routeTables[i].Associations = append(w.routeTables[i].Associations, moved)
		}
	}
	return &ec2.ReplaceRouteTableAssociationOutput{}, nil
}

// --- IAM ---

func (w *world) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	r, ok := w.roles[aws.ToString(in.RoleName)]
	if !ok {
		return nil, apiErr("NoSuchEntity")
	}
	c := *r
	return &iam.GetRoleOutput{Role: &c}, nil
}

func (w *world) ListAttachedRolePolicies(_ context.Context, in *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	var out []iamtypes.AttachedPolicy
	for _, a := range w.attached[aws.ToString(in.RoleName)] {
		out = append(out, iamtypes.AttachedPolicy{PolicyArn: aws.String(a)})
	}
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: out}, nil
}

func (w *world) AttachRolePolicy(_ context.Context, in *iam.AttachRolePolicyInput, _ ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	n := aws.ToString(in.RoleName)
	w.attached[n] = append(w.attached[n], aws.ToString(in.PolicyArn))
	return &iam.AttachRolePolicyOutput{}, nil
}

func (w *world) DetachRolePolicy(_ context.Context, in *iam.DetachRolePolicyInput, _ ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	n := aws.ToString(in.RoleName)
	var keep []string
	for _, a := range w.attached[n] {
		if a != aws.ToString(in.PolicyArn) {
			keep = append(keep, a)
		}
	}
	w.attached[n] = keep
	return &iam.DetachRolePolicyOutput{}, nil
}

func (w *world) ListRolePolicies(_ context.Context, in *iam.ListRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	var names []string
	for n := range w.inline[aws.ToString(in.RoleName)] {
		names = append(names, n)
	}
	return &iam.ListRolePoliciesOutput{PolicyNames: names}, nil
}

func (w *world) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	d, ok := w.inline[aws.ToString(in.RoleName)][aws.ToString(in.PolicyName)]
	if !ok {
		return nil, apiErr("NoSuchEntity")
	}
	return &iam.GetRolePolicyOutput{PolicyDocument: aws.String(d)}, nil
}

func (w *world) PutRolePolicy(_ context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	n := aws.ToString(in.RoleName)
	if w.inline[n] == nil {
		w.inline[n] = map[string]string{}
	}
	w.inline[n][aws.ToString(in.PolicyName)] = aws.ToString(in.PolicyDocument)
	return &iam.PutRolePolicyOutput{}, nil
}

func (w *world) GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	return nil, apiErr("NoSuchEntity")
}

func (w *world) GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	return nil, apiErr("NoSuchEntity")
}

func (w *world) GetInstanceProfile(_ context.Context, in *iam.GetInstanceProfileInput, _ ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	p, ok := w.profiles[aws.ToString(in.InstanceProfileName)]
	if !ok {
		return nil, apiErr("NoSuchEntity")
	}
	return &iam.GetInstanceProfileOutput{InstanceProfile: p}, nil
}

// --- ELB ---

func (w *world) DescribeLoadBalancers(context.Context, *elb.DescribeLoadBalancersInput, ...func(*elb.Options)) (*elb.DescribeLoadBalancersOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if w.lb == nil {
		return nil, apiErr("LoadBalancerNotFound")
	}
	return &elb.DescribeLoadBalancersOutput{LoadBalancers: []elbtypes.LoadBalancer{*w.lb}}, nil
}

func (w *world) DescribeListeners(context.Context, *elb.DescribeListenersInput, ...func(*elb.Options)) (*elb.DescribeListenersOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	return &elb.DescribeListenersOutput{Listeners: w.listeners}, nil
}

func (w *world) DescribeTargetGroups(context.Context, *elb.DescribeTargetGroupsInput, ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if w.tg == nil {
		return nil, apiErr("TargetGroupNotFound")
	}
	return &elb.DescribeTargetGroupsOutput{TargetGroups: []elbtypes.TargetGroup{*w.tg}}, nil
}

func (w *world) DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	var out []elbtypes.TargetHealthDescription
	for _, t := range w.targets {
		out = append(out, elbtypes.TargetHealthDescription{Target: &t})
	}
	return &elb.DescribeTargetHealthOutput{TargetHealthDescriptions: out}, nil
}

func (w *world) ModifyTargetGroup(_ context.Context, in *elb.ModifyTargetGroupInput, _ ...func(*elb.Options)) (*elb.ModifyTargetGroupOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	t := w.tg
	if in.HealthCheckProtocol != "" {
		t.HealthCheckProtocol = in.HealthCheckProtocol
	}
	if in.HealthCheckPath != nil {
		t.HealthCheckPath = in.HealthCheckPath
	}
	if in.HealthCheckIntervalSeconds != nil {
		t.HealthCheckIntervalSeconds = in.HealthCheckIntervalSeconds
	}
	if in.HealthCheckTimeoutSeconds != nil {
		t.HealthCheckTimeoutSeconds = in.HealthCheckTimeoutSeconds
	}
	if in.HealthyThresholdCount != nil {
		t.HealthyThresholdCount = in.HealthyThresholdCount
	}
	if in.UnhealthyThresholdCount != nil {
		t.UnhealthyThresholdCount = in.UnhealthyThresholdCount
	}
	if in.Matcher != nil {
		t.Matcher = in.Matcher
	}
	return &elb.ModifyTargetGroupOutput{}, nil
}

func (w *world) RegisterTargets(_ context.Context, in *elb.RegisterTargetsInput, _ ...func(*elb.Options)) (*elb.RegisterTargetsOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	w.targets = append(w.targets, in.Targets...)
	return &elb.RegisterTargetsOutput{}, nil
}

func (w *world) DeregisterTargets(_ context.Context, in *elb.DeregisterTargetsInput, _ ...func(*elb.Options)) (*elb.DeregisterTargetsOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	var keep []elbtypes.TargetDescription
	for _, t := range w.targets {
		drop := false
		for _, d := range in.Targets {
			if aws.ToString(d.Id) == aws.ToString(t.Id) && aws.ToInt32(d.Port) == aws.ToInt32(t.Port) {
				drop = true
			}
		}
		if !drop {
			keep = append(keep, t)
		}
	}
	w.targets = keep
	return &elb.DeregisterTargetsOutput{}, nil
}

// --- Lambda ---

func (w *world) GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if w.fn == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	c := *w.fn
	return &c, nil
}

func (w *world) GetFunctionUrlConfig(context.Context, *lambda.GetFunctionUrlConfigInput, ...func(*lambda.Options)) (*lambda.GetFunctionUrlConfigOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if w.fn == nil || w.url == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	return &lambda.GetFunctionUrlConfigOutput{AuthType: *w.url}, nil
}

func (w *world) CreateFunctionUrlConfig(_ context.Context, in *lambda.CreateFunctionUrlConfigInput, _ ...func(*lambda.Options)) (*lambda.CreateFunctionUrlConfigOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	a := in.AuthType
	w.url = &a
	return &lambda.CreateFunctionUrlConfigOutput{}, nil
}

func (w *world) UpdateFunctionUrlConfig(_ context.Context, in *lambda.UpdateFunctionUrlConfigInput, _ ...func(*lambda.Options)) (*lambda.UpdateFunctionUrlConfigOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	a := in.AuthType
	w.url = &a
	return &lambda.UpdateFunctionUrlConfigOutput{}, nil
}

func (w *world) UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	return &lambda.UpdateFunctionCodeOutput{}, nil
}

func (w *world) GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return nil, apiErr("ResourceNotFoundException")
}

func (w *world) GetFunctionConcurrency(context.Context, *lambda.GetFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if w.fn == nil {
		return nil, apiErr("ResourceNotFoundException")
	}
	return &lambda.GetFunctionConcurrencyOutput{ReservedConcurrentExecutions: w.reserved}, nil
}

func (w *world) PutFunctionConcurrency(_ context.Context, in *lambda.PutFunctionConcurrencyInput, _ ...func(*lambda.Options)) (*lambda.PutFunctionConcurrencyOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	w.reserved = aws.Int32(aws.ToInt32(in.ReservedConcurrentExecutions))
	return &lambda.PutFunctionConcurrencyOutput{ReservedConcurrentExecutions: w.reserved}, nil
}

func (w *world) DeleteFunctionConcurrency(context.Context, *lambda.DeleteFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.DeleteFunctionConcurrencyOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	w.reserved = nil
	return &lambda.DeleteFunctionConcurrencyOutput{}, nil
}

// --- a deployment that conforms to the model ---

// conforming builds a world holding exactly what sys describes. Values
// come from the model's fields, spelled as the AWS APIs return them.
func conforming(sys *constructs.System) *world {
	bucket := strings.ReplaceAll(sys.Bucket.Name, constructs.AccountToken, fakeAccount)
	arn := func(v constructs.Value) string {
		if v.Ref == nil {
			// As deployed: the account token resolved.
			return strings.ReplaceAll(v.Literal, constructs.AccountToken, fakeAccount)
		}
		base := map[constructs.ID]string{
			sys.Bucket.ID:      "arn:aws:s3:::" + bucket,
			sys.ImagesTable.ID: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", sys.Region, fakeAccount, sys.ImagesTable.Name),
			sys.AlbumsTable.ID: fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", sys.Region, fakeAccount, sys.AlbumsTable.Name),
		}[v.Ref.To]
		return v.Prefix + base + v.Suffix
	}
	doc := func(sts []constructs.Statement) string {
		var out []map[string]any
		for _, s := range sts {
			var res []string
			for _, v := range s.Resources {
				res = append(res, arn(v))
			}
			m := map[string]any{"Sid": s.Sid, "Effect": s.Effect, "Action": s.Actions, "Resource": res}
			if s.Principal != "" {
				m["Principal"] = map[string]string{"AWS": s.Principal}
			}
			if s.Condition != nil {
				m["Condition"] = s.Condition
			}
			out = append(out, m)
		}
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": out})
		return string(b)
	}
	t := aws.Bool(true)
	w := &world{
		bucket: bucket, versioning: s3types.BucketVersioningStatusEnabled,
		pab: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: t, BlockPublicPolicy: t, IgnorePublicAcls: t, RestrictPublicBuckets: t},
		enc: sys.Bucket.Encryption, policy: aws.String(doc(sys.Bucket.Policy)),
		lifecycle: modelLifecycle(&sys.Bucket),
		tables:    map[string]*ddbtypes.TableDescription{}, pitr: map[string]ddbtypes.PointInTimeRecoveryStatus{}, ttl: map[string]*ddbtypes.TimeToLiveDescription{},
		vpc:        &ec2types.Vpc{VpcId: aws.String("vpc-1"), CidrBlock: aws.String(sys.Network.VPC.CIDR)},
		dnsSupport: sys.Network.VPC.DNSSupport, dnsHost: sys.Network.VPC.DNSHostnames,
		zones: []string{sys.Region + "a", sys.Region + "b", sys.Region + "c"},
		igw:   "igw-1", ssm: map[string]string{},
		roles: map[string]*iamtypes.Role{}, attached: map[string][]string{}, inline: map[string]map[string]string{}, profiles: map[string]*iamtypes.InstanceProfile{},
	}
	for _, tb := range []constructs.Table{sys.ImagesTable, sys.AlbumsTable} {
		keys := func(p constructs.Key, s *constructs.Key) []ddbtypes.KeySchemaElement {
			ks := []ddbtypes.KeySchemaElement{{AttributeName: aws.String(p.Name), KeyType: ddbtypes.KeyTypeHash}}
			if s != nil {
				ks = append(ks, ddbtypes.KeySchemaElement{AttributeName: aws.String(s.Name), KeyType: ddbtypes.KeyTypeRange})
			}
			return ks
		}
		defs := map[string]constructs.KeyType{tb.Partition.Name: tb.Partition.Type}
		if tb.Sort != nil {
			defs[tb.Sort.Name] = tb.Sort.Type
		}
		d := &ddbtypes.TableDescription{TableName: aws.String(tb.Name), KeySchema: keys(tb.Partition, tb.Sort),
			BillingModeSummary:        &ddbtypes.BillingModeSummary{BillingMode: ddbtypes.BillingMode(tb.BillingMode)},
			DeletionProtectionEnabled: aws.Bool(tb.DeletionProtection)}
		for _, ix := range tb.Indexes {
			defs[ix.Partition.Name] = ix.Partition.Type
			if ix.Sort != nil {
				defs[ix.Sort.Name] = ix.Sort.Type
			}
			d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, ddbtypes.GlobalSecondaryIndexDescription{IndexName: aws.String(ix.Name),
				KeySchema: keys(ix.Partition, ix.Sort), Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(ix.Projection)}})
		}
		for n, ty := range defs {
			d.AttributeDefinitions = append(d.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(n), AttributeType: ddbtypes.ScalarAttributeType(ty)})
		}
		w.tables[tb.Name] = d
		w.pitr[tb.Name] = ddbtypes.PointInTimeRecoveryStatusDisabled
		if tb.PointInTimeRecovery {
			w.pitr[tb.Name] = ddbtypes.PointInTimeRecoveryStatusEnabled
		}
	}
	gid := func(id constructs.ID) string { return "sg-" + string(id) }
	for _, s := range sys.Network.Subnets {
		sid := "subnet-" + string(s.ID)
		w.subnets = append(w.subnets, ec2types.Subnet{SubnetId: aws.String(sid), CidrBlock: aws.String(s.CIDR), AvailabilityZone: aws.String(w.zones[s.AZ]), MapPublicIpOnLaunch: aws.Bool(s.Public), VpcId: w.vpc.VpcId})
		w.routeTables = append(w.routeTables, ec2types.RouteTable{RouteTableId: aws.String("rtb-" + string(s.ID)),
			Associations: []ec2types.RouteTableAssociation{{SubnetId: aws.String(sid), RouteTableAssociationId: aws.String("rtbassoc-" + sid)}},
			Routes:       []ec2types.Route{{DestinationCidrBlock: aws.String(sys.Network.Internet), GatewayId: aws.String(w.igw)}}})
	}
	w.routeTables = append(w.routeTables, ec2types.RouteTable{RouteTableId: aws.String("rtb-main"), Associations: []ec2types.RouteTableAssociation{{Main: aws.Bool(true)}}})
	perm := func(ru constructs.Rule) ec2types.IpPermission {
		p := ec2types.IpPermission{IpProtocol: aws.String(ru.Protocol)}
		if ru.Protocol != constructs.All {
			p.FromPort, p.ToPort = aws.Int32(int32(ru.FromPort)), aws.Int32(int32(ru.ToPort))
		}
		if ru.CIDR != "" {
			p.IpRanges = []ec2types.IpRange{{CidrIp: aws.String(ru.CIDR)}}
		} else {
			p.UserIdGroupPairs = []ec2types.UserIdGroupPair{{GroupId: aws.String(gid(ru.Peer))}}
		}
		return p
	}
	for _, g := range sys.Groups {
		d := ec2types.SecurityGroup{GroupId: aws.String(gid(g.ID)), GroupName: aws.String(g.Name), VpcId: w.vpc.VpcId}
		for _, ru := range g.Ingress {
			d.IpPermissions = append(d.IpPermissions, perm(ru))
		}
		for _, ru := range g.Egress {
			d.IpPermissionsEgress = append(d.IpPermissionsEgress, perm(ru))
		}
		w.groups = append(w.groups, d)
	}
	for _, ro := range sys.Roles {
		w.roles[ro.Name] = &iamtypes.Role{RoleName: aws.String(ro.Name), Arn: aws.String("arn:aws:iam::" + fakeAccount + ":role/" + ro.Name),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + ro.Service + `"},"Action":"sts:AssumeRole"}]}`)}
		for _, m := range ro.ManagedPolicies {
			w.attached[ro.Name] = append(w.attached[ro.Name], "arn:aws:iam::aws:policy/"+m)
		}
		if len(ro.Statements) > 0 {
			w.inline[ro.Name] = map[string]string{ro.PolicyName: doc(ro.Statements)}
		}
		if ro.InstanceProfile != "" {
			w.profiles[ro.ProfileName] = &iamtypes.InstanceProfile{InstanceProfileName: aws.String(ro.ProfileName), Roles: []iamtypes.Role{{RoleName: aws.String(ro.Name)}}}
		}
	}
	lb := sys.LoadBalancer
	scheme := elbtypes.LoadBalancerSchemeEnumInternetFacing
	if lb.Internal {
		scheme = elbtypes.LoadBalancerSchemeEnumInternal
	}
	elbARN := "arn:aws:elasticloadbalancing:" + sys.Region + ":" + fakeAccount + ":"
	w.lb = &elbtypes.LoadBalancer{LoadBalancerArn: aws.String(elbARN + "loadbalancer/app/" + lb.Name + "/50dc6c495c0c9188"), DNSName: aws.String("internal-lb.example"),
		Scheme: scheme, Type: elbtypes.LoadBalancerTypeEnumApplication, SecurityGroups: []string{gid(lb.Group)}, VpcId: w.vpc.VpcId}
	for _, s := range lb.Subnets {
		w.lb.AvailabilityZones = append(w.lb.AvailabilityZones, elbtypes.AvailabilityZone{SubnetId: aws.String("subnet-" + string(s))})
	}
	h := lb.Health
	w.tg = &elbtypes.TargetGroup{TargetGroupArn: aws.String(elbARN + "targetgroup/" + lb.TargetName + "/73e2d6bc24d8a067"), TargetGroupName: aws.String(lb.TargetName), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(int32(lb.TargetPort)), TargetType: elbtypes.TargetTypeEnumInstance,
		HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPath: aws.String(lb.HealthPath),
		HealthCheckIntervalSeconds: aws.Int32(int32(h.IntervalSec)), HealthCheckTimeoutSeconds: aws.Int32(int32(h.TimeoutSec)),
		HealthyThresholdCount: aws.Int32(int32(h.HealthyThreshold)), UnhealthyThresholdCount: aws.Int32(int32(h.UnhealthyThreshold)),
		Matcher: &elbtypes.Matcher{HttpCode: aws.String(h.Matcher)}}
	w.listeners = []elbtypes.Listener{{Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(int32(lb.ListenerPort)),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: w.tg.TargetGroupArn}}}}

	// The server group: its launch template at version 2 (the default
	// still 1, as after one template change), Desired InService
	// instances launched from it, registered with the target group.
	g := sys.Servers
	lt0 := g.Template
	w.ssm[lt0.AMIParameter] = "ami-latest"
	profileARN := ""
	if ro := sys.Role(lt0.Role); ro != nil && ro.ProfileName != "" {
		profileARN = "arn:aws:iam::" + fakeAccount + ":instance-profile/" + ro.ProfileName
	}
	data := func() *ec2types.ResponseLaunchTemplateData {
		d := &ec2types.ResponseLaunchTemplateData{InstanceType: ec2types.InstanceType(lt0.Type), ImageId: aws.String("ami-latest"),
			SecurityGroupIds: []string{gid(lt0.Group)},
			MetadataOptions:  &ec2types.LaunchTemplateInstanceMetadataOptions{HttpTokens: ec2types.LaunchTemplateHttpTokensStateOptional},
			BlockDeviceMappings: []ec2types.LaunchTemplateBlockDeviceMapping{{DeviceName: aws.String(lt0.RootVolume.Device), Ebs: &ec2types.LaunchTemplateEbsBlockDevice{
				VolumeSize: aws.Int32(int32(lt0.RootVolume.SizeGiB)), VolumeType: ec2types.VolumeType(lt0.RootVolume.Type), Encrypted: aws.Bool(lt0.RootVolume.Encrypted)}}},
			UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(sys.UserData("artifacts", "server", func(v constructs.Value) string { return "value" })))),
		}
		if lt0.RequireIMDSv2 {
			d.MetadataOptions.HttpTokens = ec2types.LaunchTemplateHttpTokensStateRequired
		}
		if lt0.MetadataHopLimit > 0 {
			d.MetadataOptions.HttpPutResponseHopLimit = aws.Int32(int32(lt0.MetadataHopLimit))
		}
		if profileARN != "" {
			d.IamInstanceProfile = &ec2types.LaunchTemplateIamInstanceProfileSpecification{Arn: aws.String(profileARN)}
		}
		if lt0.CPUCredits != "" {
			d.CreditSpecification = &ec2types.CreditSpecification{CpuCredits: aws.String(lt0.CPUCredits)}
		}
		return d
	}
	lt := &fakeTemplate{id: "lt-0123456789abcdef0", name: lt0.Name, latest: 2, def: 1, versions: map[int64]*ec2types.ResponseLaunchTemplateData{1: data(), 2: data()}}
	w.templates = []*fakeTemplate{lt}
	spec := func() *astypes.LaunchTemplateSpecification {
		return &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt.id), LaunchTemplateName: aws.String(lt.name), Version: aws.String("2")}
	}
	var zones []string
	for _, id := range g.Subnets {
		zones = append(zones, "subnet-"+string(id))
	}
	w.asg = &astypes.AutoScalingGroup{AutoScalingGroupName: aws.String(g.Name),
		MinSize: aws.Int32(int32(g.Min)), DesiredCapacity: aws.Int32(int32(g.Desired)), MaxSize: aws.Int32(int32(g.Max)),
		HealthCheckType: aws.String(g.HealthCheckType), HealthCheckGracePeriod: aws.Int32(int32(g.HealthCheckGraceSec)),
		VPCZoneIdentifier: aws.String(strings.Join(zones, ",")), TargetGroupARNs: []string{aws.ToString(w.tg.TargetGroupArn)},
		LaunchTemplate: spec(),
		Tags: []astypes.TagDescription{{Key: aws.String("Name"), Value: aws.String(g.NameTag), PropagateAtLaunch: aws.Bool(true),
			ResourceId: aws.String(g.Name), ResourceType: aws.String("auto-scaling-group")}}}
	for i := range g.Desired {
		iid := "i-server" + strconv.Itoa(i+1)
		w.asg.Instances = append(w.asg.Instances, astypes.Instance{InstanceId: aws.String(iid), LifecycleState: astypes.LifecycleStateInService,
			HealthStatus: aws.String("Healthy"), LaunchTemplate: spec()})
		x := ec2types.Instance{InstanceId: aws.String(iid), InstanceType: ec2types.InstanceType(lt0.Type), ImageId: aws.String("ami-latest"),
			SubnetId: aws.String(zones[i%len(zones)]), VpcId: w.vpc.VpcId, State: &ec2types.InstanceState{Name: ec2types.InstanceStateNameRunning},
			Tags:            []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(g.NameTag)}},
			SecurityGroups:  []ec2types.GroupIdentifier{{GroupId: aws.String(gid(lt0.Group))}},
			MetadataOptions: &ec2types.InstanceMetadataOptionsResponse{HttpTokens: ec2types.HttpTokensStateOptional, HttpPutResponseHopLimit: aws.Int32(2)},
		}
		if lt0.RequireIMDSv2 {
			x.MetadataOptions.HttpTokens = ec2types.HttpTokensStateRequired
		}
		if lt0.MetadataHopLimit > 0 {
			x.MetadataOptions.HttpPutResponseHopLimit = aws.Int32(int32(lt0.MetadataHopLimit))
		}
		if profileARN != "" {
			x.IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: aws.String(profileARN)}
		}
		w.instances = append(w.instances, x)
		w.targets = append(w.targets, elbtypes.TargetDescription{Id: aws.String(iid), Port: aws.Int32(int32(lb.TargetPort))})
	}
	hk := g.LaunchHook
	w.hooks = []astypes.LifecycleHook{{AutoScalingGroupName: aws.String(g.Name), LifecycleHookName: aws.String(hk.Name),
		LifecycleTransition: aws.String(hk.Transition), DefaultResult: aws.String(hk.DefaultResult), HeartbeatTimeout: aws.Int32(int32(hk.HeartbeatSec))}}
	sp := g.Scaling
	w.policies = []astypes.ScalingPolicy{{AutoScalingGroupName: aws.String(g.Name), PolicyName: aws.String(sp.Name), PolicyType: aws.String("TargetTrackingScaling"),
		TargetTrackingConfiguration: &astypes.TargetTrackingConfiguration{TargetValue: aws.Float64(float64(sp.TargetValue)),
			PredefinedMetricSpecification: &astypes.PredefinedMetricSpecification{PredefinedMetricType: astypes.MetricType(sp.Metric),
				ResourceLabel: aws.String("app/" + lb.Name + "/50dc6c495c0c9188/targetgroup/" + lb.TargetName + "/73e2d6bc24d8a067")}}}}
	f := sys.Function
	env := map[string]string{}
	for _, e := range f.Environment {
		v := e.Value.Literal
		if e.Value.Ref != nil {
			switch e.Value.Ref.Attr {
			case constructs.AttrDNSName:
				v = e.Value.Prefix + aws.ToString(w.lb.DNSName) + e.Value.Suffix
			case constructs.AttrName:
				v = e.Value.Prefix + map[constructs.ID]string{sys.Bucket.ID: bucket, sys.ImagesTable.ID: sys.ImagesTable.Name, sys.AlbumsTable.ID: sys.AlbumsTable.Name}[e.Value.Ref.To] + e.Value.Suffix
			}
		}
		env[e.Name] = v
	}
	var subnets []string
	for _, s := range f.Subnets {
		subnets = append(subnets, "subnet-"+string(s))
	}
	fr := sys.Role(f.Role)
	w.fn = &lambda.GetFunctionConfigurationOutput{Runtime: lambdatypes.Runtime(f.Runtime), Handler: aws.String(f.Handler),
		Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(f.Architecture)},
		MemorySize:    aws.Int32(int32(f.MemoryMB)), Timeout: aws.Int32(int32(f.TimeoutSec)),
		Role:        aws.String("arn:aws:iam::" + fakeAccount + ":role/" + fr.Name),
		Environment: &lambdatypes.EnvironmentResponse{Variables: env},
		VpcConfig:   &lambdatypes.VpcConfigResponse{SubnetIds: subnets, SecurityGroupIds: []string{gid(f.Group)}}}
	if f.URL != "" {
		a := lambdatypes.FunctionUrlAuthType(f.URLAuth)
		w.url = &a
	}
	if f.ReservedConcurrency > 0 {
		w.reserved = aws.Int32(int32(f.ReservedConcurrency))
	}
	w.logGroup = &cwltypes.LogGroup{LogGroupName: aws.String(f.Logs.Name), RetentionInDays: aws.Int32(int32(f.Logs.RetentionDays))}
	return w
}

// --- CloudWatch Logs ---

func (w *world) DescribeLogGroups(_ context.Context, in *cloudwatchlogs.DescribeLogGroupsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	out := &cloudwatchlogs.DescribeLogGroupsOutput{}
	if w.logGroup != nil && strings.HasPrefix(aws.ToString(w.logGroup.LogGroupName), aws.ToString(in.LogGroupNamePrefix)) {
		out.LogGroups = []cwltypes.LogGroup{*w.logGroup}
	}
	return out, nil
}

func (w *world) PutRetentionPolicy(_ context.Context, in *cloudwatchlogs.PutRetentionPolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	if w.logGroup == nil || aws.ToString(w.logGroup.LogGroupName) != aws.ToString(in.LogGroupName) {
		return nil, apiErr("ResourceNotFoundException")
	}
	w.logGroup.RetentionInDays = in.RetentionInDays
	return &cloudwatchlogs.PutRetentionPolicyOutput{}, nil
}

// --- Auto Scaling ---

func (w *world) hasGroup(name *string) bool {
	return w.asg != nil && aws.ToString(w.asg.AutoScalingGroupName) == aws.ToString(name)
}

// DescribeAutoScalingGroups answers, as the API does, with an empty list
// for a name that is not a group.
func (w *world) DescribeAutoScalingGroups(_ context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	out := &autoscaling.DescribeAutoScalingGroupsOutput{}
	if w.asg != nil && contains(in.AutoScalingGroupNames, aws.ToString(w.asg.AutoScalingGroupName)) {
		c := *w.asg
		out.AutoScalingGroups = []astypes.AutoScalingGroup{c}
	}
	return out, nil
}

func (w *world) DescribeLifecycleHooks(_ context.Context, in *autoscaling.DescribeLifecycleHooksInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribeLifecycleHooksOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if !w.hasGroup(in.AutoScalingGroupName) {
		return nil, apiErr("ValidationError")
	}
	return &autoscaling.DescribeLifecycleHooksOutput{LifecycleHooks: append([]astypes.LifecycleHook(nil), w.hooks...)}, nil
}

func (w *world) PutLifecycleHook(_ context.Context, in *autoscaling.PutLifecycleHookInput, _ ...func(*autoscaling.Options)) (*autoscaling.PutLifecycleHookOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	h := astypes.LifecycleHook{AutoScalingGroupName: in.AutoScalingGroupName, LifecycleHookName: in.LifecycleHookName,
		LifecycleTransition: in.LifecycleTransition, DefaultResult: in.DefaultResult, HeartbeatTimeout: in.HeartbeatTimeout}
	for i := range w.hooks {
		if aws.ToString(w.hooks[i].LifecycleHookName) == aws.ToString(in.LifecycleHookName) {
			w.hooks[i] = h
			return &autoscaling.PutLifecycleHookOutput{}, nil
		}
	}
	w.hooks = append(w.hooks, h)
	return &autoscaling.PutLifecycleHookOutput{}, nil
}

func (w *world) DeleteLifecycleHook(_ context.Context, in *autoscaling.DeleteLifecycleHookInput, _ ...func(*autoscaling.Options)) (*autoscaling.DeleteLifecycleHookOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	var keep []astypes.LifecycleHook
	for _, h := range w.hooks {
		if aws.ToString(h.LifecycleHookName) != aws.ToString(in.LifecycleHookName) {
			keep = append(keep, h)
		}
	}
	w.hooks = keep
	return &autoscaling.DeleteLifecycleHookOutput{}, nil
}

func (w *world) DescribePolicies(_ context.Context, in *autoscaling.DescribePoliciesInput, _ ...func(*autoscaling.Options)) (*autoscaling.DescribePoliciesOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	if !w.hasGroup(in.AutoScalingGroupName) {
		return &autoscaling.DescribePoliciesOutput{}, nil
	}
	return &autoscaling.DescribePoliciesOutput{ScalingPolicies: append([]astypes.ScalingPolicy(nil), w.policies...)}, nil
}

func (w *world) PutScalingPolicy(_ context.Context, in *autoscaling.PutScalingPolicyInput, _ ...func(*autoscaling.Options)) (*autoscaling.PutScalingPolicyOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	p := astypes.ScalingPolicy{AutoScalingGroupName: in.AutoScalingGroupName, PolicyName: in.PolicyName, PolicyType: in.PolicyType,
		TargetTrackingConfiguration: in.TargetTrackingConfiguration}
	for i := range w.policies {
		if aws.ToString(w.policies[i].PolicyName) == aws.ToString(in.PolicyName) {
			w.policies[i] = p
			return &autoscaling.PutScalingPolicyOutput{}, nil
		}
	}
	w.policies = append(w.policies, p)
	return &autoscaling.PutScalingPolicyOutput{}, nil
}

// --- EC2 launch templates and instance profiles ---

// DescribeLaunchTemplates fails, as EC2 does, when a template asked for
// does not exist.
func (w *world) DescribeLaunchTemplates(_ context.Context, in *ec2.DescribeLaunchTemplatesInput, _ ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplatesOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	out := &ec2.DescribeLaunchTemplatesOutput{}
	for _, t := range w.templates {
		if contains(in.LaunchTemplateIds, t.id) || contains(in.LaunchTemplateNames, t.name) {
			out.LaunchTemplates = append(out.LaunchTemplates, ec2types.LaunchTemplate{LaunchTemplateId: aws.String(t.id), LaunchTemplateName: aws.String(t.name),
				LatestVersionNumber: aws.Int64(t.latest), DefaultVersionNumber: aws.Int64(t.def)})
		}
	}
	if len(out.LaunchTemplates) == 0 {
		if len(in.LaunchTemplateIds) > 0 {
			return nil, apiErr("InvalidLaunchTemplateId.NotFound")
		}
		return nil, apiErr("InvalidLaunchTemplateName.NotFoundException")
	}
	return out, nil
}

func (w *world) DescribeLaunchTemplateVersions(_ context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	for _, t := range w.templates {
		if t.id != aws.ToString(in.LaunchTemplateId) && t.name != aws.ToString(in.LaunchTemplateName) {
			continue
		}
		out := &ec2.DescribeLaunchTemplateVersionsOutput{}
		for _, v := range in.Versions {
			n, err := strconv.ParseInt(v, 10, 64)
			switch {
			case v == "$Latest":
				n = t.latest
			case v == "$Default":
				n = t.def
			case err != nil:
				return nil, apiErr("InvalidLaunchTemplateId.VersionNotFound")
			}
			d, ok := t.versions[n]
			if !ok {
				return nil, apiErr("InvalidLaunchTemplateId.VersionNotFound")
			}
			c := *d
			out.LaunchTemplateVersions = append(out.LaunchTemplateVersions, ec2types.LaunchTemplateVersion{LaunchTemplateId: aws.String(t.id),
				LaunchTemplateName: aws.String(t.name), VersionNumber: aws.Int64(n), DefaultVersion: aws.Bool(n == t.def), LaunchTemplateData: &c})
		}
		return out, nil
	}
	return nil, apiErr("InvalidLaunchTemplateId.NotFound")
}

// latestData is the fake's model template's latest version, to change.
func (w *world) latestData() *ec2types.ResponseLaunchTemplateData {
	t := w.templates[0]
	return t.versions[t.latest]
}

func (w *world) DescribeIamInstanceProfileAssociations(_ context.Context, in *ec2.DescribeIamInstanceProfileAssociationsInput, _ ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error) {
	if err := w.fail(); err != nil {
		return nil, err
	}
	ids, _ := filterValues(in.Filters, "instance-id")
	out := &ec2.DescribeIamInstanceProfileAssociationsOutput{}
	for _, x := range w.instances {
		if x.IamInstanceProfile != nil && contains(ids, aws.ToString(x.InstanceId)) {
			out.IamInstanceProfileAssociations = append(out.IamInstanceProfileAssociations, ec2types.IamInstanceProfileAssociation{
				AssociationId: aws.String("iip-assoc-" + aws.ToString(x.InstanceId)), InstanceId: x.InstanceId,
				IamInstanceProfile: &ec2types.IamInstanceProfile{Arn: x.IamInstanceProfile.Arn}, State: ec2types.IamInstanceProfileAssociationStateAssociated})
		}
	}
	return out, nil
}

// profileARN is the ARN of the fake's profile of that name.
func (w *world) profileARN(name *string) (*string, error) {
	if _, ok := w.profiles[aws.ToString(name)]; !ok {
		return nil, apiErr("InvalidParameterValue")
	}
	return aws.String("arn:aws:iam::" + fakeAccount + ":instance-profile/" + aws.ToString(name)), nil
}

// AssociateIamInstanceProfile fails, as EC2 does, on an instance that
// already has a profile.
func (w *world) AssociateIamInstanceProfile(_ context.Context, in *ec2.AssociateIamInstanceProfileInput, _ ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	x := w.instanceByID(in.InstanceId)
	if x.IamInstanceProfile != nil {
		return nil, apiErr("IncorrectState")
	}
	arn, err := w.profileARN(in.IamInstanceProfile.Name)
	if err != nil {
		return nil, err
	}
	x.IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: arn}
	return &ec2.AssociateIamInstanceProfileOutput{}, nil
}

func (w *world) ReplaceIamInstanceProfileAssociation(_ context.Context, in *ec2.ReplaceIamInstanceProfileAssociationInput, _ ...func(*ec2.Options)) (*ec2.ReplaceIamInstanceProfileAssociationOutput, error) {
	if ok, err := w.write(); !ok {
		return nil, err
	}
	x := w.instanceByID(aws.String(strings.TrimPrefix(aws.ToString(in.AssociationId), "iip-assoc-")))
	if x == nil || x.IamInstanceProfile == nil {
		return nil, apiErr("InvalidAssociationID.NotFound")
	}
	arn, err := w.profileARN(in.IamInstanceProfile.Name)
	if err != nil {
		return nil, err
	}
	x.IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: arn}
	return &ec2.ReplaceIamInstanceProfileAssociationOutput{}, nil
}

// addInstance launches one more conforming instance into the fake's
// group, as the group would: InService, at the template's latest
// version, registered with the target group.
func addInstance(w *world, id string) {
	x := w.instances[0]
	x.InstanceId = aws.String(id)
	w.instances = append(w.instances, x)
	gi := w.asg.Instances[0]
	gi.InstanceId = aws.String(id)
	spec := *gi.LaunchTemplate
	gi.LaunchTemplate = &spec
	w.asg.Instances = append(w.asg.Instances, gi)
	t := w.targets[0]
	t.Id = aws.String(id)
	w.targets = append(w.targets, t)
}
