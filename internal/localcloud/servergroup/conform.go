package servergroup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

// An instance that Auto Scaling launches gets what its launch template
// says. moto 5.2.1 launches the group's instances without the template's
// metadata options (HttpTokens "optional" although the template says
// "required") and without its instance profile. `local up` patches the
// instances that exist when it verifies; the instances the group launches
// later (a replacement, a scale-out) would keep moto's defaults, and a
// later `twinstack verify` would report them as drift although only the
// emulator is at fault. So the stand-in makes each instance, when it
// first sees it, what its launch template says in exactly those settings,
// and reports it as an emulator observation.

// ObsNotFromTemplate is the observation of an instance that did not have
// its launch template's settings.
const ObsNotFromTemplate = "instance-not-from-template"

// TemplateRef is the launch template version an instance was launched
// from, as the group's record of the instance names it.
type TemplateRef struct {
	ID, Name, Version string
}

func (t TemplateRef) String() string {
	name := t.ID
	if t.Name != "" && t.ID != "" {
		name = t.Name + " (" + t.ID + ")"
	} else if t.Name != "" {
		name = t.Name
	}
	return name + " version " + orDefault(t.Version, "$Default")
}

// Setting is one setting of an instance that differed from its launch
// template: what the emulator left (Was) and what the template says
// (Want).
type Setting struct {
	Name string `json:"name"`
	Was  string `json:"was"`
	Want string `json:"want"`
}

func (s Setting) String() string { return fmt.Sprintf("%s %s (template: %s)", s.Name, s.Was, s.Want) }

// Conformance is what Conform found and did for one instance.
type Conformance struct {
	// Template is the version read; empty when the instance names none
	// (nothing to compare with).
	Template string
	// Differed are the settings that differed. When Conform returns no
	// error they were all set; otherwise (a failed step) some may not be.
	Differed []Setting
	// Calls are the API calls that set them.
	Calls []string
}

// Setting names, as the EC2 API names the fields.
const (
	SettingHTTPTokens   = "MetadataOptions.HttpTokens"
	SettingHopLimit     = "MetadataOptions.HttpPutResponseHopLimit"
	SettingHTTPEndpoint = "MetadataOptions.HttpEndpoint"
	SettingProfile      = "IamInstanceProfile"
)

