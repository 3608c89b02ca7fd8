package twinstack

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// module is this module's path; imports under it are the project's.
const module = "github.com/twinstack/twinstack"

// Third-party module paths the rules name.
const (
	awsSDK       = "github.com/aws/aws-sdk-go-v2"
	smithy       = "github.com/aws/smithy-go"
	awsCDK       = "github.com/aws/aws-cdk-go/awscdk/v2"
	cdktfLib     = "github.com/hashicorp/terraform-cdk-go/cdktf"
	cdkConstruct = "github.com/aws/constructs-go/constructs/v10"
	jsii         = "github.com/aws/jsii-runtime-go"
)

// importRule is what one package's non-test files may import besides the
// standard library: project packages (directories relative to the module
// root; "x/..." is x and everything under it) and third-party import-path
// prefixes (external; "*" is any, then minus deny).
type importRule struct {
	project  []string
	external []string
	deny     []string
}

// importRules is the table of allowed imports that each package's doc.go
// states in words (imports point inward, toward
// constructs and ingest; nothing imports cmd/ or app/). A key ending in
// "/..." covers the packages under it that have no key of their own. A new
// package needs a row here: its doc.go says what it must not import.
func importRules() map[string]importRule {
	return map[string]importRule{
		// The repository root embeds openapi.yaml; it imports nothing of the project.
		"": {},
		// The model: standard library only, never cdktf, awscdk or the AWS SDK.
		"constructs": {},
		// The renderers translate the model with their toolchain only; never each other.
		"stacks/cdktf": {project: []string{"constructs", "internal/config"}, external: []string{cdktfLib, cdkConstruct, jsii}},
		"stacks/cdk":   {project: []string{"constructs", "internal/config"}, external: []string{awsCDK, cdkConstruct, jsii}},
		// The apps wire configuration, model and one renderer.
		"app/cdktf": {project: []string{"constructs", "internal/config", "stacks/cdktf"}, external: []string{cdktfLib, cdkConstruct, jsii}},
		"app/cdk":   {project: []string{"constructs", "internal/config", "stacks/cdk"}, external: []string{awsCDK, cdkConstruct, jsii}},
		// The CLI wires flags to the internal packages; never the stacks' libraries.
		"cmd/twinstack": {
			project: []string{"", "constructs", "prices", "internal/apperr", "internal/artifact", "internal/bench",
				"internal/bench/run", "internal/config", "internal/cost", "internal/demo", "internal/diff", "internal/lbproxy",
				"internal/localcloud", "internal/localcloud/servergroup", "internal/origin", "internal/report", "internal/server", "internal/state",
				"internal/statebucket", "internal/toolenv", "internal/verify"},
			external: []string{awsSDK, smithy},
		},
		// The Lambda: no AWS SDK, no server packages.
		"lambda":          {project: []string{"internal/apperr", "internal/config", "lambda/relay"}, external: []string{"github.com/aws/aws-lambda-go/lambda"}},
		"lambda/relay":    {project: []string{"internal/apperr"}, external: []string{"github.com/aws/aws-lambda-go/events", "github.com/aws/aws-lambda-go/lambdacontext"}},
		"lambda/emulator": {},
		"deploy":          {},
		"prices":          {},
		// Leaves: standard library (and apperr) only.
		"internal/apperr":   {},
		"internal/ssrf":     {},
		"internal/emugaps":  {},
		"internal/lbproxy":  {},
		"internal/origin":   {},
		"internal/proc":     {},
		"internal/toolenv":  {},
		"internal/state":    {project: []string{"internal/apperr"}},
		"internal/artifact": {project: []string{"internal/apperr"}},
		"internal/cost":     {project: []string{"internal/apperr"}},
		"internal/config":   {project: []string{"constructs", "internal/apperr"}},
		// The server side: ingest knows the store, the server only HTTP; neither the CLI.
		"internal/ingest":            {project: []string{"constructs", "internal/apperr", "internal/ssrf"}, external: []string{awsSDK, smithy, "github.com/oklog/ulid/v2"}},
		"internal/ingest/ingesttest": {project: []string{"internal/ingest", "internal/apperr"}, external: []string{awsSDK, smithy}},
		"internal/albums":            {project: []string{"internal/apperr"}, external: []string{awsSDK, smithy}},
		"internal/server": {
			project:  []string{"", "constructs", "internal/albums", "internal/apperr", "internal/config", "internal/ingest", "internal/ssrf"},
			external: []string{awsSDK, smithy, "github.com/labstack/echo/v4", "github.com/prometheus/client_golang"},
		},
		// synth-diff: the standard library and its own packages; no cdk, cdktf or AWS code.
		"internal/diff/...": {project: []string{"internal/diff/..."}, external: []string{"*"}, deny: []string{awsSDK, awsCDK, cdktfLib, cdkConstruct, jsii}},
		// verify reads the AWS API against the model; never the stacks or the local cloud.
		// The YAML library reads the template CloudFormation stored for a stack
		// (JSON or, for a hand-written stack, YAML) for its rolling update.
		"internal/verify": {project: []string{"constructs", "internal/apperr", "internal/emugaps"}, external: []string{awsSDK, smithy, "github.com/goccy/go-yaml"}},
		"internal/moto":   {project: []string{"constructs", "internal/apperr"}, external: []string{awsSDK, smithy}},
		// The local cloud runs the CLIs; it never imports the stacks' libraries or cmd/.
		"internal/localcloud": {
			project: []string{"constructs", "internal/apperr", "internal/config", "internal/emugaps", "internal/moto",
				"internal/localcloud/servergroup", "internal/origin", "internal/proc", "internal/state", "internal/statebucket",
				"internal/toolenv", "internal/verify"},
			external: []string{awsSDK, smithy},
		},
		// The Auto Scaling group's stand-in: servers, balancer, the group through the AWS API.
		"internal/localcloud/servergroup": {project: []string{"internal/lbproxy", "internal/proc"}, external: []string{awsSDK, smithy}},
		// The Terraform state bucket, made before the stack: the model's
		// settings through the S3 API.
		"internal/statebucket": {project: []string{"constructs", "internal/apperr"}, external: []string{awsSDK, smithy}},
		// bench drives HTTP load; it does not know the server, the Lambda, the local cloud or report formats.
		"internal/bench": {
			project:  []string{"internal/apperr"},
			external: []string{awsSDK, "github.com/HdrHistogram/hdrhistogram-go", "github.com/mattn/go-isatty", "github.com/tsenart/vegeta/v12"},
		},
		// One bench run: targets, load, cost from the model, the report; never the local cloud.
		"internal/bench/run": {
			project:  []string{"constructs", "internal/apperr", "internal/bench", "internal/cost", "internal/report", "internal/state"},
			external: []string{awsSDK},
		},
		// report renders plain values: no transport, no AWS SDK, no local cloud.
		"internal/report": {project: []string{"internal/bench", "internal/cost"}},
		// demo runs twinstack subcommands as processes; it knows them by their flags.
		"internal/demo": {project: []string{"internal/apperr", "internal/state"}},
	}
}

