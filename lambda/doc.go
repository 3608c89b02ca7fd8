// Command bootstrap is the twinstack Lambda (runtime provided.al2023, built
// as "bootstrap"): it reads its configuration once, builds the one HTTP
// client and the relay, and hands the relay to the aws-lambda-go runtime
// loop. The handler logic lives in lambda/relay.
//
// Configuration: SERVER_URL (or -server-url), the server's base URL; the
// function posts to SERVER_URL + "/images". A missing or invalid setting
// ends the process at init with one log line naming it.
//
// It must stay small: no AWS SDK, no server packages; everything it does per
// invocation is in lambda/relay.
package main
