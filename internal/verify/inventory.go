package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/twinstack/twinstack/constructs"
)

// nodeTypes lists, for each model node that verify looks up, its
// CloudFormation and Terraform resource types.
func nodeTypes(sys *constructs.System) map[constructs.ID][2]string {
	m := map[constructs.ID][2]string{
		sys.Bucket.ID:       {"AWS::S3::Bucket", "aws_s3_bucket"},
		sys.ImagesTable.ID:  {"AWS::DynamoDB::Table", "aws_dynamodb_table"},
		sys.AlbumsTable.ID:  {"AWS::DynamoDB::Table", "aws_dynamodb_table"},
		sys.Network.VPC.ID:  {"AWS::EC2::VPC", "aws_vpc"},
		sys.Network.Gateway: {"AWS::EC2::InternetGateway", "aws_internet_gateway"},
		sys.Function.ID:     {"AWS::Lambda::Function", "aws_lambda_function"},
	}
	for _, g := range sys.Groups {
		m[g.ID] = [2]string{"AWS::EC2::SecurityGroup", "aws_security_group"}
	}
	for _, s := range sys.Network.Subnets {
		m[s.ID] = [2]string{"AWS::EC2::Subnet", "aws_subnet"}
		if s.RouteTable != "" {
			m[s.RouteTable] = [2]string{"AWS::EC2::RouteTable", "aws_route_table"}
		}
	}
	for _, r := range sys.Roles {
		m[r.ID] = [2]string{"AWS::IAM::Role", "aws_iam_role"}
		if r.InstanceProfile != "" {
			m[r.InstanceProfile] = [2]string{"AWS::IAM::InstanceProfile", "aws_iam_instance_profile"}
		}
	}
	m[sys.Servers.ID] = [2]string{"AWS::AutoScaling::AutoScalingGroup", "aws_autoscaling_group"}
	m[sys.Servers.Template.ID] = [2]string{"AWS::EC2::LaunchTemplate", "aws_launch_template"}
	m[sys.LoadBalancer.ID] = [2]string{"AWS::ElasticLoadBalancingV2::LoadBalancer", "aws_lb"}
	m[sys.LoadBalancer.TargetGroup] = [2]string{"AWS::ElasticLoadBalancingV2::TargetGroup", "aws_lb_target_group"}
	return m
}

// cdkHash is the 8-character suffix the AWS CDK appends to logical ids.
var cdkHash = regexp.MustCompile(`^[0-9A-F]{8}$`)

func matchID(id constructs.ID, logical string) bool {
	s := string(id)
	if logical == s {
		return true
	}
	return len(logical) == len(s)+8 && logical[:len(s)] == s && cdkHash.MatchString(logical[len(s):])
}

// StackResource is one resource of a CloudFormation stack.
type StackResource struct {
	LogicalID, PhysicalID, Type, Status string
}

// StackResources lists a stack's resources (DescribeStackResources, which
// emulators implement faithfully).
func StackResources(ctx context.Context, c CloudFormationAPI, stack string) ([]StackResource, error) {
	o, err := c.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("describe stack resources of %s: %w", stack, err)
	}
	var out []StackResource
	for _, r := range o.StackResources {
		out = append(out, StackResource{aws.ToString(r.LogicalResourceId), aws.ToString(r.PhysicalResourceId), aws.ToString(r.ResourceType), string(r.ResourceStatus)})
	}
	return out, nil
}

// InventoryFromStack maps model nodes to the physical ids of a
// CloudFormation stack's resources, matching logical ids (with or without
// the CDK's hash suffix) and resource types.
func InventoryFromStack(sys *constructs.System, rs []StackResource) map[constructs.ID]string {
	inv := map[constructs.ID]string{}
	for id, types := range nodeTypes(sys) {
		for _, r := range rs {
			if r.Type == types[0] && matchID(id, r.LogicalID) && r.PhysicalID != "" {
				inv[id] = r.PhysicalID
			}
		}
	}
	return inv
}

// InventoryFromTFState maps model nodes to the ids in a Terraform state
// file (format version 4), matching resource names and types. Load
// balancers and target groups map to their ARNs.
func InventoryFromTFState(sys *constructs.System, state []byte) (map[constructs.ID]string, error) {
	var st struct {
		Version   int `json:"version"`
		Resources []struct {
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(state, &st); err != nil {
		return nil, fmt.Errorf("terraform state: %w", err)
	}
	inv := map[constructs.ID]string{}
	for id, types := range nodeTypes(sys) {
		for _, r := range st.Resources {
			if r.Mode != "managed" || r.Type != types[1] || !matchID(id, r.Name) || len(r.Instances) == 0 {
				continue
			}
			attrs := r.Instances[0].Attributes
			key := "id"
			if r.Type == "aws_lb" || r.Type == "aws_lb_target_group" {
				key = "arn"
			}
			if v, ok := attrs[key].(string); ok && v != "" {
				inv[id] = v
			}
		}
	}
	return inv, nil
}

// StackOutputs reads a stack's outputs (which emulators may leave empty).
func StackOutputs(ctx context.Context, c CloudFormationAPI, stack string) (map[string]string, error) {
	o, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("describe stack %s: %w", stack, err)
	}
	out := map[string]string{}
	for _, s := range o.Stacks {
		for _, x := range s.Outputs {
			out[aws.ToString(x.OutputKey)] = aws.ToString(x.OutputValue)
		}
	}
	return out, nil
}
