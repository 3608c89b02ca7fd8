package main

// End to end: moto_server (S3 + DynamoDB) <- `twinstack serve` (the real
// server, as a process) <- the bootstrap under the Lambda emulator, with the
// project's image origin serving the pictures. The stored object and item
// are read back through the SDK.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/origin"
)

// syncBuffer is an io.Writer safe for a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe builds the CLI and runs `twinstack serve` against endpoint on a
// free loopback port, allowed to fetch from originPort; it returns the
// server's base URL once /readyz is OK.
func startServe(t *testing.T, endpoint string, names moto.Names, originPort string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "twinstack")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/twinstack/twinstack/cmd/twinstack")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build twinstack: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"HOST=127.0.0.1", "PORT="+strconv.Itoa(port),
		"IMAGES_BUCKET="+names.Bucket, "IMAGES_TABLE="+names.ImagesTable, "ALBUMS_TABLE="+names.AlbumsTable,
		"AWS_REGION="+moto.Region, "AWS_ENDPOINT_URL="+endpoint,
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"ALLOW_PRIVATE_ORIGINS=true", "INSTANCE_ID=i-lambda-e2e", "IMDS=off",
		"ALLOWED_ORIGIN_PORTS=80,443,"+originPort,
	)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("twinstack serve output:\n%s", out.String())
		}
	})

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			if strings.Contains(out.String(), "not implemented yet") {
				t.Skip("twinstack serve is not implemented yet (issue 4)")
			}
			t.Fatalf("twinstack serve exited:\n%s", out.String())
		default:
		}
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("twinstack serve not ready after 60s:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestEndToEnd(t *testing.T) {
	requireEmulator(t)
	mo := moto.StartT(t)
	names := moto.DefaultNames()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := moto.CreateStore(ctx, mo.Endpoint(), names); err != nil {
		t.Fatal(err)
	}
	images := origin.NewServer()
	org := httptest.NewServer(images)
	t.Cleanup(org.Close)
	serverURL := startServe(t, mo.Endpoint(), names, org.URL[strings.LastIndex(org.URL, ":")+1:])
	e := startFunction(t, 30*time.Second, "SERVER_URL="+serverURL)

	s3c, db := mo.S3(), mo.DynamoDB()
	// checkStored reads the object and the item of a success answer back
	// through the SDK and compares them with the origin's bytes.
	checkStored := func(t *testing.T, got map[string]any, sample string) string {
		t.Helper()
		sm, err := images.Sample(sample)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(sm.Bytes)
		id, _ := got["image_id"].(string)
		want := map[string]any{
			"status": "success", "bucket": names.Bucket, "key": "images/" + id,
			"size_bytes": float64(len(sm.Bytes)), "content_type": sm.ContentType,
			"sha256": hex.EncodeToString(sum[:]), "source_url": org.URL + "/" + sample,
			"instance_id": "i-lambda-e2e",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(names.Bucket), Key: aws.String("images/" + id)})
		if err != nil {
			t.Fatalf("stored object: %v", err)
		}
		var b bytes.Buffer
		b.ReadFrom(obj.Body)
		obj.Body.Close()
		if !bytes.Equal(b.Bytes(), sm.Bytes) || aws.ToString(obj.ContentType) != sm.ContentType {
			t.Errorf("stored object: %d bytes %q, want %d bytes %q", b.Len(), aws.ToString(obj.ContentType), len(sm.Bytes), sm.ContentType)
		}
		item, err := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(names.ImagesTable), ConsistentRead: aws.Bool(true),
			Key: map[string]ddbtypes.AttributeValue{"image_id": &ddbtypes.AttributeValueMemberS{Value: id}},
		})
		if err != nil || item.Item == nil {
			t.Fatalf("stored item %s: %v (item %v)", id, err, item)
		}
		if v, ok := item.Item["sha256"].(*ddbtypes.AttributeValueMemberS); !ok || v.Value != hex.EncodeToString(sum[:]) {
			t.Errorf("item sha256 = %v", item.Item["sha256"])
		}
		return id
	}

	var ids []string
	t.Run("direct", func(t *testing.T) {
		res := invokeT(t, e, "e2e-direct-1", map[string]string{"image_url": org.URL + "/medium.png"})
		got := answerOf(t, res.Body)
		if got["request_id"] != "e2e-direct-1" {
			t.Errorf("request_id = %v", got["request_id"])
		}
		ids = append(ids, checkStored(t, got, "medium.png"))
	})
	var urlID string
	t.Run("function URL", func(t *testing.T) {
		res := invokeT(t, e, "e2e-url-1", urlEvent(fmt.Sprintf(`{"image_url":%q}`, org.URL+"/small.gif"), true))
		status, headers, got := proxyOf(t, res.Body)
		if status != http.StatusCreated {
			t.Errorf("statusCode = %d, want 201", status)
		}
		if !strings.Contains(headers["Server-Timing"], "total") {
			t.Errorf("Server-Timing = %q", headers["Server-Timing"])
		}
		urlID = checkStored(t, got, "small.gif")
		ids = append(ids, urlID)
	})
	t.Run("HTTP API v2 retry is idempotent", func(t *testing.T) {
		// The same request id again (a retried invocation): the server
		// answers the first result with 200 and stores nothing new.
		res := invokeT(t, e, "e2e-url-1", httpAPIEvent(fmt.Sprintf(`{"image_url":%q}`, org.URL+"/small.gif")))
		status, _, got := proxyOf(t, res.Body)
		if status != http.StatusOK || got["image_id"] != urlID {
			t.Errorf("retry: status %d, image_id %v; want 200 and %s", status, got["image_id"], urlID)
		}
	})
	t.Run("not an image passes through", func(t *testing.T) {
		res := invokeT(t, e, "e2e-url-2", urlEvent(fmt.Sprintf(`{"image_url":%q}`, org.URL+"/not-an-image.txt"), false))
		status, _, got := proxyOf(t, res.Body)
		if status != http.StatusUnprocessableEntity || got["error"].(map[string]any)["code"] != "not_an_image" {
			t.Errorf("status %d, body %v", status, got)
		}
	})
	t.Run("nothing stored twice", func(t *testing.T) {
		out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(names.Bucket), Prefix: aws.String("images/")})
		if err != nil {
			t.Fatal(err)
		}
		if int(aws.ToInt32(out.KeyCount)) != len(ids) {
			var keys []string
			for _, o := range out.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
			t.Errorf("objects %v, want one per stored image %v", keys, ids)
		}
	})
}
