package constructs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
)

// The server's AWS calls are read from its code: every method of every
// interface declared in the packages `twinstack serve` links (embedded
// SDK interfaces such as manager.UploadAPIClient resolved from their own
// source) whose request is an S3 or DynamoDB *XInput. Each call is mapped
// to the IAM actions AWS evaluates for it (the Service Authorization
// Reference) and to the model resource it reaches. The server role must
// grant exactly that: nothing called is missing, nothing granted is unused.

const (
	module       = "github.com/twinstack/twinstack"
	sdkS3        = "github.com/aws/aws-sdk-go-v2/service/s3"
	sdkDynamoDB  = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	sdkDynamoTyp = "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sdkServices  = "github.com/aws/aws-sdk-go-v2/service/"
	// serverMain is the package `twinstack serve` runs.
	serverMain = module + "/internal/server"
)

// tableOf says which table the DynamoDB client of each package reaches
// (ingest is configured with the images table, albums with the albums
// table: internal/server/wire.go). A package that declares DynamoDB calls
// and is missing here fails the test.
var tableOf = map[string]constructs.ID{
	module + "/internal/ingest": "ImagesTable",
	module + "/internal/albums": "AlbumsTable",
}

// s3Object maps the S3 operations on objects to their IAM actions.
var s3Object = map[string][]string{
	"PutObject": {"s3:PutObject"}, "CreateMultipartUpload": {"s3:PutObject"}, "UploadPart": {"s3:PutObject"},
	"CompleteMultipartUpload": {"s3:PutObject"}, "AbortMultipartUpload": {"s3:AbortMultipartUpload"},
	"CopyObject": {"s3:GetObject", "s3:PutObject"}, "UploadPartCopy": {"s3:GetObject", "s3:PutObject"},
	"GetObject": {"s3:GetObject"}, "HeadObject": {"s3:GetObject"}, "SelectObjectContent": {"s3:GetObject"},
	"GetObjectAttributes": {"s3:GetObject", "s3:GetObjectAttributes"},
	"DeleteObject":        {"s3:DeleteObject"}, "DeleteObjects": {"s3:DeleteObject"},
	"ListParts": {"s3:ListMultipartUploadParts"}, "RestoreObject": {"s3:RestoreObject"},
	"GetObjectTagging": {"s3:GetObjectTagging"}, "PutObjectTagging": {"s3:PutObjectTagging"}, "DeleteObjectTagging": {"s3:DeleteObjectTagging"},
	"GetObjectAcl": {"s3:GetObjectAcl"}, "PutObjectAcl": {"s3:PutObjectAcl"},
	"GetObjectRetention": {"s3:GetObjectRetention"}, "PutObjectRetention": {"s3:PutObjectRetention"},
	"GetObjectLegalHold": {"s3:GetObjectLegalHold"}, "PutObjectLegalHold": {"s3:PutObjectLegalHold"},
	"RenameObject": {"s3:RenameObject"}, "GetObjectTorrent": {"s3:GetObjectTorrent"},
}

// s3Bucket maps S3 operations on the bucket itself to their IAM actions.
var s3Bucket = map[string][]string{
	"HeadBucket": {"s3:ListBucket"}, "ListObjects": {"s3:ListBucket"}, "ListObjectsV2": {"s3:ListBucket"},
	"ListObjectVersions": {"s3:ListBucketVersions"}, "ListMultipartUploads": {"s3:ListBucketMultipartUploads"},
	"GetBucketLocation": {"s3:GetBucketLocation"}, "GetBucketVersioning": {"s3:GetBucketVersioning"},
	"PutBucketVersioning": {"s3:PutBucketVersioning"}, "GetBucketPolicy": {"s3:GetBucketPolicy"},
	"PutBucketPolicy": {"s3:PutBucketPolicy"}, "DeleteBucketPolicy": {"s3:DeleteBucketPolicy"},
	"GetBucketEncryption": {"s3:GetEncryptionConfiguration"}, "PutBucketEncryption": {"s3:PutEncryptionConfiguration"},
	"GetBucketLifecycleConfiguration": {"s3:GetLifecycleConfiguration"}, "PutBucketLifecycleConfiguration": {"s3:PutLifecycleConfiguration"},
	"GetPublicAccessBlock": {"s3:GetBucketPublicAccessBlock"}, "PutPublicAccessBlock": {"s3:PutBucketPublicAccessBlock"},
	"GetBucketTagging": {"s3:GetBucketTagging"}, "PutBucketTagging": {"s3:PutBucketTagging"},
	"GetBucketAcl": {"s3:GetBucketAcl"}, "PutBucketAcl": {"s3:PutBucketAcl"},
	"GetBucketCors": {"s3:GetBucketCORS"}, "PutBucketCors": {"s3:PutBucketCORS"},
	"GetBucketNotificationConfiguration": {"s3:GetBucketNotification"}, "PutBucketNotificationConfiguration": {"s3:PutBucketNotification"},
	"DeleteBucket": {"s3:DeleteBucket"}, "CreateBucket": {"s3:CreateBucket"},
}

