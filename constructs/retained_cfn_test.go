package constructs_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
)

// cdkCases are the AWS CDK renderer's golden cases: a configuration and
// the template synthesized from it, the input this test reads.
const cdkCases = "../stacks/cdk/testdata"

// testAccount stands for the deploying account in the mapping.
const testAccount = "123456789012"

type cfnTemplate struct {
	Resources map[string]struct {
		Type           string         `json:"Type"`
		DeletionPolicy string         `json:"DeletionPolicy"`
		Properties     map[string]any `json:"Properties"`
	} `json:"Resources"`
}

// TestImportMappingMatchesRetainedResources checks the `cdk import`
// resource mapping against each golden CloudFormation template of
// stacks/cdk: it names exactly the resources whose DeletionPolicy is
// Retain, each by its type's primary identifier from the CloudFormation
// resource schemas cfn-lint ships (the property CloudFormation's import
// requires), with the value the template gives that property in the
// deploying account and region.
func TestImportMappingMatchesRetainedResources(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3 for cfn-lint's resource schemas")
	}
	dirs, err := filepath.Glob(filepath.Join(cdkCases, "*", "config.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under %s: %v", cdkCases, err)
	}
	type retainedResource struct{ id, typ string }
	var types []string
	seen := map[string]bool{}
	templates := map[string]cfnTemplate{}
	for _, cfgFile := range dirs {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(cfgFile), "want.template.json"))
		if err != nil {
			t.Fatal(err)
		}
		var tpl cfnTemplate
		if err := json.Unmarshal(b, &tpl); err != nil {
			t.Fatalf("%s: %v", cfgFile, err)
		}
		templates[cfgFile] = tpl
		for _, r := range tpl.Resources {
			if r.DeletionPolicy == "Retain" && !seen[r.Type] {
				seen[r.Type] = true
				types = append(types, r.Type)
			}
		}
	}
	if len(types) == 0 {
		t.Fatal("no golden template retains anything: the test would prove nothing")
	}
	ids := primaryIdentifiers(t, types)

	for _, cfgFile := range dirs {
		name := filepath.Base(filepath.Dir(cfgFile))
		t.Run(name, func(t *testing.T) {
			cfg, err := config.Load([]string{"-config", cfgFile}, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			sys, err := constructs.New(cfg.System)
			if err != nil {
				t.Fatal(err)
			}
			tpl := templates[cfgFile]
			want := map[string]map[string]string{}
			for id, r := range tpl.Resources {
				if r.DeletionPolicy != "Retain" {
					continue
				}
				want[id] = map[string]string{}
				for _, p := range ids[r.Type] {
					want[id][p] = resolve(t, r.Properties[p], sys.Region)
				}
			}
			got, err := sys.ImportMapping(testAccount)
			if len(want) == 0 {
				if err == nil {
					t.Fatalf("the template retains nothing, but the mapping is %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gotS := map[string]map[string]string{}
			for id, props := range got {
				gotS[string(id)] = props
			}
			if diff := cmp.Diff(want, gotS); diff != "" {
				t.Errorf("import mapping (-template +model):\n%s", diff)
			}
		})
	}
}

// primaryIdentifiers asks cfn-lint's CloudFormation resource schemas for
// each type's primaryIdentifier, as property names.
func primaryIdentifiers(t *testing.T, types []string) map[string][]string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		missing(t, "python3 (for cfn-lint's resource schemas): %v", err)
	}
	const script = `import json, sys
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER as m
print(json.dumps({t: m.get_resource_schema("us-east-1", t).schema["primaryIdentifier"] for t in sys.argv[1:]}))`
	out, err := exec.Command(py, append([]string{"-c", script}, types...)...).Output()
	if err != nil {
		missing(t, "cfn-lint's resource schemas (python3 -c 'import cfnlint'): %v", err)
	}
	var ptrs map[string][]string
	if err := json.Unmarshal(out, &ptrs); err != nil {
		t.Fatalf("schemas: %v: %s", err, out)
	}
	ids := map[string][]string{}
	for typ, ps := range ptrs {
		for _, p := range ps {
			prop, ok := strings.CutPrefix(p, "/properties/")
			if !ok || strings.Contains(prop, "/") {
				t.Fatalf("%s: primary identifier %q is not a top-level property", typ, p)
			}
			ids[typ] = append(ids[typ], prop)
		}
		sort.Strings(ids[typ])
	}
	for _, typ := range types {
		if len(ids[typ]) == 0 {
			t.Fatalf("no primary identifier for %s", typ)
		}
	}
	t.Logf("primary identifiers: %v", ids)
	return ids
}

// resolve evaluates a template value that names a resource: a string, or
// Fn::Sub / Fn::Join over the account, region and partition pseudo
// parameters.
func resolve(t *testing.T, v any, region string) string {
	t.Helper()
	pseudo := map[string]string{"AWS::AccountId": testAccount, "AWS::Region": region, "AWS::Partition": "aws"}
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if len(x) != 1 {
			break
		}
		if s, ok := x["Fn::Sub"].(string); ok {
			for k, val := range pseudo {
				s = strings.ReplaceAll(s, "${"+k+"}", val)
			}
			if strings.Contains(s, "${") {
				t.Fatalf("Fn::Sub with a reference this test cannot resolve: %q", s)
			}
			return s
		}
		if ref, ok := x["Ref"].(string); ok {
			if val, ok := pseudo[ref]; ok {
				return val
			}
		}
		if j, ok := x["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			parts, _ := j[1].([]any)
			var ss []string
			for _, p := range parts {
				ss = append(ss, resolve(t, p, region))
			}
			return strings.Join(ss, sep)
		}
	}
	t.Fatalf("cannot resolve the identifier value %v", v)
	return ""
}

// missing skips, or fails with TWINSTACK_REQUIRE_TOOLS=1 (CI).
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
