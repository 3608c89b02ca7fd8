package main

import "context"

func runInvoke(ctx context.Context, e *Env, args []string) error { return notYet("invoke") }
