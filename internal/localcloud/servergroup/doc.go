// Package servergroup is the local stand-in for what AWS runs around the
// servers' Auto Scaling group and moto does not: moto stores the group
// and launches, terminates and registers its instances (as records), but
// runs no process, no load balancer and no health check.
//
// A StandIn keeps exactly one server process (`twinstack serve`, started
// by a Launcher) per instance the group holds InService, and puts it
// behind an in-process load balancer (lbproxy) once its /readyz answers
// (what the launch hook's CONTINUE waits for). It health-checks each on
// /healthz with the target group's thresholds, scaled down to seconds. A
// server that exits or fails its checks is taken out of the balancer at
// once and reported to the group as Auto Scaling's ELB health check would:
// the instance is marked Unhealthy and terminated without lowering the
// desired capacity, so the group launches a replacement, whose server the
// next poll starts. An instance that leaves the group (scale in) has its
// server stopped gracefully. What moto leaves undone that AWS would do (a
// terminated instance stays registered in the target group; an instance
// is launched without its launch template's metadata options and
// instance profile) is done as a labelled local step and reported as an
// emulator observation: each instance the stand-in first sees is made
// what its launch template version says in those settings, beside its
// server's start (conform.go).
//
// Bounds: the group is polled every Poll (backing off while the emulator
// does not answer); after two or more server failures within a minute the
// next start waits (2 s, doubling, at most 30 s), so a crash-looping
// server is not restarted faster than every few seconds. Making an
// instance what its template says is one attempt per instance, tried
// again at most twice (ConformTries), never holding its server back.
//
// It imports lbproxy and proc and the AWS SDK (the moto Group: Auto
// Scaling, Elastic Load Balancing, EC2); never the rest of the local
// cloud, the model or cmd/.
package servergroup
