package cdktf

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	cdkconstructs "github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
)

// Provider pins: the hashicorp/aws version the offline provider mirror holds.
const (
	ProviderSource  = "hashicorp/aws"
	ProviderVersion = "5.100.0"
)

// ErrMissingArtifact reports that a built artifact (the server binary, the
// Lambda zip) is not where the model says; `make build` makes them.
var ErrMissingArtifact = errors.New("artifact not built (run `make build`)")

// Options are the renderer's settings besides the configuration.
type Options struct {
	// Root is the project root: the model's artifact paths
	// (build/lambda.zip, build/server-linux-amd64) are relative to it.
	// Empty means the current directory.
	Root string
}

// NewApp returns a cdktf App that writes to outdir (empty: cdktf's default,
// $CDKTF_OUTDIR or cdktf.out). Validation is skipped because the aws
// provider is declared by a stack override rather than a provider construct,
// which cdktf's validation would reject.
func NewApp(outdir string) cdktf.App {
	cfg := &cdktf.AppConfig{SkipValidation: jsii.Bool(true)}
	if outdir != "" {
		cfg.Outdir = jsii.String(outdir)
	}
	return cdktf.NewApp(cfg)
}

// New adds the stack cfg.StackName describing sys to scope (normally an App
// from NewApp). It returns an error, not a panic, for a model it cannot
// render or a missing artifact.
func New(scope cdkconstructs.Construct, cfg config.Config, sys *constructs.System, opts Options) (stack cdktf.TerraformStack, err error) {
	if sys == nil {
		return nil, errors.New("terraform stack: no system")
	}
	if cfg.StackName == "" {
		return nil, errors.New("terraform stack: no stack name")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("terraform stack: project root: %w", err)
	}
	// jsii reports errors of the JavaScript side (duplicate construct ids,
	// unreadable assets) as panics.
	defer func() {
		if p := recover(); p != nil {
			stack, err = nil, fmt.Errorf("terraform stack: cdktf: %v", p)
		}
	}()
	r := &renderer{
		sys:      sys,
		cfg:      cfg,
		root:     root,
		types:    map[constructs.ID]string{},
		assets:   map[constructs.ID]cdktf.TerraformAsset{},
		amis:     map[string]string{},
		parts:    map[constructs.ID][]string{},
		released: map[constructs.ID]bool{},
	}
	if sys.Handover == constructs.Release {
		for _, k := range sys.Retained() {
			r.released[k.ID] = true
		}
	}
	r.stack = cdktf.NewTerraformStack(scope, jsii.String(cfg.StackName))
	if err := r.render(); err != nil {
		return nil, fmt.Errorf("terraform stack: %w", err)
	}
	return r.stack, nil
}

// renderer holds the state of one translation.
type renderer struct {
	stack cdktf.TerraformStack
	sys   *constructs.System
	cfg   config.Config
	root  string // absolute project root

	types  map[constructs.ID]string // model node id -> Terraform type of its main resource
	assets map[constructs.ID]cdktf.TerraformAsset
	amis   map[string]string // SSM parameter -> data source name
	// store is the model's artifact store, once visited.
	store *constructs.ArtifactStore
	// parts are the addresses of each node's resources, in the order
	// they are rendered: what a handover block names.
	parts map[constructs.ID][]string
	// released are the nodes this deploy gives up (Handover Release):
	// their resources are left out, references to them read data sources.
	released map[constructs.ID]bool
}

// Names of the renderer's own data sources and resources (not model nodes).
const (
	dataAccount   = "current"
	dataPartition = "current"
	dataZones     = "available"
)

func (r *renderer) render() error {
	r.backend()
	r.provider()
	if err := r.declare(); err != nil {
		return err
	}
	r.data("aws_caller_identity", dataAccount, callerIdentity{})
	r.data("aws_partition", dataPartition, awsPartition{})
	r.data("aws_availability_zones", dataZones, availabilityZones{State: "available",
		Filter: []zoneFilter{{Name: "opt-in-status", Values: []string{constructs.ZoneOptIn}}}})
	if err := r.sys.Walk(r.visit); err != nil {
		return err
	}
	return r.handover()
}

