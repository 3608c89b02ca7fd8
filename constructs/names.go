package constructs

import (
	"fmt"
	"strings"
)

// Beginnings and endings AWS refuses in names, as its documentation lists
// them: S3 "General purpose bucket naming rules" (reserved prefixes and
// suffixes), EC2 CreateSecurityGroup ("cannot start with sg-") and ELBv2
// CreateLoadBalancer ("must not begin with internal-").
var (
	s3ReservedPrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	s3ReservedSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3"}
)

const (
	groupReservedPrefix        = "sg-"
	loadBalancerReservedPrefix = "internal-"
)

// Names built from the prefix. New and Validate both use them, so the names
// checked are the names deployed.
func imageBucketName(prefix, region string) string {
	return fmt.Sprintf("%s-images-%s-%s", prefix, AccountToken, region)
}

func artifactsBucketName(prefix, region string) string {
	return fmt.Sprintf("%s-artifacts-%s-%s", prefix, AccountToken, region)
}

func lambdaGroupName(p string) string  { return p + "-lambda" }
func albGroupName(p string) string     { return p + "-alb" }
func serverGroupName(p string) string  { return p + "-server" }
func loadBalancerName(p string) string { return p + "-alb" }

// Auto Scaling and launch-template names are regional, like the groups'.
func serverGroupNameASG(p string) string { return p + "-servers" }
func launchTemplateName(p string) string { return p + "-server" }
func launchHookName(p string) string     { return p + "-server-ready" }
func scalingPolicyName(p string) string  { return p + "-requests-per-target" }

// iamName is the name of an IAM role or instance profile. IAM names are
// global to the account, so the region is part of them: the same prefix
// deploys to a second region without a collision.
func iamName(p, role, region string) string { return p + "-" + role + "-" + region }

// reservedNameReason says why AWS would refuse a name built from prefix in
// region; "" when it would refuse none.
func reservedNameReason(prefix, region string) string {
	for _, b := range []string{imageBucketName(prefix, region), artifactsBucketName(prefix, region)} {
		for _, r := range s3ReservedPrefixes {
			if strings.HasPrefix(b, r) {
				return fmt.Sprintf("S3 refuses bucket names starting with %q (bucket %q)", r, b)
			}
		}
		for _, r := range s3ReservedSuffixes {
			if strings.HasSuffix(b, r) {
				return fmt.Sprintf("S3 refuses bucket names ending with %q (bucket %q)", r, b)
			}
		}
	}
	for _, g := range []string{lambdaGroupName(prefix), albGroupName(prefix), serverGroupName(prefix)} {
		if strings.HasPrefix(g, groupReservedPrefix) {
			return fmt.Sprintf("EC2 refuses security-group names starting with %q (group %q)", groupReservedPrefix, g)
		}
	}
	if lb := loadBalancerName(prefix); strings.HasPrefix(lb, loadBalancerReservedPrefix) {
		return fmt.Sprintf("Elastic Load Balancing refuses load-balancer names starting with %q (load balancer %q)", loadBalancerReservedPrefix, lb)
	}
	return ""
}
