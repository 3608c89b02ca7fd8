package servergroup

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// AutoScalingAPI is what AWSGroup calls of Auto Scaling
// (*autoscaling.Client fits).
type AutoScalingAPI interface {
	DescribeAutoScalingGroups(context.Context, *autoscaling.DescribeAutoScalingGroupsInput, ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	SetInstanceHealth(context.Context, *autoscaling.SetInstanceHealthInput, ...func(*autoscaling.Options)) (*autoscaling.SetInstanceHealthOutput, error)
	TerminateInstanceInAutoScalingGroup(context.Context, *autoscaling.TerminateInstanceInAutoScalingGroupInput, ...func(*autoscaling.Options)) (*autoscaling.TerminateInstanceInAutoScalingGroupOutput, error)
}

// TargetGroupAPI is what AWSGroup calls of Elastic Load Balancing
// (*elasticloadbalancingv2.Client fits).
type TargetGroupAPI interface {
	DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
	DeregisterTargets(context.Context, *elb.DeregisterTargetsInput, ...func(*elb.Options)) (*elb.DeregisterTargetsOutput, error)
}

// AWSGroup is a Group through the AWS API (moto's, in the local cloud).
type AWSGroup struct {
	Name string
	AS   AutoScalingAPI
	ELB  TargetGroupAPI
	// EC2, when set, is what Conform calls; without it instances are not
	// compared with their launch template.
	EC2 EC2API

	mu           sync.Mutex
	targetGroups []string // from the last Describe
}

// Describe reads the group. A group that does not exist is an empty one
// (its servers stop), as after a destroy.
func (g *AWSGroup) Describe(ctx context.Context) (Snapshot, error) {
	out, err := g.AS.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{g.Name}})
	if err != nil {
		return Snapshot{}, fmt.Errorf("describe auto scaling group %s: %w", g.Name, err)
	}
	var snap Snapshot
	var tgs []string
	for _, grp := range out.AutoScalingGroups {
		if aws.ToString(grp.AutoScalingGroupName) != g.Name {
			continue
		}
		snap.Desired = int(aws.ToInt32(grp.DesiredCapacity))
		tgs = grp.TargetGroupARNs
		for _, in := range grp.Instances {
			x := Instance{ID: aws.ToString(in.InstanceId),
				LifecycleState: string(in.LifecycleState), HealthStatus: aws.ToString(in.HealthStatus)}
			// The instance's own record names its template version; the
			// group's (also inside a mixed instances policy) stands in
			// when it does not.
			spec := in.LaunchTemplate
			if spec == nil {
				spec = groupTemplate(grp)
			}
			if spec != nil && (aws.ToString(spec.LaunchTemplateId) != "" || aws.ToString(spec.LaunchTemplateName) != "") {
				x.Template = &TemplateRef{ID: aws.ToString(spec.LaunchTemplateId), Name: aws.ToString(spec.LaunchTemplateName), Version: aws.ToString(spec.Version)}
			}
			snap.Instances = append(snap.Instances, x)
		}
	}
	g.mu.Lock()
	g.targetGroups = tgs
	g.mu.Unlock()
	return snap, nil
}

// groupTemplate is the launch template the group launches from, also
// inside a mixed instances policy; nil for a launch configuration.
func groupTemplate(g astypes.AutoScalingGroup) *astypes.LaunchTemplateSpecification {
	if g.LaunchTemplate != nil {
		return g.LaunchTemplate
	}
	if m := g.MixedInstancesPolicy; m != nil && m.LaunchTemplate != nil {
		return m.LaunchTemplate.LaunchTemplateSpecification
	}
	return nil
}

// Replace is what Auto Scaling does with an instance its load balancer
// reports unhealthy (HealthCheckType ELB): mark it Unhealthy, terminate
// it, keep the desired capacity, so that a replacement is launched.
func (g *AWSGroup) Replace(ctx context.Context, id string) error {
	if _, err := g.AS.SetInstanceHealth(ctx, &autoscaling.SetInstanceHealthInput{InstanceId: aws.String(id),
		HealthStatus: aws.String("Unhealthy"), ShouldRespectGracePeriod: aws.Bool(false)}); err != nil {
		return fmt.Errorf("set instance health of %s: %w", id, err)
	}
	if _, err := g.AS.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(false)}); err != nil {
		return fmt.Errorf("terminate instance %s in its group: %w", id, err)
	}
	return nil
}

// Deregister deregisters from the group's target groups the instances
// not in keep.
func (g *AWSGroup) Deregister(ctx context.Context, keep []string) ([]string, error) {
	g.mu.Lock()
	tgs := slices.Clone(g.targetGroups)
	g.mu.Unlock()
	var gone []string
	for _, arn := range tgs {
		h, err := g.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
		if err != nil {
			return gone, fmt.Errorf("describe target health of %s: %w", arn, err)
		}
		var stale []elbtypes.TargetDescription
		for _, d := range h.TargetHealthDescriptions {
			if d.Target == nil || slices.Contains(keep, aws.ToString(d.Target.Id)) {
				continue
			}
			stale = append(stale, *d.Target)
		}
		if len(stale) == 0 {
			continue
		}
		if _, err := g.ELB.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(arn), Targets: stale}); err != nil {
			return gone, fmt.Errorf("deregister targets from %s: %w", arn, err)
		}
		for _, t := range stale {
			gone = append(gone, aws.ToString(t.Id))
		}
	}
	return gone, nil
}
