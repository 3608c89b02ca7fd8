package diff_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/diff/entity"
)

// modelCoverage maps every field of the model's node types to the
// comparisons that check it: "kind/property", "kind/prefix.*" for a group
// of properties, or "kind" alone when the entity's existence is what is
// compared. An entry starting with "exempt:" says why a field has no
// comparison of its own.
func modelCoverage() map[string][]string {
	const logicalID = "exempt: a logical ID / resource name; entities are matched by meaning, never by ID"
	const value = "exempt: the encoding of a model value; compared wherever the value is used"
	return map[string][]string{
		"System.Prefix":        {"exempt: the prefix of every name; compared through the names (bucket/name, table/name, ...)"},
		"System.Region":        {"bucket/name", "launch-template/user-data.environment", "role/permissions"},
		"System.Bucket":        {"bucket"},
		"System.ImagesTable":   {"table"},
		"System.AlbumsTable":   {"table"},
		"System.Network":       {"vpc", "subnet", "internet-gateway"},
		"System.Groups":        {"security-group"},
		"System.Roles":         {"role"},
		"System.Servers":       {"auto-scaling-group", "launch-template", "scaling-policy"},
		"System.LoadBalancer":  {"load-balancer", "target-group"},
		"System.Function":      {"function"},
		"System.ServerBinary":  {"artifact-store", "launch-template/user-data.fetch", "role/artifact-access"},
		"System.FunctionCode":  {"artifact-store", "function/package"},
		"System.Outputs":       {"output"},
		"System.ServerService": {"launch-template/user-data.script", "launch-template/user-data.environment"},
		"System.Handover":      {"exempt: release_data/adopt_data become Terraform removed/import blocks, instructions to Terraform's plan that the diff notes as such (a released resource is simply not in the configuration)"},

		"Bucket.ID":                {logicalID},
		"Bucket.Name":              {"bucket/name"},
		"Bucket.Versioned":         {"bucket/versioning"},
		"Bucket.BlockPublicAccess": {"bucket/public-access-block.*"},
		"Bucket.Encryption":        {"bucket/encryption"},
		"Bucket.DenyInsecure":      {"bucket/policy"},
		"Bucket.Removal":           {"bucket/data-on-destroy"},
		"Bucket.Policy":            {"bucket/policy"},
		"Bucket.Lifecycle":         {"bucket/lifecycle"},

		"LifecycleRule.ID":                           {"exempt: rule IDs label rules; a rule is (status, scope, actions)"},
		"LifecycleRule.AbortIncompleteMultipartDays": {"bucket/lifecycle"},
		"LifecycleRule.NoncurrentExpirationDays":     {"bucket/lifecycle"},

		"Statement.Sid":       {"exempt: statement IDs label statements; they grant nothing"},
		"Statement.Effect":    {"bucket/policy", "role/permissions"},
		"Statement.Principal": {"bucket/policy"},
		"Statement.Actions":   {"bucket/policy", "role/permissions"},
		"Statement.Resources": {"bucket/policy", "role/permissions"},
		"Statement.Condition": {"bucket/policy", "role/permissions"},

		"Table.ID":                  {logicalID},
		"Table.Name":                {"table/name"},
		"Table.Partition":           {"table/partition-key"},
		"Table.Sort":                {"table/sort-key"},
		"Table.BillingMode":         {"table/billing-mode"},
		"Table.PointInTimeRecovery": {"table/point-in-time-recovery"},
		"Table.Indexes":             {"table/indexes"},
		"Table.Removal":             {"table/data-on-destroy"},
		"Table.DeletionProtection":  {"table/deletion-protection"},
		"Key.Name":                  {"table/partition-key", "table/sort-key", "table/indexes"},
		"Key.Type":                  {"table/partition-key", "table/sort-key", "table/indexes"},
		"Index.Name":                {"table/indexes"},
		"Index.Partition":           {"table/indexes"},
		"Index.Sort":                {"table/indexes"},
		"Index.Projection":          {"table/indexes"},

		"Network.VPC":         {"vpc"},
		"Network.Gateway":     {"internet-gateway"},
		"Network.Subnets":     {"subnet"},
		"Network.Internet":    {"subnet/routes"},
		"VPC.ID":              {logicalID},
		"VPC.CIDR":            {"vpc/cidr"},
		"VPC.DNSSupport":      {"vpc/dns-support"},
		"VPC.DNSHostnames":    {"vpc/dns-hostnames"},
		"Subnet.ID":           {logicalID},
		"Subnet.CIDR":         {"subnet/cidr"},
		"Subnet.AZ":           {"subnet/availability-zone"},
		"Subnet.Public":       {"subnet/public-ip-on-launch"},
		"Subnet.RouteTable":   {"subnet/routes"},
		"InternetGateway.ID":  {logicalID},
		"InternetGateway.VPC": {"internet-gateway/vpc"},

		"SecurityGroup.ID":          {logicalID},
		"SecurityGroup.Name":        {"security-group/name"},
		"SecurityGroup.Description": {"security-group/description"},
		"SecurityGroup.Ingress":     {"security-group/ingress"},
		"SecurityGroup.Egress":      {"security-group/egress"},
		"Rule.Description":          {"exempt: rule descriptions are labels; a rule is (direction, protocol, ports, peer group or CIDR)"},
		"Rule.Protocol":             {"security-group/ingress", "security-group/egress"},
		"Rule.FromPort":             {"security-group/ingress", "security-group/egress"},
		"Rule.ToPort":               {"security-group/ingress", "security-group/egress"},
		"Rule.Peer":                 {"security-group/ingress", "security-group/egress"},
		"Rule.CIDR":                 {"security-group/ingress", "security-group/egress"},

		"Role.ID":              {logicalID},
		"Role.Name":            {"role/name"},
		"Role.Service":         {"role/trust"},
		"Role.ManagedPolicies": {"role/permissions"},
		"Role.PolicyName":      {"role/policy-names"},
		"Role.Statements":      {"role/permissions"},
		"Role.ReadsArtifact":   {"role/artifact-access"},
		"Role.InstanceProfile": {"launch-template/profile"},
		"Role.ProfileName":     {"role/instance-profile"},

		"ServerGroup.ID":                  {logicalID},
		"ServerGroup.Name":                {"auto-scaling-group/name", "launch-template/user-data.script", "role/permissions"},
		"ServerGroup.NameTag":             {"auto-scaling-group/tags"},
		"ServerGroup.Template":            {"launch-template", "auto-scaling-group/launch-template", "auto-scaling-group/launch-template.version"},
		"ServerGroup.Min":                 {"auto-scaling-group/min-size"},
		"ServerGroup.Desired":             {"auto-scaling-group/desired-capacity", "auto-scaling-group/rolling-update.min-in-service", "auto-scaling-group/rolling-update.batch"},
		"ServerGroup.Max":                 {"auto-scaling-group/max-size"},
		"ServerGroup.Subnets":             {"auto-scaling-group/subnets"},
		"ServerGroup.TargetGroup":         {"auto-scaling-group/target-groups"},
		"ServerGroup.HealthCheckType":     {"auto-scaling-group/health-check.type"},
		"ServerGroup.HealthCheckGraceSec": {"auto-scaling-group/health-check.grace-period"},
		"ServerGroup.LaunchHook":          {"auto-scaling-group/launch-hooks"},
		"ServerGroup.Scaling":             {"scaling-policy"},
		"ServerGroup.Rolling":             {"auto-scaling-group/rolling-update.*"},
		"LifecycleHook.Name":              {"auto-scaling-group/launch-hooks", "launch-template/user-data.script"},
		"LifecycleHook.Transition":        {"auto-scaling-group/launch-hooks"},
		"LifecycleHook.DefaultResult":     {"auto-scaling-group/launch-hooks"},
		"LifecycleHook.HeartbeatSec":      {"auto-scaling-group/launch-hooks"},
		"TargetTracking.Name":             {"exempt: CloudFormation cannot name a scaling policy (AWS::AutoScaling::ScalingPolicy has no name property); Terraform's name is ignored with that reason"},
		"TargetTracking.Metric":           {"scaling-policy/metric"},
		"TargetTracking.TargetValue":      {"scaling-policy/target-value"},
		"TargetTracking.LoadBalancer":     {"scaling-policy/resource-label"},
		"TargetTracking.TargetGroup":      {"scaling-policy/resource-label"},
		"RollingUpdate.MaxBatch":          {"auto-scaling-group/rolling-update.batch"},
		"RollingUpdate.MinInService":      {"auto-scaling-group/rolling-update.min-in-service"},
		"RollingUpdate.PauseSec":          {"auto-scaling-group/rolling-update.pause"},
		"RollingUpdate.SuspendProcesses":  {"auto-scaling-group/rolling-update.suspend-processes"},
		"RollingUpdate.MinHealthyPercent": {"auto-scaling-group/rolling-update.min-in-service", "auto-scaling-group/rolling-update.batch"},
		"RollingUpdate.MaxHealthyPercent": {"auto-scaling-group/rolling-update.batch"},
		"LaunchTemplate.ID":               {logicalID},
		"LaunchTemplate.Name":             {"launch-template/name"},
		"LaunchTemplate.Type":             {"launch-template/type"},
		"LaunchTemplate.Architecture":     {"launch-template/ami"},
		"LaunchTemplate.AMIParameter":     {"launch-template/ami"},
		"LaunchTemplate.Group":            {"launch-template/security-groups"},
		"LaunchTemplate.Role":             {"launch-template/profile"},
		"LaunchTemplate.RequireIMDSv2":    {"launch-template/imds.tokens"},
		"LaunchTemplate.MetadataHopLimit": {"launch-template/imds.hop-limit"},
		"LaunchTemplate.RootVolume":       {"launch-template/root-volume.*"},
		"LaunchTemplate.CPUCredits":       {"launch-template/cpu-credits"},
		"Volume.SizeGiB":                  {"launch-template/root-volume.size"},
		"Volume.Type":                     {"launch-template/root-volume.type"},
		"Volume.Encrypted":                {"launch-template/root-volume.encrypted"},
		"Volume.Device":                   {"launch-template/root-volume.*"},

		"LoadBalancer.ID":                {logicalID},
		"LoadBalancer.Name":              {"load-balancer/name"},
		"LoadBalancer.Internal":          {"load-balancer/scheme"},
		"LoadBalancer.Subnets":           {"load-balancer/subnets"},
		"LoadBalancer.Group":             {"load-balancer/security-groups"},
		"LoadBalancer.Listener":          {logicalID},
		"LoadBalancer.ListenerPort":      {"load-balancer/listeners"},
		"LoadBalancer.TargetGroup":       {"load-balancer/listeners"},
		"LoadBalancer.TargetName":        {"target-group/name"},
		"LoadBalancer.TargetPort":        {"target-group/port", "target-group/targets"},
		"LoadBalancer.HealthPath":        {"target-group/health-check.path"},
		"LoadBalancer.Health":            {"target-group/health-check.*"},
		"HealthCheck.HealthyThreshold":   {"target-group/health-check.healthy-threshold"},
		"HealthCheck.UnhealthyThreshold": {"target-group/health-check.unhealthy-threshold"},
		"HealthCheck.IntervalSec":        {"target-group/health-check.interval"},
		"HealthCheck.TimeoutSec":         {"target-group/health-check.timeout"},
		"HealthCheck.Matcher":            {"target-group/health-check.matcher"},

		"Function.ID":                  {logicalID},
		"Function.Name":                {"function/name"},
		"Function.Runtime":             {"function/runtime"},
		"Function.Architecture":        {"function/architecture"},
		"Function.Handler":             {"function/handler"},
		"Function.MemoryMB":            {"function/memory"},
		"Function.TimeoutSec":          {"function/timeout"},
		"Function.ReservedConcurrency": {"function/reserved-concurrency"},
		"Function.Role":                {"function/role"},
		"Function.Group":               {"function/vpc.security-groups"},
		"Function.Subnets":             {"function/vpc.subnets"},
		"Function.Code":                {"function/package"},
		"Function.Environment":         {"function/environment"},
		"Function.URL":                 {"function/url.auth", "output/value"},
		"Function.URLAuth":             {"function/url.auth"},
		"Function.Logs":                {"log-group/name", "log-group/retention"},
		"LogGroup.ID":                  {logicalID},
		"LogGroup.Name":                {"log-group/name"},
		"LogGroup.RetentionDays":       {"log-group/retention"},
		"EnvVar.Name":                  {"function/environment", "launch-template/user-data.environment"},
		"EnvVar.Value":                 {"function/environment", "launch-template/user-data.environment"},

		"Artifact.ID":   {logicalID},
		"Artifact.Path": {"exempt: staged under content hashes by both tools; compared by role (artifact-store, launch-template/user-data.fetch, function/package)"},

		"Output.Name":        {"output"},
		"Output.Description": {"output/description"},
		"Output.Value":       {"output/value"},

		"Service.Name":        {"launch-template/user-data.script"},
		"Service.BinaryPath":  {"launch-template/user-data.fetch", "launch-template/user-data.script"},
		"Service.Environment": {"launch-template/user-data.environment"},

		"Value.Literal": {value},
		"Value.Ref":     {value},
		"Value.Prefix":  {value},
		"Value.Suffix":  {value},
		"Ref.To":        {value},
		"Ref.Attr":      {value},
	}
}