// handover writes the top-level blocks of the model's Handover for every
// resource of every retained node: `removed` (destroy = false) when the
// deploy releases them, `import` (id: the node's name, which is what the
// AWS provider imports a bucket, each of its bucket-level resources and a
// table by) when it adopts them.
func (r *renderer) handover() error {
	if r.sys.Handover == constructs.Manage {
		return nil
	}
	var removed []removedBlock
	var imports []importBlock
	for _, k := range r.sys.Retained() {
		addrs := r.parts[k.ID]
		if len(addrs) == 0 {
			return fmt.Errorf("retained node %q rendered no resource", k.ID)
		}
		for _, a := range addrs {
			switch r.sys.Handover {
			case constructs.Release:
				removed = append(removed, removedBlock{From: a, Lifecycle: removedLifecycle{Destroy: false}})
			case constructs.Adopt:
				imports = append(imports, importBlock{To: a, ID: r.name(k.Name)})
			default:
				return fmt.Errorf("unsupported handover %q", r.sys.Handover)
			}
		}
	}
	if len(removed) > 0 {
		r.stack.AddOverride(jsii.String("removed"), toValue(removed))
	}
	if len(imports) > 0 {
		r.stack.AddOverride(jsii.String("import"), toValue(imports))
	}
	return nil
}

// backend configures where Terraform keeps state: a local file at a
// relative path, or the model's S3 backend (encrypted, native lock file);
// with the local switch the S3 backend points at the endpoint, path-style.
func (r *renderer) backend() {
	st := r.cfg.TFState
	if !st.Remote() {
		cdktf.NewLocalBackend(r.stack, &cdktf.LocalBackendConfig{
			Path: jsii.String("../../../terraform." + r.cfg.StackName + ".tfstate"),
		})
		return
	}
	c := &cdktf.S3BackendConfig{
		Bucket:  jsii.String(st.Bucket),
		Key:     jsii.String(st.Key),
		Region:  jsii.String(st.Region),
		Encrypt: jsii.Bool(st.Encrypt),
	}
	if ep := r.cfg.Endpoint; ep != "" {
		c.AccessKey, c.SecretKey = jsii.String("test"), jsii.String("test")
		c.UsePathStyle = jsii.Bool(true)
		c.SkipCredentialsValidation = jsii.Bool(true)
		c.SkipMetadataApiCheck = jsii.Bool(true)
		c.SkipRegionValidation = jsii.Bool(true)
		c.SkipRequestingAccountId = jsii.Bool(true)
		c.Endpoints = &cdktf.S3BackendEndpointConfig{S3: jsii.String(ep), Sts: jsii.String(ep)}
	}
	cdktf.NewS3Backend(r.stack, c)
	// cdktf 0.21's S3BackendConfig predates use_lockfile (Terraform 1.10).
	r.stack.AddOverride(jsii.String("terraform.backend.s3.use_lockfile"), st.UseLockfile)
}

// provider declares hashicorp/aws and its configuration; with the local
// switch it points every service the stack uses at the endpoint.
func (r *renderer) provider() {
	r.stack.AddOverride(jsii.String("terraform.required_providers"), map[string]any{
		"aws": toValue(requiredProvider{Source: ProviderSource, Version: ProviderVersion}),
	})
	p := awsProvider{Region: r.sys.Region}
	if ep := r.cfg.Endpoint; ep != "" {
		no := false
		p.AccessKey, p.SecretKey = "test", "test"
		p.S3UsePathStyle = true
		p.SkipCredentialsValidation = true
		p.SkipMetadataAPICheck = true
		p.SkipRegionValidation = true
		// true makes security-group rules diff forever on moto.
		p.SkipRequestingAccountID = &no
		p.Endpoints = []awsEndpoints{{
			Autoscaling: ep, DynamoDB: ep, EC2: ep, ELBv2: ep, IAM: ep, Lambda: ep, Logs: ep, S3: ep, SSM: ep, STS: ep,
		}}
	}
	r.stack.AddOverride(jsii.String("provider.aws"), []any{toValue(p)})
}

