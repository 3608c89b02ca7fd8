package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestDiffScripts runs testdata/diff/*.txtar. `twinstack` runs Main
// in-process; relative --tf/--cfn paths are the script's, and an exit
// status other than 0 is a failure reported as "exit status N" on stderr.
func TestDiffScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "diff"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"twinstack": func(ts *testscript.TestScript, neg bool, args []string) {
				args = append([]string(nil), args...)
				for i := 0; i+1 < len(args); i++ {
					if args[i] == "--tf" || args[i] == "--cfn" {
						args[i+1] = ts.MkAbs(args[i+1])
					}
				}
				code := Main(context.Background(), args, ts.Getenv, ts.Stdout(), ts.Stderr())
				if code != 0 {
					ts.Stderr().Write([]byte("exit status " + string(rune('0'+code)) + "\n"))
				}
				if (code != 0) != neg {
					ts.Fatalf("twinstack %s: exit status %d", strings.Join(args, " "), code)
				}
			},
		},
	})
}

// diffFixture is a Terraform JSON and a CloudFormation template that
// describe the same bucket: what the CLI's plumbing (paths, --synth, exit
// codes) must find equivalent. Whether the renderers' own outputs are
// equivalent is internal/diff's test (TestOursCompareEqual).
func diffFixture(t *testing.T) (tf, cfn string) {
	t.Helper()
	dir := t.TempDir()
	tf, cfn = filepath.Join(dir, "cdk.tf.json"), filepath.Join(dir, "template.json")
	for path, body := range map[string]string{
		tf: `{"resource": {"aws_s3_bucket": {"b": {"bucket": "demo-bucket"}},
  "aws_s3_bucket_versioning": {"b": {"bucket": "${aws_s3_bucket.b.id}", "versioning_configuration": {"status": "Enabled"}}}}}`,
		cfn: `{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "demo-bucket", "VersioningConfiguration": {"Status": "Enabled"}}}}}`,
	} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return tf, cfn
}

// synthFixture is internal/diff's synthesized pair count2: the renderers'
// outputs for one configuration.
func synthFixture(t *testing.T) (tf, cfn string) {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "internal", "diff", "testdata", "synth", "count2"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "cdk.tf.json"), filepath.Join(dir, "template.json")
}

func diffCopyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func diffEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestDiffSynthOutputs: our real outputs compare EQUIVALENT (exit 0), and
// one changed property on one side is named (exit 1).
func TestDiffSynthOutputs(t *testing.T) {
	tf, cfn := synthFixture(t)
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"diff", "--tf", tf, "--cfn", cfn}, diffEnv(nil), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "EQUIVALENT: 27 equal, 0 different properties, 0 only in Terraform, 0 only in CloudFormation, 0 unsupported") {
		t.Errorf("report:\n%s", out.String())
	}

	b, err := os.ReadFile(tf)
	if err != nil {
		t.Fatal(err)
	}
	mutated := filepath.Join(t.TempDir(), "cdk.tf.json")
	changed := strings.Replace(string(b), `"enable_dns_hostnames": true`, `"enable_dns_hostnames": false`, 1)
	if changed == string(b) {
		t.Fatal("fixture has no enable_dns_hostnames to change")
	}
	if err := os.WriteFile(mutated, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	code = Main(context.Background(), []string{"diff", "--tf", mutated, "--cfn", cfn}, diffEnv(nil), &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"DIFFERENT: 26 equal, 1 different properties", "dns-hostnames"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestDiffDefaultPaths: without --tf/--cfn the command reads a fresh
// synth's outputs, named after the stack (the configuration's prefix).
func TestDiffDefaultPaths(t *testing.T) {
	tf, cfn := diffFixture(t)
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		stack string
		code  int
	}{
		{"default stack", nil, nil, "twinstack", 0},
		{"prefix from the environment", map[string]string{"TWINSTACK_PREFIX": "tw-demo"}, nil, "tw-demo", 0},
		{"stack flag", nil, []string{"--stack", "other"}, "other", 0},
		{"nothing synthesized", nil, []string{"--stack", "absent"}, "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			if tc.stack != "" {
				diffCopyFile(t, tf, filepath.Join("cdktf.out", "stacks", tc.stack, "cdk.tf.json"))
				diffCopyFile(t, cfn, filepath.Join("cdk.out", tc.stack+".template.json"))
			}
			var out, errb bytes.Buffer
			code := Main(context.Background(), append([]string{"diff"}, tc.args...), diffEnv(tc.env), &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out.String(), errb.String())
			}
			if tc.code == 2 && !strings.Contains(errb.String(), "twinstack diff --synth") {
				t.Errorf("no hint to synthesize: %s", errb.String())
			}
		})
	}
}

// TestDiffSynth: --synth runs `npx cdktf synth` and `npx cdk synth` in the
// working directory before reading their outputs. A stand-in npx writes
// the fixtures where the real CLIs would.
func TestDiffSynth(t *testing.T) {
	tf, cfn := diffFixture(t)
	bin := t.TempDir()
	script := "#!/bin/sh\n" +
		"echo \"$@\" >> npx.log\n" +
		"case \"$1\" in\n" +
		"cdktf) mkdir -p cdktf.out/stacks/twinstack && cp '" + tf + "' cdktf.out/stacks/twinstack/cdk.tf.json ;;\n" +
		"cdk) mkdir -p cdk.out && cp '" + cfn + "' cdk.out/twinstack.template.json ;;\n" +
		"*) exit 3 ;;\n" +
		"esac\n"
	if err := os.WriteFile(filepath.Join(bin, "npx"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Run("runs both synths", func(t *testing.T) {
		t.Chdir(t.TempDir())
		var out, errb bytes.Buffer
		path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
		code := Main(context.Background(), []string{"diff", "--synth", "--format", "json"}, diffEnv(map[string]string{"PATH": path}), &out, &errb)
		if code != 0 {
			t.Fatalf("exit %d, want 0 (equivalent outputs)\n%s", code, errb.String())
		}
		log, err := os.ReadFile("npx.log")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(log), "cdktf synth\ncdk synth --quiet\n"; got != want {
			t.Errorf("npx ran %q, want %q", got, want)
		}
		if !strings.Contains(out.String(), `"status": "equivalent"`) {
			t.Errorf("report: %s", out.String())
		}
	})
	t.Run("synth fails", func(t *testing.T) {
		t.Chdir(t.TempDir())
		failing := t.TempDir()
		if err := os.WriteFile(filepath.Join(failing, "npx"), []byte("#!/bin/sh\nexit 7\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"diff", "--synth"}, diffEnv(map[string]string{"PATH": failing}), &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "npx cdktf synth: exit status 7") {
			t.Errorf("exit %d, stderr %q", code, errb.String())
		}
	})
	t.Run("no npx", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"diff", "--synth"}, diffEnv(map[string]string{"PATH": t.TempDir()}), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "npx not found") {
			t.Errorf("exit %d, stderr %q", code, errb.String())
		}
	})
}
