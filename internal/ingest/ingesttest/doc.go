// Package ingesttest provides in-process fakes of the S3 and DynamoDB calls
// that ingest and the albums store make, for unit tests and benchmarks
// without a network. The DynamoDB fake evaluates the small expression
// language the project uses (attribute_not_exists, =, <, AND, OR,
// parentheses; SET updates), so conditional writes behave as in DynamoDB,
// including under concurrency. Hooks inject failures per operation.
//
// Only tests import this package.
package ingesttest
