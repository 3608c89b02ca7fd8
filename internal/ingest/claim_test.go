package ingest_test

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest"
)

// TestCrashAfterUploadIsTakenOver: instance A stores the object of a keyed
// request (its conditional PutObject wins) and "crashes" before its item
// write (its DynamoDB call never returns). A repeat on instance B gets 409
// while A's object is younger than the lease and stores nothing; after the
// lease B deletes exactly A's object version, stores its own and the item:
// one object with B's bytes, one listed item. When A wakes up late, its
// item write fails and its cleanup (its own version only) leaves B's
// image alone.
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

	// A: its item write (the first PutItem) hangs.
	crashed, wake := make(chan struct{}), make(chan struct{})
	var puts atomic.Int32
	var aDone sync.WaitGroup
	f.db.Hook = func(op, _ string) error {
		if op == "PutItem" && puts.Add(1) == 1 {
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
	objs := f.s3.Objects()
	if len(objs) != 1 || objs[ingest.Key(id)].Size != int64(len(first)) {
		t.Fatalf("after A's upload: %v", objs)
	}
	aVersion := objs[ingest.Key(id)].VersionID

	cfgB := f.cfg
	cfgB.InstanceID = "instance-b"
	b, err := ingest.New(cfgB)
	if err != nil {
		t.Fatal(err)
	}
	// Within A's lease: in flight, nothing new stored, nothing deleted.
	for _, at := range []time.Duration{0, 41 * time.Second} {
		offset.Store(int64(at))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, tm, err := b.Put(ctx, in)
		cancel()
		if apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("repeat at +%s, within the lease: %v, want conflict", at, err)
		}
		if tm.Capacity.WriteUnits != 0 || tm.Capacity.ReadUnits < 1 {
			t.Errorf("repeat within the lease: capacity %+v, want reads only", tm.Capacity)
		}
		if o := f.s3.Objects()[ingest.Key(id)]; o.VersionID != aVersion || f.s3.Calls("DeleteObject") != 0 {
			t.Fatalf("repeat within the lease changed the object: %+v, %d deletes", o, f.s3.Calls("DeleteObject"))
		}
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
	if tm.Capacity.WriteUnits != 1 || tm.Capacity.IndexWriteUnits != 1 {
		t.Errorf("takeover capacity %+v, want 1 write unit and 1 index write", tm.Capacity)
	}
	check := func(when string) {
		t.Helper()
		objs := f.s3.Objects()
		if len(objs) != 1 || string(objs[ingest.Key(id)].Body) != string(second) || objs[ingest.Key(id)].VersionID == aVersion {
			t.Errorf("%s: objects %v, want only B's", when, keys(objs))
		}
		p, err := f.svc.List(context.Background(), 10, "")
		if err != nil || len(p.Images) != 1 || p.Images[0] != res.Image {
			t.Errorf("%s: list %v %+v, want B's image", when, err, p.Images)
		}
		it := f.db.Items(table)[id]
		for _, a := range []string{"state", "owner", "lease_until", "expires_at"} {
			if _, ok := it[a]; ok {
				t.Errorf("%s: item has claim attribute %s", when, a)
			}
		}
	}
	check("after takeover")
	// (On B: A's instance would wait for its own attempt in flight.)
	again, tm, err := b.Put(context.Background(), in)
	if err != nil || !again.Replayed || again.Image != res.Image {
		t.Errorf("repeat after takeover: %v %+v", err, again)
	}
	if tm.Capacity != (ingest.Capacity{ReadUnits: 1}) {
		t.Errorf("replay capacity %+v, want one read and no write", tm.Capacity)
	}

	// A wakes: its item write fails; it must not touch B's image.
	close(wake)
	aDone.Wait()
	if aErr == nil {
		t.Error("A succeeded after losing its object")
	}
	check("after A woke")
}

// TestOrphanObjectTakenOverAfterLease: an object left without an item
// (its writer died after the upload) blocks repeats until it is older
// than the lease, then is replaced: exactly its version is deleted.
func TestOrphanObjectTakenOverAfterLease(t *testing.T) {
	var offset atomic.Int64
	base := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	f := newFixture(t, func(c *ingest.Config) { c.Now = func() time.Time { return base.Add(time.Duration(offset.Load())) } })
	f.serve("/p.png", samples(t)["image/png"])
	id := ingest.KeyedID("left-1")
	out, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(ingest.Key(id)), Body: strings.NewReader("orphan")})
	if err != nil {
		t.Fatal(err)
	}
	in := ingest.PutInput{URL: f.url("/p.png"), IdempotencyKey: "left-1"}
	for _, at := range []time.Duration{0, 41 * time.Second} {
		offset.Store(int64(at))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, _, err := f.svc.Put(ctx, in)
		cancel()
		if apperr.CodeOf(err) != apperr.Conflict || !strings.Contains(apperr.MessageOf(err), "in progress") {
			t.Fatalf("at +%s: %v, want conflict (lease runs)", at, err)
		}
	}
	deletes := 0
	f.s3.Hook = func(op, _ string) error {
		if op == "DeleteObject" {
			deletes++
		}
		return nil
	}
	offset.Store(int64(43 * time.Second))
	res, _, err := f.svc.Put(context.Background(), in)
	if err != nil || res.Replayed || res.Image.ID != id {
		t.Fatalf("after the lease: %v %+v", err, res)
	}
	o := f.s3.Objects()[ingest.Key(id)]
	if deletes != 1 || o.VersionID == aws.ToString(out.VersionId) || o.Size != int64(len(samples(t)["image/png"])) {
		t.Errorf("%d deletes, object %+v: want the orphan version deleted once and replaced", deletes, o)
	}
	if len(f.db.Items(table)) != 1 {
		t.Errorf("items %v, want one", f.db.Items(table))
	}
}

