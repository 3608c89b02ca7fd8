package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/diff"
	"github.com/twinstack/twinstack/internal/toolenv"
)

// runDiff compares Terraform and CloudFormation by meaning: the synth
// outputs, or hand-written ones. Exit 0: equivalent and everything
// compared; 1: differences; 3: no difference found but something not
// compared; 2: unreadable input or bad flags.
//
//	twinstack diff [--tf PATH] [--cfn PATH] [--format table|json|markdown] [--synth] [--stack NAME]
//	               [--tf-var NAME=VALUE]... [--tf-var-file PATH]... [--cfn-param NAME=VALUE]...
//	               [--match TF_ADDRESS=CFN_LOGICAL_ID]... [--region REGION]
//
// --tf takes a .tf.json file, a .tf file or a root-module directory;
// --cfn a JSON or YAML template.
//
// Flags may also come from TWINSTACK_DIFF_* variables (TWINSTACK_DIFF_FORMAT).
// Without --tf/--cfn the outputs of a fresh synth are read:
// cdktf.out/stacks/<stack>/cdk.tf.json and cdk.out/<stack>.template.json,
// the stack name being the configuration's (the prefix by default).
func runDiff(ctx context.Context, e *Env, args []string) error {
	const op = "diff"
	fs := flag.NewFlagSet("twinstack diff", flag.ContinueOnError)
	tfPath := fs.String("tf", "", "Terraform: a .tf.json file, a .tf file or a module directory (default cdktf.out/stacks/<stack>/cdk.tf.json)")
	cfnPath := fs.String("cfn", "", "CloudFormation template, JSON or YAML (default cdk.out/<stack>.template.json)")
	var tfVars, cfnParams, matches pairs
	var varFiles multi
	fs.Var(&tfVars, "tf-var", "set a Terraform variable: NAME=VALUE (repeatable)")
	fs.Var(&varFiles, "tf-var-file", "read Terraform variables from a .tfvars file (repeatable)")
	fs.Var(&cfnParams, "cfn-param", "set a CloudFormation parameter: NAME=VALUE (repeatable)")
	region := fs.String("region", "", "the region both stacks deploy to: AWS::Region and Terraform's aws_region compare as it")
	fs.Var(&matches, "match", "pair a Terraform address with a CloudFormation logical ID: TF_ADDRESS=CFN_ID (repeatable)")
	format := fs.String("format", "table", "report format: table, json or markdown")
	synth := fs.Bool("synth", false, "run npx cdktf synth and npx cdk synth first")
	stack := fs.String("stack", "", "stack name for the default paths (default: from the configuration)")
	if err := config.Parse(fs, args, "TWINSTACK_DIFF", e.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(e.Stderr)
			fs.Usage()
			return err
		}
		return apperr.E(apperr.Invalid, op, err)
	}
	if fs.NArg() > 0 {
		return apperr.Errorf(apperr.Invalid, op, "unexpected argument %q", fs.Arg(0))
	}
	f, err := diff.ParseFormat(*format)
	if err != nil {
		return apperr.E(apperr.Invalid, op, err)
	}
	if *synth {
		if err := runSynth(ctx, e); err != nil {
			return err
		}
	}
	if *tfPath == "" || *cfnPath == "" {
		name := *stack
		if name == "" {
			cfg, err := config.Load(nil, e.Getenv)
			if err != nil {
				return err
			}
			name = cfg.StackName
		}
		if *tfPath == "" {
			*tfPath = filepath.Join("cdktf.out", "stacks", name, "cdk.tf.json")
		}
		if *cfnPath == "" {
			*cfnPath = filepath.Join("cdk.out", name+".template.json")
		}
	}
	tf, err := readInput(*tfPath, "--tf")
	if err != nil {
		return err
	}
	cf, err := readInput(*cfnPath, "--cfn")
	if err != nil {
		return err
	}
	opts := diff.Options{TFVars: tfVars.m, CFNParams: cfnParams.m, Region: *region}
	for _, p := range matches.list {
		opts.Match = append(opts.Match, diff.Pin{TF: p[0], CFN: p[1]})
	}
	// As terraform does: terraform.tfvars, then *.auto.tfvars in the
	// module directory, then the files given.
	if len(tf.Files) > 0 {
		auto, _ := filepath.Glob(filepath.Join(tf.Path, "*.auto.tfvars"))
		if _, err := os.Stat(filepath.Join(tf.Path, "terraform.tfvars")); err == nil {
			auto = append([]string{filepath.Join(tf.Path, "terraform.tfvars")}, auto...)
		}
		varFiles = append(multi(auto), varFiles...)
	}
	for _, f := range varFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return apperr.E(apperr.Invalid, op, fmt.Errorf("read %s: %w", f, err))
		}
		opts.TFVarFiles = append(opts.TFVarFiles, diff.Input{Path: f, Data: data})
	}
	if len(tf.Files) > 0 || strings.HasSuffix(tf.Path, ".tf") {
		dir := tf.Path
		if len(tf.Files) == 0 {
			dir = filepath.Dir(tf.Path)
		}
		opts.ReadFile = func(name string) ([]byte, error) {
			if !filepath.IsAbs(name) {
				name = filepath.Join(dir, name)
			}
			return os.ReadFile(name)
		}
	}
	report, err := diff.RunWith(tf, cf, opts)
	if err != nil {
		return apperr.E(apperr.Invalid, op, err)
	}
	if err := report.Write(e.Stdout, f); err != nil {
		return apperr.E(apperr.Internal, op, fmt.Errorf("write report: %w", err))
	}
	switch report.Status {
	case diff.Equivalent:
		return nil
	case diff.Different:
		return errExit(exitFail)
	}
	fmt.Fprintf(e.Stderr, "twinstack diff: no difference found, but %d items not compared: equivalence cannot be claimed\n", len(report.Unsupported))
	return errExit(exitNotCompared)
}

