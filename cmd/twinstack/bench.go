package main

import "context"

func runBench(ctx context.Context, e *Env, args []string) error { return notYet("bench") }
