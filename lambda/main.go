package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/lambda/relay"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	r, err := setup(os.Args[1:], os.Getenv, log)
	if err != nil {
		log.Error("invalid configuration", "code", string(apperr.CodeOf(err)), "err", err.Error())
		os.Exit(2)
	}
	lambda.Start(r)
}

// Config is the Lambda's configuration.
type Config struct {
	// ServerURL is the server's base URL.
	ServerURL string
}

// loadConfig resolves the configuration from flags and the environment
// (flags win). It is the only place that reads settings.
func loadConfig(args []string, getenv func(string) string) (Config, error) {
	const op = "lambda.loadConfig"
	var c Config
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.ServerURL, "server-url", "", "base URL of the image server (env SERVER_URL)")
	if err := config.Parse(fs, args, "", getenv); err != nil {
		return Config{}, apperr.E(apperr.InvalidConfig, op, err)
	}
	if c.ServerURL == "" {
		return Config{}, apperr.Errorf(apperr.InvalidConfig, op, "SERVER_URL is not set: want the server's base URL, such as http://10.0.1.10:8080")
	}
	return c, nil
}

// setup builds the relay from the configuration. It touches no network.
func setup(args []string, getenv func(string) string, log *slog.Logger) (*relay.Relay, error) {
	c, err := loadConfig(args, getenv)
	if err != nil {
		return nil, err
	}
	u, err := relay.ParseServerURL(c.ServerURL)
	if err != nil {
		return nil, apperr.E(apperr.InvalidConfig, "lambda.setup", fmt.Errorf("SERVER_URL=%q: %w", c.ServerURL, err))
	}
	return relay.New(u, relay.NewHTTPClient(), log, relay.Options{})
}
