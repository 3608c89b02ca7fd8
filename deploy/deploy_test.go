package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/deploy"
)

func TestServiceUnitMatchesModel(t *testing.T) {
	want := constructs.ServiceUnit(constructs.ServerBinaryPath)
	if d := cmp.Diff(want, deploy.ServiceUnit); d != "" {
		t.Errorf("deploy/twinstack-server.service differs from constructs.ServiceUnit (-model +file):\n%s", d)
	}
	if !strings.Contains(deploy.ServiceUnit, "ExecStart="+constructs.ServerBinaryPath+" serve\n") {
		t.Error("unit does not run `twinstack serve`")
	}
}

// TestDockerfile checks the image's properties that cannot be built here
// (no Docker engine): multi-stage, a static binary, a minimal base, a
// non-root user, the server port, `serve` as the command.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, re := range []string{
		`(?m)^FROM golang:\S+ AS build$`,
		`CGO_ENABLED=0`,
		`-trimpath`,
		`(?m)^FROM gcr\.io/distroless/static-debian12:nonroot$`,
		`(?m)^USER 65532:65532$`,
		`(?m)^EXPOSE 8080$`,
		`(?m)^ENTRYPOINT \["/twinstack", "serve"\]$`,
		`(?m)^COPY --from=build /out/twinstack /twinstack$`,
	} {
		if !regexp.MustCompile(re).MatchString(df) {
			t.Errorf("Dockerfile lacks %s", re)
		}
	}
	if strings.Count(df, "\nFROM ")+btoi(strings.HasPrefix(df, "FROM ")) < 2 {
		t.Error("Dockerfile is not multi-stage")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