// TestKeyedItemIsPlain: a keyed ingest writes the same item as an unkeyed
// one (no claim attributes, no TTL attribute) with one conditional
// PutItem and one conditional PutObject, and no DeleteItem anywhere.
func TestKeyedItemIsPlain(t *testing.T) {
	f := newFixture(t, nil)
	f.serve("/t.png", samples(t)["image/png"])
	var conds, dbOps []string
	f.s3.Hook = func(op, _ string) error { conds = append(conds, op); return nil }
	f.db.Hook = func(op, _ string) error { dbOps = append(dbOps, op); return nil }
	plain, _, err := f.svc.Put(context.Background(), ingest.PutInput{URL: f.url("/t.png")})
	if err != nil {
		t.Fatal(err)
	}
	keyed, _, err := f.svc.Put(context.Background(), ingest.PutInput{URL: f.url("/t.png"), IdempotencyKey: "plain-1"})
	if err != nil {
		t.Fatal(err)
	}
	names := func(id string) []string {
		var n []string
		for k := range f.db.Items(table)[id] {
			n = append(n, k)
		}
		sort.Strings(n)
		return n
	}
	if a, b := names(plain.Image.ID), names(keyed.Image.ID); strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("keyed item attributes %v, unkeyed %v: want the same", b, a)
	}
	if got := strings.Join(conds, ","); got != "PutObject,PutObject" {
		t.Errorf("S3 calls %s, want one PutObject each", got)
	}
	if got := strings.Join(dbOps, ","); got != "PutItem,PutItem" {
		t.Errorf("DynamoDB calls %s, want one PutItem each", got)
	}
}

// TestMultipartIsConditional: on the multipart path the key's condition
// reaches CompleteMultipartUpload: a repeat of a stored large image is
// refused there (and its upload aborted) and replays; a large image over
// an object of another request in flight stores nothing.
func TestMultipartIsConditional(t *testing.T) {
	f := newFixture(t, nil)
	big := bigPNG(12 << 20) // over SmallBytes and one 5 MiB part
	f.serve("/big.png", big)
	in := ingest.PutInput{URL: f.url("/big.png"), IdempotencyKey: "big-1"}
	first, tm, err := f.svc.Put(context.Background(), in)
	if err != nil || first.Replayed || first.Image.SizeBytes != int64(len(big)) {
		t.Fatalf("first: %v %+v", err, first)
	}
	if tm.Capacity != (ingest.Capacity{WriteUnits: 1, IndexWriteUnits: 1}) {
		t.Errorf("first: capacity %+v", tm.Capacity)
	}
	v := f.s3.Objects()[first.Image.Key].VersionID
	again, tm, err := f.svc.Put(context.Background(), in)
	if err != nil || !again.Replayed || again.Image != first.Image {
		t.Fatalf("repeat: %v %+v", err, again)
	}
	if tm.Capacity != (ingest.Capacity{ReadUnits: 1}) {
		t.Errorf("repeat: capacity %+v, want one read", tm.Capacity)
	}
	if f.s3.Calls("CreateMultipartUpload") != 2 || f.s3.Calls("CompleteMultipartUpload") != 2 || f.s3.Calls("AbortMultipartUpload") != 1 {
		t.Errorf("multipart calls: create %d complete %d abort %d, want 2, 2, 1", f.s3.Calls("CreateMultipartUpload"),
			f.s3.Calls("CompleteMultipartUpload"), f.s3.Calls("AbortMultipartUpload"))
	}
	if o := f.s3.Objects()[first.Image.Key]; o.VersionID != v || f.s3.PendingUploads() != 0 {
		t.Errorf("repeat replaced the object (%s, was %s) or left an upload open (%d)", o.VersionID, v, f.s3.PendingUploads())
	}

	// Another request's object, no item yet: the large upload is refused.
	id := ingest.KeyedID("big-2")
	if _, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(ingest.Key(id)), Body: strings.NewReader("theirs")}); err != nil {
		t.Fatal(err)
	}
	// The client gives up shortly after the refused completion (the
	// request then waits for the other one's item).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f.s3.Hook = func(op, _ string) error {
		if op == "CompleteMultipartUpload" {
			time.AfterFunc(100*time.Millisecond, cancel)
		}
		return nil
	}
	_, _, err = f.svc.Put(ctx, ingest.PutInput{URL: f.url("/big.png"), IdempotencyKey: "big-2"})
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("over an object in flight: %v, want conflict", err)
	}
	if o := f.s3.Objects()[ingest.Key(id)]; string(o.Body) != "theirs" || f.s3.PendingUploads() != 0 {
		t.Errorf("object %d bytes, %d uploads open: want theirs untouched and none open", o.Size, f.s3.PendingUploads())
	}
}

