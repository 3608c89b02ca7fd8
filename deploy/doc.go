// Package deploy holds the deployment files of the server outside the
// stacks: the systemd unit the stacks' user data installs
// (twinstack-server.service, byte-for-byte constructs.ServiceUnit of
// constructs.ServerBinaryPath, checked by a test) for operators who install
// by hand. The stacks render the unit from the model, not from this file.
package deploy

import _ "embed"

// ServiceUnit is the content of twinstack-server.service.
//
//go:embed twinstack-server.service
var ServiceUnit string
