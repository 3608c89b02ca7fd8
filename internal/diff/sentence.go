package diff

import (
	"fmt"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/entity"
)

// noun names a compared property in words.
func noun(p string) string {
	nouns := map[string]string{
		"name": "name", "versioning": "versioning", "encryption": "default encryption", "policy": "bucket policy",
		"data-on-destroy": "what happens to its data on destroy", "partition-key": "partition key", "sort-key": "sort key",
		"billing-mode": "billing mode", "capacity": "provisioned capacity", "point-in-time-recovery": "point-in-time recovery",
		"indexes": "secondary indexes", "deletion-protection": "deletion protection", "cidr": "CIDR block",
		"dns-support": "DNS support", "dns-hostnames": "DNS hostnames", "vpc": "VPC", "availability-zone": "availability zone",
		"public-ip-on-launch": "public IP on launch", "routes": "routes", "description": "description", "ingress": "inbound rules",
		"egress": "outbound rules", "trust": "trust policy", "policy-names": "inline policy names", "permissions": "permissions",
		"artifact-access": "access to the deploy artifacts", "instance-profile": "instance profile", "type": "type", "ami": "AMI",
		"subnet": "subnet", "security-groups": "security groups", "profile": "instance profile", "imds.tokens": "IMDSv2 token setting",
		"imds.endpoint": "metadata endpoint", "imds.hop-limit": "metadata hop limit", "user-data.fetch": "binary download in its user data",
		"user-data.environment": "server environment in its user data", "user-data.script": "user data script",
		"runtime": "runtime", "architecture": "architecture", "handler": "handler", "memory": "memory", "timeout": "timeout",
		"environment": "environment", "vpc.subnets": "VPC subnets", "vpc.security-groups": "VPC security groups", "role": "role",
		"package": "package", "url.auth": "function URL auth", "url.invoke-mode": "function URL invoke mode", "value": "value",
		"launch-tags": "tags at launch", "launch-template": "launch template", "launch-template.version": "launch template version",
		"min-size": "minimum size", "max-size": "maximum size", "desired-capacity": "desired capacity", "target-groups": "target groups",
		"health-check.type": "health check type", "health-check.grace-period": "health check grace period",
		"default-instance-warmup": "default instance warmup", "tags": "tags", "launch-hooks": "lifecycle hooks",
		"rolling-update.batch": "rolling update batch (instances replaced at a time)", "rolling-update.min-in-service": "rolling update floor (instances kept in service)",
		"rolling-update.pause": "rolling update pause after each batch", "rolling-update.suspend-processes": "processes suspended during a rolling update",
		"group": "Auto Scaling group", "metric": "metric", "resource-label": "resource label", "target-value": "target value",
		"disable-scale-in": "scale-in switch-off", "warmup": "instance warmup",
	}
	if n, ok := nouns[p]; ok {
		return n
	}
	return strings.ReplaceAll(p, ".", " ")
}

func quoteAll(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = fmt.Sprintf("%q", it)
	}
	return strings.Join(q, ", ")
}

// sentence says a difference in words.
func sentence(d Difference) string {
	tv, cv := strings.Join(d.Terraform, ", "), strings.Join(d.CloudFormation, ", ")
	what := d.Kind
	switch {
	case d.Property == "profile" && tv == entity.Unset:
		return "Terraform's instance has no instance profile: its role is never attached to it (CloudFormation attaches " + cv + ")"
	case d.Property == "profile" && cv == entity.Unset:
		return "CloudFormation's instance has no instance profile: its role is never attached to it (Terraform attaches " + tv + ")"
	case d.Property == "instance-profile" && len(d.Terraform) == 0:
		return "Terraform's role has no instance profile, so no instance can use it; CloudFormation's has " + quoteAll(d.CloudFormation)
	case d.Property == "instance-profile" && len(d.CloudFormation) == 0:
		return "CloudFormation's role has no instance profile, so no instance can use it; Terraform's has " + quoteAll(d.Terraform)
	case d.Property == "ami" && (strings.HasPrefix(tv, "{AMI lookup") || strings.HasPrefix(cv, "{AMI lookup")):
		if strings.HasPrefix(tv, "{AMI lookup") {
			return "Terraform chooses the AMI by a lookup at plan time (" + strings.Trim(tv, "{}") + "), CloudFormation pins " + cv + ": the image may not be the same"
		}
		return "CloudFormation chooses the AMI by a lookup (" + strings.Trim(cv, "{}") + "), Terraform pins " + tv + ": the image may not be the same"
	case d.Set:
		var parts []string
		if len(d.OnlyTerraform) > 0 {
			parts = append(parts, "only Terraform has "+quoteAll(d.OnlyTerraform))
		}
		if len(d.OnlyCloudFormation) > 0 {
			parts = append(parts, "only CloudFormation has "+quoteAll(d.OnlyCloudFormation))
		}
		return "The " + what + "'s " + noun(d.Property) + " differ: " + strings.Join(parts, "; ")
	case tv == entity.Unset:
		return "Terraform's " + what + " sets no " + noun(d.Property) + "; CloudFormation's is " + fmt.Sprintf("%q", cv)
	case cv == entity.Unset:
		return "CloudFormation's " + what + " sets no " + noun(d.Property) + "; Terraform's is " + fmt.Sprintf("%q", tv)
	case strings.Contains(tv, "\n") || strings.Contains(cv, "\n"):
		a, b := shown(d, d.Terraform, d.CloudFormation, nil), shown(d, d.CloudFormation, d.Terraform, nil)
		return "The " + what + "'s " + noun(d.Property) + " differs first at " + strings.Join(a, "") + " (Terraform) / " + strings.Join(b, "") + " (CloudFormation)"
	}
	return fmt.Sprintf("The %s's %s is %q in Terraform but %q in CloudFormation", what, noun(d.Property), tv, cv)
}

// itemSentence says an entity present on one side only in words.
func itemSentence(side string, it Item) string {
	other := "CloudFormation"
	if side == "CloudFormation" {
		other = "Terraform"
	}
	return fmt.Sprintf("Only %s has the %s %s; %s has nothing that matches it", side, it.Kind, it.Key, other)
}

// findings renders the differences as sentences, grouped by entity, with
// where each entity is declared.
func (r *Report) findings() string {
	var b strings.Builder
	last := ""
	for _, d := range r.Different {
		name := entityName(d.Kind, d.Key)
		if name != last {
			last = name
			b.WriteString(name)
			if at := where(d.TerraformAt, d.CloudFormationAt); at != "" {
				b.WriteString("  (" + at + ")")
			}
			b.WriteString("\n")
		}
		b.WriteString("  - " + d.Sentence + "\n")
	}
	for _, it := range r.OnlyTerraform {
		b.WriteString(entityName(it.Kind, it.Key) + "\n  - " + it.Sentence + "\n")
	}
	for _, it := range r.OnlyCloudFormation {
		b.WriteString(entityName(it.Kind, it.Key) + "\n  - " + it.Sentence + "\n")
	}
	return b.String()
}

func where(tf, cf []string) string {
	var parts []string
	if len(tf) > 0 {
		parts = append(parts, "terraform "+strings.Join(tf, ", "))
	}
	if len(cf) > 0 {
		parts = append(parts, "cloudformation "+strings.Join(cf, ", "))
	}
	return strings.Join(parts, "; ")
}
