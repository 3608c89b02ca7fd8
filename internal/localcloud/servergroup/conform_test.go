package servergroup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

// fakeEC2 behaves as moto 5.2.1's EC2 does for the calls Conform makes:
// launch template versions by id (or name) and number, $Latest or
// $Default; instances with moto's default metadata options unless given
// others; ModifyInstanceMetadataOptions replaces every option with the
// request's (an option left out is reset, as moto does); one profile
// association per instance (a second Associate is IncorrectState).
type fakeEC2 struct {
	mu        sync.Mutex
	templates map[string][]ec2types.ResponseLaunchTemplateData // by id: version 1, 2, ...
	names     map[string]string                                // template name -> id
	defaults  map[string]int                                   // default version by id
	instances map[string]*ec2types.Instance
	assoc     map[string]string // instance id -> association id
	calls     []string
	// fail, when set, answers the named call with this error.
	fail map[string]error
}

func newFakeEC2() *fakeEC2 {
	return &fakeEC2{templates: map[string][]ec2types.ResponseLaunchTemplateData{}, names: map[string]string{},
		defaults: map[string]int{}, instances: map[string]*ec2types.Instance{}, assoc: map[string]string{}, fail: map[string]error{}}
}

// motoDefaults are the metadata options moto gives an instance whatever
// its template says.
func motoDefaults() *ec2types.InstanceMetadataOptionsResponse {
	return &ec2types.InstanceMetadataOptionsResponse{State: ec2types.InstanceMetadataOptionsStateApplied,
		HttpTokens: ec2types.HttpTokensStateOptional, HttpPutResponseHopLimit: aws.Int32(1),
		HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled, HttpProtocolIpv6: ec2types.InstanceMetadataProtocolStateDisabled,
		InstanceMetadataTags: ec2types.InstanceMetadataTagsStateDisabled}
}

func (f *fakeEC2) addTemplate(id, name string, versions ...ec2types.ResponseLaunchTemplateData) {
	f.templates[id], f.names[name], f.defaults[id] = versions, id, 1
}

func (f *fakeEC2) launch(id string) *ec2types.Instance {
	x := &ec2types.Instance{InstanceId: aws.String(id), MetadataOptions: motoDefaults(),
		State: &ec2types.InstanceState{Name: ec2types.InstanceStateNameRunning}}
	f.instances[id] = x
	return x
}

func (f *fakeEC2) call(name string) error {
	f.calls = append(f.calls, name)
	return f.fail[name]
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: "fake " + code} }

func (f *fakeEC2) DescribeLaunchTemplateVersions(_ context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, _ ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("DescribeLaunchTemplateVersions"); err != nil {
		return nil, err
	}
	id := aws.ToString(in.LaunchTemplateId)
	if id == "" {
		if id = f.names[aws.ToString(in.LaunchTemplateName)]; id == "" {
			return nil, apiErr("InvalidLaunchTemplateName.NotFoundException")
		}
	}
	vs, ok := f.templates[id]
	if !ok {
		return nil, apiErr("InvalidLaunchTemplateId.NotFound")
	}
	out := &ec2.DescribeLaunchTemplateVersionsOutput{}
	for _, v := range in.Versions {
		n := len(vs)
		switch v {
		case "$Latest":
		case "$Default":
			n = f.defaults[id]
		default:
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 1 || n > len(vs) {
				return nil, apiErr("InvalidLaunchTemplateId.VersionNotFound")
			}
		}
		d := vs[n-1]
		out.LaunchTemplateVersions = append(out.LaunchTemplateVersions, ec2types.LaunchTemplateVersion{
			LaunchTemplateId: aws.String(id), VersionNumber: aws.Int64(int64(n)), LaunchTemplateData: &d})
	}
	return out, nil
}

func (f *fakeEC2) DescribeInstances(_ context.Context, in *ec2.DescribeInstancesInput, _ ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("DescribeInstances"); err != nil {
		return nil, err
	}
	out := &ec2.DescribeInstancesOutput{}
	for _, id := range in.InstanceIds {
		x, ok := f.instances[id]
		if !ok {
			return nil, apiErr("InvalidInstanceID.NotFound")
		}
		out.Reservations = append(out.Reservations, ec2types.Reservation{Instances: []ec2types.Instance{*x}})
	}
	return out, nil
}