// dynamoByHand are DynamoDB operations whose IAM actions are not named
// after them; every other DynamoDB operation's action is its own name
// (dynamodb:GetItem for GetItem).
var dynamoByHand = map[string][]string{
	"TransactGetItems": {"dynamodb:GetItem"},
	// TransactWriteItems: derived from the item kinds the code builds.
	"ExecuteStatement": nil, "BatchExecuteStatement": nil, "ExecuteTransaction": nil, // PartiQL: by statement
}

type pkgInfo struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Standard   bool
}

// deps lists the packages serverMain links, by import path.
func deps(t *testing.T) map[string]*pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,GoFiles,Standard", serverMain)
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	m := map[string]*pkgInfo{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		m[p.ImportPath] = &p
	}
	return m
}

type parsedPkg struct {
	files []*ast.File
}

// call is one SDK operation a package's interfaces declare.
type call struct {
	pkg     string // declaring package of the outermost interface
	service string // SDK import path
	op      string // "PutObject"
}

type scanner struct {
	t      *testing.T
	fset   *token.FileSet
	pkgs   map[string]*pkgInfo
	parsed map[string]*parsedPkg
}

func (s *scanner) parse(path string) *parsedPkg {
	if p, ok := s.parsed[path]; ok {
		return p
	}
	info, ok := s.pkgs[path]
	if !ok {
		s.t.Fatalf("package %s is not among the server's dependencies", path)
	}
	p := &parsedPkg{}
	for _, f := range info.GoFiles {
		af, err := parser.ParseFile(s.fset, filepath.Join(info.Dir, f), nil, parser.SkipObjectResolution)
		if err != nil {
			s.t.Fatal(err)
		}
		p.files = append(p.files, af)
	}
	s.parsed[path] = p
	return p
}

// imports maps a file's import names to paths.
func imports(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		name := filepath.Base(path)
		if strings.HasPrefix(name, "v") && strings.Count(path, "/") > 2 {
			if _, err := strconv.Atoi(name[1:]); err == nil {
				name = filepath.Base(filepath.Dir(path))
			}
		}
		if im.Name != nil {
			name = im.Name.Name
		}
		m[name] = path
	}
	return m
}

// selector resolves pkg.Name in file f to (import path, Name).
func selector(e ast.Expr, imps map[string]string) (string, string, bool) {
	se, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", "", false
	}
	x, ok := se.X.(*ast.Ident)
	if !ok {
		return "", "", false
	}
	return imps[x.Name], se.Sel.Name, true
}

// methods returns the SDK calls of an interface type, resolving embedded
// interfaces of other packages.
func (s *scanner) methods(it *ast.InterfaceType, imps map[string]string, owner string, out map[call]bool) {
	for _, f := range it.Methods.List {
		switch typ := f.Type.(type) {
		case *ast.FuncType:
			if len(typ.Params.List) < 2 {
				continue
			}
			// The request is the second parameter (ctx first).
			var req ast.Expr
			n := 0
			for _, p := range typ.Params.List {
				k := len(p.Names)
				if k == 0 {
					k = 1
				}
				if n <= 1 && 1 < n+k {
					req = p.Type
				}
				n += k
			}
			star, ok := req.(*ast.StarExpr)
			if !ok {
				continue
			}
			path, name, ok := selector(star.X, imps)
			if !ok || !strings.HasPrefix(path, sdkServices) || !strings.HasSuffix(name, "Input") {
				continue
			}
			out[call{pkg: owner, service: path, op: strings.TrimSuffix(name, "Input")}] = true
		default:
			path, name, ok := selector(f.Type, imps)
			if !ok {
				// An interface of the same package: its own declaration is
				// scanned where it stands.
				continue
			}
			s.embedded(path, name, owner, out)
		}
	}
}

