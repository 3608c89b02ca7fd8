package verify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/constructs"
)

// goldenSystem is the model of a renderer golden's configuration file.
func goldenSystem(t *testing.T, dir string) *constructs.System {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := constructs.Defaults()
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	sys, err := constructs.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sys
}

// TestDeclaredFromTemplate reads the rolling update out of the AWS CDK
// renderer's golden templates (the input, as CloudFormation stores it):
// each says what the model of its configuration wants.
func TestDeclaredFromTemplate(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "stacks", "cdk", "testdata", "count*"))
	if len(dirs) == 0 {
		t.Fatal("no stacks/cdk goldens")
	}
	for _, dir := range dirs {
		sys := goldenSystem(t, dir)
		body, err := os.ReadFile(filepath.Join(dir, "want.template.json"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := DeclaredFromTemplate(sys, "s", string(body))
		if err != nil {
			t.Fatal(err)
		}
		if want := RollingText("cloudformation", sys.Servers.Rolling); d.Rolling != want {
			t.Errorf("%s: rolling %q, want %q", dir, d.Rolling, want)
		}
	}
	d, err := DeclaredFromTemplate(defaultSystemFor(t), "s", "Resources:\n  ServerGroup:\n    Type: AWS::AutoScaling::AutoScalingGroup\n")
	if err != nil || d.Rolling != "" {
		t.Errorf("a group without UpdatePolicy: %+v, %v", d, err)
	}
	if _, err := DeclaredFromTemplate(defaultSystemFor(t), "s", "Resources: [unclosed"); err == nil {
		t.Error("a template that does not parse: no error")
	}
}

func defaultSystemFor(t *testing.T) *constructs.System { return defaultSystem(t) }

// TestDeclaredFromTFState reads instance_refresh from a state as the AWS
// provider writes it (blocks are lists of objects).
func TestDeclaredFromTFState(t *testing.T) {
	sys := defaultSystem(t)
	state := `{"version":4,"resources":[{"mode":"managed","type":"aws_autoscaling_group","name":"ServerGroup","instances":[{"attributes":{
		"instance_refresh":[{"strategy":"Rolling","preferences":[{"min_healthy_percentage":100,"max_healthy_percentage":150,"instance_warmup":"60","skip_matching":false}],"triggers":[]}]}}]}]}`
	d, err := DeclaredFromTFState(sys, "t.tfstate", []byte(state))
	if err != nil {
		t.Fatal(err)
	}
	if want := RollingText("terraform", sys.Servers.Rolling); d.Rolling != want || !strings.Contains(d.Source, "t.tfstate") {
		t.Errorf("rolling %q from %q, want %q", d.Rolling, d.Source, want)
	}
	d, err = DeclaredFromTFState(sys, "t.tfstate", []byte(`{"version":4,"resources":[{"mode":"managed","type":"aws_autoscaling_group","name":"ServerGroup","instances":[{"attributes":{"instance_refresh":[]}}]}]}`))
	if err != nil || d.Rolling != "" {
		t.Errorf("no instance_refresh: %+v, %v", d, err)
	}
}

// TestRollingUpdateFromTheRecord: with the deployment tool's record the
// rolling-update check is a real comparison (ok, drift, missing); without
// one it is unverified.
func TestRollingUpdateFromTheRecord(t *testing.T) {
	sys := defaultSystem(t)
	id := "asg." + string(sys.Servers.ID) + ".rolling-update"
	for _, dep := range []string{"terraform", "cloudformation"} {
		want := RollingText(dep, sys.Servers.Rolling)
		for _, tc := range []struct {
			name     string
			declared *Declared
			status   Status
		}{
			{"the model's", &Declared{Source: "x", Rolling: want}, OK},
			{"another", &Declared{Source: "x", Rolling: strings.Replace(want, "1", "3", 1)}, Drift},
			{"none declared", &Declared{Source: "x"}, Missing},
			{"no record", nil, Unverified},
		} {
			rep := run(t, sys, conforming(sys), Options{Deployment: dep, Declared: tc.declared})
			x := byID(rep)[id]
			if x.Status != tc.status || x.Want != want {
				t.Errorf("%s, %s: %s", dep, tc.name, Line(x))
			}
		}
	}
}

func TestStackTemplate(t *testing.T) {
	w := conforming(defaultSystem(t))
	if _, err := StackTemplate(context.Background(), w, "s"); err == nil {
		t.Error("no template: no error")
	}
	w.template = "Resources: {}"
	if b, err := StackTemplate(context.Background(), w, "s"); err != nil || b != w.template {
		t.Errorf("template %q, %v", b, err)
	}
}
