package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest"
	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/server"
	"github.com/twinstack/twinstack/internal/ssrf"
)

// crashingTransport passes DynamoDB calls to moto until it sees the first
// image item write (a PutItem): that one never reaches moto and hangs
// until wake, as an instance that died between the S3 upload (its
// conditional PutObject, which stands as the key's claim) and the item.
type crashingTransport struct {
	crashed, wake chan struct{}
	once          sync.Once
}

func (c *crashingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("X-Amz-Target") == "DynamoDB_20120810.PutItem" && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if strings.Contains(string(body), "attribute_not_exists(image_id)") {
			c.once.Do(func() { close(c.crashed) })
			<-c.wake
			return nil, errors.New("instance gone")
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestIntegrationCrashBetweenUploadAndItem runs against moto: instance A
// stores the object of a keyed request (a PutObject with If-None-Match: *)
// and dies before its item write. Within the lease a repeat is 409 and
// stores nothing (its conditional PutObject is refused); after it,
// instance B deletes exactly A's object version and stores its own: the
// bucket and table then hold exactly one image (one version, no delete
// marker). When A comes back, its late rollback (its own version only)
// leaves B's image intact.
func TestIntegrationCrashBetweenUploadAndItem(t *testing.T) {
	st := newStack(t)
	awsCfg := server.LocalAWSConfig(moto.Region, "test", "test", "")
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(st.moto.Endpoint()); o.UsePathStyle = true })
	crash := &crashingTransport{crashed: make(chan struct{}), wake: make(chan struct{})}
	t.Cleanup(func() {
		select {
		case <-crash.wake:
		default:
			close(crash.wake)
		}
	})
	newSvc := func(instance string, rt http.RoundTripper, skew time.Duration) *ingest.Service {
		ddb := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(st.moto.Endpoint())
			o.HTTPClient = &http.Client{Transport: rt}
			o.RetryMaxAttempts = 1
		})
		svc, err := ingest.New(ingest.Config{
			Bucket: st.names.Bucket, Table: st.names.ImagesTable, S3: s3c, Presign: s3.NewPresignClient(s3c), DB: ddb,
			Guard: ssrf.New(ssrf.AllowPrivate(true)), DownloadTimeout: 4 * time.Second, StorageTimeout: 10 * time.Second,
			InstanceID: instance, Now: func() time.Time { return time.Now().Add(skew) },
		})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	a := newSvc("it-a", crash, 0)
	in := ingest.PutInput{URL: st.origin.URL + "/img.png", IdempotencyKey: "crash-moto-1"}
	aDone := make(chan error, 1)
	go func() { _, _, err := a.Put(context.Background(), in); aDone <- err }()
	select {
	case <-crash.crashed:
	case err := <-aDone:
		t.Fatalf("A finished instead of crashing: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("A never reached its completing write")
	}
	id := ingest.KeyedID("crash-moto-1")
	if _, err := st.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &st.names.Bucket, Key: aws.String(ingest.Key(id))}); err != nil {
		t.Fatalf("A's object is not there before the takeover: %v", err)
	}

	// Within the lease (B's clock is A's): 409, nothing new.
	b := newSvc("it-b", http.DefaultTransport, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, tm, err := b.Put(ctx, in)
	cancel()
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("repeat within the lease: %v, want conflict", err)
	}
	if tm.Capacity.WriteUnits != 0 {
		t.Errorf("repeat within the lease wrote %v units, want none", tm.Capacity.WriteUnits)
	}
	vs, err := st.s3.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &st.names.Bucket})
	if err != nil || len(vs.Versions) != 1 || len(vs.DeleteMarkers) != 0 {
		t.Fatalf("after the repeat within the lease: %v, %d versions, %d delete markers; want A's one version", err, len(vs.Versions), len(vs.DeleteMarkers))
	}
	// After the lease (B's clock two minutes on): takeover.
	late := newSvc("it-b", http.DefaultTransport, 2*time.Minute)
	res, tm, err := late.Put(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed || res.Image.ID != id || res.Image.InstanceID != "it-b" {
		t.Fatalf("takeover: %+v", res)
	}
	if tm.Capacity.WriteUnits != 1 || tm.Capacity.IndexWriteUnits != 1 {
		t.Errorf("takeover write units %v + %v index, want 1 + 1", tm.Capacity.WriteUnits, tm.Capacity.IndexWriteUnits)
	}
	st.consistent(t, map[string]bool{id: true})
	// The server (another instance) replays it.
	if r := st.post(t, "/img.png", "Idempotency-Key", "crash-moto-1"); r.status != 200 || r.body["image_id"] != id {
		t.Errorf("replay through the server: %d %s", r.status, r.raw)
	}

	close(crash.wake)
	if err := <-aDone; err == nil {
		t.Error("A succeeded after dying")
	}
	st.consistent(t, map[string]bool{id: true})
}

