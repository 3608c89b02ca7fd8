package cdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
)

// projectRoot is the repository root (where cdk.json lives).
func projectRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("no caller information")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// cdkContext is the context of cdk.json, which the CLI hands to the app:
// in-process synths use the same feature flags.
func cdkContext(tb testing.TB) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(projectRoot(tb), "cdk.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var c struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		tb.Fatalf("cdk.json: %v", err)
	}
	return c.Context
}

// fakeRoot is a project root holding small stand-ins for the artifacts.
func fakeRoot(tb testing.TB) string {
	tb.Helper()
	root := tb.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "build"), 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, p := range []string{constructs.LambdaZipPath, constructs.ServerBinaryFile("x86_64"), constructs.ServerBinaryFile("arm64")} {
		if err := os.WriteFile(filepath.Join(root, p), []byte("stand-in for "+p+"\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

func noEnv(string) string { return "" }

// loadCase loads testdata/<name>/config.json the way the app loads a file.
func loadCase(tb testing.TB, name string) (config.Config, *constructs.System) {
	tb.Helper()
	cfg, err := config.Load([]string{"-config", filepath.Join("testdata", name, "config.json")}, noEnv)
	if err != nil {
		tb.Fatal(err)
	}
	sys, err := constructs.New(cfg.System)
	if err != nil {
		tb.Fatal(err)
	}
	return cfg, sys
}

// synthesized is one case rendered and synthesized once; subtests share it
// (jsii makes every synth cost seconds).
type synthesized struct {
	cfg   config.Config
	sys   *constructs.System
	stack awscdk.Stack
	tpl   assertions.Template
	file  string // the template file in the cloud assembly
	raw   []byte
	doc   map[string]any
}

func synth(tb testing.TB, cfg config.Config, sys *constructs.System, root string) *synthesized {
	tb.Helper()
	ctx := cdkContext(tb)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(tb.TempDir()), Context: &ctx})
	stack, err := New(app, cfg, sys, Options{Root: root})
	if err != nil {
		tb.Fatal(err)
	}
	// Template_FromStack synthesizes the app into its outdir.
	tpl := assertions.Template_FromStack(stack, nil)
	s := &synthesized{cfg: cfg, sys: sys, stack: stack, tpl: tpl}
	s.file = filepath.Join(*app.Outdir(), *stack.TemplateFile())
	if s.raw, err = os.ReadFile(s.file); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(s.raw, &s.doc); err != nil {
		tb.Fatal(err)
	}
	return s
}

var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// normalize is the golden form of a template: asset hashes (content and
// CDK-version dependent) replaced, keys sorted, two-space indent.
func normalize(raw []byte) ([]byte, error) {
	var doc any
	if err := json.Unmarshal(assetHash.ReplaceAll(raw, []byte("<hash>")), &doc); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// check runs an assertions call, which reports a mismatch by panicking.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s: %v", what, p)
		}
	}()
	f()
}

// resources returns the template's resources of type typ by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.doc["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func (s *synthesized) resource(t *testing.T, id, typ string) map[string]any {
	t.Helper()
	r, ok := s.doc["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("no resource %s", id)
	}
	if r["Type"] != typ {
		t.Fatalf("%s: type %v, want %s", id, r["Type"], typ)
	}
	return r
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// The test's own table of how CloudFormation refers to a model attribute;
// deliberately independent of the renderer's.
func wantRef(sys *constructs.System, r constructs.Ref) any {
	id := string(r.To)
	getAtt := func(a string) any { return map[string]any{"Fn::GetAtt": []any{id, a}} }
	switch r.Attr {
	case constructs.AttrARN:
		return getAtt("Arn")
	case constructs.AttrName:
		return map[string]any{"Ref": id}
	case constructs.AttrID:
		if sys.Group(r.To) != nil {
			return getAtt("GroupId")
		}
		return map[string]any{"Ref": id}
	case constructs.AttrFullName:
		switch r.To {
		case sys.LoadBalancer.ID:
			return getAtt("LoadBalancerFullName")
		case sys.LoadBalancer.TargetGroup:
			return getAtt("TargetGroupFullName")
		}
	case constructs.AttrDNSName:
		return getAtt("DNSName")
	case constructs.AttrURL:
		return getAtt("FunctionUrl")
	}
	panic(fmt.Sprintf("unknown attribute %s", r.Attr))
}

func wantValue(sys *constructs.System, v constructs.Value) any {
	if v.Ref == nil {
		text := v.Prefix + v.Literal + v.Suffix
		// The account is known at deploy time only.
		if strings.Contains(text, constructs.AccountToken) {
			return map[string]any{"Fn::Sub": strings.ReplaceAll(text, constructs.AccountToken, "${AWS::AccountId}")}
		}
		return text
	}
	ref := wantRef(sys, *v.Ref)
	if v.Prefix == "" && v.Suffix == "" {
		return ref
	}
	var parts []any
	if v.Prefix != "" {
		parts = append(parts, v.Prefix)
	}
	parts = append(parts, ref)
	if v.Suffix != "" {
		parts = append(parts, v.Suffix)
	}
	return map[string]any{"Fn::Join": []any{"", parts}}
}

// scalarOrList is how CDK writes IAM lists: one element alone.
func scalarOrList(vs []any) any {
	if len(vs) == 1 {
		return vs[0]
	}
	return vs
}

// wantStatement is the model statement as it must appear in the template.
func wantStatement(sys *constructs.System, s constructs.Statement) map[string]any {
	var actions, resources []any
	for _, a := range s.Actions {
		actions = append(actions, a)
	}
	for _, r := range s.Resources {
		resources = append(resources, wantValue(sys, r))
	}
	m := map[string]any{"Effect": s.Effect, "Action": scalarOrList(actions), "Resource": scalarOrList(resources)}
	if s.Sid != "" {
		m["Sid"] = s.Sid
	}
	if s.Principal != "" {
		m["Principal"] = s.Principal
	}
	if len(s.Condition) > 0 {
		c := map[string]any{}
		for op, kv := range s.Condition {
			inner := map[string]any{}
			for k, v := range kv {
				inner[k] = v
			}
			c[op] = inner
		}
		m["Condition"] = c
	}
	return m
}

func managedPolicyARN(name string) any {
	return map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":iam::aws:policy/" + name}}}
}