func (s *scanner) embedded(path, name, owner string, out map[call]bool) {
	for _, f := range s.parse(path).files {
		imps := imports(f)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, sp := range gd.Specs {
				ts, ok := sp.(*ast.TypeSpec)
				if !ok || ts.Name.Name != name {
					continue
				}
				if it, ok := ts.Type.(*ast.InterfaceType); ok {
					s.methods(it, imps, owner, out)
					return
				}
			}
		}
	}
	s.t.Fatalf("embedded interface %s.%s not found", path, name)
}

// literals records, per package, which keys the SDK request literals set.
type literals map[string][]map[string]string // "service.Type" -> one map of key -> value text per literal

func collectLiterals(f *ast.File, lits literals) {
	imps := imports(f)
	ast.Inspect(f, func(n ast.Node) bool {
		cl, ok := n.(*ast.CompositeLit)
		if !ok || cl.Type == nil {
			return true
		}
		if at, ok := cl.Type.(*ast.ArrayType); ok {
			// []types.TransactWriteItem{{Put: ...}}: the elements' type
			// is elided.
			elt := at.Elt
			if st, ok := elt.(*ast.StarExpr); ok {
				elt = st.X
			}
			for _, el := range cl.Elts {
				if u, ok := el.(*ast.UnaryExpr); ok {
					el = u.X
				}
				if inner, ok := el.(*ast.CompositeLit); ok && inner.Type == nil {
					record(elt, inner, imps, lits)
				}
			}
			return true
		}
		record(cl.Type, cl, imps, lits)
		return true
	})
}

func record(typ ast.Expr, cl *ast.CompositeLit, imps map[string]string, lits literals) {
	path, name, ok := selector(typ, imps)
	if !ok || !strings.HasPrefix(path, sdkServices) {
		return
	}
	keys := map[string]string{}
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok {
				keys[id.Name] = exprText(kv.Value)
			}
		}
	}
	lits[path+"."+name] = append(lits[path+"."+name], keys)
}

func exprText(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.CallExpr:
		if len(e.Args) == 1 {
			return exprText(e.Args[0])
		}
	case *ast.SelectorExpr:
		return exprText(e.X) + "." + e.Sel.Name
	case *ast.Ident:
		return e.Name
	case *ast.BasicLit:
		return e.Value
	}
	return "?"
}

// serverCalls returns every SDK call the server's own packages declare, and
// the request literals per package.
func serverCalls(t *testing.T) (map[call]bool, map[string]literals) {
	s := &scanner{t: t, fset: token.NewFileSet(), pkgs: deps(t), parsed: map[string]*parsedPkg{}}
	calls := map[call]bool{}
	lits := map[string]literals{}
	for path := range s.pkgs {
		if path != module && !strings.HasPrefix(path, module+"/") {
			continue
		}
		lits[path] = literals{}
		for _, f := range s.parse(path).files {
			imps := imports(f)
			collectLiterals(f, lits[path])
			ast.Inspect(f, func(n ast.Node) bool {
				if it, ok := n.(*ast.InterfaceType); ok {
					s.methods(it, imps, path, calls)
				}
				return true
			})
		}
	}
	return calls, lits
}

// grant is "action on resource" with the resource as node.attr+suffix.
func grant(action string, res constructs.Value) string {
	if res.Ref == nil {
		return action + " on " + res.Literal
	}
	return action + " on " + string(res.Ref.To) + "." + string(res.Ref.Attr) + res.Prefix + res.Suffix
}

