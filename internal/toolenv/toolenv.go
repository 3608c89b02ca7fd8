// Package toolenv is the one definition of the environment that keeps the
// toolchain CLIs quiet: the cdktf and cdk CLIs, the jsii runtime under the
// Go apps (Node.js), and terraform. No update checks, no telemetry, no
// Node.js version banners — output a test or a log can rely on.
//
// Everything that starts one of those programs takes its settings from
// here: `twinstack diff --synth`, the local cloud's deploy CLIs and the
// tests that run the real CLIs. It uses nothing but the standard library.
package toolenv

import "sort"

// Quiet returns the settings by variable name; the map is the caller's.
func Quiet() map[string]string {
	return map[string]string{
		// jsii's warning about the Node.js version in use, and its
		// end-of-life banner (the value lists the major versions to
		// silence it for).
		"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION":  "1",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
		// terraform's and cdktf's version check against HashiCorp's
		// checkpoint service.
		"CHECKPOINT_DISABLE":      "1",
		"CDKTF_DISABLE_TELEMETRY": "true",
		// The AWS CDK CLI's version notice and telemetry.
		"CDK_DISABLE_VERSION_CHECK": "true",
		"CDK_DISABLE_CLI_TELEMETRY": "true",
	}
}

// Environ returns Quiet as KEY=VALUE pairs sorted by key, to append to a
// process environment (later entries win in os/exec).
func Environ() []string {
	q := Quiet()
	out := make([]string, 0, len(q))
	for k, v := range q {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}