// TestItemRaceKeepsTheOtherImage: a writer whose object was stored but
// whose item write finds another writer's item (possible only after a
// takeover race) deletes only its own object version and answers with the
// stored image.
func TestItemRaceKeepsTheOtherImage(t *testing.T) {
	f := newFixture(t, nil)
	f.serve("/r.png", samples(t)["image/png"])
	id := ingest.KeyedID("race-1")
	other := ingest.Image{ID: id, Bucket: bucket, Key: ingest.Key(id), SizeBytes: 6, ContentType: "image/png",
		SHA256: sum([]byte("theirs")), SourceURL: f.url("/r.png"), InstanceID: "other", CreatedAt: "2026-11-01T12:00:00.000Z"}
	var once sync.Once
	var mine string
	f.db.Hook = func(op, _ string) error {
		if op != "PutItem" {
			return nil
		}
		once.Do(func() {
			// Just before our item write: the other writer replaced our
			// version (after a takeover) and wrote its item.
			mine = f.s3.Objects()[ingest.Key(id)].VersionID
			if _, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(ingest.Key(id)), Body: strings.NewReader("theirs")}); err != nil {
				t.Error(err)
			}
			f.db.Hook = nil
			if _, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: otherItem(other)}); err != nil {
				t.Error(err)
			}
		})
		return nil
	}
	res, tm, err := f.svc.Put(context.Background(), ingest.PutInput{URL: f.url("/r.png"), IdempotencyKey: "race-1"})
	if err != nil || !res.Replayed || res.Image != other {
		t.Fatalf("%v %+v, want a replay of %+v", err, res, other)
	}
	if o := f.s3.Objects()[ingest.Key(id)]; string(o.Body) != "theirs" || o.VersionID == mine {
		t.Errorf("object %q (%s): want the other writer's untouched", o.Body, o.VersionID)
	}
	if tm.Capacity != (ingest.Capacity{WriteUnits: 1}) {
		t.Errorf("capacity %+v, want the failed conditional write", tm.Capacity)
	}
}

func otherItem(img ingest.Image) map[string]types.AttributeValue {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	return map[string]types.AttributeValue{
		"image_id": s(img.ID), "entity": s("image"), "created_at": s(img.CreatedAt), "bucket": s(img.Bucket), "key": s(img.Key),
		"size_bytes": &types.AttributeValueMemberN{Value: strconv.FormatInt(img.SizeBytes, 10)}, "content_type": s(img.ContentType),
		"sha256": s(img.SHA256), "source_url": s(img.SourceURL), "instance_id": s(img.InstanceID),
	}
}

// TestCapacity: the write units a request reports, by DynamoDB's rules for
// items under 1 KB (1 unit per write, failed conditional writes included,
// 1 index write when an item enters the sparse list index; 1 read unit
// per strongly consistent read).
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
		// The object is the claim: the same one conditional put.
		{"keyed", ingest.PutInput{URL: f.url("/c.png"), IdempotencyKey: "cap-1"}, ingest.Capacity{WriteUnits: 1, IndexWriteUnits: 1}},
		// The conditional PutObject is refused; the item is read.
		{"keyed replay", ingest.PutInput{URL: f.url("/c.png"), IdempotencyKey: "cap-1"}, ingest.Capacity{ReadUnits: 1}},
		{"keyed failure", ingest.PutInput{URL: f.url("/broken.png"), IdempotencyKey: "cap-2"}, ingest.Capacity{}},
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
