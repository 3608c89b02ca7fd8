package constructs

import (
	"strings"
	"testing"
)

// Name length limits per resource type. Sources: S3 User Guide "General
// purpose bucket naming rules"; IAM User Guide "IAM and AWS STS quotas"
// (role name 64, instance profile name 128); EC2 API CreateSecurityGroup
// (GroupName up to 255) and "Tag restrictions" (tag value 256); ELBv2 API
// CreateLoadBalancer and CreateTargetGroup (Name up to 32); DynamoDB
// Developer Guide "Supported data types and naming rules" (table name
// 3-255); Lambda API CreateFunction (FunctionName up to 64 characters for
// a plain name); CloudWatch Logs API CreateLogGroup (logGroupName 1-512);
// Auto Scaling API CreateAutoScalingGroup, PutLifecycleHook and
// PutScalingPolicy (names up to 255); EC2 API CreateLaunchTemplate
// (LaunchTemplateName 3-128).
const (
	limitBucket          = 63
	limitRole            = 64
	limitInstanceProfile = 128
	limitSecurityGroup   = 255
	limitLoadBalancer    = 32
	limitTargetGroup     = 32
	limitTable           = 255
	limitFunction        = 64
	limitTagValue        = 256
	limitLogGroup        = 512
	limitAutoScalingName = 255
	limitLaunchTemplate  = 128
)

// longestRegion is the longest region name AWS has (14 characters, e.g.
// ap-southeast-2, ap-northeast-3).
const longestRegion = "ap-southeast-2"

type builtName struct {
	kind  string
	name  string
	limit int
}

// builtNames lists every fixed name of s with its resource type's limit;
// bucket names count the account id at its full 12 digits.
func builtNames(t *testing.T, s *System) []builtName {
	t.Helper()
	store, err := s.ArtifactStore()
	if err != nil {
		t.Fatal(err)
	}
	bucket := func(n string) string { return strings.ReplaceAll(n, AccountToken, "123456789012") }
	names := []builtName{
		{"S3 bucket", bucket(s.Bucket.Name), limitBucket},
		{"S3 bucket", bucket(store.Bucket.Name), limitBucket},
		{"DynamoDB table", s.ImagesTable.Name, limitTable},
		{"DynamoDB table", s.AlbumsTable.Name, limitTable},
		{"Lambda function", s.Function.Name, limitFunction},
		{"log group", s.Function.Logs.Name, limitLogGroup},
	}
	for _, g := range s.Groups {
		names = append(names, builtName{"security group", g.Name, limitSecurityGroup})
	}
	for _, r := range s.Roles {
		names = append(names, builtName{"IAM role", r.Name, limitRole})
		if r.ProfileName != "" {
			names = append(names, builtName{"instance profile", r.ProfileName, limitInstanceProfile})
		}
	}
	g := s.Servers
	names = append(names,
		builtName{"Name tag", g.NameTag, limitTagValue},
		builtName{"Auto Scaling group", g.Name, limitAutoScalingName},
		builtName{"launch template", g.Template.Name, limitLaunchTemplate},
		builtName{"lifecycle hook", g.LaunchHook.Name, limitAutoScalingName},
		builtName{"scaling policy", g.Scaling.Name, limitAutoScalingName},
		builtName{"load balancer", s.LoadBalancer.Name, limitLoadBalancer},
		builtName{"target group", s.LoadBalancer.TargetName, limitTargetGroup})
	return names
}

func TestNamesFitAtLongestPrefix(t *testing.T) {
	cfg := Defaults()
	cfg.Prefix = "a" + strings.Repeat("b", 24) // the longest prefix Validate accepts
	cfg.Region = longestRegion
	cfg.InstanceCount, cfg.MaxInstances = InstanceLimit-1, InstanceLimit
	if err := cfg.Validate(); err != nil {
		t.Fatalf("longest prefix refused: %v", err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range builtNames(t, s) {
		if len(n.name) > n.limit {
			t.Errorf("%s name %q is %d characters; AWS allows %d", n.kind, n.name, len(n.name), n.limit)
		}
	}
}

func TestReservedNamesRefused(t *testing.T) {
	tests := []struct {
		prefix string
		want   string // in the reason
	}{
		{"sthree", `"sthree-"`},
		{"amzn-s3-demo", `"amzn-s3-demo-"`},
		{"sg-x", `"sg-"`},
		{"internal", `"internal-"`},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			cfg := Defaults()
			cfg.Prefix = tc.prefix
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), "prefix: "+tc.prefix+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want a prefix error naming %s", err, tc.want)
			}
		})
	}
}

// IAM names are global to the account: the same prefix in a second region
// must build other role and instance-profile names.
func TestIAMNamesScopedToRegion(t *testing.T) {
	names := map[string]string{}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		cfg := Defaults()
		cfg.Region = region
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range s.Roles {
			for _, n := range []string{r.Name, r.ProfileName} {
				if n == "" {
					continue
				}
				if !strings.HasSuffix(n, "-"+region) {
					t.Errorf("%s: IAM name %q does not name the region", r.ID, n)
				}
				if other, ok := names[n]; ok && other != region {
					t.Errorf("IAM name %q built in both %s and %s", n, other, region)
				}
				names[n] = region
			}
		}
	}
}