// EC2API is what AWSGroup calls of EC2 to make an instance what its
// launch template says (*ec2.Client fits).
type EC2API interface {
	DescribeLaunchTemplateVersions(context.Context, *ec2.DescribeLaunchTemplateVersionsInput, ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	ModifyInstanceMetadataOptions(context.Context, *ec2.ModifyInstanceMetadataOptionsInput, ...func(*ec2.Options)) (*ec2.ModifyInstanceMetadataOptionsOutput, error)
	DescribeIamInstanceProfileAssociations(context.Context, *ec2.DescribeIamInstanceProfileAssociationsInput, ...func(*ec2.Options)) (*ec2.DescribeIamInstanceProfileAssociationsOutput, error)
	AssociateIamInstanceProfile(context.Context, *ec2.AssociateIamInstanceProfileInput, ...func(*ec2.Options)) (*ec2.AssociateIamInstanceProfileOutput, error)
	ReplaceIamInstanceProfileAssociation(context.Context, *ec2.ReplaceIamInstanceProfileAssociationInput, ...func(*ec2.Options)) (*ec2.ReplaceIamInstanceProfileAssociationOutput, error)
}

// once makes the SDK send a request once: the stand-in's own tries
// (Config.ConformTries) are the only retries, so their bound holds.
func once(o *ec2.Options) { o.RetryMaxAttempts = 1 }

// errNoInstance is an instance DescribeInstances did not list.
var errNoInstance = errors.New("not listed by DescribeInstances")

// Conform makes the instance what its launch template version says in the
// settings the emulator does not apply at launch: the metadata options
// HttpTokens, HttpPutResponseHopLimit and HttpEndpoint (one
// ModifyInstanceMetadataOptions) and the instance profile
// (AssociateIamInstanceProfile, or ReplaceIamInstanceProfileAssociation
// when another one is associated). A setting the template leaves unset is
// not compared. Without an EC2 client, or for an instance that names no
// launch template, it does nothing.
func (g *AWSGroup) Conform(ctx context.Context, in Instance) (Conformance, error) {
	var c Conformance
	if g.EC2 == nil || in.Template == nil {
		return c, nil
	}
	t := *in.Template
	c.Template = t.String()
	lt := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{orDefault(t.Version, "$Default")}}
	if t.ID != "" {
		lt.LaunchTemplateId = aws.String(t.ID)
	} else {
		lt.LaunchTemplateName = aws.String(t.Name)
	}
	v, err := g.EC2.DescribeLaunchTemplateVersions(ctx, lt, once)
	if err != nil {
		return c, fmt.Errorf("describe launch template %s: %w", c.Template, err)
	}
	if len(v.LaunchTemplateVersions) == 0 || v.LaunchTemplateVersions[0].LaunchTemplateData == nil {
		return c, fmt.Errorf("launch template %s: no version data", c.Template)
	}
	data := v.LaunchTemplateVersions[0].LaunchTemplateData
	o, err := g.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{in.ID}}, once)
	if err != nil {
		return c, fmt.Errorf("describe instance %s: %w", in.ID, err)
	}
	var x *ec2types.Instance
	for _, r := range o.Reservations {
		for i := range r.Instances {
			if aws.ToString(r.Instances[i].InstanceId) == in.ID {
				x = &r.Instances[i]
			}
		}
	}
	if x == nil {
		return c, fmt.Errorf("instance %s: %w", in.ID, errNoInstance)
	}
	d := compare(data, x)
	c.Differed = d.differed
	if d.metadata != nil {
		c.Calls = append(c.Calls, "ModifyInstanceMetadataOptions")
		if _, err := g.EC2.ModifyInstanceMetadataOptions(ctx, d.metadata, once); err != nil {
			return c, fmt.Errorf("modify the metadata options of %s: %w", in.ID, err)
		}
	}
	if d.profile != nil {
		if err := g.setProfile(ctx, &c, in.ID, d.profile); err != nil {
			return c, err
		}
	}
	return c, nil
}

// setProfile associates the profile with the instance, or replaces the
// association it has.
func (g *AWSGroup) setProfile(ctx context.Context, c *Conformance, id string, p *ec2types.IamInstanceProfileSpecification) error {
	as, err := g.EC2.DescribeIamInstanceProfileAssociations(ctx, &ec2.DescribeIamInstanceProfileAssociationsInput{Filters: []ec2types.Filter{
		{Name: aws.String("instance-id"), Values: []string{id}},
		{Name: aws.String("state"), Values: []string{string(ec2types.IamInstanceProfileAssociationStateAssociated)}}}}, once)
	if err != nil {
		return fmt.Errorf("describe the instance profile association of %s: %w", id, err)
	}
	for _, a := range as.IamInstanceProfileAssociations {
		if aws.ToString(a.InstanceId) != id {
			continue
		}
		c.Calls = append(c.Calls, "ReplaceIamInstanceProfileAssociation")
		if _, err := g.EC2.ReplaceIamInstanceProfileAssociation(ctx, &ec2.ReplaceIamInstanceProfileAssociationInput{
			AssociationId: a.AssociationId, IamInstanceProfile: p}, once); err != nil {
			return fmt.Errorf("replace the instance profile of %s: %w", id, err)
		}
		return nil
	}
	c.Calls = append(c.Calls, "AssociateIamInstanceProfile")
	if _, err := g.EC2.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id), IamInstanceProfile: p}, once); err != nil {
		return fmt.Errorf("associate the instance profile with %s: %w", id, err)
	}
	return nil
}

// difference is what compare found: the settings that differ, and the
// requests that set them (nil: nothing to set).
type difference struct {
	differed []Setting
	metadata *ec2.ModifyInstanceMetadataOptionsInput
	profile  *ec2types.IamInstanceProfileSpecification
}

