package entity

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// Rule says how the two vocabularies' values of a property were made
// comparable, where that is more than reading the same setting on both
// sides: a default one side leaves implicit, two forms of one behaviour.
// Reports list the rules of the kinds they compare.
type Rule struct{ Property, Text string }

// Rules lists the equivalence rules of a kind's properties.
func Rules(k Kind) []Rule {
	switch k {
	case Instance, LaunchTemplate:
		rules := []Rule{
			{"root-volume.*", "the root volume is the mapping of /dev/xvda or /dev/sda1 (Terraform's root_block_device for an instance); any other mapping is reported as not compared"},
			{"user-data.*", "compared decoded (base64encode, user_data_base64 and Fn::Base64 alike); the download of the server binary and the service environment are compared apart from the rest of the script"},
		}
		if k == LaunchTemplate {
			rules = append(rules,
				Rule{"ami", "resolve:ssm:NAME (EC2's lookup) and {{resolve:ssm:NAME}} are the SSM parameter NAME, as an SSM-typed parameter and an aws_ssm_parameter data source are"},
				Rule{"profile", "an instance profile given by name or by ARN is the profile of its role"})
		}
		return rules
	case SecurityGroup:
		return []Rule{{"egress", "a CloudFormation group that lists no egress keeps EC2's allow-all rule (CDK's 255.255.255.255/32 placeholder means none); Terraform removes it: its group has exactly the rules it lists"}}
	case TargetGroup:
		return []Rule{{"health-check.*", "unset: the Elastic Load Balancing API's defaults (thresholds 5 and 2), but a Terraform health_check block sends the provider's (3 and 3)"}}
	case AutoScalingGroup:
		return []Rule{
			{"launch-template.version", "Terraform's latest_version and CloudFormation's LatestVersionNumber are the same: a new template version changes the group and starts its rolling update. \"$Latest\" is not: Terraform starts no instance refresh for it (and CloudFormation does not accept it). Unset in Terraform: \"$Default\""},
			{"desired-capacity", "unset: the group's minimum size (both tools)"},
			{"health-check.grace-period", "unset: 300 s in Terraform (the provider's default), 0 s in CloudFormation (the Auto Scaling API's)"},
			{"launch-hooks", "a hook declared on the group (initial_lifecycle_hook, LifecycleHookSpecificationList) holds its first instances too; a separate hook resource exists only once the group does. Unset: default result ABANDON, heartbeat 3600 s (the Auto Scaling API's)"},
			{"tags", "compared, unlike other tags: those propagated at launch label every instance the group starts"},
			{"rolling-update.*", "UpdatePolicy AutoScalingRollingUpdate and instance_refresh are compared as what a new launch template does to the running instances, in instances of the desired capacity D as written: " +
				"batch = MaxBatchSize (at most D) against max(1, floor(max_healthy_percentage*D/100) - ceil(min_healthy_percentage*D/100)); " +
				"min-in-service = MinInstancesInService against ceil(min_healthy_percentage*D/100); " +
				"pause = PauseTime against instance_warmup (unset: default_instance_warmup, else health_check_grace_period); " +
				"suspend-processes = SuspendProcesses against none (an instance refresh suspends nothing). " +
				"Unset: MaxBatchSize 1, MinInstancesInService 0, PauseTime PT0S; min_healthy_percentage 90, max_healthy_percentage 100. " +
				"Neither side: none, a new template reaches only instances launched later. " +
				"Reported as not compared: resource signals (WaitOnResourceSignals, CreationPolicy), MinSuccessfulInstancesPercent other than 100, checkpoints, skip matching, auto rollback, alarms, triggers. " +
				"Not compared, the tools' own: what starts one (CloudFormation also rolls for a change of subnets), and a failed one (CloudFormation rolls the stack back, Terraform leaves the refresh failed)"},
		}
	case ScalingPolicy:
		return []Rule{
			{"(name)", "not compared: CloudFormation cannot name a scaling policy (AWS::AutoScaling::ScalingPolicy has no name property); Terraform's is ignored with that reason. A policy is known by its group and metric"},
			{"resource-label", "a load balancer's and a target group's arn_suffix (Terraform) are their LoadBalancerFullName and TargetGroupFullName (CloudFormation)"},
			{"type", "unset: SimpleScaling (both tools)"},
		}
	}
	return nil
}

// ---- launch templates ---------------------------------------------------

// resolveSSM matches an image id that EC2 (resolve:ssm:) or CloudFormation
// ({{resolve:ssm:}}) looks up in Parameter Store.
var resolveSSM = regexp.MustCompile(`^(?:\{\{resolve:ssm:([^}:]+)(:\d+)?\}\}|resolve:ssm:([^:]+)(:\d+)?)$`)

// imageExpr canonicalises an AMI: an SSM parameter looked up by EC2 or by
// CloudFormation is the parameter, as an SSM-typed parameter is (a pinned
// version stays part of it).
func imageExpr(e Expr) Expr {
	if len(e) == 1 && e[0].Ref == nil {
		if m := resolveSSM.FindStringSubmatch(e[0].Lit); m != nil {
			return Text("{ssm:" + m[1] + m[3] + m[2] + m[4] + "}")
		}
	}
	return e
}