// modelFields lists "Type.Field" for every struct type of package
// constructs reachable from System and from the Walk node types.
func modelFields() []string {
	pkg := reflect.TypeOf(constructs.System{}).PkgPath()
	seen := map[reflect.Type]bool{}
	var fields []string
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != pkg || seen[t] {
			return
		}
		seen[t] = true
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fields = append(fields, t.Name()+"."+f.Name)
			visit(f.Type)
		}
	}
	visit(reflect.TypeOf(constructs.System{}))
	visit(reflect.TypeOf(constructs.InternetGateway{}))
	sort.Strings(fields)
	return fields
}

// TestModelCoverage fails when a field of the model is compared by nothing
// (add it to modelCoverage with its comparison, or an exemption saying
// why), and when the table names a field or a comparison that does not
// exist.
func TestModelCoverage(t *testing.T) {
	table := modelCoverage()
	known := map[string]bool{}
	for _, k := range entity.Kinds() {
		known[string(k)] = true
		for _, p := range entity.Properties(k) {
			known[string(k)+"/"+p] = true
		}
	}
	exists := func(c string) bool {
		if prefix, ok := strings.CutSuffix(c, "*"); ok {
			for k := range known {
				if strings.HasPrefix(k, prefix) {
					return true
				}
			}
			return false
		}
		return known[c]
	}
	fields := map[string]bool{}
	for _, f := range modelFields() {
		fields[f] = true
		cs, ok := table[f]
		if !ok || len(cs) == 0 {
			t.Errorf("model field %s is covered by no comparison: add it to modelCoverage", f)
			continue
		}
		for _, c := range cs {
			if strings.HasPrefix(c, "exempt: ") {
				if len(cs) > 1 || len(c) < len("exempt: ")+10 {
					t.Errorf("%s: an exemption stands alone and says why", f)
				}
				continue
			}
			if !exists(c) {
				t.Errorf("%s: comparison %q does not exist (entity.Properties)", f, c)
			}
		}
	}
	for f := range table {
		if !fields[f] {
			t.Errorf("modelCoverage names %s, which the model does not have", f)
		}
	}
}
