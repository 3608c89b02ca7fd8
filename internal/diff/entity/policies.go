package entity

import (
	_ "embed"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

// managedPoliciesJSON holds the documents of the AWS managed policies the
// diff expands into effective permissions, keyed by path and name
// ("service-role/AWSLambdaBasicExecutionRole") with the default version
// they were taken from. Source: the AWS managed policy data shipped with
// moto 5.2.1 (moto/iam/aws_managed_policies.py). A policy that is not here
// is compared by its ARN.
//
//go:embed managed_policies.json
var managedPoliciesJSON []byte

// knownManagedPolicy returns the statements of a known AWS managed policy.
func knownManagedPolicy(name string) ([]statement, bool) {
	raw, err := inventory.DecodeJSON("", managedPoliciesJSON)
	if err != nil {
		return nil, false
	}
	all, ok := inventory.FromJSON(raw).(inventory.Map)
	if !ok {
		return nil, false
	}
	p, ok := all[name].(inventory.Map)
	if !ok {
		return nil, false
	}
	var b builder // literal documents need no dialect
	b.d = literalDialect{}
	sts, err := b.statements(p["document"])
	if err != nil {
		return nil, false
	}
	return sts, true
}

// literalDialect resolves nothing: managed policy documents hold no
// references.
type literalDialect struct{}

func (literalDialect) special(*builder, *inventory.Resource, *inventory.Ref) (Expr, bool) {
	return nil, false
}
func (literalDialect) attr(_ *inventory.Resource, a string) string { return a }
func (literalDialect) post(e Expr) Expr                            { return e }

func (literalDialect) notCompared(string, string) (string, bool) { return "", false }