// needed maps the calls to the grants they need. Errors name calls that no
// rule maps.
func needed(sys *constructs.System, calls map[call]bool, lits map[string]literals) (map[string][]string, error) {
	bucket := constructs.RefTo(sys.Bucket.ID, constructs.AttrARN)
	objects := bucket.Wrap("", "/"+constructs.ImagesPrefix+"*")
	out := map[string][]string{}
	var errs []error
	add := func(c call, actions []string, res constructs.Value) {
		for _, a := range actions {
			g := grant(a, res)
			out[g] = append(out[g], strings.TrimPrefix(c.pkg, module+"/")+" "+filepath.Base(c.service)+"."+c.op)
		}
	}
	for c := range calls {
		pl := lits[c.pkg]
		withKey := func(typ, key string) (with, without bool) {
			for _, l := range pl[c.service+"."+typ] {
				if _, ok := l[key]; ok {
					with = true
				} else {
					without = true
				}
			}
			return with, with == false || without
		}
		switch c.service {
		case sdkS3:
			if acts, ok := s3Object[c.op]; ok {
				switch c.op {
				case "DeleteObject", "GetObject":
					// A request naming a version needs the ...Version action.
					if with, without := withKey(c.op+"Input", "VersionId"); with {
						add(c, []string{acts[0] + "Version"}, objects)
						if !without {
							continue
						}
					}
				}
				add(c, acts, objects)
				continue
			}
			if acts, ok := s3Bucket[c.op]; ok {
				add(c, acts, bucket)
				continue
			}
			errs = append(errs, fmt.Errorf("%s: s3.%s has no IAM mapping in this test: add it from the Service Authorization Reference", c.pkg, c.op))
		case sdkDynamoDB:
			table, ok := tableOf[c.pkg]
			if !ok {
				errs = append(errs, fmt.Errorf("%s declares dynamodb.%s but the test does not know which table its client reaches: add it to tableOf", c.pkg, c.op))
				continue
			}
			tableARN := constructs.RefTo(table, constructs.AttrARN)
			switch c.op {
			case "TransactWriteItems":
				kinds := map[string]string{"Put": "dynamodb:PutItem", "Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem", "ConditionCheck": "dynamodb:ConditionCheckItem"}
				var acts []string
				for _, l := range pl[sdkDynamoTyp+".TransactWriteItem"] {
					for k := range l {
						acts = append(acts, kinds[k])
					}
				}
				if len(acts) == 0 {
					errs = append(errs, fmt.Errorf("%s: TransactWriteItems without a types.TransactWriteItem literal to read the item kinds from", c.pkg))
				}
				add(c, acts, tableARN)
				continue
			case "Query", "Scan":
				// A request naming an index reads the index only.
				with, without := withKey(c.op+"Input", "IndexName")
				if with {
					for _, l := range pl[c.service+"."+c.op+"Input"] {
						if ix, ok := l["IndexName"]; ok {
							name := strings.TrimPrefix(ix, "constructs.")
							if name == "ListIndex" {
								name = constructs.ListIndex
							}
							add(c, []string{"dynamodb:" + c.op}, tableARN.Wrap("", "/index/"+strings.Trim(name, `"`)))
						}
					}
				}
				if without {
					add(c, []string{"dynamodb:" + c.op}, tableARN)
				}
				continue
			}
			if acts, ok := dynamoByHand[c.op]; ok {
				if acts == nil {
					errs = append(errs, fmt.Errorf("%s: dynamodb.%s (PartiQL) needs its actions derived by hand", c.pkg, c.op))
				}
				add(c, acts, tableARN)
				continue
			}
			add(c, []string{"dynamodb:" + c.op}, tableARN)
		default:
			errs = append(errs, fmt.Errorf("%s declares %s.%s: a service this test does not map to IAM actions", c.pkg, filepath.Base(c.service), c.op))
		}
	}
	return out, errors.Join(errs...)
}

// granted lists the server role's grants, leaving out the SSM agent's
// statement (the agent calls it, not the server).
func granted(sys *constructs.System) map[string]string {
	out := map[string]string{}
	for _, st := range sys.Role("ServerRole").Statements {
		if st.Effect != "Allow" || st.Sid == "SSMAgent" {
			continue
		}
		for _, a := range st.Actions {
			for _, r := range st.Resources {
				out[grant(a, r)] = st.Sid
			}
		}
	}
	return out
}

