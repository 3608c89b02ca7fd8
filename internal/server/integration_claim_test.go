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

// crashingTransport passes DynamoDB calls to moto until it sees the
// completing write of a claim (a PutItem conditioned on #owner): that one
// never reaches moto and hangs until wake, as an instance that died between
// the S3 upload and the completing write.
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
		if strings.Contains(string(body), "#owner") {
			c.once.Do(func() { close(c.crashed) })
			<-c.wake
			return nil, errors.New("instance gone")
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestIntegrationCrashBetweenUploadAndItem runs against moto: instance A
// stores the object of a keyed request and dies before its completing
// write. Within A's lease a repeat is 409 and stores nothing; after it,
// instance B takes the claim over, removes A's object version and stores
// its own: the bucket and table then hold exactly one image (one version,
// no delete marker, no pending claim). When A comes back, its late
// rollback leaves B's image intact.
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
	_, _, err := b.Put(ctx, in)
	cancel()
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("repeat within the lease: %v, want conflict", err)
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
	if tm.Capacity.WriteUnits != 2 {
		t.Errorf("takeover write units %v, want 2", tm.Capacity.WriteUnits)
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
