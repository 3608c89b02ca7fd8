package entity

import (
	"slices"
	"sort"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// Kind is a logical kind of entity.
type Kind string

const (
	ArtifactStore Kind = "artifact-store"
	Bucket        Kind = "bucket"
	Table         Kind = "table"
	VPC           Kind = "vpc"
	Gateway       Kind = "internet-gateway"
	Subnet        Kind = "subnet"
	SecurityGroup Kind = "security-group"
	Role          Kind = "role"
	Instance      Kind = "instance"
	TargetGroup   Kind = "target-group"
	LoadBalancer  Kind = "load-balancer"
	Function      Kind = "function"
	LogGroup      Kind = "log-group"
	KeyPair       Kind = "key-pair"
	Endpoint      Kind = "vpc-endpoint"
	HTTPAPI       Kind = "http-api"
	Volume        Kind = "volume"
	// LaunchTemplate is what an Auto Scaling group's instances start from;
	// a launch template an instance names is folded into that instance.
	LaunchTemplate   Kind = "launch-template"
	AutoScalingGroup Kind = "auto-scaling-group"
	ScalingPolicy    Kind = "scaling-policy"
	Output           Kind = "output"
)

// Kinds lists every kind, each after the kinds its properties refer to:
// matching proceeds in this order.
func Kinds() []Kind {
	return []Kind{ArtifactStore, Bucket, Table, VPC, Gateway, Subnet, SecurityGroup, Endpoint, Role, KeyPair, Instance, Volume, TargetGroup, LoadBalancer,
		LaunchTemplate, AutoScalingGroup, ScalingPolicy, Function, HTTPAPI, LogGroup, Output}
}

// Properties lists the compared properties of a kind, in report order.
// Every entity of the kind has all of them ("unset" when a side says
// nothing and no default applies).
func Properties(k Kind) []string {
	switch k {
	case ArtifactStore:
		// Compared by role: CDK's bootstrap bucket and Terraform's
		// artifacts bucket are both "where deploy-time artifacts live";
		// what is compared is that it stays private.
		return []string{"public-access-block", "tls-only"}
	case Bucket:
		return []string{"name", "versioning", "public-access-block.block-public-acls", "public-access-block.block-public-policy",
			"public-access-block.ignore-public-acls", "public-access-block.restrict-public-buckets", "encryption", "policy", "lifecycle", "data-on-destroy"}
	case Table:
		return []string{"name", "partition-key", "sort-key", "billing-mode", "capacity", "point-in-time-recovery", "ttl", "indexes", "deletion-protection", "data-on-destroy"}
	case VPC:
		return []string{"cidr", "dns-support", "dns-hostnames"}
	case Gateway:
		return []string{"vpc"}
	case Subnet:
		return []string{"cidr", "availability-zone", "vpc", "public-ip-on-launch", "routes"}
	case SecurityGroup:
		return []string{"name", "description", "vpc", "ingress", "egress"}
	case Role:
		return []string{"name", "trust", "policy-names", "permissions", "artifact-access", "instance-profile"}
	case Instance:
		return []string{"name", "type", "ami", "subnet", "security-groups", "profile", "key-pair",
			"imds.tokens", "imds.endpoint", "imds.hop-limit", "cpu-credits",
			"root-volume.encrypted", "root-volume.size", "root-volume.type", "root-volume.delete-on-termination",
			"user-data.fetch", "user-data.environment", "user-data.script"}
	case TargetGroup:
		return []string{"name", "protocol", "port", "target-type", "vpc", "targets",
			"health-check.enabled", "health-check.protocol", "health-check.port", "health-check.path", "health-check.matcher",
			"health-check.interval", "health-check.timeout", "health-check.healthy-threshold", "health-check.unhealthy-threshold"}
	case LoadBalancer:
		return []string{"name", "type", "scheme", "subnets", "security-groups", "listeners"}
	case Function:
		return []string{"name", "runtime", "architecture", "handler", "memory", "timeout", "reserved-concurrency", "environment",
			"vpc.subnets", "vpc.security-groups", "role", "package", "url.auth", "url.invoke-mode", "invoke-permissions"}
	case LogGroup:
		return []string{"name", "retention"}
	case HTTPAPI:
		return []string{"name", "protocol", "routes", "stages"}
	case Volume:
		return []string{"attached", "availability-zone", "size", "type", "encrypted", "iops", "throughput"}
	case KeyPair:
		return []string{"name", "public-key"}
	case Endpoint:
		return []string{"service", "type", "vpc", "subnets", "security-groups", "route-tables", "private-dns", "policy"}
	case LaunchTemplate:
		return []string{"name", "type", "ami", "security-groups", "profile", "key-pair",
			"imds.tokens", "imds.endpoint", "imds.hop-limit", "cpu-credits",
			"root-volume.encrypted", "root-volume.size", "root-volume.type", "root-volume.delete-on-termination",
			"launch-tags", "user-data.fetch", "user-data.environment", "user-data.script"}
	case AutoScalingGroup:
		return []string{"name", "launch-template", "launch-template.version", "min-size", "max-size", "desired-capacity",
			"subnets", "target-groups", "health-check.type", "health-check.grace-period", "default-instance-warmup",
			"tags", "launch-hooks",
			"rolling-update.batch", "rolling-update.min-in-service", "rolling-update.pause", "rolling-update.suspend-processes"}
	case ScalingPolicy:
		return []string{"group", "type", "metric", "resource-label", "target-value", "disable-scale-in", "warmup"}
	case Output:
		return []string{"value", "description"}
	}
	return nil
}

// Unset is the value of a property that a side leaves out and that has no
// default.
const Unset = "unset"

// Ref is a reference to an attribute of an entity: "@subnet[10.20.0.0/24].id".
type Ref struct {
	Kind Kind
	Key  string
	Attr string
}

// Part is a literal text or a reference.
type Part struct {
	Lit string
	Ref *Ref
}

// Expr is a value: literal text with references to entities.
type Expr []Part

// Text is a literal Expr.
func Text(s string) Expr { return Expr{{Lit: s}} }

// RefExpr is an Expr holding one reference.
func RefExpr(k Kind, key, attr string) Expr { return Expr{{Ref: &Ref{Kind: k, Key: key, Attr: attr}}} }

// Join concatenates Exprs, merging adjacent literals.
func Join(es ...Expr) Expr {
	var out Expr
	for _, e := range es {
		for _, p := range e {
			if p.Ref == nil {
				if p.Lit == "" {
					continue
				}
				if n := len(out); n > 0 && out[n-1].Ref == nil {
					out[n-1].Lit += p.Lit
					continue
				}
			}
			out = append(out, p)
		}
	}
	return out
}

// Alias maps an entity key of one side to the key it is reported under
// (the key of the entity it was matched with). nil keeps keys.
type Alias func(k Kind, key string) string

// Render writes e with references as @kind[key].attr.
func (e Expr) Render(alias Alias) string {
	var b strings.Builder
	for _, p := range e {
		if p.Ref == nil {
			b.WriteString(p.Lit)
			continue
		}
		key := p.Ref.Key
		if alias != nil {
			key = alias(p.Ref.Kind, key)
		}
		b.WriteString("@" + string(p.Ref.Kind) + "[" + key + "]")
		if p.Ref.Attr != "" {
			b.WriteString("." + p.Ref.Attr)
		}
	}
	return b.String()
}

// String renders e without aliases.
func (e Expr) String() string { return e.Render(nil) }

// Prop is the value of one property: a scalar (one item) or a set.
type Prop struct {
	Items []Expr
	Set   bool
}

// Scalar is a single-valued property.
func Scalar(e Expr) Prop { return Prop{Items: []Expr{e}} }

// ScalarText is a single-valued literal property.
func ScalarText(s string) Prop { return Scalar(Text(s)) }

// SetOf is an unordered property; duplicates count once.
func SetOf(items ...Expr) Prop { return Prop{Items: items, Set: true} }

// Render returns the items rendered; a set sorted and de-duplicated.
func (p Prop) Render(alias Alias) []string {
	out := make([]string, 0, len(p.Items))
	for _, it := range p.Items {
		out = append(out, it.Render(alias))
	}
	if p.Set {
		sort.Strings(out)
		out = dedupe(out)
	}
	return out
}

func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// Entity is one logical element of the system.
type Entity struct {
	Kind Kind
	// Key identifies the entity on its side by meaning: a bucket or table
	// name, a subnet's CIDR, a role's trust. Entities of two sides with the
	// same kind and key describe the same thing.
	Key string
	// Sources are the addresses of the resources folded into it.
	Sources []string
	Props   map[string]Prop
}

// Prop returns the named property, Unset when absent.
func (e *Entity) Prop(name string) Prop {
	if p, ok := e.Props[name]; ok {
		return p
	}
	return ScalarText(Unset)
}

// Note is a resource that is not compared, with the reason.
type Note struct {
	Addr   string
	Type   string
	Reason string
}

// Set is the entities of one document.
type Set struct {
	Dialect  inventory.Dialect
	Path     string
	Entities []*Entity // in Kinds order, then by key
	// Ignored resources are understood and deliberately not compared
	// (CDK metadata, a bootstrap-version rule).
	Ignored []Note
	// Unsupported resources are of a type (or shape) the diff does not
	// understand: their meaning is not compared, so equivalence cannot be
	// claimed.
	Unsupported []Note
	// Pos maps a resource address to where it is declared (file:line),
	// when the reader knows.
	Pos map[string]string
}

// Where lists where the resources of e are declared, in source order of
// their addresses.
func (s *Set) Where(e *Entity) []string {
	var out []string
	for _, a := range e.Sources {
		if p, ok := s.Pos[a]; ok && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Of returns the entities of kind k.
func (s *Set) Of(k Kind) []*Entity {
	var out []*Entity
	for _, e := range s.Entities {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func (s *Set) sort() {
	order := map[Kind]int{}
	for i, k := range Kinds() {
		order[k] = i
	}
	sort.SliceStable(s.Entities, func(i, j int) bool {
		a, b := s.Entities[i], s.Entities[j]
		if a.Kind != b.Kind {
			return order[a.Kind] < order[b.Kind]
		}
		return a.Key < b.Key
	})
	for _, e := range s.Entities {
		sort.Strings(e.Sources)
		e.Sources = dedupe(e.Sources)
	}
	sortNotes := func(n []Note) {
		sort.Slice(n, func(i, j int) bool { return n[i].Addr < n[j].Addr })
	}
	sortNotes(s.Ignored)
	sortNotes(s.Unsupported)
}

// Resolve replaces a symbolic value ("{region}") by what it is known to be
// ("us-east-1") in every key, property and reference of the set: the
// deploy region given on the command line makes a template's AWS::Region
// and a module's literal region the same.
func (s *Set) Resolve(symbol, value string) {
	fix := func(e Expr) {
		for i := range e {
			if e[i].Ref != nil {
				r := *e[i].Ref
				r.Key = strings.ReplaceAll(r.Key, symbol, value)
				e[i].Ref = &r
				continue
			}
			e[i].Lit = strings.ReplaceAll(e[i].Lit, symbol, value)
		}
	}
	for _, e := range s.Entities {
		e.Key = strings.ReplaceAll(e.Key, symbol, value)
		for name, p := range e.Props {
			items := make([]Expr, len(p.Items))
			for i, it := range p.Items {
				items[i] = append(Expr(nil), it...)
				fix(items[i])
			}
			e.Props[name] = Prop{Items: items, Set: p.Set}
		}
	}
	s.sort()
}

// capacity is a table's provisioned throughput: none when on demand.
func capacity(mode, read, write string) string {
	if mode == "PAY_PER_REQUEST" {
		return "on demand"
	}
	return "read " + read + ", write " + write
}

// privateStore is the artifact store's settings as CDK's bootstrap
// template makes them (all public access blocked, a policy denying
// requests without TLS); a bucket named by a parameter lives outside the
// template and is taken to be the same.
const (
	storePAB = "block-public-acls block-public-policy ignore-public-acls restrict-public-buckets"
	storeTLS = "yes"
)

// NotCompared says why a top-level property of a resource type needs no
// comparison (tags are labels, a rule's description is not the rule),
// in the vocabulary of dialect. ok is false for properties that are
// compared (or reported as not compared).
func NotCompared(dialect inventory.Dialect, typ, prop string) (reason string, ok bool) {
	switch dialect {
	case inventory.Terraform:
		return terraform{}.notCompared(typ, prop)
	case inventory.CloudFormation:
		return (&cloudFormation{}).notCompared(typ, prop)
	}
	return "", false
}

// lifecycleRule renders one S3 lifecycle rule by what it does; its id is
// a label. filter is the prefix (or "") the rule applies to.
func lifecycleRule(status, filter string, actions []string) Expr {
	scope := "all objects"
	if filter != "" {
		scope = "prefix " + filter
	}
	sort.Strings(actions)
	return Text(strings.Join(actions, ", ") + " (" + scope + ", " + strings.ToLower(status) + ")")
}

// ttlText is a table's time to live: the attribute, or off.
func ttlText(attr string, enabled bool) string {
	if !enabled || attr == "" {
		return "off"
	}
	return "on " + attr
}

// retentionText is a log group's retention: days, or never expiring.
func retentionText(days string) string {
	if days == "" || days == "0" {
		return "never expires"
	}
	return days + " days"
}

// publicKey is a key pair's public key: the material imported, or
// generated at deploy (by AWS, or by Terraform's tls provider).
func publicKey(material Expr) Expr {
	if len(material) == 0 {
		return Text("generated at deploy")
	}
	if strings.Contains(material.String(), "{tls:") {
		return Text("generated at deploy")
	}
	return material
}

// invokePermission renders who may invoke a function, and from where.
func invokePermission(action, principal, source, urlAuth Expr) Expr {
	out := Join(action, Text(" by "), principal)
	if len(source) > 0 && source.String() != Unset {
		out = Join(out, Text(" from "), source)
	}
	if len(urlAuth) > 0 && urlAuth.String() != Unset {
		out = Join(out, Text(" (function URL auth "), urlAuth, Text(")"))
	}
	return out
}

// endpointPolicy is a VPC endpoint's policy: its permissions, or the
// default that allows everything.
func endpointPolicy(sts []statement) Prop {
	if len(sts) == 0 {
		return SetOf(Text("(default: full access)"))
	}
	return SetOf(permissions(sts)...)
}

// inputName is a variable or parameter without a value, kept symbolic: a
// Terraform variable project_name and a CloudFormation parameter
// ProjectName are the same input ({input:projectname}).
func inputName(name string) string {
	n := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))
	return "{input:" + n + "}"
}

// invokeTarget canonicalises what an API integration invokes: a Lambda
// function's ARN and its invoke ARN (or the apigateway invocations path
// around the ARN) are the same target.
func invokeTarget(e Expr) Expr {
	out := make(Expr, 0, len(e))
	for _, p := range e {
		if p.Ref != nil && p.Ref.Kind == Function && p.Ref.Attr == "invoke-arn" {
			r := *p.Ref
			r.Attr = "arn"
			out = append(out, Part{Ref: &r})
			continue
		}
		out = append(out, p)
	}
	if len(out) == 3 && out[1].Ref != nil && out[1].Ref.Kind == Function && out[0].Ref == nil && out[2].Ref == nil &&
		strings.Contains(out[0].Lit, ":apigateway:") && strings.HasSuffix(out[0].Lit, ":lambda:path/2015-03-31/functions/") && out[2].Lit == "/invocations" {
		return Expr{out[1]}
	}
	// "arn:{partition}:apigateway:{region}:lambda:path/2015-03-31/functions/" may
	// have been split by references to the partition and region.
	for i, p := range out {
		if p.Ref != nil && p.Ref.Kind == Function && i > 0 && i == len(out)-2 && out[i+1].Ref == nil && out[i+1].Lit == "/invocations" &&
			out[i-1].Ref == nil && strings.HasSuffix(out[i-1].Lit, ":lambda:path/2015-03-31/functions/") {
			return Expr{p}
		}
	}
	return out
}

// executeARN canonicalises an API's execution ARN: Terraform's
// execution_arn and CloudFormation's arn:...:execute-api:REGION:ACCOUNT:API.
func executeARN(e Expr) Expr {
	for i, p := range e {
		if p.Ref != nil && p.Ref.Kind == HTTPAPI && (p.Ref.Attr == "id" || p.Ref.Attr == "api-id") && i > 0 {
			prefix := Expr(e[:i]).String()
			if strings.HasSuffix(prefix, ":execute-api:{region}:{account}:") || strings.HasSuffix(prefix, ":execute-api:") {
				r := *p.Ref
				r.Attr = "execution-arn"
				return Join(Expr{{Ref: &r}}, e[i+1:])
			}
		}
	}
	return e
}

// volumeAttachment describes where a volume is attached.
type volumeAttachment struct {
	device   string
	instance Expr
}

func (a volumeAttachment) text() Expr {
	if a.instance == nil {
		return Text("not attached")
	}
	return Join(Text(a.device+" on "), a.instance)
}
