package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
)

// TestLoadTFState checks the Terraform state settings' defaults and their
// precedence: file < environment < flags.
func TestLoadTFState(t *testing.T) {
	file := writeFile(t, `{"tf_state":"s3","tf_state_bucket":"acme-tfstate","tf_state_key":"from/file.tfstate","region":"eu-west-1"}`)
	s3 := func(bucket, key, region string) constructs.TerraformState {
		return constructs.TerraformState{Backend: "s3", Bucket: bucket, Key: key, Region: region, Encrypt: true, UseLockfile: true}
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want constructs.TerraformState
	}{
		{"default local", nil, nil, constructs.TerraformState{Backend: "local"}},
		{"s3 defaults: key from the stack, region from the stack", nil,
			map[string]string{"TWINSTACK_TF_STATE": "s3", "TWINSTACK_TF_STATE_BUCKET": "acme-tfstate", "TWINSTACK_STACK_NAME": "shop"},
			s3("acme-tfstate", "shop/terraform.tfstate", "us-east-1")},
		{"file", []string{"-config", file}, nil, s3("acme-tfstate", "from/file.tfstate", "eu-west-1")},
		{"env over file", []string{"-config", file},
			map[string]string{"TWINSTACK_TF_STATE_KEY": "from/env.tfstate", "TWINSTACK_TF_STATE_REGION": "eu-central-1"},
			s3("acme-tfstate", "from/env.tfstate", "eu-central-1")},
		{"flags over env", []string{"-config", file, "-tf-state-key", "from/flag.tfstate", "-tf-state-bucket", "other-state"},
			map[string]string{"TWINSTACK_TF_STATE_KEY": "from/env.tfstate"},
			s3("other-state", "from/flag.tfstate", "eu-west-1")},
		{"flag back to local", []string{"-tf-state", "local"}, map[string]string{"TWINSTACK_TF_STATE": "s3"}, constructs.TerraformState{Backend: "local"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.args, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.TFState); diff != "" {
				t.Errorf("TFState (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadTFStateErrors: every wrong Terraform state setting stops with one
// line naming it.
func TestLoadTFStateErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		mention string
	}{
		{"unknown backend", nil, map[string]string{"TWINSTACK_TF_STATE": "consul"}, "tf_state: consul: must be local or s3"},
		{"s3 without bucket", []string{"-tf-state", "s3"}, nil, "tf_state_bucket"},
		{"bucket upper case", []string{"-tf-state", "s3", "-tf-state-bucket", "Acme"}, nil, "tf_state_bucket: Acme"},
		{"bucket with dots", []string{"-tf-state", "s3", "-tf-state-bucket", "acme.state"}, nil, "tf_state_bucket: acme.state"},
		{"bucket too short", []string{"-tf-state", "s3", "-tf-state-bucket", "ab"}, nil, "tf_state_bucket: ab"},
		{"key leading slash", []string{"-tf-state", "s3", "-tf-state-bucket", "acme-tfstate", "-tf-state-key", "/x.tfstate"}, nil, "tf_state_key"},
		{"key empty segment", []string{"-tf-state", "s3", "-tf-state-bucket", "acme-tfstate", "-tf-state-key", "a//b"}, nil, "tf_state_key"},
		{"bad region", []string{"-tf-state", "s3", "-tf-state-bucket", "acme-tfstate", "-tf-state-region", "mars"}, nil, "tf_state_region: mars"},
		{"bucket with local state", nil, map[string]string{"TWINSTACK_TF_STATE_BUCKET": "acme-tfstate"}, "tf_state_bucket: acme-tfstate: only used with tf_state=s3"},
		{"file key typo", []string{"-config", writeFile(t, `{"tf_state_bukket":"x"}`)}, nil, "tf_state_bukket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if apperr.CodeOf(err) != apperr.InvalidConfig {
				t.Errorf("code = %s, want %s", apperr.CodeOf(err), apperr.InvalidConfig)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
}
