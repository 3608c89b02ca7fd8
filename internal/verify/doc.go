// Package verify is the post-deploy conformance check: it reads a deployed
// system back through the AWS API (SDK for Go v2) and compares it with the
// model built from the same configuration (constructs.New). Each check
// compares exactly one property of one resource (bucket versioning, one
// public-access flag, a table's PITR status, one security-group rule or the
// group's extra rules, the launch template's HttpTokens, the HttpTokens of
// the server group's running instances, one health-check setting, one
// Lambda environment variable, ...), so that a verdict and a gap entry
// cover only that property. A setting the AWS API does not expose (the
// group's rolling update) is a check too: unverified, with a note saying
// where it is compared, never left out. checkSets lists the functions that
// build the checks; a new check file adds its function there.
//
// Verdicts: ok, patched, unverified, drift, missing, error. Only against
// an emulator does a gap list (internal/emugaps) apply, and an entry
// applies only when the observed value equals the one it states. Patches
// run after every check has been read; each sets the model's value
// exactly (extras removed too) and is re-verified: a failed patch is an
// error, a re-check that still differs is drift. Not-found is decided by
// the API error code (smithy.APIError), never by message text.
//
// It imports constructs, emugaps and the AWS SDK; never the stacks, the
// toolchains' libraries or the local cloud.
package verify
