package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/server"
)

type fakeIMDS struct {
	id    string
	err   error
	calls int
}

func (f *fakeIMDS) GetMetadata(ctx context.Context, in *imds.GetMetadataInput, _ ...func(*imds.Options)) (*imds.GetMetadataOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	if in.Path != "instance-id" {
		return nil, errors.New("unexpected path " + in.Path)
	}
	return &imds.GetMetadataOutput{Content: io.NopCloser(strings.NewReader(f.id))}, nil
}

func TestResolveInstanceID(t *testing.T) {
	host := func() (string, error) { return "host-1", nil }
	noHost := func() (string, error) { return "", errors.New("no") }
	tests := []struct {
		name      string
		c         config.Serve
		imds      *fakeIMDS
		hostname  func() (string, error)
		want      string
		wantCalls int
	}{
		{"setting wins", config.Serve{InstanceID: "set", IMDS: "on"}, &fakeIMDS{id: "i-0abc"}, host, "set", 0},
		{"imds on AWS", config.Serve{IMDS: "auto"}, &fakeIMDS{id: "i-0abc"}, host, "i-0abc", 1},
		{"no imds with a local endpoint", config.Serve{IMDS: "auto", Endpoint: "http://localhost:5000"}, &fakeIMDS{id: "i-0abc"}, host, "host-1", 0},
		{"imds forced on", config.Serve{IMDS: "on", Endpoint: "http://localhost:5000"}, &fakeIMDS{id: "i-0abc"}, host, "i-0abc", 1},
		{"imds off", config.Serve{IMDS: "off"}, &fakeIMDS{id: "i-0abc"}, host, "host-1", 0},
		{"imds fails", config.Serve{IMDS: "auto"}, &fakeIMDS{err: errors.New("timeout")}, host, "host-1", 1},
		{"nothing", config.Serve{IMDS: "off"}, &fakeIMDS{}, noHost, "unknown", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := server.ResolveInstanceID(context.Background(), tc.c, tc.imds, tc.hostname, slog.New(slog.DiscardHandler))
			if got != tc.want || tc.imds.calls != tc.wantCalls {
				t.Errorf("got %q after %d IMDS calls, want %q after %d", got, tc.imds.calls, tc.want, tc.wantCalls)
			}
		})
	}
}