// profileExpr canonicalises an instance profile given by name or ARN: the
// profile of its role.
func profileExpr(e Expr) Expr {
	if len(e) == 1 && e[0].Ref != nil && e[0].Ref.Kind == Role && (e[0].Ref.Attr == "profile-name" || e[0].Ref.Attr == "profile-arn") {
		r := *e[0].Ref
		r.Attr = "profile"
		return Expr{{Ref: &r}}
	}
	return e
}

// decodeUserData decodes a literal that is base64 (a launch template's
// user data must be): Terraform's base64encode() is already transparent.
func decodeUserData(e Expr) Expr {
	if len(e) != 1 || e[0].Ref != nil || strings.ContainsAny(e[0].Lit, " \n\t") {
		return e
	}
	dec, err := base64.StdEncoding.DecodeString(e[0].Lit)
	if err != nil || !utf8.Valid(dec) {
		return e
	}
	return Text(string(dec))
}

// blockDevices names the keys of a block device mapping in one
// vocabulary.
type blockDevices struct {
	list, device, ebs                                string
	encrypted, size, volumeType, deleteOnTermination string
}

var (
	tfTemplateDevices  = blockDevices{"block_device_mappings", "device_name", "ebs", "encrypted", "volume_size", "volume_type", "delete_on_termination"}
	cfnTemplateDevices = blockDevices{"BlockDeviceMappings", "DeviceName", "Ebs", "Encrypted", "VolumeSize", "VolumeType", "DeleteOnTermination"}
)

// rootVolume sets the root-volume properties from the mappings at path
// (under res): the compared keys of every mapping are read; a mapping of
// any other device is reported as not compared.
func (b *builder) rootVolume(e *Entity, res *inventory.Resource, path []string, k blockDevices) {
	at := strings.Join(append(append([]string(nil), path...), k.list), ".")
	b.consume(res, at+"."+k.device)
	for _, key := range []string{k.encrypted, k.size, k.volumeType, k.deleteOnTermination} {
		b.consume(res, at+"."+k.ebs+"."+key)
	}
	var root inventory.Value
	for _, m := range list(prop(res, append(append([]string(nil), path...), k.list)...)) {
		switch dev := literal(get(m, k.device), ""); dev {
		case "/dev/xvda", "/dev/sda1":
			root = get(m, k.ebs)
		default:
			b.problem(res, "block device mapping "+dev+" is not compared by diff (only the root volume is)")
		}
	}
	e.Props["root-volume.encrypted"] = ScalarText(boolText(get(root, k.encrypted), false))
	e.Props["root-volume.size"] = ScalarText(numText(get(root, k.size), Unset))
	e.Props["root-volume.type"] = ScalarText(literal(get(root, k.volumeType), Unset))
	e.Props["root-volume.delete-on-termination"] = ScalarText(boolText(get(root, k.deleteOnTermination), true))
}

// launchTag renders one tag a launch template puts on what it launches.
func launchTag(resourceType string, key, value Expr) Expr {
	return Join(Text(resourceType+" "), key, Text("="), value)
}

// ---- groups -------------------------------------------------------------

// templateRef canonicalises a group's launch template, given by id or by
// name (a reference or the literal name): the template entity.
func (b *builder) templateRef(v inventory.Value) Expr {
	if v == nil {
		return Text("none")
	}
	if o := b.ownerOf(v); o != nil && o.Kind == LaunchTemplate {
		return RefExpr(LaunchTemplate, o.Key, "")
	}
	if name, ok := v.(inventory.Str); ok {
		if l, isLit := name.Literal(); isLit {
			for _, e := range b.set.Entities {
				if e.Kind == LaunchTemplate && e.Key == l {
					return RefExpr(LaunchTemplate, e.Key, "")
				}
			}
		}
	}
	return b.expr(v)
}

// templateVersion canonicalises the version a group launches: references
// to the template's latest or default version as @launch-template[...]
// attributes, literals ("$Latest", "$Default", "3") as written.
func (b *builder) templateVersion(v inventory.Value, def string) Expr {
	if v == nil {
		return Text(def)
	}
	e := b.expr(v)
	if len(e) == 1 && e[0].Ref != nil && e[0].Ref.Kind == LaunchTemplate {
		r := *e[0].Ref
		return Expr{{Ref: &r}}
	}
	return e
}

// groupTag renders one tag of a group and whether it reaches the
// instances the group launches.
func groupTag(key, value Expr, propagate string) Expr {
	where := " (group only)"
	if strings.EqualFold(propagate, "true") {
		where = " (propagated at launch)"
	}
	return Join(key, Text("="), value, Text(where))
}

// hook is a lifecycle hook in canonical parts.
type hook struct {
	name, target, role, metadata Expr
	transition, result           string
	heartbeat                    string
	// atCreation: declared on the group, so it holds the group's very
	// first instances too.
	atCreation bool
}