// exitNotCompared: no difference found, but not everything was compared.
const exitNotCompared = 3

// pairs is a repeatable NAME=VALUE flag.
type pairs struct {
	m    map[string]string
	list [][2]string
}

func (p *pairs) String() string { return fmt.Sprint(p.list) }

func (p *pairs) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.m[k] = v
	p.list = append(p.list, [2]string{k, v})
	return nil
}

// multi is a repeatable flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// readInput reads a document, or for --tf a module directory: its .tf
// files (or its one .tf.json file).
func readInput(path, flagName string) (diff.Input, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if flagName != "--tf" {
			return diff.Input{}, apperr.E(apperr.Invalid, "diff", fmt.Errorf("read %s: is a directory (--cfn takes one template)", path))
		}
		return readModule(path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		hint := ""
		if errors.Is(err, os.ErrNotExist) {
			hint = fmt.Sprintf(" (synthesize first: twinstack diff --synth, or pass %s)", flagName)
		}
		return diff.Input{}, apperr.E(apperr.Invalid, "diff", fmt.Errorf("read %s: %w%s", path, err, hint))
	}
	return diff.Input{Path: path, Data: data}, nil
}

// readModule reads the .tf files of a root-module directory. A directory
// of exactly one .tf.json file is that file; .tf and .tf.json mixed are
// not supported.
func readModule(dir string) (diff.Input, error) {
	tfs, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	jsons, _ := filepath.Glob(filepath.Join(dir, "*.tf.json"))
	switch {
	case len(tfs) == 0 && len(jsons) == 1:
		return readInput(jsons[0], "--tf")
	case len(tfs) > 0 && len(jsons) > 0:
		return diff.Input{}, apperr.E(apperr.Unsupported, "diff", fmt.Errorf("%s: mixing .tf and .tf.json files in one module is not supported", dir))
	case len(tfs) == 0:
		return diff.Input{}, apperr.E(apperr.Invalid, "diff", fmt.Errorf("%s: no .tf or .tf.json files", dir))
	}
	in := diff.Input{Path: dir}
	for _, f := range tfs {
		data, err := os.ReadFile(f)
		if err != nil {
			return diff.Input{}, apperr.E(apperr.Invalid, "diff", fmt.Errorf("read %s: %w", f, err))
		}
		in.Files = append(in.Files, diff.Input{Path: f, Data: data})
	}
	return in, nil
}

// runSynth runs both synths in the current directory, their output on
// stderr so that stdout holds the report alone.
func runSynth(ctx context.Context, e *Env) error {
	npx, err := lookPath("npx", e.Getenv("PATH"))
	if err != nil {
		return apperr.E(apperr.Unsupported, "diff --synth", fmt.Errorf("npx not found (install Node.js and run npm ci): %w", err))
	}
	for _, args := range [][]string{{"cdktf", "synth"}, {"cdk", "synth", "--quiet"}} {
		cmd := exec.CommandContext(ctx, npx, args...)
		cmd.Stdout, cmd.Stderr = e.Stderr, e.Stderr
		cmd.Env = childEnv(e.Getenv)
		if err := cmd.Run(); err != nil {
			return apperr.E(apperr.Internal, "diff --synth", fmt.Errorf("npx %s: %w", strings.Join(args, " "), err))
		}
	}
	return nil
}

// childEnv is the process environment with the settings the synth CLIs need
// quiet and offline, and PATH as the command sees it.
func childEnv(getenv func(string) string) []string {
	env := os.Environ()
	if p := getenv("PATH"); p != "" {
		env = append(env, "PATH="+p)
	}
	return append(env, toolenv.Environ()...)
}

// lookPath finds an executable in path (a PATH list), or in the process
// PATH when path is empty.
func lookPath(name, path string) (string, error) {
	if path == "" {
		return exec.LookPath(name)
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}