// TestIntegrationMultipartIsConditional runs against moto: a keyed image
// larger than the single-put buffer goes up multipart, and its condition
// (If-None-Match: *) reaches CompleteMultipartUpload: a repeat is refused
// there and replays, and an upload over another request's object without
// an item (in flight) is refused and stores nothing; neither leaves a
// multipart upload open or a second version.
func TestIntegrationMultipartIsConditional(t *testing.T) {
	st := newStack(t)
	first := st.post(t, "/big.png", "Idempotency-Key", "big-moto-1")
	if first.status != 201 || first.body["size_bytes"] != float64(6<<20) {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	if c := capacityOf(first.header.Get("Server-Timing")); c != "1/1/0" {
		t.Errorf("keyed multipart ingest capacity %s, want 1/1/0", c)
	}
	again := st.post(t, "/big.png", "Idempotency-Key", "big-moto-1")
	if again.status != 200 || again.raw != first.raw {
		t.Fatalf("repeat: %d %s, want 200 %s", again.status, again.raw, first.raw)
	}
	if c := capacityOf(again.header.Get("Server-Timing")); c != "0/0/1" {
		t.Errorf("replay capacity %s, want 0/0/1", c)
	}
	st.consistent(t, map[string]bool{first.body["image_id"].(string): true})

	// Another request's object under the key, no item yet.
	id := ingest.KeyedID("big-moto-2")
	put, err := st.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &st.names.Bucket, Key: aws.String(ingest.Key(id)),
		Body: strings.NewReader("theirs")})
	if err != nil {
		t.Fatal(err)
	}
	awsCfg := server.LocalAWSConfig(moto.Region, "test", "test", "")
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(st.moto.Endpoint()); o.UsePathStyle = true })
	svc, err := ingest.New(ingest.Config{
		Bucket: st.names.Bucket, Table: st.names.ImagesTable, S3: s3c, Presign: s3.NewPresignClient(s3c), DB: st.ddb,
		Guard: ssrf.New(ssrf.AllowPrivate(true)), DownloadTimeout: 4 * time.Second, InstanceID: "it-mp",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, tm, err := svc.Put(ctx, ingest.PutInput{URL: st.origin.URL + "/big.png", IdempotencyKey: "big-moto-2"})
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("large upload over an object in flight: %v, want conflict", err)
	}
	if tm.Capacity.WriteUnits != 0 {
		t.Errorf("refused upload wrote %v units", tm.Capacity.WriteUnits)
	}
	vs, err := st.s3.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &st.names.Bucket, Prefix: aws.String(ingest.Key(id))})
	if err != nil || len(vs.Versions) != 1 || aws.ToString(vs.Versions[0].VersionId) != aws.ToString(put.VersionId) || len(vs.DeleteMarkers) != 0 {
		t.Errorf("after the refused upload: %v, versions %d, delete markers %d: want only theirs", err, len(vs.Versions), len(vs.DeleteMarkers))
	}
	ups, err := st.s3.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: &st.names.Bucket})
	if err != nil || len(ups.Uploads) != 0 {
		t.Errorf("multipart uploads left open: %v %d", err, len(ups.Uploads))
	}
}
