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

// runDiff compares the Terraform and CloudFormation synth outputs by
// meaning. Exit 0: equivalent; 1: differences; 2: unreadable or
// unsupported input, or bad flags.
//
//	twinstack diff [--tf PATH] [--cfn PATH] [--format table|json|markdown] [--synth] [--stack NAME]
//
// Flags may also come from TWINSTACK_DIFF_* variables (TWINSTACK_DIFF_FORMAT).
// Without --tf/--cfn the outputs of a fresh synth are read:
// cdktf.out/stacks/<stack>/cdk.tf.json and cdk.out/<stack>.template.json,
// the stack name being the configuration's (the prefix by default).
func runDiff(ctx context.Context, e *Env, args []string) error {
	const op = "diff"
	fs := flag.NewFlagSet("twinstack diff", flag.ContinueOnError)
	tfPath := fs.String("tf", "", "Terraform JSON from cdktf synth (default cdktf.out/stacks/<stack>/cdk.tf.json)")
	cfnPath := fs.String("cfn", "", "CloudFormation template from cdk synth (default cdk.out/<stack>.template.json)")
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
	report, err := diff.Run(tf, cf)
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
	fmt.Fprintf(e.Stderr, "twinstack diff: %d resources not understood: equivalence cannot be claimed\n", len(report.Unsupported))
	return errExit(exitUsage)
}

func readInput(path, flagName string) (diff.Input, error) {
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
