package constructs

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// acceptedManaged lists the AWS managed policies the model may attach,
// with why each is acceptable. The server role has none.
var acceptedManaged = map[ID]map[string]string{
	"FunctionRole": {
		// ec2:CreateNetworkInterface and friends accept only "*" (the
		// interface does not exist before the call).
		"service-role/AWSLambdaVPCAccessExecutionRole": "ENI management for a function in a VPC",
		"service-role/AWSLambdaBasicExecutionRole":     "writing the function's own logs",
	},
}

// TestNoWildcardUnlessAWSRequiresIt: no action pattern anywhere; Resource
// "*" only for actions AWS accepts on nothing else (WildcardReason);
// bucket access only under images/; no managed policy beyond the list.
func TestNoWildcardUnlessAWSRequiresIt(t *testing.T) {
	for _, ssm := range []bool{true, false} {
		for n := 1; n <= 2; n++ {
			s := mustNew(t, func(c *Config) { c.SSMAccess, c.InstanceCount = ssm, n })
			for _, r := range s.Roles {
				for _, st := range r.Statements {
					if st.Effect != "Allow" {
						continue
					}
					for _, a := range st.Actions {
						if strings.ContainsAny(a, "*?") {
							t.Errorf("%s/%s: action pattern %q", r.ID, st.Sid, a)
						}
					}
					for _, res := range st.Resources {
						if res.Ref == nil && strings.HasPrefix(res.Literal, "arn:aws:") {
							// An ARN the model builds (a name it chose, the
							// account token): its only wildcard may be the
							// group id Auto Scaling generates.
							rest := strings.Replace(res.Literal, ":autoScalingGroup:*:", ":autoScalingGroup:<id>:", 1)
							if strings.ContainsAny(rest, "*?") || !strings.Contains(rest, AccountToken) {
								t.Errorf("%s/%s: literal ARN %q is a pattern or names no account", r.ID, st.Sid, res.Literal)
							}
							continue
						}
						if res.Ref == nil {
							if res.Literal != "*" {
								t.Errorf("%s/%s: literal resource %q", r.ID, st.Sid, res.Literal)
							}
							for _, a := range st.Actions {
								if _, ok := WildcardReason(a); !ok {
									t.Errorf("%s/%s: %s on \"*\", which AWS does not require", r.ID, st.Sid, a)
								}
							}
							continue
						}
						if res.Ref.To == s.Bucket.ID && res.Suffix != "/"+ImagesPrefix+"*" {
							t.Errorf("%s/%s: bucket access beyond %s: %q", r.ID, st.Sid, ImagesPrefix, res.Suffix)
						}
					}
				}
				for _, m := range r.ManagedPolicies {
					if _, ok := acceptedManaged[r.ID][m]; !ok {
						t.Errorf("%s: managed policy %s is not on the accepted list", r.ID, m)
					}
				}
			}
		}
	}
}

func TestWildcardReason(t *testing.T) {
	for a, want := range map[string]bool{
		"ssmmessages:OpenDataChannel": true, "ec2messages:GetMessages": true, "ssm:UpdateInstanceInformation": true,
		"ssm:GetParameter": false, "ssm:GetParameters": false, "s3:GetObject": false, "dynamodb:Scan": false, "ssmmessages": false,
	} {
		if _, got := WildcardReason(a); got != want {
			t.Errorf("WildcardReason(%q) = %t, want %t", a, got, want)
		}
	}
}

func TestSSMAccess(t *testing.T) {
	stmt := func(s *System) *Statement {
		for i, st := range s.Role("ServerRole").Statements {
			if st.Sid == "SSMAgent" {
				return &s.Role("ServerRole").Statements[i]
			}
		}
		return nil
	}
	on := mustNew(t, nil)
	st := stmt(on)
	if st == nil {
		t.Fatal("ssm_access on (the default) grants the agent nothing")
	}
	// The agent's actions as AmazonSSMManagedInstanceCore lists them,
	// without its ssm:Get*/List*/Describe*/Put* reads and writes.
	want := []string{
		"ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage", "ec2messages:GetEndpoint",
		"ec2messages:GetMessages", "ec2messages:SendReply", "ssm:UpdateInstanceInformation",
		"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
	}
	if diff := cmp.Diff(want, st.Actions); diff != "" {
		t.Errorf("SSM agent actions (-want +got):\n%s", diff)
	}
	for _, s := range []*System{on, mustNew(t, func(c *Config) { c.SSMAccess = false })} {
		r := s.Role("ServerRole")
		if len(r.ManagedPolicies) != 0 {
			t.Errorf("server role attaches %v; AmazonSSMManagedInstanceCore grants ssm:GetParameter(s) on every parameter", r.ManagedPolicies)
		}
		for _, st := range r.Statements {
			if slices.Contains(st.Actions, "ssm:GetParameter") || slices.Contains(st.Actions, "ssm:GetParameters") {
				t.Errorf("%s grants Parameter Store reads", st.Sid)
			}
		}
	}
	if stmt(mustNew(t, func(c *Config) { c.SSMAccess = false })) != nil {
		t.Error("ssm_access=false still grants the agent")
	}
}

// TestOneStatementPerTable: the tables' statements name one table (or the
// list index) each, and the albums table is never updated, deleted from or
// queried.
func TestOneStatementPerTable(t *testing.T) {
	s := mustNew(t, nil)
	seen := map[string]string{}
	for _, st := range s.Role("ServerRole").Statements {
		for _, res := range st.Resources {
			if res.Ref == nil || (res.Ref.To != s.ImagesTable.ID && res.Ref.To != s.AlbumsTable.ID) {
				continue
			}
			if len(st.Resources) != 1 {
				t.Errorf("%s names %d resources, want one table or index", st.Sid, len(st.Resources))
			}
			k := string(res.Ref.To) + res.Suffix
			if other, ok := seen[k]; ok {
				t.Errorf("%s and %s both grant on %s", other, st.Sid, k)
			}
			seen[k] = st.Sid
			if res.Ref.To == s.AlbumsTable.ID {
				for _, a := range st.Actions {
					if a == "dynamodb:UpdateItem" || a == "dynamodb:DeleteItem" || a == "dynamodb:Query" {
						t.Errorf("albums statement grants %s", a)
					}
				}
			}
			if res.Ref.To == s.ImagesTable.ID && slices.Contains(st.Actions, "dynamodb:Scan") {
				t.Errorf("%s grants Scan on images", st.Sid)
			}
		}
	}
	if diff := cmp.Diff(map[string]string{"ImagesTable": "ImagesTable", "ImagesTable/index/by-created": "ImagesListIndex", "AlbumsTable": "AlbumsTable"}, seen); diff != "" {
		t.Errorf("statements by table (-want +got):\n%s", diff)
	}
}

func TestWildcardOnly(t *testing.T) {
	if !WildcardOnly(SSMAgentActions()) {
		t.Error("the SSM agent's actions need \"*\"")
	}
	if WildcardOnly(append(SSMAgentActions(), "ssm:GetParameters")) || WildcardOnly(nil) {
		t.Error("WildcardOnly accepts a statement with an action that can name its resources")
	}
}