// compare compares an instance with its launch template's data in the
// settings the emulator does not apply. The metadata request carries
// every option, the instance's own where the template sets none: an
// option left out of ModifyInstanceMetadataOptions is reset by moto
// (kept by AWS), and none must change but those that differ.
func compare(data *ec2types.ResponseLaunchTemplateData, x *ec2types.Instance) difference {
	var d difference
	have := ec2types.InstanceMetadataOptionsResponse{}
	if x.MetadataOptions != nil {
		have = *x.MetadataOptions
	}
	if want := data.MetadataOptions; want != nil {
		m := &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: x.InstanceId,
			HttpTokens: have.HttpTokens, HttpPutResponseHopLimit: have.HttpPutResponseHopLimit,
			HttpEndpoint: have.HttpEndpoint, HttpProtocolIpv6: have.HttpProtocolIpv6, InstanceMetadataTags: have.InstanceMetadataTags}
		differs := false
		if w := string(want.HttpTokens); w != "" && w != string(have.HttpTokens) {
			d.differed = append(d.differed, Setting{SettingHTTPTokens, orDefault(string(have.HttpTokens), "unset"), w})
			m.HttpTokens, differs = ec2types.HttpTokensState(w), true
		}
		if w := want.HttpPutResponseHopLimit; w != nil && (have.HttpPutResponseHopLimit == nil || *w != *have.HttpPutResponseHopLimit) {
			was := "unset"
			if have.HttpPutResponseHopLimit != nil {
				was = strconv.Itoa(int(*have.HttpPutResponseHopLimit))
			}
			d.differed = append(d.differed, Setting{SettingHopLimit, was, strconv.Itoa(int(*w))})
			m.HttpPutResponseHopLimit, differs = aws.Int32(*w), true
		}
		if w := string(want.HttpEndpoint); w != "" && w != string(have.HttpEndpoint) {
			d.differed = append(d.differed, Setting{SettingHTTPEndpoint, orDefault(string(have.HttpEndpoint), "unset"), w})
			m.HttpEndpoint, differs = ec2types.InstanceMetadataEndpointState(w), true
		}
		if differs {
			d.metadata = m
		}
	}
	if p := data.IamInstanceProfile; p != nil && (aws.ToString(p.Arn) != "" || aws.ToString(p.Name) != "") {
		haveARN := ""
		if x.IamInstanceProfile != nil {
			haveARN = aws.ToString(x.IamInstanceProfile.Arn)
		}
		// The template names the profile by ARN or by name; an instance
		// reports the ARN, whose last segment is the name.
		same := haveARN != "" && (haveARN == aws.ToString(p.Arn) ||
			(aws.ToString(p.Arn) == "" && haveARN[strings.LastIndex(haveARN, "/")+1:] == aws.ToString(p.Name)))
		if !same {
			spec := &ec2types.IamInstanceProfileSpecification{}
			want := aws.ToString(p.Arn)
			if want != "" {
				spec.Arn = p.Arn
			} else {
				spec.Name, want = p.Name, aws.ToString(p.Name)
			}
			d.differed = append(d.differed, Setting{SettingProfile, orDefault(haveARN, "none"), want})
			d.profile = spec
		}
	}
	return d
}

// finalCodes are the error codes after which asking again cannot help:
// the launch template or its version is gone, or the request is one the
// API refuses as such. Anything else (throttling, an emulator's 500, an
// instance not yet visible: InvalidInstanceID.NotFound is eventually
// consistent on AWS) is worth another try.
var finalCodes = map[string]bool{
	"InvalidLaunchTemplateId.NotFound":            true,
	"InvalidLaunchTemplateId.VersionNotFound":     true,
	"InvalidLaunchTemplateId.Malformed":           true,
	"InvalidLaunchTemplateName.NotFoundException": true,
	"InvalidParameterValue":                       true,
	"InvalidParameterCombination":                 true,
	"MissingParameter":                            true,
	"UnauthorizedOperation":                       true,
	"AuthFailure":                                 true,
}

// retryable reports whether a failed Conform is worth another try, by the
// API error's code only.
func retryable(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return !finalCodes[ae.ErrorCode()]
	}
	return !errors.Is(err, context.Canceled)
}

// errorText is an error as its API error code, or its text when it has
// none, for an observation.
func errorText(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + " (" + err.Error() + ")"
	}
	return err.Error()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
