// Package lbproxy is the local stand-in for the Application Load Balancer:
// a round-robin reverse proxy over the local server processes that
// health-checks each on its health path (/healthz, as the target group does)
// and sends traffic only to healthy targets. Its targets are fixed (New) or
// added and removed as instances come and go (NewPool, Add, Remove: the
// Auto Scaling group's stand-in decides their health itself).
//
// It is deliberately small: no stickiness, no weights. The one retry it
// makes is for a connection refused before anything was sent (a target
// whose process is gone): the request goes to the next target, so a dead
// server costs only the requests that were in flight on it, which it
// counts (Stats).
//
// It uses the standard library only and must not import the server or
// anything AWS.
package lbproxy
