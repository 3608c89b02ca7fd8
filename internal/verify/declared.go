package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/goccy/go-yaml"

	"github.com/twinstack/twinstack/constructs"
)

// Declared is what only the deployment tool keeps, read from the tool's
// own record of the deployment: the template CloudFormation stored for the
// stack (GetTemplate), or the Terraform state. The group's rolling update
// lives only there — CloudFormation's UpdatePolicy and Terraform's
// instance_refresh are instructions to the tool, not settings of any AWS
// resource — so verify reads it from there; without a record the check is
// unverified, with the reason.
type Declared struct {
	// Source names the record ("CloudFormation template of stack x
	// (GetTemplate)", "Terraform state terraform.x.tfstate").
	Source string
	// Rolling is the group's rolling update as the record declares it,
	// in RollingText's form; "" when the record declares none.
	Rolling string
}

// The forms of a rolling update in a report, one per toolchain: the
// model's want and the record's got are written with the same one, so they
// compare as text.
const (
	cfnRolling = "MaxBatchSize %v, MinInstancesInService %v, PauseTime %v"
	tfRolling  = "instance refresh %v, min_healthy_percentage %v, max_healthy_percentage %v, instance_warmup %v"
)

// RollingText is how the rolling update reads in a report: the settings
// the deployment's toolchain has for it.
func RollingText(deployment string, ru constructs.RollingUpdate) string {
	if deployment == "cloudformation" {
		return fmt.Sprintf(cfnRolling, ru.MaxBatch, ru.MinInService, ru.PauseTime())
	}
	return fmt.Sprintf(tfRolling, "Rolling", ru.MinHealthyPercent, ru.MaxHealthyPercent, ru.PauseSec)
}

// DeclaredFromTemplate reads the group's UpdatePolicy from a stack's
// template (JSON or YAML, as GetTemplate returns it).
func DeclaredFromTemplate(sys *constructs.System, stack, body string) (*Declared, error) {
	var t struct {
		Resources map[string]struct {
			Type         string `yaml:"Type"`
			UpdatePolicy struct {
				Rolling *struct {
					MaxBatchSize          any `yaml:"MaxBatchSize"`
					MinInstancesInService any `yaml:"MinInstancesInService"`
					PauseTime             any `yaml:"PauseTime"`
				} `yaml:"AutoScalingRollingUpdate"`
			} `yaml:"UpdatePolicy"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal([]byte(body), &t); err != nil {
		return nil, fmt.Errorf("template of stack %s: %w", stack, err)
	}
	d := &Declared{Source: "CloudFormation template of stack " + stack + " (GetTemplate)"}
	for logical, res := range t.Resources {
		if res.Type != "AWS::AutoScaling::AutoScalingGroup" || !matchID(sys.Servers.ID, logical) || res.UpdatePolicy.Rolling == nil {
			continue
		}
		ru := res.UpdatePolicy.Rolling
		d.Rolling = fmt.Sprintf(cfnRolling, orNone(ru.MaxBatchSize), orNone(ru.MinInstancesInService), orNone(ru.PauseTime))
	}
	return d, nil
}

// DeclaredFromTFState reads the group's instance_refresh from a Terraform
// state file (format version 4).
func DeclaredFromTFState(sys *constructs.System, source string, state []byte) (*Declared, error) {
	var st struct {
		Resources []struct {
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				Attributes struct {
					InstanceRefresh []struct {
						Strategy    string `json:"strategy"`
						Preferences []struct {
							MinHealthy *int `json:"min_healthy_percentage"`
							MaxHealthy *int `json:"max_healthy_percentage"`
							// A string in the provider's schema, a number
							// in older states: either reads the same.
							Warmup any `json:"instance_warmup"`
						} `json:"preferences"`
					} `json:"instance_refresh"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(state, &st); err != nil {
		return nil, fmt.Errorf("terraform state: %w", err)
	}
	d := &Declared{Source: "Terraform state " + source}
	for _, r := range st.Resources {
		if r.Mode != "managed" || r.Type != "aws_autoscaling_group" || !matchID(sys.Servers.ID, r.Name) || len(r.Instances) == 0 {
			continue
		}
		for _, ir := range r.Instances[0].Attributes.InstanceRefresh {
			minH, maxH, warm := "none", "none", "none"
			for _, p := range ir.Preferences {
				if p.Warmup != nil && p.Warmup != "" {
					warm = fmt.Sprint(p.Warmup)
				}
				if p.MinHealthy != nil {
					minH = strconv.Itoa(*p.MinHealthy)
				}
				if p.MaxHealthy != nil {
					maxH = strconv.Itoa(*p.MaxHealthy)
				}
			}
			d.Rolling = fmt.Sprintf(tfRolling, ir.Strategy, minH, maxH, warm)
		}
	}
	return d, nil
}

// StackTemplate reads the template CloudFormation holds for a stack (the
// original, as submitted).
func StackTemplate(ctx context.Context, c CloudFormationAPI, stack string) (string, error) {
	o, err := c.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(stack), TemplateStage: cfntypes.TemplateStageOriginal})
	if err != nil {
		return "", fmt.Errorf("get template of stack %s: %w", stack, err)
	}
	return aws.ToString(o.TemplateBody), nil
}

func orNone(v any) any {
	if v == nil {
		return "none"
	}
	return v
}
