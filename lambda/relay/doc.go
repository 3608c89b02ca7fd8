// Package relay is the Lambda's handler logic: it accepts an image URL, from
// a direct invocation ({"image_url": "…"}) or from a function URL / API
// Gateway HTTP API v2 event whose JSON body is that object, asks the server to
// ingest it (POST <server>/images with the invocation's request id as
// Idempotency-Key) and answers with the server's JSON plus timings.
//
// Every outcome is an answer, never a function error or a panic: the server's
// own answers pass through with their status (a 429 too_many_requests from a
// full server keeps its Retry-After, as a header of a function URL answer
// and as retry_after_s in the body), and a server that cannot be
// reached, does not answer before the invocation's deadline (less a margin)
// or answers something other than JSON becomes a failure payload shaped like
// the server's, with code server_unreachable, server_timeout or bad_gateway.
//
// Relay implements the aws-lambda-go Handler interface (Invoke) but imports
// only the events and lambdacontext packages of that module, never its
// runtime loop; it reads no environment and builds no client: main passes the
// HTTP client, the server URL and the logger in. It must not import the
// server, the AWS SDK or anything under cmd/.
package relay