// declare records the Terraform type behind every node id that other nodes
// may refer to, so that references can be resolved in any visit order
// (security groups refer to each other).
func (r *renderer) declare() error {
	set := func(id constructs.ID, typ string) error {
		if id == "" {
			return nil
		}
		if old, ok := r.types[id]; ok {
			return fmt.Errorf("node id %q used twice (%s, %s)", id, old, typ)
		}
		r.types[id] = typ
		return nil
	}
	return r.sys.Walk(func(n constructs.Node) error {
		var errs []error
		switch n := n.(type) {
		case *constructs.Bucket:
			errs = append(errs, set(n.ID, "aws_s3_bucket"))
		case *constructs.Table:
			errs = append(errs, set(n.ID, "aws_dynamodb_table"))
		case *constructs.VPC:
			errs = append(errs, set(n.ID, "aws_vpc"))
		case *constructs.InternetGateway:
			errs = append(errs, set(n.ID, "aws_internet_gateway"))
		case *constructs.Subnet:
			errs = append(errs, set(n.ID, "aws_subnet"), set(n.RouteTable, "aws_route_table"))
		case *constructs.SecurityGroup:
			errs = append(errs, set(n.ID, "aws_security_group"))
		case *constructs.ArtifactStore:
			errs = append(errs, set(n.Bucket.ID, "aws_s3_bucket"))
		case *constructs.Artifact:
			errs = append(errs, set(n.ID, "artifact"))
		case *constructs.Role:
			errs = append(errs, set(n.ID, "aws_iam_role"), set(n.InstanceProfile, "aws_iam_instance_profile"))
		case *constructs.ServerGroup:
			errs = append(errs, set(n.ID, "aws_autoscaling_group"), set(n.Template.ID, "aws_launch_template"))
		case *constructs.LoadBalancer:
			errs = append(errs, set(n.ID, "aws_lb"), set(n.Listener, "aws_lb_listener"), set(n.TargetGroup, "aws_lb_target_group"))
		case *constructs.Function:
			errs = append(errs, set(n.ID, "aws_lambda_function"), set(n.URL, "aws_lambda_function_url"))
		}
		return errors.Join(errs...)
	})
}

// attr is the Terraform expression (without ${}) of attribute a of node id.
func (r *renderer) attr(id constructs.ID, a constructs.Attr) (string, error) {
	typ, ok := r.types[id]
	if !ok {
		return "", fmt.Errorf("reference to unknown node %q", id)
	}
	name, ok := attrName(typ, a)
	if !ok {
		return "", fmt.Errorf("reference to %s of %s %q: not supported", a, typ, id)
	}
	if r.released[id] {
		// The data source of a released bucket or table has the
		// resource's attributes under the same names.
		return "data." + typ + "." + string(id) + "." + name, nil
	}
	return typ + "." + string(id) + "." + name, nil
}

