package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/server"
)

const (
	rssImageBytes = 100 << 20 // one 100 MiB image
	rssLimitBytes = 64 << 20  // the bound on peak RSS
	rssChildEnv   = "TWINSTACK_RSS_CHILD_ENDPOINT"
)

// patternReader yields n deterministic bytes starting with a PNG
// signature, without holding them: the origin streams like a real one.
type patternReader struct{ off, n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.n {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n-p.off {
		b = b[:p.n-p.off]
	}
	for i := range b {
		o := p.off + int64(i)
		if o < 8 {
			b[i] = "\x89PNG\r\n\x1a\n"[o]
		} else {
			b[i] = byte(o*131 + o>>11)
		}
	}
	p.off += int64(len(b))
	return len(b), nil
}

func vmHWM(t testing.TB) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// TestPeakRSS100MB streams one 100 MiB image from an in-process origin
// through the real server and SDK into moto's S3, in a child process of its
// own so that the peak resident set (VmHWM) is that of the ingest alone,
// and checks it stays under 64 MiB.
func TestPeakRSS100MB(t *testing.T) {
	if ep := os.Getenv(rssChildEnv); ep != "" {
		rssChild(t, ep)
		return
	}
	if testing.Short() {
		t.Skip("streams 100 MiB through moto_server")
	}
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is Linux-only")
	}
	m := moto.StartT(t)
	if err := m.CreateStore(context.Background(), moto.DefaultNames()); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPeakRSS100MB$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), rssChildEnv+"="+m.Endpoint())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var rep struct {
		BaselineBytes, PeakBytes, Size int64
		Seconds                        float64
	}
	for _, line := range strings.Split(string(out), "\n") {
		if j, ok := strings.CutPrefix(strings.TrimSpace(line), "rss-report: "); ok {
			if err := json.Unmarshal([]byte(j), &rep); err != nil {
				t.Fatal(err)
			}
		}
	}
	if rep.PeakBytes == 0 {
		t.Fatalf("no report from the child:\n%s", out)
	}
	t.Logf("one %d MiB image: peak RSS (VmHWM) %.1f MiB, baseline before the request %.1f MiB, %.1f s (%.0f MiB/s)",
		rep.Size>>20, float64(rep.PeakBytes)/(1<<20), float64(rep.BaselineBytes)/(1<<20), rep.Seconds, float64(rep.Size)/(1<<20)/rep.Seconds)
	if rep.PeakBytes >= rssLimitBytes {
		t.Errorf("peak RSS %.1f MiB, want under %d MiB", float64(rep.PeakBytes)/(1<<20), rssLimitBytes>>20)
	}
}

func rssChild(t *testing.T, endpoint string) {
	n := moto.DefaultNames()
	c := serveConfig(endpoint, n)
	c.MaxImageBytes = rssImageBytes + 1<<20
	c.DownloadTimeout = 5 * time.Minute
	srv, err := server.Build(context.Background(), c, server.Deps{AWS: server.LocalAWSConfig(moto.Region, "test", "test", ""), InstanceID: "rss"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(rssImageBytes))
		io.Copy(w, &patternReader{n: rssImageBytes})
	}))
	defer origin.Close()

	runtime.GC()
	baseline := vmHWM(t)
	start := time.Now()
	resp, err := http.Post(hs.URL+"/images", "application/json", strings.NewReader(`{"image_url":"`+origin.URL+`/big.png"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	peak := vmHWM(t)
	if resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var img struct {
		Key       string `json:"key"`
		SizeBytes int64  `json:"size_bytes"`
		SHA256    string `json:"sha256"`
	}
	json.Unmarshal(body, &img)
	h := sha256.New()
	io.Copy(h, &patternReader{n: rssImageBytes})
	if img.SizeBytes != rssImageBytes || img.SHA256 != hex.EncodeToString(h.Sum(nil)) {
		t.Fatalf("stored %d bytes sha %s", img.SizeBytes, img.SHA256)
	}
	head, err := moto.S3(endpoint).HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &n.Bucket, Key: &img.Key})
	if err != nil || aws.ToInt64(head.ContentLength) != rssImageBytes {
		t.Fatalf("object: %v %v", err, head)
	}
	rep, _ := json.Marshal(map[string]any{"BaselineBytes": baseline, "PeakBytes": peak, "Size": img.SizeBytes, "Seconds": elapsed.Seconds()})
	fmt.Printf("rss-report: %s\n", rep)
}
