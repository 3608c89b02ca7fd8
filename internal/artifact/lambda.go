package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/twinstack/twinstack/internal/apperr"
)

// LambdaPackage is the import path of the Lambda's main package. Building
// by import path works from any directory inside the module.
const LambdaPackage = "github.com/twinstack/twinstack/lambda"

// BootstrapName is the file the provided.al2023 runtime executes.
const BootstrapName = "bootstrap"

// archLevel pins the instruction-set level of the architectures the Lambda
// is built for, so that a GOAMD64/GOARM64 in the caller's environment does
// not change the bytes: arm64 is what the stacks deploy, amd64 runs under
// the local emulator on x86_64 hosts.
func archLevel(goarch string) (string, bool) {
	switch goarch {
	case "arm64":
		return "GOARM64=v8.0", true
	case "amd64":
		return "GOAMD64=v1", true
	}
	return "", false
}

// LambdaOptions say what BuildLambda builds and where it writes it.
type LambdaOptions struct {
	// GoArch is arm64 or amd64.
	GoArch string
	// Zip, when set, is where the reproducible zip is written.
	Zip string
	// Bootstrap, when set, is where the bare binary is written (mode 0755),
	// for the local emulator.
	Bootstrap string
	// Go is the go command; "go" when empty.
	Go string
	// Dir is the directory go runs in (inside the module); the current
	// directory when empty.
	Dir string
}

// LambdaResult describes what BuildLambda wrote.
type LambdaResult struct {
	GoArch      string
	Zip         string
	Bootstrap   string
	BinaryBytes int64
	ZipBytes    int64
	// ZipSHA256 is the hex SHA-256 of the zip (empty without a zip).
	ZipSHA256 string
}

// GoBuildArgs are the arguments of the go command that builds the bootstrap
// into out.
func GoBuildArgs(out string) []string {
	return []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-buildvcs=false", "-o", out, LambdaPackage}
}

// GoBuildEnv is what BuildLambda sets in go's environment on top of the
// inherited one.
func GoBuildEnv(goarch string) []string {
	level, _ := archLevel(goarch)
	return []string{"GOOS=linux", "GOARCH=" + goarch, "CGO_ENABLED=0", level}
}

// BuildLambda builds the bootstrap for linux/opts.GoArch and writes the zip
// and/or the bare binary. Outputs are replaced atomically.
func BuildLambda(ctx context.Context, opts LambdaOptions) (LambdaResult, error) {
	const op = "artifact.BuildLambda"
	if _, ok := archLevel(opts.GoArch); !ok {
		return LambdaResult{}, apperr.Errorf(apperr.Invalid, op, "architecture %q: want arm64 or amd64", opts.GoArch)
	}
	if opts.Zip == "" && opts.Bootstrap == "" {
		return LambdaResult{}, apperr.Errorf(apperr.Invalid, op, "nothing to write: give a zip path, a bootstrap path or both")
	}
	goCmd := opts.Go
	if goCmd == "" {
		goCmd = "go"
	}
	tmp, err := os.MkdirTemp("", "twinstack-lambda-")
	if err != nil {
		return LambdaResult{}, apperr.E(apperr.Internal, op, err)
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, BootstrapName)
	cmd := exec.CommandContext(ctx, goCmd, GoBuildArgs(bin)...)
	cmd.Dir = opts.Dir
	cmd.Env = append(cmd.Environ(), GoBuildEnv(opts.GoArch)...)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return LambdaResult{}, apperr.E(apperr.Internal, op, fmt.Errorf("go build %s (linux/%s): %w\n%s", LambdaPackage, opts.GoArch, err, strings.TrimSpace(stderr.String())))
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return LambdaResult{}, apperr.E(apperr.Internal, op, err)
	}
	res := LambdaResult{GoArch: opts.GoArch, BinaryBytes: int64(len(data))}

	if opts.Zip != "" {
		var buf bytes.Buffer
		if err := WriteZip(&buf, []ZipFile{{Name: BootstrapName, Mode: 0o755, Data: data}}); err != nil {
			return LambdaResult{}, apperr.E(apperr.Internal, op, err)
		}
		if err := writeFileAtomic(opts.Zip, buf.Bytes(), 0o644); err != nil {
			return LambdaResult{}, apperr.E(apperr.Internal, op, err)
		}
		sum := sha256.Sum256(buf.Bytes())
		res.Zip, res.ZipBytes, res.ZipSHA256 = opts.Zip, int64(buf.Len()), hex.EncodeToString(sum[:])
	}
	if opts.Bootstrap != "" {
		if err := writeFileAtomic(opts.Bootstrap, data, 0o755); err != nil {
			return LambdaResult{}, apperr.E(apperr.Internal, op, err)
		}
		res.Bootstrap = opts.Bootstrap
	}
	return res, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