// skipDir reports directories that hold no package of the module.
func skipDir(name string) bool {
	switch name {
	case "node_modules", "testdata", "cdk.out", "cdktf.out", "build", "bin", "vendor":
		return true
	}
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// packageImports reads the imports of the non-test Go files under root,
// by directory relative to root ("" for root itself).
func packageImports(root string) (map[string][]string, error) {
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		if _, ok := out[rel]; !ok {
			out[rel] = nil
		}
		for _, im := range f.Imports {
			ip, err := strconv.Unquote(im.Path.Value)
			if err != nil {
				return err
			}
			if !slices.Contains(out[rel], ip) {
				out[rel] = append(out[rel], ip)
			}
		}
		return nil
	})
	return out, err
}

// ruleFor finds the rule of package dir: its own row, else the nearest
// "x/..." row above it.
func ruleFor(rules map[string]importRule, dir string) (importRule, bool) {
	if r, ok := rules[dir]; ok {
		return r, true
	}
	for d := dir; d != "" && d != "."; d = path.Dir(d) {
		if r, ok := rules[d+"/..."]; ok {
			return r, true
		}
	}
	return importRule{}, false
}

// covers reports whether pattern (a directory, or "x/..." for x and
// below) covers dir.
func covers(pattern, dir string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return dir == base || strings.HasPrefix(dir, base+"/")
	}
	return pattern == dir
}

func hasPathPrefix(ip, prefix string) bool {
	return ip == prefix || strings.HasPrefix(ip, prefix+"/")
}

