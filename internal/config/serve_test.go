package config_test

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/config"
)

func serveEnv(over map[string]string) func(string) string {
	m := map[string]string{
		"IMAGES_BUCKET": "twinstack-images-123456789012-us-east-1",
		"IMAGES_TABLE":  "twinstack-images",
		"ALBUMS_TABLE":  "twinstack-albums",
		"AWS_REGION":    "us-east-1",
	}
	for k, v := range over {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func loadServe(args []string, getenv func(string) string) (config.Serve, error) {
	return config.LoadServe(flag.NewFlagSet("serve", flag.ContinueOnError), args, getenv)
}

func TestLoadServe(t *testing.T) {
	base := config.Serve{
		Port: 8080, ImagesBucket: "twinstack-images-123456789012-us-east-1", ImagesTable: "twinstack-images",
		AlbumsTable: "twinstack-albums", Region: "us-east-1", MaxImageBytes: 20 << 20,
		DownloadTimeout: 10 * time.Second, IMDS: "auto", ShutdownTimeout: 25 * time.Second, LogLevel: "info",
		// The cross-branch contract's defaults.
		AllowedOriginPorts:   []int{80, 443},
		MaxConcurrentIngests: 8, MinDownloadRate: 16 << 10,
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*config.Serve)
	}{
		{"defaults", nil, nil, func(*config.Serve) {}},
		{"env", nil, map[string]string{
			"PORT": "9090", "MAX_IMAGE_BYTES": "1MiB", "DOWNLOAD_TIMEOUT": "3s", "ALLOW_PRIVATE_ORIGINS": "true",
			"AWS_ENDPOINT_URL": "http://localhost:5000", "INSTANCE_ID": "local-1",
		}, func(s *config.Serve) {
			s.Port, s.MaxImageBytes, s.DownloadTimeout, s.AllowPrivate = 9090, 1<<20, 3*time.Second, true
			s.Endpoint, s.InstanceID = "http://localhost:5000", "local-1"
		}},
		{"hardening env", nil, map[string]string{
			"ALLOWED_ORIGIN_PORTS":   "443, 8443,443",
			"MAX_CONCURRENT_INGESTS": "3", "MIN_DOWNLOAD_RATE": "1MiB/s",
		}, func(s *config.Serve) {
			s.AllowedOriginPorts = []int{443, 8443}
			s.MaxConcurrentIngests, s.MinDownloadRate = 3, 1<<20
		}},
		{"rate off", []string{"-min-download-rate", "0"}, nil, func(s *config.Serve) { s.MinDownloadRate = 0 }},
		{"flags win", []string{"-port", "7000", "-max-image-bytes", "1024"}, map[string]string{"PORT": "9090"}, func(s *config.Serve) {
			s.Port, s.MaxImageBytes = 7000, 1024
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := loadServe(tc.args, serveEnv(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			want := base
			tc.want(&want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestLoadServeErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		args []string
		want string // the setting the one-line error names
	}{
		{env: map[string]string{"IMAGES_BUCKET": ""}, want: "IMAGES_BUCKET"},
		{env: map[string]string{"IMAGES_BUCKET": "Bad_Bucket"}, want: "IMAGES_BUCKET"},
		{env: map[string]string{"IMAGES_TABLE": ""}, want: "IMAGES_TABLE"},
		{env: map[string]string{"ALBUMS_TABLE": "x"}, want: "ALBUMS_TABLE"},
		{env: map[string]string{"ALBUMS_TABLE": "twinstack-images"}, want: "ALBUMS_TABLE"},
		{env: map[string]string{"AWS_REGION": ""}, want: "AWS_REGION"},
		{env: map[string]string{"AWS_REGION": "moon"}, want: "AWS_REGION"},
		{env: map[string]string{"PORT": "70000"}, want: "PORT"},
		{env: map[string]string{"PORT": "http"}, want: "PORT"},
		{env: map[string]string{"MAX_IMAGE_BYTES": "lots"}, want: "MAX_IMAGE_BYTES"},
		{env: map[string]string{"MAX_IMAGE_BYTES": "0"}, want: "MAX_IMAGE_BYTES"},
		{env: map[string]string{"DOWNLOAD_TIMEOUT": "10"}, want: "DOWNLOAD_TIMEOUT"},
		{env: map[string]string{"DOWNLOAD_TIMEOUT": "-1s"}, want: "DOWNLOAD_TIMEOUT"},
		{env: map[string]string{"ALLOW_PRIVATE_ORIGINS": "maybe"}, want: "ALLOW_PRIVATE_ORIGINS"},
		{env: map[string]string{"AWS_ENDPOINT_URL": "localhost:5000"}, want: "AWS_ENDPOINT_URL"},
		{env: map[string]string{"IMDS": "sometimes"}, want: "IMDS"},
		{env: map[string]string{"LOG_LEVEL": "loud"}, want: "LOG_LEVEL"},
		{env: map[string]string{"ALLOWED_ORIGIN_PORTS": "80,0"}, want: "ALLOWED_ORIGIN_PORTS"},
		{env: map[string]string{"ALLOWED_ORIGIN_PORTS": "http"}, want: "ALLOWED_ORIGIN_PORTS"},
		{env: map[string]string{"MAX_CONCURRENT_INGESTS": "0"}, want: "MAX_CONCURRENT_INGESTS"},
		{env: map[string]string{"MIN_DOWNLOAD_RATE": "fast"}, want: "MIN_DOWNLOAD_RATE"},
		{args: []string{"-port", "x"}, want: "-port"},
		{args: []string{"-no-such-flag"}, want: "no-such-flag"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			_, err := loadServe(tc.args, serveEnv(tc.env))
			if err == nil {
				t.Fatal("no error")
			}
			if apperr.CodeOf(err) != apperr.InvalidConfig {
				t.Errorf("code %q, want invalid_config", apperr.CodeOf(err))
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s", msg, tc.want)
			}
		})
	}
}

func TestServeUseIMDS(t *testing.T) {
	tests := []struct {
		s    config.Serve
		want bool
	}{
		{config.Serve{IMDS: "auto"}, true},
		{config.Serve{IMDS: "auto", Endpoint: "http://localhost:1"}, false},
		{config.Serve{IMDS: "on", Endpoint: "http://localhost:1"}, true},
		{config.Serve{IMDS: "off"}, false},
		{config.Serve{IMDS: "on", InstanceID: "x"}, false},
	}
	for _, tc := range tests {
		if got := tc.s.UseIMDS(); got != tc.want {
			t.Errorf("%+v: UseIMDS() = %v, want %v", tc.s, got, tc.want)
		}
	}
}