// attrName maps a model attribute to the attribute of a Terraform type.
func attrName(typ string, a constructs.Attr) (string, bool) {
	switch a {
	case constructs.AttrID:
		switch typ {
		case "aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_security_group", "aws_route_table",
			"aws_s3_bucket", "aws_s3_object", "aws_dynamodb_table", "aws_iam_role", "aws_launch_template":
			return "id", true
		}
	case constructs.AttrARN:
		switch typ {
		case "aws_s3_bucket", "aws_dynamodb_table", "aws_iam_role", "aws_lambda_function", "aws_lb",
			"aws_lb_target_group", "aws_lb_listener", "aws_iam_instance_profile", "aws_launch_template", "aws_autoscaling_group":
			return "arn", true
		}
	case constructs.AttrName:
		switch typ {
		case "aws_s3_bucket":
			return "bucket", true
		case "aws_dynamodb_table", "aws_iam_role", "aws_iam_instance_profile", "aws_lb", "aws_lb_target_group",
			"aws_launch_template", "aws_autoscaling_group":
			return "name", true
		case "aws_lambda_function":
			return "function_name", true
		}
	case constructs.AttrFullName:
		// "app/<name>/<id>" and "targetgroup/<name>/<id>": what
		// CloudWatch's dimensions and a scaling policy's resource label use.
		if typ == "aws_lb" || typ == "aws_lb_target_group" {
			return "arn_suffix", true
		}
	case constructs.AttrDNSName:
		if typ == "aws_lb" {
			return "dns_name", true
		}
	case constructs.AttrURL:
		if typ == "aws_lambda_function_url" {
			return "function_url", true
		}
	}
	return "", false
}

// ref is "${<type>.<id>.<attr>}" for a model reference.
func (r *renderer) ref(id constructs.ID, a constructs.Attr) (string, error) {
	e, err := r.attr(id, a)
	if err != nil {
		return "", err
	}
	return interp(e), nil
}

// value renders a model value as a Terraform string template.
func (r *renderer) value(v constructs.Value) (string, error) {
	if v.Ref == nil {
		return escape(v.Literal), nil
	}
	ref, err := r.ref(v.Ref.To, v.Ref.Attr)
	if err != nil {
		return "", err
	}
	return escape(v.Prefix) + ref + escape(v.Suffix), nil
}

// hclQuote writes an already escaped template as a quoted HCL string.
func hclQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

// name renders a model name, replacing constructs.AccountToken by the
// deploying account's id.
func (r *renderer) name(s string) string {
	return strings.ReplaceAll(escape(s), constructs.AccountToken, interp("data.aws_caller_identity."+dataAccount+".account_id"))
}

// interp wraps an expression in a template interpolation.
func interp(expr string) string { return "${" + expr + "}" }

// escape makes literal text safe inside a Terraform string template.
func escape(s string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
}

// address is a resource address for depends_on.
func address(typ string, name constructs.ID) string { return typ + "." + string(name) }

// resource adds resource typ.name with body.
func (r *renderer) resource(typ string, name constructs.ID, body any) {
	res := cdktf.NewTerraformResource(r.stack, jsii.String(typ+"_"+string(name)), &cdktf.TerraformResourceConfig{
		TerraformResourceType: jsii.String(typ),
	})
	res.OverrideLogicalId(jsii.String(string(name)))
	override(res, body)
}

// data adds data source typ.name with body.
func (r *renderer) data(typ, name string, body any) {
	d := cdktf.NewTerraformDataSource(r.stack, jsii.String("data_"+typ+"_"+name), &cdktf.TerraformResourceConfig{
		TerraformResourceType: jsii.String(typ),
	})
	d.OverrideLogicalId(jsii.String(name))
	override(d, body)
}

type overrider interface {
	AddOverride(path *string, value any)
}

// override applies body's top-level arguments in sorted order.
func override(o overrider, body any) {
	m, _ := toValue(body).(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		o.AddOverride(jsii.String(k), m[k])
	}
}

// toValue turns a body struct into the maps and slices jsii passes on.
// Bodies are this package's own structs: they always marshal.
func toValue(body any) any {
	b, err := json.Marshal(body)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", body, err))
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		panic(fmt.Sprintf("unmarshal %T: %v", body, err))
	}
	return v
}

// artifactPath is the absolute path of an artifact, which must exist.
func (r *renderer) artifactPath(a *constructs.Artifact) (string, error) {
	p := filepath.Join(r.root, filepath.FromSlash(a.Path))
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("%s: %w", a.Path, ErrMissingArtifact)
	case err != nil:
		return "", err
	case !st.Mode().IsRegular():
		return "", fmt.Errorf("%s: not a regular file", a.Path)
	}
	return p, nil
}
