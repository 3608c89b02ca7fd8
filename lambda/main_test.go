package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/internal/apperr"
)

func TestSetup(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		endpoint string
		err      string
	}{
		{"from env", map[string]string{"SERVER_URL": "http://10.0.1.10:8080"}, nil, "http://10.0.1.10:8080/images", ""},
		{"flag wins", map[string]string{"SERVER_URL": "http://10.0.1.10:8080"}, []string{"-server-url", "http://internal-alb.example/"}, "http://internal-alb.example/images", ""},
		{"missing", nil, nil, "", "SERVER_URL is not set"},
		{"no scheme", map[string]string{"SERVER_URL": "10.0.1.10:8080"}, nil, "", `SERVER_URL="10.0.1.10:8080"`},
		{"bad scheme", map[string]string{"SERVER_URL": "ftp://h"}, nil, "", `scheme "ftp"`},
		{"unknown flag", nil, []string{"-nope"}, "", "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := setup(tc.args, func(k string) string { return tc.env[k] }, slog.New(slog.DiscardHandler))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || apperr.CodeOf(err) != apperr.InvalidConfig {
					t.Fatalf("err = %v, want invalid_config containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Endpoint() != tc.endpoint {
				t.Errorf("endpoint = %q, want %q", r.Endpoint(), tc.endpoint)
			}
		})
	}
}
