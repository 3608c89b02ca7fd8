package ingest_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest"
)

// TestCrashAfterUploadIsTakenOver: instance A claims a key, stores the
// object and "crashes" before its completing write (its DynamoDB call
// never returns). A repeat on instance B gets 409 while A's lease runs;
// after the lease B takes the claim over, replaces A's object and
// completes: one object with B's bytes, one listed item, no pending
// claim. When A wakes up late, its completing write loses and its
// cleanup leaves B's image alone.
func TestCrashAfterUploadIsTakenOver(t *testing.T) {
	var offset atomic.Int64 // the shared clock's jump
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	f := newFixture(t, func(c *ingest.Config) { c.Now = now })
	first, second := samples(t)["image/png"], samples(t)["image/gif"]
	var hits atomic.Int32
	f.mux.HandleFunc("/k.img", func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Write(first)
			return
		}
		w.Write(second)
	})

	// A: the second PutItem of A (the completing write) hangs.
	crashed, wake := make(chan struct{}), make(chan struct{})
	var puts atomic.Int32
	var aDone sync.WaitGroup
	f.db.Hook = func(op, _ string) error {
		if op == "PutItem" && puts.Add(1) == 2 {
			close(crashed)
			<-wake
			return errors.New("instance A was gone")
		}
		return nil
	}
	in := ingest.PutInput{URL: f.url("/k.img"), IdempotencyKey: "crash-1"}
	var aErr error
	aDone.Go(func() { _, _, aErr = f.svc.Put(context.Background(), in) })
	<-crashed
	t.Cleanup(func() {
		select {
		case <-wake:
		default:
			close(wake)
		}
	})
	id := ingest.KeyedID("crash-1")
	if objs := f.s3.Objects(); len(objs) != 1 || objs[ingest.Key(id)].Size != int64(len(first)) {
		t.Fatalf("after A's upload: %v", objs)
	}

	cfgB := f.cfg
	cfgB.InstanceID = "instance-b"
	b, err := ingest.New(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	// Within A's lease: in flight, nothing new stored.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	_, _, err = b.Put(ctx, in)
	cancel()
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("repeat within the lease: %v, want conflict", err)
	}
	if hits.Load() != 1 {
		t.Fatalf("origin hit %d times within the lease, want 1", hits.Load())
	}

	// After the lease (download 2s + storage 30s + 10s): B takes over.
	offset.Store(int64(time.Minute))
	res, tm, err := b.Put(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed || res.Image.ID != id || res.Image.SHA256 != sum(second) || res.Image.InstanceID != "instance-b" {
		t.Fatalf("takeover: %+v", res)
	}
	if f.s3.Calls("HeadObject") != 1 {
		t.Errorf("HeadObject calls %d, want 1 (look for A's object)", f.s3.Calls("HeadObject"))
	}
	if tm.Capacity.WriteUnits != 2 || tm.Capacity.IndexWriteUnits != 1 {
		t.Errorf("takeover capacity %+v, want 2 write units and 1 index write", tm.Capacity)
	}
	check := func(when string) {
		t.Helper()
		objs := f.s3.Objects()
		if len(objs) != 1 || string(objs[ingest.Key(id)].Body) != string(second) {
			t.Errorf("%s: objects %v, want only B's", when, keys(objs))
		}
		p, err := f.svc.List(context.Background(), 10, "")
		if err != nil || len(p.Images) != 1 || p.Images[0] != res.Image {
			t.Errorf("%s: list %v %+v, want B's image", when, err, p.Images)
		}
		it := f.db.Items(table)[id]
		for _, a := range []string{"state", "owner", "lease_until", "expires_at"} {
			if _, ok := it[a]; ok {
				t.Errorf("%s: completed item keeps claim attribute %s", when, a)
			}
		}
	}
	check("after takeover")
	again, _, err := f.svc.Put(context.Background(), in)
	if err != nil || !again.Replayed || again.Image != res.Image {
		t.Errorf("repeat after takeover: %v %+v", err, again)
	}

	// A wakes: its completing write fails; it must not touch B's image.
	close(wake)
	aDone.Wait()
	if aErr == nil {
		t.Error("A succeeded after losing its claim")
	}
	check("after A woke")
}

// TestPendingClaimTakenOverAfterLease: a claim left pending by an instance
// that died before uploading blocks repeats until its lease ends, then is
// taken over.
func TestPendingClaimTakenOverAfterLease(t *testing.T) {
	var offset atomic.Int64
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f := newFixture(t, func(c *ingest.Config) { c.Now = func() time.Time { return base.Add(time.Duration(offset.Load())) } })
	f.serve("/p.png", samples(t)["image/png"])
	id := ingest.KeyedID("left-1")
	lease := base.Add(42 * time.Second).UnixMilli()
	if _, err := f.db.PutItem(context.Background(), pendingItem(id, f.url("/p.png"), lease)); err != nil {
		t.Fatal(err)
	}
	in := ingest.PutInput{URL: f.url("/p.png"), IdempotencyKey: "left-1"}
	for _, at := range []time.Duration{0, 41 * time.Second} {
		offset.Store(int64(at))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, _, err := f.svc.Put(ctx, in)
		cancel()
		if apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("at +%s: %v, want conflict (lease runs)", at, err)
		}
	}
	offset.Store(int64(43 * time.Second))
	res, _, err := f.svc.Put(context.Background(), in)
	if err != nil || res.Replayed || res.Image.ID != id {
		t.Fatalf("after the lease: %v %+v", err, res)
	}
	if f.s3.Calls("HeadObject") != 1 || f.s3.Calls("DeleteObject") != 0 {
		t.Errorf("HeadObject %d, DeleteObject %d: want one look and no delete (nothing was left)", f.s3.Calls("HeadObject"), f.s3.Calls("DeleteObject"))
	}
}

