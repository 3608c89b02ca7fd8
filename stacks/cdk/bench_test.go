package cdk

import (
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// BenchmarkSynth measures an in-process synth (render + synthesize the
// cloud assembly, assets staged) on a warm jsii runtime: the first synth,
// which starts node and loads aws-cdk-lib, happens before the timed loop.
func BenchmarkSynth(b *testing.B) {
	for _, name := range []string{"count1", "count3"} {
		b.Run(name, func(b *testing.B) {
			cfg, sys := loadCase(b, name)
			root := fakeRoot(b)
			ctx := cdkContext(b)
			dir := b.TempDir()
			once := func() {
				out, err := os.MkdirTemp(dir, "cdk.out")
				if err != nil {
					b.Fatal(err)
				}
				app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out), Context: &ctx})
				if _, err := New(app, cfg, sys, Options{Root: root}); err != nil {
					b.Fatal(err)
				}
				app.Synth(nil)
			}
			once() // warm-up, not timed
			b.ReportAllocs()
			for b.Loop() {
				once()
			}
		})
	}
}
