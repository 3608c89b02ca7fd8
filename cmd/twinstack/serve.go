package main

import "context"

func runServe(ctx context.Context, e *Env, args []string) error { return notYet("serve") }
