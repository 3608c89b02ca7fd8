package localcloud

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/verify"
)

// detachPatchedPolicies detaches the AWS managed policies that verify's gap
// patches attached to the CloudFormation deployment's roles: the emulator
// dropped ManagedPolicyArns, so the stack does not know them and its delete
// would fail with "must detach all policies first".
func detachPatchedPolicies(ctx context.Context, c *verify.Clients, sys *constructs.System) error {
	cl, ok := c.IAM.(interface {
		DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	})
	if !ok {
		return nil
	}
	for _, ro := range sys.Roles {
		o, err := c.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(ro.Name)})
		if verify.APIErrorCode(err) == "NoSuchEntity" {
			continue // no such role
		}
		if err != nil {
			return err
		}
		for _, p := range o.AttachedPolicies {
			if !strings.HasPrefix(aws.ToString(p.PolicyArn), "arn:aws:iam::aws:policy/") {
				continue
			}
			if _, err := cl.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(ro.Name), PolicyArn: p.PolicyArn}); err != nil {
				return err
			}
		}
	}
	return nil
}