// importViolations checks every package under root against rules and
// returns one line per violation, sorted.
func importViolations(root string, rules map[string]importRule) ([]string, error) {
	pkgs, err := packageImports(root)
	if err != nil {
		return nil, err
	}
	var out []string
	for dir, imports := range pkgs {
		name := dir
		if name == "" {
			name = "(root)"
		}
		r, ok := ruleFor(rules, dir)
		if !ok {
			out = append(out, fmt.Sprintf("%s: no row in importRules (add one with the rule its doc.go states)", name))
			continue
		}
		for _, ip := range imports {
			first, _, _ := strings.Cut(ip, "/")
			switch {
			case ip == module || strings.HasPrefix(ip, module+"/"):
				target := strings.TrimPrefix(strings.TrimPrefix(ip, module), "/")
				if !slices.ContainsFunc(r.project, func(p string) bool { return covers(p, target) }) {
					out = append(out, fmt.Sprintf("%s: imports %s, which it must not", name, ip))
				}
			case !strings.Contains(first, "."):
				// the standard library
			default:
				allowed := slices.ContainsFunc(r.external, func(p string) bool { return p == "*" || hasPathPrefix(ip, p) })
				if slices.ContainsFunc(r.deny, func(p string) bool { return hasPathPrefix(ip, p) }) {
					allowed = false
				}
				if !allowed {
					out = append(out, fmt.Sprintf("%s: imports %s, which it must not", name, ip))
				}
			}
		}
	}
	for key := range rules {
		if _, ok := pkgs[key]; !ok && !strings.HasSuffix(key, "/...") {
			out = append(out, fmt.Sprintf("%s: row in importRules but no such package", key))
		}
	}
	sort.Strings(out)
	return out, nil
}

// TestImportBoundaries: every package imports only what its row of
// importRules (its doc.go's rule) allows.
func TestImportBoundaries(t *testing.T) {
	got, err := importViolations(".", importRules())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		t.Error(v)
	}
}

// TestImportBoundariesCatch: the check fails on a forbidden import (the
// AWS SDK in the model, the server in ssrf, one renderer in the other), on
// a package without a row and on a row without a package; test files and
// allowed imports pass.
func TestImportBoundariesCatch(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"openapi.go":             "package twinstack\nimport _ \"embed\"\n",
		"constructs/model.go":    "package constructs\nimport (\n\t\"strings\"\n\t_ \"github.com/aws/aws-sdk-go-v2/aws\"\n)\nvar _ = strings.ToUpper\n",
		"constructs/x_test.go":   "package constructs\nimport _ \"github.com/twinstack/twinstack/stacks/cdk\"\n",
		"internal/ssrf/ssrf.go":  "package ssrf\nimport _ \"github.com/twinstack/twinstack/internal/server\"\n",
		"internal/state/s.go":    "package state\nimport _ \"github.com/twinstack/twinstack/internal/apperr\"\n",
		"stacks/cdk/render.go":   "package cdk\nimport _ \"github.com/twinstack/twinstack/stacks/cdktf\"\n",
		"internal/diff/hcl/r.go": "package hcl\nimport (\n\t_ \"github.com/hashicorp/hcl/v2\"\n\t_ \"github.com/aws/aws-cdk-go/awscdk/v2\"\n)\n",
		"internal/newpkg/n.go":   "package newpkg\n",
		"node_modules/x/x.go":    "package x\nimport _ \"github.com/twinstack/twinstack/cmd/twinstack\"\n",
	}
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules := map[string]importRule{}
	for _, k := range []string{"", "constructs", "internal/ssrf", "internal/state", "stacks/cdk", "internal/diff/...", "internal/gone"} {
		r, ok := importRules()[k]
		if k != "internal/gone" && !ok {
			t.Fatalf("importRules has no row %q", k)
		}
		rules[k] = r
	}
	got, err := importViolations(root, rules)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"constructs: imports github.com/aws/aws-sdk-go-v2/aws, which it must not",
		"internal/diff/hcl: imports github.com/aws/aws-cdk-go/awscdk/v2, which it must not",
		"internal/gone: row in importRules but no such package",
		"internal/newpkg: no row in importRules (add one with the rule its doc.go states)",
		"internal/ssrf: imports github.com/twinstack/twinstack/internal/server, which it must not",
		"stacks/cdk: imports github.com/twinstack/twinstack/stacks/cdktf, which it must not",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("violations (-want +got):\n%s", d)
	}
}
