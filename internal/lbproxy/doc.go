// Package lbproxy is the local stand-in for the Application Load Balancer:
// a round-robin reverse proxy over the local server processes that
// health-checks each on its health path (/healthz, as the target group does)
// and sends traffic only to healthy targets.
//
// It is deliberately small: no stickiness, no weights, no retries of
// requests with bodies. It uses the standard library only and must not
// import the server or anything AWS.
package lbproxy