func (h hook) item() Expr {
	result := h.result
	if result == Unset || result == "" {
		result = "ABANDON"
	}
	heartbeat := h.heartbeat
	if heartbeat == Unset || heartbeat == "" {
		heartbeat = "3600"
	}
	out := Join(h.name, Text(": "+h.transition+", default "+strings.ToUpper(result)+", heartbeat "+heartbeat+" s"))
	if h.target.String() != Unset {
		out = Join(out, Text(", notifies "), h.target)
	}
	if h.role.String() != Unset {
		out = Join(out, Text(", as role "), h.role)
	}
	if h.metadata.String() != Unset {
		out = Join(out, Text(", metadata "), h.metadata)
	}
	if !h.atCreation {
		out = Join(out, Text(" (added after the group is created: its first instances launch without it)"))
	}
	return out
}

// rollout is what a new launch template does to a group's running
// instances, in instances of its desired capacity.
type rollout struct {
	batch, minInService, pause string
	suspend                    []string
}

// noRollout: no rolling update; a new launch template reaches only the
// instances launched later.
var noRollout = rollout{batch: "none", minInService: "none", pause: "none"}

func (r rollout) set(e *Entity) {
	e.Props["rolling-update.batch"] = ScalarText(r.batch)
	e.Props["rolling-update.min-in-service"] = ScalarText(r.minInService)
	e.Props["rolling-update.pause"] = ScalarText(r.pause)
	var items []Expr
	for _, p := range r.suspend {
		items = append(items, Text(p))
	}
	e.Props["rolling-update.suspend-processes"] = SetOf(items...)
}

func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(inventory.NormalizeNumber(s))
	return n, err == nil
}

// refreshRollout resolves an instance refresh's percentages of the
// desired capacity into instances: at least ceil(min%·D) stay in service,
// at most floor(max%·D) run, so max(1, the difference) are replaced at a
// time.
func refreshRollout(desired, minPct, maxPct, warmup string) (rollout, error) {
	r := rollout{pause: seconds(warmup)}
	d, okD := atoi(desired)
	lo, okLo := atoi(minPct)
	hi, okHi := atoi(maxPct)
	if !okD || !okLo || !okHi {
		r.batch = "up to " + maxPct + "% - " + minPct + "% of " + desired
		r.minInService = minPct + "% of " + desired
		return r, fmt.Errorf("rolling update: the desired capacity %q or a healthy percentage (%q, %q) is not a number, so the instance refresh is not resolved into instances", desired, minPct, maxPct)
	}
	floor := (lo*d + 99) / 100
	ceiling := hi * d / 100
	batch := max(ceiling-floor, 1)
	r.batch = strconv.Itoa(batch) + " at a time"
	r.minInService = strconv.Itoa(floor) + " of " + strconv.Itoa(d)
	return r, nil
}

// rollingRollout resolves CloudFormation's AutoScalingRollingUpdate
// against the desired capacity.
func rollingRollout(desired, maxBatch, minInService, pause string, suspend []string) (rollout, error) {
	r := rollout{minInService: minInService + " of " + desired, suspend: suspend}
	secs, err := isoSeconds(pause)
	if err != nil {
		r.pause = pause
	} else {
		r.pause = strconv.Itoa(secs) + " s"
	}
	d, okD := atoi(desired)
	b, okB := atoi(maxBatch)
	m, okM := atoi(minInService)
	switch {
	case okB && okD:
		r.batch = strconv.Itoa(min(b, d)) + " at a time"
	case okB:
		r.batch = strconv.Itoa(b) + " at a time"
	default:
		r.batch = maxBatch + " at a time"
	}
	if okM && okD {
		r.minInService = strconv.Itoa(m) + " of " + strconv.Itoa(d)
	}
	sort.Strings(r.suspend)
	if !okD || !okB || !okM {
		return r, fmt.Errorf("rolling update: the desired capacity %q, MaxBatchSize %q or MinInstancesInService %q is not a number", desired, maxBatch, minInService)
	}
	if err != nil {
		return r, fmt.Errorf("rolling update: PauseTime %q: %w", pause, err)
	}
	return r, nil
}

// seconds renders a number of seconds.
func seconds(s string) string {
	if _, ok := atoi(s); ok {
		return inventory.NormalizeNumber(s) + " s"
	}
	return s
}

var isoDuration = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

// isoSeconds reads an ISO 8601 duration of hours, minutes and seconds
// (what PauseTime accepts).
func isoSeconds(s string) (int, error) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, fmt.Errorf("not an ISO 8601 duration (PT#H#M#S)")
	}
	total := 0
	for i, unit := range []int{3600, 60, 1} {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			total += n * unit
		}
	}
	return total, nil
}

// policyKey names a scaling policy by its group and what it tracks.
func (b *builder) policyKey(group inventory.Value, metric string) string {
	g := b.text(group)
	if o := b.ownerOf(group); o != nil && o.Kind == AutoScalingGroup {
		g = o.Key
	}
	return g + " " + metric
}
