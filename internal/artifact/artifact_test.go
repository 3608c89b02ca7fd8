package artifact

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/apperr"
)

type zipEntry struct {
	Name     string
	Mode     fs.FileMode
	Modified string
	Data     string
}

func readZip(t *testing.T, b []byte) []zipEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, zipEntry{f.Name, f.Mode(), f.Modified.UTC().Format("2006-01-02T15:04:05"), string(data)})
	}
	return out
}

func TestWriteZip(t *testing.T) {
	files := []ZipFile{
		{Name: "bootstrap", Mode: 0o755, Data: []byte("\x7fELF binary")},
		{Name: "a/config.json", Data: []byte(`{}`)},
	}
	var first, second bytes.Buffer
	if err := WriteZip(&first, files); err != nil {
		t.Fatal(err)
	}
	// Same files in another order: same bytes.
	if err := WriteZip(&second, []ZipFile{files[1], files[0]}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two writes of the same files differ")
	}
	want := []zipEntry{
		{"a/config.json", 0o644, "1980-01-01T00:00:00", `{}`},
		{"bootstrap", 0o755, "1980-01-01T00:00:00", "\x7fELF binary"},
	}
	if d := cmp.Diff(want, readZip(t, first.Bytes())); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}

	if err := WriteZip(io.Discard, []ZipFile{{Name: "x"}, {Name: "x"}}); err == nil {
		t.Error("duplicate names accepted")
	}
}

func TestBuildLambdaRejects(t *testing.T) {
	tests := []struct {
		name string
		opts LambdaOptions
	}{
		{"unknown arch", LambdaOptions{GoArch: "386", Zip: "x.zip"}},
		{"empty arch", LambdaOptions{Zip: "x.zip"}},
		{"no output", LambdaOptions{GoArch: "arm64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := BuildLambda(context.Background(), tc.opts); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("err = %v, want invalid_request", err)
			}
		})
	}
}

// TestBuildLambdaReproducible builds the arm64 zip twice into different
// directories and compares the bytes, then checks what is inside.
func TestBuildLambdaReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Lambda twice")
	}
	ctx := context.Background()
	var zips [][]byte
	var results []LambdaResult
	for i := range 2 {
		dir := t.TempDir()
		res, err := BuildLambda(ctx, LambdaOptions{GoArch: "arm64", Zip: filepath.Join(dir, "out", "lambda.zip")})
		if err != nil {
			t.Fatalf("build %d: %v", i+1, err)
		}
		b, err := os.ReadFile(res.Zip)
		if err != nil {
			t.Fatal(err)
		}
		zips = append(zips, b)
		results = append(results, res)
	}
	if !bytes.Equal(zips[0], zips[1]) {
		t.Fatalf("two builds differ: %s vs %s", results[0].ZipSHA256, results[1].ZipSHA256)
	}
	if results[0].ZipSHA256 != results[1].ZipSHA256 || results[0].ZipBytes != int64(len(zips[0])) {
		t.Errorf("results disagree: %+v vs %+v", results[0], results[1])
	}
	t.Logf("arm64: binary %d bytes, zip %d bytes, sha256 %s", results[0].BinaryBytes, results[0].ZipBytes, results[0].ZipSHA256)

	zr, err := zip.NewReader(bytes.NewReader(zips[0]), int64(len(zips[0])))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != BootstrapName || zr.File[0].Mode() != 0o755 || !zr.File[0].Modified.Equal(ZipEpoch) {
		t.Fatalf("zip entries: %+v", zr.File[0].FileHeader)
	}
	if got := int64(zr.File[0].UncompressedSize64); got != results[0].BinaryBytes {
		t.Errorf("bootstrap in zip is %d bytes, built %d", got, results[0].BinaryBytes)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	checkELF(t, bin, elf.EM_AARCH64)
}

// TestBuildLambdaHost builds the bare bootstrap for amd64, the emulator's
// architecture on x86_64 hosts.
func TestBuildLambdaHost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Lambda")
	}
	dir := t.TempDir()
	res, err := BuildLambda(context.Background(), LambdaOptions{GoArch: "amd64", Bootstrap: filepath.Join(dir, "local", BootstrapName)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Zip != "" || res.ZipSHA256 != "" {
		t.Errorf("zip written without being asked: %+v", res)
	}
	fi, err := os.Stat(res.Bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 || fi.Size() != res.BinaryBytes {
		t.Errorf("bootstrap: mode %v size %d, want 0755 and %d", fi.Mode(), fi.Size(), res.BinaryBytes)
	}
	bin, err := os.ReadFile(res.Bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	checkELF(t, bin, elf.EM_X86_64)
	t.Logf("amd64: binary %d bytes", res.BinaryBytes)
}

// checkELF: a static, stripped Linux executable for machine.
func checkELF(t *testing.T, bin []byte, machine elf.Machine) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("not an ELF file: %v", err)
	}
	defer f.Close()
	if f.Machine != machine || f.Type != elf.ET_EXEC {
		t.Errorf("ELF machine %v type %v, want %v ET_EXEC", f.Machine, f.Type, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("dynamically linked (has an interpreter)")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("not stripped (has .symtab)")
	}
}
