package main

import "context"

func runConsistency(ctx context.Context, e *Env, args []string) error { return notYet("consistency") }
