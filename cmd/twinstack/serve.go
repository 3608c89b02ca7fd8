package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	twinstack "github.com/twinstack/twinstack"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/server"
)

// runServe is `twinstack serve`: the image server. Every setting is a flag
// with an environment variable behind it (PORT, IMAGES_BUCKET, …; see
// config.Serve). Bad settings end the process at start with one line naming
// the setting (exit 2). Logs are JSON on stderr. SIGTERM drains in-flight
// requests within SHUTDOWN_TIMEOUT and exits 0.
func runServe(ctx context.Context, e *Env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c, err := config.LoadServe(fs, args, e.Getenv)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(e.Stderr)
		fmt.Fprintln(e.Stderr, "usage: twinstack serve [flags]  (each flag also reads the environment variable of its name: -images-bucket <- IMAGES_BUCKET)")
		fs.PrintDefaults()
		return flag.ErrHelp
	}
	if err != nil {
		return err
	}
	level, _ := c.Level()
	log := slog.New(slog.NewJSONHandler(e.Stderr, &slog.HandlerOptions{Level: level}))

	awsCfg, err := serveAWSConfig(ctx, c, e.Getenv)
	if err != nil {
		return err
	}
	srv, err := server.Build(ctx, c, server.Deps{AWS: awsCfg, Logger: log, OpenAPI: []byte(twinstack.OpenAPI)})
	if err != nil {
		return apperr.E(apperr.Internal, "serve", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.Addr())
	if err != nil {
		return apperr.E(apperr.Internal, "serve", fmt.Errorf("listen on %s (PORT/HOST): %w", c.Addr(), err))
	}
	log.Info("starting", "addr", ln.Addr().String(), "bucket", c.ImagesBucket, "images_table", c.ImagesTable,
		"albums_table", c.AlbumsTable, "region", c.Region, "endpoint", c.Endpoint, "allow_private_origins", c.AllowPrivate,
		"max_image_bytes", c.MaxImageBytes, "download_timeout", c.DownloadTimeout.String())
	return srv.Run(ctx, ln)
}

// serveAWSConfig resolves the SDK configuration. With AWS_ENDPOINT_URL (a
// local cloud) it uses AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the
// environment or dummy "test" credentials and never asks IMDS; otherwise
// the SDK's default chain (on EC2: the instance role).
func serveAWSConfig(ctx context.Context, c config.Serve, getenv func(string) string) (aws.Config, error) {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = 64
	})
	if c.Endpoint != "" {
		cfg := server.LocalAWSConfig(c.Region, getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))
		cfg.HTTPClient = httpClient
		return cfg, nil
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(c.Region), awsconfig.WithHTTPClient(httpClient))
	if err != nil {
		return aws.Config{}, apperr.E(apperr.InvalidConfig, "serve", fmt.Errorf("AWS configuration: %w", err))
	}
	return cfg, nil
}