func (f *fakeEC2) ModifyInstanceMetadataOptions(_ context.Context, in *ec2.ModifyInstanceMetadataOptionsInput, _ ...func(*ec2.Options)) (*ec2.ModifyInstanceMetadataOptionsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ModifyInstanceMetadataOptions"); err != nil {
		return nil, err
	}
	x, ok := f.instances[aws.ToString(in.InstanceId)]
	if !ok {
		return nil, apiErr("InvalidInstanceID.NotFound")
	}
	x.MetadataOptions = &ec2types.InstanceMetadataOptionsResponse{State: ec2types.InstanceMetadataOptionsStateApplied,
		HttpTokens: in.HttpTokens, HttpPutResponseHopLimit: in.HttpPutResponseHopLimit, HttpEndpoint: in.HttpEndpoint,
		HttpProtocolIpv6: in.HttpProtocolIpv6, InstanceMetadataTags: in.InstanceMetadataTags}
	return &ec2.ModifyInstanceMetadataOptionsOutput{}, nil
}

// profileARN is the ARN of a profile given by name or ARN.
func profileARN(p *ec2types.IamInstanceProfileSpecification) string {
	if a := aws.ToString(p.Arn); a != "" {
		return a
	}
	return "arn:aws:iam::123456789012:instance-profile/" + aws.ToString(p.Name)
}

func (f *fakeEC2) DescribeIamInstanceProfileAssociations(_ context.Context, in *ec2.DescribeIamInstanceProfileAssociationsInput, _ ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("DescribeIamInstanceProfileAssociations"); err != nil {
		return nil, err
	}
	out := &ec2.DescribeIamInstanceProfileAssociationsOutput{}
	for _, fl := range in.Filters {
		if aws.ToString(fl.Name) != "instance-id" {
			continue
		}
		for _, id := range fl.Values {
			if a, ok := f.assoc[id]; ok {
				out.IamInstanceProfileAssociations = append(out.IamInstanceProfileAssociations, ec2types.IamInstanceProfileAssociation{
					AssociationId: aws.String(a), InstanceId: aws.String(id), State: ec2types.IamInstanceProfileAssociationStateAssociated,
					IamInstanceProfile: &ec2types.IamInstanceProfile{Arn: f.instances[id].IamInstanceProfile.Arn}})
			}
		}
	}
	return out, nil
}

func (f *fakeEC2) AssociateIamInstanceProfile(_ context.Context, in *ec2.AssociateIamInstanceProfileInput, _ ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("AssociateIamInstanceProfile"); err != nil {
		return nil, err
	}
	id := aws.ToString(in.InstanceId)
	x, ok := f.instances[id]
	if !ok {
		return nil, apiErr("InvalidInstanceID.NotFound")
	}
	if _, ok := f.assoc[id]; ok {
		return nil, apiErr("IncorrectState")
	}
	f.assoc[id] = "iip-assoc-" + id
	x.IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: aws.String(profileARN(in.IamInstanceProfile))}
	return &ec2.AssociateIamInstanceProfileOutput{}, nil
}

func (f *fakeEC2) ReplaceIamInstanceProfileAssociation(_ context.Context, in *ec2.ReplaceIamInstanceProfileAssociationInput, _ ...func(*ec2.Options)) (*ec2.ReplaceIamInstanceProfileAssociationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("ReplaceIamInstanceProfileAssociation"); err != nil {
		return nil, err
	}
	for id, a := range f.assoc {
		if a == aws.ToString(in.AssociationId) {
			f.instances[id].IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: aws.String(profileARN(in.IamInstanceProfile))}
			return &ec2.ReplaceIamInstanceProfileAssociationOutput{}, nil
		}
	}
	return nil, apiErr("InvalidAssociationID.NotFound")
}

