package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/twinstack/twinstack/internal/localcloud"
)

// runConsistency is `twinstack consistency --deployment …`: an album posted
// to instance 2 is read from instance 1 and the reverse, and every instance
// lists the same albums. Exit 1 on any disagreement.
func runConsistency(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("consistency", flag.ContinueOnError)
	dep := fs.String("deployment", "", "terraform or cloudformation")
	root := fs.String("dir", ".", "project root")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	_, d, err := loadDeployment(*root, *dep)
	if err != nil {
		return err
	}
	checks, urls, err := localcloud.Consistency(ctx, d, time.Now())
	if err != nil {
		return err
	}
	bad := 0
	for _, c := range checks {
		verdict := "agree"
		if !c.Agree {
			verdict, bad = "DISAGREE", bad+1
		}
		fmt.Fprintf(e.Stdout, "%-9s %s: %s\n", verdict, c.What, c.Got)
	}
	if bad > 0 {
		fmt.Fprintf(e.Stdout, "%s: %d of %d checks disagree across %d instances\n", *dep, bad, len(checks), len(urls))
		return errExit(exitFail)
	}
	fmt.Fprintf(e.Stdout, "%s: all %d instances agree\n", *dep, len(urls))
	return nil
}
