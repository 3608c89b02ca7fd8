package constructs

import (
	"sort"
	"strings"
)

// AssumeRoleAction is the action a role's trust policy grants its service.
const AssumeRoleAction = "sts:AssumeRole"

// Actions the SSM agent calls to register the instance and serve Session
// Manager and Run Command: what AmazonSSMManagedInstanceCore grants minus
// every read of Parameter Store, documents, associations and inventory
// (ssm:GetParameter(s) on "*" would read every parameter in the account,
// SecureStrings included).
var ssmAgentActions = []string{
	"ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
	"ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
	"ssm:UpdateInstanceInformation",
	"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
	"ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
}

// SSMAgentActions returns the SSM agent's actions (a copy).
func SSMAgentActions() []string { return append([]string(nil), ssmAgentActions...) }

// wildcardOnly lists the actions the model grants on Resource "*", with
// the reason AWS leaves no narrower choice.
var wildcardOnly = map[string]string{
	"ec2messages:":                  "ec2messages actions have no resource types: AWS accepts only \"*\"",
	"ssmmessages:":                  "ssmmessages actions have no resource types: AWS accepts only \"*\"",
	"ssm:UpdateInstanceInformation": "the agent reports the status of whichever instance it runs on: the narrowest scope that works is every instance of the account in the region (arn:aws:ec2:<region>:<account>:instance/*), no real narrowing of \"*\" for this one action",
}

// WildcardReason reports why action may be granted on Resource "*", or
// ok=false when it must name its resources.
func WildcardReason(action string) (reason string, ok bool) {
	if r, ok := wildcardOnly[action]; ok {
		return r, true
	}
	if i := strings.Index(action, ":"); i > 0 {
		r, ok := wildcardOnly[action[:i+1]]
		return r, ok
	}
	return "", false
}

// WildcardOnly reports whether every action may be granted on Resource
// "*" (see WildcardReason); false for none.
func WildcardOnly(actions []string) bool {
	for _, a := range actions {
		if _, ok := WildcardReason(a); !ok {
			return false
		}
	}
	return len(actions) > 0
}

// WildcardActions lists the actions and service prefixes ("ssmmessages:")
// that WildcardReason accepts, sorted.
func WildcardActions() []string {
	out := make([]string, 0, len(wildcardOnly))
	for a := range wildcardOnly {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// AutoScalingGroupARN is the ARN pattern of the Auto Scaling group name
// in region; the account is AccountToken, which renderers replace.
func AutoScalingGroupARN(region, name string) string {
	return "arn:aws:autoscaling:" + region + ":" + AccountToken + ":autoScalingGroup:*:autoScalingGroupName/" + name
}

// serverStatements is the server role's inline policy: one statement per
// resource, each with only the actions the server's code calls on it (a
// test derives those from the code's client interfaces).
func serverStatements(s *System, ssmAccess bool) []Statement {
	images, albums := s.ImagesTable.ID, s.AlbumsTable.ID
	sts := []Statement{
		{
			// The upload manager's PutObject, CreateMultipartUpload,
			// UploadPart and CompleteMultipartUpload are all s3:PutObject;
			// it aborts failed multipart uploads. GetObject serves the
			// readiness probe and the presigned content URLs.
			// DeleteObjectVersion is rollback: a failed ingest removes
			// the exact version it wrote (in a versioned bucket a plain
			// DeleteObject only adds a delete marker), with DeleteObject
			// as the fallback when no version id came back.
			Sid:       "ImageObjects",
			Effect:    "Allow",
			Actions:   []string{"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:PutObject"},
			Resources: []Value{RefTo(s.Bucket.ID, AttrARN).Wrap("", "/"+ImagesPrefix+"*")},
		},
		{
			// Image items: one conditional PutItem per ingest; a keyed
			// repeat reads the item (its claim is the S3 object, so no
			// item is ever deleted).
			Sid:       "ImagesTable",
			Effect:    "Allow",
			Actions:   []string{"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"},
			Resources: []Value{RefTo(images, AttrARN)},
		},
		{
			// Listing images newest first reads the index, never the
			// table.
			Sid:       "ImagesListIndex",
			Effect:    "Allow",
			Actions:   []string{"dynamodb:Query"},
			Resources: []Value{RefTo(images, AttrARN).Wrap("", "/index/"+ListIndex)},
		},
		{
			Sid:       "AlbumsTable",
			Effect:    "Allow",
			Actions:   []string{"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"},
			Resources: []Value{RefTo(albums, AttrARN)},
		},
	}
	// User data completes its own instance's launch hook: CONTINUE once
	// the server is ready, ABANDON when the install failed. The group's
	// ARN has a generated id in it, hence the one wildcard segment.
	sts = append(sts, Statement{
		Sid:       "LaunchHook",
		Effect:    "Allow",
		Actions:   []string{"autoscaling:CompleteLifecycleAction"},
		Resources: []Value{Lit(AutoScalingGroupARN(s.Region, serverGroupNameASG(s.Prefix)))},
	})
	if ssmAccess {
		sts = append(sts, Statement{
			Sid:       "SSMAgent",
			Effect:    "Allow",
			Actions:   SSMAgentActions(),
			Resources: []Value{Lit("*")},
		})
	}
	return sts
}
