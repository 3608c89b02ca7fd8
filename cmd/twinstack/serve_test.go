package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twinstack/twinstack/internal/moto"
)

func serveEnvOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestServeBadSettings(t *testing.T) {
	good := map[string]string{"IMAGES_BUCKET": "b-1x", "IMAGES_TABLE": "images", "ALBUMS_TABLE": "albums", "AWS_REGION": "us-east-1"}
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		names string
	}{
		{"no bucket", map[string]string{"IMAGES_BUCKET": ""}, nil, "IMAGES_BUCKET"},
		{"bad port", map[string]string{"PORT": "eighty"}, nil, "PORT"},
		{"bad max bytes", map[string]string{"MAX_IMAGE_BYTES": "-5"}, nil, "MAX_IMAGE_BYTES"},
		{"bad timeout", map[string]string{"DOWNLOAD_TIMEOUT": "soon"}, nil, "DOWNLOAD_TIMEOUT"},
		{"bad endpoint", map[string]string{"AWS_ENDPOINT_URL": "ftp://x"}, nil, "AWS_ENDPOINT_URL"},
		{"bad allow", map[string]string{"ALLOW_PRIVATE_ORIGINS": "yes please"}, nil, "ALLOW_PRIVATE_ORIGINS"},
		{"no region", map[string]string{"AWS_REGION": ""}, nil, "AWS_REGION"},
		{"bad flag", nil, []string{"-port", "0"}, "PORT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range good {
				env[k] = v
			}
			for k, v := range tc.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), append([]string{"serve"}, tc.args...), serveEnvOf(env), &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			out := stderr.String()
			if strings.Count(out, "\n") != 1 || !strings.Contains(out, tc.names) || !strings.Contains(out, "invalid_config") {
				t.Errorf("want one line naming %s, got %q", tc.names, out)
			}
		})
	}
}

func TestServeHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"serve", "-h"}, serveEnvOf(nil), &stdout, &stderr); code != exitOK {
		t.Errorf("exit %d", code)
	}
	for _, f := range []string{"-images-bucket", "-max-image-bytes", "-allow-private-origins", "-download-timeout", "-aws-endpoint-url"} {
		if !strings.Contains(stderr.String(), f) {
			t.Errorf("help lacks %s", f)
		}
	}
}

// buildTwinstack builds the CLI into a temporary directory.
func buildTwinstack(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "twinstack")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type serveProc struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{} // closed when the process has exited
	err  error         // its exit error, once done is closed
}

func startServe(t *testing.T, bin string, env map[string]string) *serveProc {
	t.Helper()
	port, err := moto.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve")
	dieWithTest(cmd)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOST=127.0.0.1", "PORT=" + strconv.Itoa(port)}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &serveProc{cmd: cmd, url: "http://127.0.0.1:" + strconv.Itoa(port), logs: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); pw.Close(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready:\n%s", p.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func getJSON(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeProcesses runs two `twinstack serve` processes on one tables
// pair in moto: exactly three seeded albums, the same albums on both, an
// image stored through one is served by the other, and SIGTERM drains an
// in-flight ingest and exits 0.
func TestServeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts moto_server")
	}
	m := moto.StartT(t)
	n := moto.DefaultNames()
	if err := m.CreateStore(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		img := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 64<<10)...)
		for i := range 8 { // ~0.8 s
			w.Write(img[i*len(img)/8 : (i+1)*len(img)/8])
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	t.Cleanup(origin.Close)
	bin := buildTwinstack(t)
	env := map[string]string{
		"IMAGES_BUCKET": n.Bucket, "IMAGES_TABLE": n.ImagesTable, "ALBUMS_TABLE": n.AlbumsTable, "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL": m.Endpoint(), "ALLOW_PRIVATE_ORIGINS": "true", "IMDS": "off",
		"ALLOWED_ORIGIN_PORTS": "80,443," + origin.URL[strings.LastIndex(origin.URL, ":")+1:],
	}
	var a, b *serveProc
	var wg sync.WaitGroup
	envA, envB := map[string]string{"INSTANCE_ID": "proc-a"}, map[string]string{"INSTANCE_ID": "proc-b"}
	for k, v := range env {
		envA[k], envB[k] = v, v
	}
	wg.Go(func() { a = startServe(t, bin, envA) })
	wg.Go(func() { b = startServe(t, bin, envB) })
	wg.Wait()

	sa, la := getJSON(t, a.url+"/albums")
	sb, lb := getJSON(t, b.url+"/albums")
	var list struct{ Albums []map[string]any }
	json.Unmarshal([]byte(la), &list)
	if sa != 200 || sb != 200 || la != lb || len(list.Albums) != 3 {
		t.Fatalf("albums: a %d %s\nb %d %s", sa, la, sb, lb)
	}

	// An in-flight ingest on a survives SIGTERM.
	type res struct {
		status int
		body   string
		err    error
	}
	resc := make(chan res, 1)
	go func() {
		resp, err := http.Post(a.url+"/images", "application/json", strings.NewReader(`{"image_url":"`+origin.URL+`/slow.png"}`))
		if err != nil {
			resc <- res{err: err}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		resc <- res{status: resp.StatusCode, body: string(body)}
	}()
	time.Sleep(300 * time.Millisecond)
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-resc
	if r.err != nil || r.status != 201 {
		t.Fatalf("in-flight request across SIGTERM: %+v\n%s", r, a.log())
	}
	select {
	case <-a.done:
		if a.err != nil {
			t.Errorf("exit after SIGTERM: %v", a.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	var img struct {
		ImageID    string `json:"image_id"`
		InstanceID string `json:"instance_id"`
	}
	json.Unmarshal([]byte(r.body), &img)
	if img.InstanceID != "proc-a" {
		t.Errorf("instance_id %q", img.InstanceID)
	}
	if s, body := getJSON(t, b.url+"/images/"+img.ImageID); s != 200 || !strings.Contains(body, img.ImageID) {
		t.Errorf("image on b: %d %s", s, body)
	}

	// Logs: JSON, a request id on every request line, the drain recorded.
	logs := a.log()
	for _, want := range []string{`"msg":"draining"`, `"msg":"stopped"`, `"msg":"image stored"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON log line: %s", line)
			continue
		}
		if rec["msg"] == "request" && rec["request_id"] == nil {
			t.Errorf("request line without request_id: %s", line)
		}
	}
}