// TestClaimCarriesTTL: a pending claim carries the TTL attribute (epoch
// seconds, IdempotencyTTL ahead); the completed image does not.
func TestClaimCarriesTTL(t *testing.T) {
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f := newFixture(t, func(c *ingest.Config) {
		c.Now = func() time.Time { return base }
		c.IdempotencyTTL = 2 * time.Hour
		c.TTLAttribute = "gone_at"
	})
	body := samples(t)["image/png"]
	seen := make(chan types.AttributeValue, 1)
	f.mux.HandleFunc("/t.png", func(w http.ResponseWriter, r *http.Request) {
		seen <- f.db.Items(table)[ingest.KeyedID("ttl-1")]["gone_at"]
		w.Write(body)
	})
	res, _, err := f.svc.Put(context.Background(), ingest.PutInput{URL: f.url("/t.png"), IdempotencyKey: "ttl-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := strconv.FormatInt(base.Add(2*time.Hour).Unix(), 10)
	if v, ok := (<-seen).(*types.AttributeValueMemberN); !ok || v.Value != want {
		t.Errorf("pending claim TTL %v, want N %s", v, want)
	}
	if _, ok := f.db.Items(table)[res.Image.ID]["gone_at"]; ok {
		t.Error("completed image keeps the TTL attribute: DynamoDB would delete it")
	}
}

func pendingItem(id, url string, leaseMillis int64) *dynamodb.PutItemInput {
	return &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"image_id": &types.AttributeValueMemberS{Value: id}, "state": &types.AttributeValueMemberS{Value: "pending"},
		"owner": &types.AttributeValueMemberS{Value: "dead-instance"}, "source_url": &types.AttributeValueMemberS{Value: url},
		"lease_until": &types.AttributeValueMemberN{Value: strconv.FormatInt(leaseMillis, 10)},
	}}
}

// TestCapacity: the write units a request reports, by DynamoDB's rules for
// items under 1 KB (1 unit per write, failed conditional writes included,
// 1 index write when an item enters the sparse list index).
func TestCapacity(t *testing.T) {
	f := newFixture(t, nil)
	f.serve("/c.png", samples(t)["image/png"])
	f.mux.HandleFunc("/broken.png", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	ctx := context.Background()
	tests := []struct {
		name string
		in   ingest.PutInput
		want ingest.Capacity
	}{
		{"unkeyed", ingest.PutInput{URL: f.url("/c.png")}, ingest.Capacity{WriteUnits: 1, IndexWriteUnits: 1}},
		{"keyed", ingest.PutInput{URL: f.url("/c.png"), IdempotencyKey: "cap-1"}, ingest.Capacity{WriteUnits: 2, IndexWriteUnits: 1}},
		// The claim's conditional put fails on the completed item.
		{"keyed replay", ingest.PutInput{URL: f.url("/c.png"), IdempotencyKey: "cap-1"}, ingest.Capacity{WriteUnits: 1}},
		// Claim, then release after the origin failed.
		{"keyed failure", ingest.PutInput{URL: f.url("/broken.png"), IdempotencyKey: "cap-2"}, ingest.Capacity{WriteUnits: 2}},
		{"unkeyed failure", ingest.PutInput{URL: f.url("/broken.png")}, ingest.Capacity{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, tm, _ := f.svc.Put(ctx, tc.in)
			if tm.Capacity != tc.want {
				t.Errorf("capacity %+v, want %+v", tm.Capacity, tc.want)
			}
		})
	}
}

func TestItemSize(t *testing.T) {
	// Sizes by the DynamoDB developer guide's rules: name bytes + value
	// bytes; a number is 1 byte per 2 significant digits + 1.
	tests := []struct {
		item map[string]types.AttributeValue
		want int
	}{
		{map[string]types.AttributeValue{"a": &types.AttributeValueMemberS{Value: "hello"}}, 6},
		{map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "123"}}, 1 + 3},
		{map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "1700000000000"}}, 1 + 2},
		{map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "1234"}}, 1 + 3},
		{map[string]types.AttributeValue{"é": &types.AttributeValueMemberS{Value: "ü"}}, 4},
	}
	for _, tc := range tests {
		if got := ingest.ItemSize(tc.item); got != tc.want {
			t.Errorf("ItemSize(%v) = %d, want %d", tc.item, got, tc.want)
		}
	}
}
