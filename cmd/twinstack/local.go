package main

import "context"

func runLocal(ctx context.Context, e *Env, args []string) error { return notYet("local") }