// TestConform: an instance is made what its launch template version says
// in the metadata options and the instance profile, with the calls that
// set exactly what differs (and leave every other option as it was); an
// instance that conforms is left alone; the error of a failed step keeps
// its API error code.
func TestConform(t *testing.T) {
	const (
		profile    = "sg-test-profile"
		profileArn = "arn:aws:iam::123456789012:instance-profile/sg-test-profile"
		otherArn   = "arn:aws:iam::123456789012:instance-profile/other"
	)
	hardened := ec2types.ResponseLaunchTemplateData{
		MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptions{HttpTokens: ec2types.LaunchTemplateHttpTokensStateRequired,
			HttpPutResponseHopLimit: aws.Int32(1), HttpEndpoint: ec2types.LaunchTemplateInstanceMetadataEndpointStateEnabled},
		IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecification{Name: aws.String(profile)},
	}
	byArn := ec2types.ResponseLaunchTemplateData{
		MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptions{HttpTokens: ec2types.LaunchTemplateHttpTokensStateRequired,
			HttpPutResponseHopLimit: aws.Int32(2)},
		IamInstanceProfile: &ec2types.LaunchTemplateIamInstanceProfileSpecification{Arn: aws.String(profileArn)},
	}
	plain := ec2types.ResponseLaunchTemplateData{InstanceType: ec2types.InstanceTypeT3Micro}
	ref := func(v string) *TemplateRef { return &TemplateRef{ID: "lt-1", Name: "sg-test-servers", Version: v} }
	type want struct {
		tokens   ec2types.HttpTokensState
		hops     int32
		endpoint ec2types.InstanceMetadataEndpointState
		profile  string // the instance's profile ARN after
	}
	tests := []struct {
		name     string
		versions []ec2types.ResponseLaunchTemplateData
		ref      *TemplateRef
		prepare  func(f *fakeEC2, x *ec2types.Instance)
		differed []Setting
		calls    []string // the calls that change something
		after    want
		errCode  string
	}{
		{name: "moto's defaults, template by name of its profile", versions: []ec2types.ResponseLaunchTemplateData{hardened}, ref: ref("1"),
			differed: []Setting{{SettingHTTPTokens, "optional", "required"}, {SettingProfile, "none", profile}},
			calls:    []string{"ModifyInstanceMetadataOptions", "AssociateIamInstanceProfile"},
			after:    want{"required", 1, "enabled", profileArn}},
		{name: "already as the template says", versions: []ec2types.ResponseLaunchTemplateData{hardened}, ref: ref("1"),
			prepare: func(f *fakeEC2, x *ec2types.Instance) {
				x.MetadataOptions.HttpTokens = ec2types.HttpTokensStateRequired
				f.assoc[*x.InstanceId] = "iip-assoc-x"
				x.IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: aws.String(profileArn)}
			},
			after: want{"required", 1, "enabled", profileArn}},
		{name: "the version the record names, profile by ARN replacing another", ref: ref("2"),
			versions: []ec2types.ResponseLaunchTemplateData{hardened, byArn},
			prepare: func(f *fakeEC2, x *ec2types.Instance) {
				f.assoc[*x.InstanceId] = "iip-assoc-x"
				x.IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: aws.String(otherArn)}
			},
			differed: []Setting{{SettingHTTPTokens, "optional", "required"}, {SettingHopLimit, "1", "2"}, {SettingProfile, otherArn, profileArn}},
			calls:    []string{"ModifyInstanceMetadataOptions", "ReplaceIamInstanceProfileAssociation"},
			after:    want{"required", 2, "enabled", profileArn}},
		{name: "$Default", ref: ref(""), versions: []ec2types.ResponseLaunchTemplateData{plain, hardened},
			after: want{"optional", 1, "enabled", ""}},
		{name: "metadata endpoint off", ref: ref("1"), versions: []ec2types.ResponseLaunchTemplateData{{
			MetadataOptions: &ec2types.LaunchTemplateInstanceMetadataOptions{HttpEndpoint: ec2types.LaunchTemplateInstanceMetadataEndpointStateDisabled}}},
			differed: []Setting{{SettingHTTPEndpoint, "enabled", "disabled"}},
			calls:    []string{"ModifyInstanceMetadataOptions"},
			after:    want{"optional", 1, "disabled", ""}},
		{name: "no launch template", ref: nil, versions: []ec2types.ResponseLaunchTemplateData{hardened},
			after: want{"optional", 1, "enabled", ""}},
		{name: "template gone", ref: &TemplateRef{ID: "lt-gone", Version: "1"}, versions: []ec2types.ResponseLaunchTemplateData{hardened},
			after: want{"optional", 1, "enabled", ""}, errCode: "InvalidLaunchTemplateId.NotFound"},
		{name: "version gone", ref: ref("3"), versions: []ec2types.ResponseLaunchTemplateData{hardened},
			after: want{"optional", 1, "enabled", ""}, errCode: "InvalidLaunchTemplateId.VersionNotFound"},
		{name: "the emulator fails the association", ref: ref("1"), versions: []ec2types.ResponseLaunchTemplateData{hardened},
			prepare: func(f *fakeEC2, _ *ec2types.Instance) {
				f.fail["AssociateIamInstanceProfile"] = apiErr("InternalError")
			},
			differed: []Setting{{SettingHTTPTokens, "optional", "required"}, {SettingProfile, "none", profile}},
			calls:    []string{"ModifyInstanceMetadataOptions", "AssociateIamInstanceProfile"},
			after:    want{"required", 1, "enabled", ""}, errCode: "InternalError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeEC2()
			f.addTemplate("lt-1", "sg-test-servers", tc.versions...)
			x := f.launch("i-0001")
			if tc.prepare != nil {
				tc.prepare(f, x)
			}
			g := &AWSGroup{Name: "sg-test-servers", EC2: f}
			c, err := g.Conform(context.Background(), Instance{ID: "i-0001", LifecycleState: InService, HealthStatus: Healthy, Template: tc.ref})
			var ae smithy.APIError
			switch {
			case tc.errCode == "" && err != nil:
				t.Fatalf("Conform: %v", err)
			case tc.errCode != "" && (!errors.As(err, &ae) || ae.ErrorCode() != tc.errCode):
				t.Fatalf("Conform error %v, want code %s", err, tc.errCode)
			}
			if d := cmp.Diff(tc.differed, c.Differed); d != "" {
				t.Errorf("differed (-want +got):\n%s", d)
			}
			var changes []string
			for _, n := range f.calls {
				if n != "DescribeLaunchTemplateVersions" && n != "DescribeInstances" && n != "DescribeIamInstanceProfileAssociations" {
					changes = append(changes, n)
				}
			}
			if d := cmp.Diff(tc.calls, changes); d != "" {
				t.Errorf("changing calls (-want +got):\n%s", d)
			}
			if tc.ref != nil && tc.errCode == "" && c.Template == "" {
				t.Error("no template named in the result")
			}
			m := x.MetadataOptions
			got := want{m.HttpTokens, aws.ToInt32(m.HttpPutResponseHopLimit), m.HttpEndpoint, ""}
			if x.IamInstanceProfile != nil {
				got.profile = aws.ToString(x.IamInstanceProfile.Arn)
			}
			if d := cmp.Diff(tc.after, got, cmp.AllowUnexported(want{})); d != "" {
				t.Errorf("instance after (-want +got):\n%s", d)
			}
			// The options no template here sets are as moto left them.
			if m.HttpProtocolIpv6 != ec2types.InstanceMetadataProtocolStateDisabled || m.InstanceMetadataTags != ec2types.InstanceMetadataTagsStateDisabled {
				t.Errorf("other metadata options changed: ipv6 %q, tags %q", m.HttpProtocolIpv6, m.InstanceMetadataTags)
			}
			// Conforming again changes nothing.
			if tc.errCode == "" {
				f.calls = nil
				c, err := g.Conform(context.Background(), Instance{ID: "i-0001", Template: tc.ref})
				if err != nil || len(c.Differed) != 0 {
					t.Errorf("second Conform: %+v, %v; want nothing to do", c.Differed, err)
				}
			}
		})
	}
}

// TestRetryable: an error is final or worth another try by its API error
// code only.
func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{apiErr("InternalError"), true},
		{apiErr("RequestLimitExceeded"), true},
		{apiErr("InvalidInstanceID.NotFound"), true}, // eventually consistent on AWS
		{apiErr("IncorrectState"), true},
		{fmt.Errorf("describe: %w", apiErr("InvalidLaunchTemplateId.NotFound")), false},
		{apiErr("InvalidLaunchTemplateId.VersionNotFound"), false},
		{apiErr("InvalidLaunchTemplateName.NotFoundException"), false},
		{apiErr("UnauthorizedOperation"), false},
		// The message is never read: a retryable code with a message that
		// says "not found" is still retried.
		{&smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "launch template not found"}, true},
		{errNoInstance, true},
		{context.Canceled, false},
	}
	for _, tc := range tests {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
