package main

import "context"

func runDiff(ctx context.Context, e *Env, args []string) error { return notYet("diff") }
