package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/localcloud"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/verify"
)

// loadDeployment reads the local cloud's state and returns one deployment.
func loadDeployment(root, name string) (*state.State, *state.Deployment, error) {
	st, err := state.Load(filepath.Join(root, state.DefaultPath))
	if err != nil {
		return nil, nil, err
	}
	d := st.Deployments[name]
	if d == nil {
		return nil, nil, apperr.Errorf(apperr.NotFound, "state", "no deployment %q in the state file (have %v)", name, st.Names())
	}
	return st, d, nil
}

// runInvoke is `twinstack invoke --deployment … [--via lambda|server]
// [--image-url URL]`: one request through the chain, its answer, and (on
// the local cloud) the stored object and item read back through the API.
func runInvoke(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	dep := fs.String("deployment", "", "terraform or cloudformation")
	via := fs.String("via", localcloud.ViaLambda, "lambda (the Lambda under its emulator) or server (straight to the server or its balancer)")
	imageURL := fs.String("image-url", "", "image to ingest (default: the local origin's sample image)")
	check := fs.Bool("check", true, "read the stored object and item back through the AWS API")
	root := fs.String("dir", ".", "project root")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	st, d, err := loadDeployment(*root, *dep)
	if err != nil {
		return err
	}
	url := *imageURL
	if url == "" {
		if st.Origin == nil || len(st.Origin.Images) == 0 {
			return apperr.Errorf(apperr.Invalid, "invoke", "no --image-url and no local origin in the state file")
		}
		url = st.Origin.Images[0]
	}
	res, err := localcloud.Invoke(ctx, d, *via, url)
	if err != nil {
		return err
	}
	pretty, _ := json.MarshalIndent(res.Body, "", "  ")
	fmt.Fprintf(e.Stdout, "%s via %s (%s): HTTP %d in %s\n%s\n", *dep, *via, res.URL, res.Status, res.Duration.Round(1e6), pretty)
	if !res.OK() {
		return errExit(exitFail)
	}
	if *check && st.Local() {
		cfg, err := verify.AWSConfig(ctx, st.Region, st.Emulator.Endpoint, false)
		if err != nil {
			return apperr.E(apperr.Internal, "invoke", err)
		}
		s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		got, err := localcloud.CheckStored(ctx, s3c, dynamodb.NewFromConfig(cfg), d, res.Str("key"), res.Str("image_id"))
		if err != nil {
			fmt.Fprintf(e.Stdout, "stored: NO: %v\n", err)
			return errExit(exitFail)
		}
		fmt.Fprintf(e.Stdout, "stored: s3://%s/%s (%d bytes, %s) and item %s in %s\n", d.Bucket, res.Str("key"), got.ObjectBytes, got.ContentType, res.Str("image_id"), d.ImagesTable)
	}
	return nil
}
