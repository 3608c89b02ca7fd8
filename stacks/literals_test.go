// Package stacks_test holds the checks common to both renderers
// (stacks/cdktf, stacks/cdk): they translate the model and decide nothing.
package stacks_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
)

// renderers are the packages whose non-test sources must take every name,
// action, Sid and command from the model.
var renderers = []string{"cdktf", "cdk"}

// toolchainVocabulary lists literals that look like a model decision but are
// the toolchain's own words, each with the reason.
var toolchainVocabulary = map[string]string{
	// AWS CDK construct ids of imported views (Vpc_FromVpcAttributes): a
	// scope-local name, no resource.
	"Vpc": "construct id of the imported VPC view; adds no resource",
}

var (
	// actionShape is an IAM action: service prefix, colon, action name.
	actionShape = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9*]+$`)
	// commandShape is a shell command line or script of user data.
	commandShape = regexp.MustCompile(`(^#!)|s3://|(^|[\s;&|])(aws|install|chmod|chown|systemctl|useradd|curl|wget|cat)\s`)
)

// modelVocabulary is every ID and name the model decides, over the
// configurations that change which nodes exist.
func modelVocabulary(t testing.TB) (ids map[string]bool, nameParts []string) {
	t.Helper()
	ids = map[string]bool{}
	parts := map[string]bool{}
	for _, count := range []int{1, 2, 3} {
		cfg := constructs.Defaults()
		cfg.InstanceCount = count
		sys, err := constructs.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		name := func(n string) {
			// "<prefix>-images-{account}-<region>" -> "-images"
			rest, ok := strings.CutPrefix(n, sys.Prefix)
			if !ok || rest == "" {
				ids[n] = true
				return
			}
			seg := "-" + strings.SplitN(strings.TrimPrefix(rest, "-"), "-", 2)[0]
			parts[seg] = true
		}
		err = sys.Walk(func(n constructs.Node) error {
			ids[string(n.NodeID())] = true
			switch n := n.(type) {
			case *constructs.Bucket:
				name(n.Name)
			case *constructs.ArtifactStore:
				name(n.Bucket.Name)
			case *constructs.Table:
				name(n.Name)
			case *constructs.SecurityGroup:
				name(n.Name)
			case *constructs.Role:
				name(n.Name)
				ids[string(n.InstanceProfile)] = true
			case *constructs.ServerGroup:
				name(n.Name)
				name(n.NameTag)
				name(n.Template.Name)
				name(n.LaunchHook.Name)
				name(n.Scaling.Name)
				ids[string(n.Template.ID)] = true
			case *constructs.LoadBalancer:
				name(n.Name)
				name(n.TargetName)
				ids[string(n.Listener)], ids[string(n.TargetGroup)] = true, true
			case *constructs.Function:
				name(n.Name)
				ids[string(n.URL)] = true
			case *constructs.Subnet:
				ids[string(n.RouteTable)] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sys.Roles {
			for _, st := range s.Statements {
				ids[st.Sid] = true
			}
		}
		ids[sys.ServerService.Name] = true
	}
	delete(ids, "")
	for p := range parts {
		nameParts = append(nameParts, p)
	}
	sort.Strings(nameParts)
	return ids, nameParts
}

// finding is a literal a renderer decides by itself.
type finding struct {
	Pos, Literal, Why string
}

// literalFindings reports the string literals of files that name a model
// resource, an IAM action, a Sid or a shell command. Import paths, struct
// tags and the format strings of errors are not looked at.
func literalFindings(fset *token.FileSet, files []*ast.File, ids map[string]bool, nameParts []string) []finding {
	var out []finding
	report := func(lit *ast.BasicLit, why string) {
		s, _ := strconv.Unquote(lit.Value)
		if _, ok := toolchainVocabulary[s]; ok {
			return
		}
		p := fset.Position(lit.Pos())
		out = append(out, finding{Pos: fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line), Literal: s, Why: why})
	}
	for _, f := range files {
		skip := map[*ast.BasicLit]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec:
				skip[n.Path] = true
			case *ast.Field:
				if n.Tag != nil {
					skip[n.Tag] = true
				}
			case *ast.CallExpr:
				if isErrorCall(n) && len(n.Args) > 0 {
					if lit, ok := n.Args[0].(*ast.BasicLit); ok {
						skip[lit] = true
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Sid" {
					ast.Inspect(n.Value, func(v ast.Node) bool {
						if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							report(lit, "Sid")
							skip[lit] = true
						}
						return true
					})
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || skip[lit] {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			switch {
			case actionShape.MatchString(s):
				report(lit, "IAM action")
			case commandShape.MatchString(s):
				report(lit, "shell command")
			case ids[s]:
				report(lit, "model ID or name")
			case strings.Contains(s, constructs.AccountToken):
				report(lit, "name pattern")
			default:
				for _, p := range nameParts {
					if strings.HasSuffix(s, p) || strings.Contains(s, p+"-") {
						report(lit, "name pattern "+p)
						break
					}
				}
			}
			return true
		})
	}
	return out
}

// isErrorCall reports calls whose first argument is a message:
// fmt.Errorf, errors.New.
func isErrorCall(c *ast.CallExpr) bool {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	return (pkg.Name == "fmt" && sel.Sel.Name == "Errorf") || (pkg.Name == "errors" && sel.Sel.Name == "New")
}

func parseRenderer(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatalf("%s: no sources", dir)
	}
	return files
}

// TestRendererLiterals fails when a renderer names a resource, an IAM
// action, a Sid or a shell command of its own: those come from constructs.
func TestRendererLiterals(t *testing.T) {
	ids, parts := modelVocabulary(t)
	for _, dir := range renderers {
		t.Run(dir, func(t *testing.T) {
			fset := token.NewFileSet()
			for _, f := range literalFindings(fset, parseRenderer(t, fset, dir), ids, parts) {
				t.Errorf("%s: %q is a %s not taken from the model (move it to constructs, or to toolchainVocabulary with the reason)", f.Pos, f.Literal, f.Why)
			}
		})
	}
}

// TestRendererLiteralsCatchesInjected proves the check finds each kind of
// literal when one is added to a renderer's source.
func TestRendererLiteralsCatchesInjected(t *testing.T) {
	ids, parts := modelVocabulary(t)
	src, err := os.ReadFile(filepath.Join("cdktf", "render.go"))
	if err != nil {
		t.Fatal(err)
	}
	injected := string(src) + `
func injected() {
	_ = policyStatement{Sid: "Read" + "Binary", Actions: []string{"s3:GetObject"}}
	_ = "aws s3 cp s3://bucket/key /opt/twinstack/twinstack"
	_ = fmt.Sprintf("%s-artifacts-%s-%s", "p", "{account}", "r")
	_ = "ServerBinary"
	_ = fmt.Errorf("statement %s: ServerBinary", "x")
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "render.go", injected, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fd := range literalFindings(fset, []*ast.File{f}, ids, parts) {
		got = append(got, fd.Why+" "+fd.Literal)
	}
	want := []string{
		"Sid Read",
		"Sid Binary",
		"IAM action s3:GetObject",
		"shell command aws s3 cp s3://bucket/key /opt/twinstack/twinstack",
		"name pattern -artifacts %s-artifacts-%s-%s",
		"name pattern {account}",
		"model ID or name ServerBinary",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings in the injected source (-want +got):\n%s", diff)
	}
}
