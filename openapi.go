// Package twinstack holds the files of the repository root that programs
// embed: the OpenAPI document of the server (openapi.yaml), served at
// /openapi.yaml. It imports nothing of the project.
package twinstack

import _ "embed"

// OpenAPI is the server's OpenAPI 3 document.
//
//go:embed openapi.yaml
var OpenAPI string
