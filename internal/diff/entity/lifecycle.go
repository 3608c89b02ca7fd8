package entity

import (
	"sort"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// lifecycleRule is a bucket lifecycle rule by meaning: its ID is a label
// and is not compared.
type lifecycleRule struct {
	status, prefix                 string
	abortDays, noncurrentDays      string
	expirationDays, noncurrentKeep string
}

// text is the compared form of a rule.
func (r lifecycleRule) text() string {
	scope := "all objects"
	if r.prefix != "" {
		scope = "prefix " + r.prefix
	}
	var acts []string
	if r.abortDays != "" {
		acts = append(acts, "abort incomplete multipart uploads after "+r.abortDays+" d")
	}
	if r.noncurrentDays != "" {
		a := "expire noncurrent versions after " + r.noncurrentDays + " d"
		if r.noncurrentKeep != "" {
			a += " keeping " + r.noncurrentKeep
		}
		acts = append(acts, a)
	}
	if r.expirationDays != "" {
		acts = append(acts, "expire current versions after "+r.expirationDays+" d")
	}
	if len(acts) == 0 {
		acts = []string{"no action"}
	}
	return strings.ToLower(r.status) + ", " + scope + ": " + strings.Join(acts, "; ")
}

// lifecycleProp turns rules into the bucket's "lifecycle" property (a set:
// rule order does not matter).
func lifecycleProp(rules []lifecycleRule) Prop {
	var items []Expr
	for _, r := range rules {
		items = append(items, Text(r.text()))
	}
	return SetOf(items...)
}

// unknownKeys lists the keys of a map value outside known, sorted.
func unknownKeys(v inventory.Value, known ...string) []string {
	m, ok := one(v).(inventory.Map)
	if !ok {
		return nil
	}
	var out []string
	for k := range m {
		found := false
		for _, x := range known {
			if k == x {
				found = true
			}
		}
		if !found {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// tfLifecycle reads the rules of aws_s3_bucket_lifecycle_configuration
// resources.
func (b *builder) tfLifecycle(parts []*inventory.Resource) []lifecycleRule {
	var out []lifecycleRule
	for _, res := range parts {
		for _, r := range list(b.read(res, "rule")) {
			if u := unknownKeys(r, "id", "status", "filter", "prefix", "abort_incomplete_multipart_upload", "noncurrent_version_expiration", "expiration"); len(u) > 0 {
				b.problem(res, "lifecycle rule: not compared: "+strings.Join(u, ", "))
			}
			if u := unknownKeys(get(r, "filter"), "prefix"); len(u) > 0 {
				b.problem(res, "lifecycle rule filter: not compared: "+strings.Join(u, ", "))
			}
			out = append(out, lifecycleRule{
				status:         literal(get(r, "status"), Unset),
				prefix:         literal(get(r, "filter", "prefix"), literal(get(r, "prefix"), "")),
				abortDays:      numText(get(r, "abort_incomplete_multipart_upload", "days_after_initiation"), ""),
				noncurrentDays: numText(get(r, "noncurrent_version_expiration", "noncurrent_days"), ""),
				noncurrentKeep: numText(get(r, "noncurrent_version_expiration", "newer_noncurrent_versions"), ""),
				expirationDays: numText(get(r, "expiration", "days"), ""),
			})
		}
	}
	return out
}

// cfnLifecycle reads AWS::S3::Bucket LifecycleConfiguration.Rules.
func (b *builder) cfnLifecycle(res *inventory.Resource) []lifecycleRule {
	var out []lifecycleRule
	for _, r := range list(b.read(res, "LifecycleConfiguration", "Rules")) {
		if u := unknownKeys(r, "Id", "Status", "Prefix", "AbortIncompleteMultipartUpload", "NoncurrentVersionExpiration",
			"NoncurrentVersionExpirationInDays", "ExpirationInDays"); len(u) > 0 {
			b.problem(res, "lifecycle rule: not compared: "+strings.Join(u, ", "))
		}
		nc := numText(get(r, "NoncurrentVersionExpiration", "NoncurrentDays"), numText(get(r, "NoncurrentVersionExpirationInDays"), ""))
		out = append(out, lifecycleRule{
			status:         literal(get(r, "Status"), Unset),
			prefix:         literal(get(r, "Prefix"), ""),
			abortDays:      numText(get(r, "AbortIncompleteMultipartUpload", "DaysAfterInitiation"), ""),
			noncurrentDays: nc,
			noncurrentKeep: numText(get(r, "NoncurrentVersionExpiration", "NewerNoncurrentVersions"), ""),
			expirationDays: numText(get(r, "ExpirationInDays"), ""),
		})
	}
	return out
}

// ttlText is a table's TTL: the attribute when enabled, else "off".
func ttlText(attr inventory.Value, enabled string) string {
	if enabled != "true" {
		return "off"
	}
	return literal(attr, Unset)
}

// reservedText is a function's reserved concurrency ("unreserved" when
// absent; Terraform's -1 means the same).
func reservedText(v inventory.Value) string {
	n := numText(v, "unreserved")
	if n == "-1" {
		return "unreserved"
	}
	return n
}
