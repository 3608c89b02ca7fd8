package main

import "context"

func runVerify(ctx context.Context, e *Env, args []string) error { return notYet("verify") }
