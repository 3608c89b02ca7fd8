package cdktf_test

import (
	"testing"

	stack "github.com/twinstack/twinstack/stacks/cdktf"
)

// BenchmarkSynth measures an in-process render + synth (the jsii runtime is
// already warm after the first iteration) by instance count.
func BenchmarkSynth(b *testing.B) {
	root := fakeRoot(b)
	for _, name := range []string{"count1", "count3"} {
		b.Run(name, func(b *testing.B) {
			cfg, sys := loadCase(b, name)
			out := b.TempDir()
			b.ReportAllocs()
			for b.Loop() {
				app := stack.NewApp(out)
				if _, err := stack.New(app, cfg, sys, stack.Options{Root: root}); err != nil {
					b.Fatal(err)
				}
				app.Synth()
			}
		})
	}
}