func TestServerRoleGrantsExactlyWhatTheCodeCalls(t *testing.T) {
	calls, lits := serverCalls(t)
	if len(calls) == 0 {
		t.Fatal("no SDK calls found: the scan is broken")
	}
	sys, err := constructs.New(constructs.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	need, err := needed(sys, calls, lits)
	if err != nil {
		t.Fatal(err)
	}
	for g, by := range userDataCalls(t, sys) {
		need[g] = append(need[g], by...)
	}
	have := granted(sys)
	var missing, unused []string
	for g, by := range need {
		if _, ok := have[g]; !ok {
			sort.Strings(by)
			missing = append(missing, g+" (called by "+strings.Join(by, ", ")+")")
		}
	}
	for g, sid := range have {
		if _, ok := need[g]; !ok {
			unused = append(unused, g+" (statement "+sid+")")
		}
	}
	sort.Strings(missing)
	sort.Strings(unused)
	if len(missing) > 0 {
		t.Errorf("the server calls what its role does not grant:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(unused) > 0 {
		t.Errorf("the role grants what the server never calls:\n  %s", strings.Join(unused, "\n  "))
	}
	if testing.Verbose() {
		var gs []string
		for g := range need {
			gs = append(gs, g)
		}
		sort.Strings(gs)
		t.Logf("derived grants:\n  %s", strings.Join(gs, "\n  "))
	}
}

// TestCallMappingFailsOnChange: the derivation notices a call added to the
// code and a grant nothing calls (so the test above can fail).
func TestCallMappingFailsOnChange(t *testing.T) {
	sys, err := constructs.New(constructs.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	calls, lits := serverCalls(t)
	calls[call{pkg: module + "/internal/albums", service: sdkDynamoDB, op: "DeleteItem"}] = true
	need, err := needed(sys, calls, lits)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := granted(sys)["dynamodb:DeleteItem on AlbumsTable.arn"]; ok {
		t.Fatal("the model grants DeleteItem on albums, which the server never calls")
	}
	if _, ok := need["dynamodb:DeleteItem on AlbumsTable.arn"]; !ok {
		t.Error("an added albums DeleteItem call needs no grant")
	}
	calls[call{pkg: module + "/internal/albums", service: sdkServices + "sqs", op: "SendMessage"}] = true
	if _, err := needed(sys, calls, lits); err == nil || !strings.Contains(err.Error(), "SendMessage") {
		t.Errorf("an unmapped service passes: %v", err)
	}
	calls = map[call]bool{{pkg: module + "/internal/server", service: sdkDynamoDB, op: "GetItem"}: true}
	if _, err := needed(sys, calls, lits); err == nil || !strings.Contains(err.Error(), "tableOf") {
		t.Errorf("a DynamoDB call of a package without a known table passes: %v", err)
	}
}

// TestDeleteObjectVersionIsRollbackOnly: the role may erase history only
// because the code deletes only the exact version a failed ingest wrote.
func TestDeleteObjectVersionIsRollbackOnly(t *testing.T) {
	_, lits := serverCalls(t)
	var found []map[string]string
	for pkg, l := range lits {
		for _, keys := range l[sdkS3+".DeleteObjectInput"] {
			if _, ok := keys["VersionId"]; ok {
				found = append(found, keys)
				if pkg != module+"/internal/ingest" {
					t.Errorf("%s deletes object versions; only ingest's rollback may", pkg)
				}
			}
		}
	}
	// Three places, each removing a version no item refers to: a failed
	// ingest's own upload (deleteVersion, deleteObject) and what a crashed
	// owner left under a taken-over claim (takeOverObject). A new one must
	// be reviewed here.
	if diff := cmp.Diff(3, len(found)); diff != "" {
		t.Errorf("DeleteObject with a VersionId (-want +got):\n%s", diff)
	}
}

// userDataCLI matches an AWS CLI call in user data: service, command and
// the Auto Scaling group it names.
var userDataCLI = regexp.MustCompile(`aws (autoscaling) ([a-z-]+) [^;]*--auto-scaling-group-name (\S+)`)

// userDataCalls derives the grants the instance's user data needs from
// the AWS CLI calls in the script the model renders (the binary download
// is the artifact store's read, granted through ReadsArtifact, and is not
// an `aws autoscaling` call).
func userDataCalls(t *testing.T, sys *constructs.System) map[string][]string {
	script := sys.UserData("BUCKET", "KEY", func(v constructs.Value) string { return "VALUE" })
	ms := userDataCLI.FindAllStringSubmatch(script, -1)
	if len(ms) == 0 {
		t.Fatal("user data calls no `aws autoscaling`: the launch hook is never completed, or this scan is broken")
	}
	out := map[string][]string{}
	for _, m := range ms {
		var action strings.Builder
		for _, w := range strings.Split(m[2], "-") {
			action.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
		g := grant(m[1]+":"+action.String(), constructs.Lit(constructs.AutoScalingGroupARN(sys.Region, m[3])))
		out[g] = append(out[g], "user data: aws "+m[1]+" "+m[2])
	}
	return out
}
