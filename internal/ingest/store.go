package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/oklog/ulid/v2"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
)

// Attribute names of the images table.
const (
	attrID          = "image_id" // the table's partition key
	attrBucket      = "bucket"
	attrKey         = "key"
	attrSize        = "size_bytes"
	attrContentType = "content_type"
	attrSHA256      = "sha256"
	attrSourceURL   = "source_url"
	attrInstanceID  = "instance_id"
)

// claimLeaseMin is the shortest lease of a keyed request's object: until
// its object is this old, a repeat that finds it without an item waits
// rather than takes over.
const claimLeaseMin = 30 * time.Second

// condNew is the condition of every image item write (the fakes in tests
// recognise it by value).
const condNew = "attribute_not_exists(image_id)"

func sv(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func nv(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func imageItem(img Image) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrID:                   sv(img.ID),
		constructs.ListPartition: sv(constructs.ListPartitionValue),
		constructs.ListSort:      sv(img.CreatedAt),
		attrBucket:               sv(img.Bucket),
		attrKey:                  sv(img.Key),
		attrSize:                 nv(img.SizeBytes),
		attrContentType:          sv(img.ContentType),
		attrSHA256:               sv(img.SHA256),
		attrSourceURL:            sv(img.SourceURL),
		attrInstanceID:           sv(img.InstanceID),
	}
}

func str(item map[string]types.AttributeValue, k string) string {
	if v, ok := item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(item map[string]types.AttributeValue, k string) int64 {
	if v, ok := item[k].(*types.AttributeValueMemberN); ok {
		i, _ := strconv.ParseInt(v.Value, 10, 64)
		return i
	}
	return 0
}

func imageFromItem(item map[string]types.AttributeValue) (Image, bool) {
	if str(item, constructs.ListPartition) != constructs.ListPartitionValue {
		return Image{}, false
	}
	return Image{
		ID:          str(item, attrID),
		Bucket:      str(item, attrBucket),
		Key:         str(item, attrKey),
		SizeBytes:   num(item, attrSize),
		ContentType: str(item, attrContentType),
		SHA256:      str(item, attrSHA256),
		SourceURL:   str(item, attrSourceURL),
		InstanceID:  str(item, attrInstanceID),
		CreatedAt:   str(item, constructs.ListSort),
	}, true
}

// CheckIdempotencyKey reports whether k is an acceptable Idempotency-Key:
// 1-255 printable ASCII characters.
func CheckIdempotencyKey(k string) error {
	if len(k) == 0 || len(k) > 255 {
		return apperr.Errorf(apperr.Invalid, "ingest.Put", "Idempotency-Key must be 1-255 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return apperr.Errorf(apperr.Invalid, "ingest.Put", "Idempotency-Key must be printable ASCII")
		}
	}
	return nil
}

// KeyedID is the image id of a request with Idempotency-Key key: a ULID
// whose 128 bits are the start of SHA-256 over a fixed prefix and the key.
// Every instance derives the same id, hence the same object key, so the
// object and the image item themselves are the idempotency record. Unlike
// a fresh ULID its time part means nothing; the list sorts on created_at,
// not on ids.
func KeyedID(key string) string {
	sum := sha256.Sum256([]byte("twinstack idempotency key\x00" + key))
	var u ulid.ULID
	copy(u[:], sum[:16])
	return u.String()
}

// claimLease is how long the object of a keyed request without its item
// blocks repeats before they may take it over (a crashed instance never
// removes it). It exceeds the bound of a request's storage work (download
// + storage timeouts, counted from the request's start, before its object
// existed), so the writer of an object older than the lease can no longer
// write its item.
func (s *Service) claimLease() time.Duration {
	return max(s.cfg.DownloadTimeout+s.cfg.StorageTimeout+10*time.Second, claimLeaseMin)
}

// answer is the outcome of a keyed request for url whose image item
// already exists: the stored image (a replay) or a conflict when the key
// was used for another URL. ok is false for an item that is not an image.
func answer(item map[string]types.AttributeValue, url string) (_ Result, ok bool, _ error) {
	if str(item, attrSourceURL) != url {
		return Result{}, true, apperr.Errorf(apperr.Conflict, "ingest.Put", "Idempotency-Key was used with a different image_url")
	}
	img, ok := imageFromItem(item)
	if !ok {
		return Result{}, false, nil
	}
	return Result{Image: img, Replayed: true}, true, nil
}

// settle answers a keyed request whose conditional PutObject found the
// key's object stored by another request. A completed item is the answer
// (replay or conflict). Without one, the other request is in flight or
// crashed: settle polls while ctx allows and the object is younger than
// the lease, then answers conflict; an object older than the lease is
// taken over (exactly that version deleted) and again=true: start over.
// again is also set when the object is gone (its writer failed).
func (s *Service) settle(ctx, sctx context.Context, log *slog.Logger, img Image, tm *Timing) (_ Result, again bool, _ error) {
	const op = "ingest.Put"
	delay := 20 * time.Millisecond
	for {
		t0 := time.Now()
		out, err := s.cfg.DB.GetItem(sctx, &dynamodb.GetItemInput{
			TableName: &s.cfg.Table, Key: map[string]types.AttributeValue{attrID: sv(img.ID)}, ConsistentRead: aws.Bool(true),
		})
		tm.DynamoDB += time.Since(t0)
		if err != nil {
			return Result{}, false, storageErr(op, "read item", err)
		}
		tm.Capacity.read(out.Item)
		if out.Item != nil {
			if res, ok, err := answer(out.Item, img.SourceURL); ok {
				return res, false, err
			}
		}

		t0 = time.Now()
		head, err := s.cfg.S3.HeadObject(sctx, &s3.HeadObjectInput{Bucket: &img.Bucket, Key: &img.Key})
		tm.S3 += time.Since(t0)
		if code := errorCode(err); code == "NotFound" || code == "NoSuchKey" {
			return Result{}, true, nil
		}
		if err != nil {
			return Result{}, false, storageErr(op, "check the object of an idempotency key", err)
		}
		if head.LastModified != nil && s.cfg.Now().Sub(*head.LastModified) > s.claimLease() {
			t0 = time.Now()
			err := s.takeOver(sctx, log, img.Key, head)
			tm.S3 += time.Since(t0)
			if err != nil {
				return Result{}, false, err
			}
			return Result{}, true, nil
		}
		// In flight elsewhere: wait for its item.
		select {
		case <-ctx.Done():
			return Result{}, false, errInProgress()
		case <-time.After(delay):
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// takeOver removes the object a crashed request left under key without an
// item: exactly the version HeadObject saw, never the object as a whole
// (a concurrent taker may already have stored a new one).
func (s *Service) takeOver(ctx context.Context, log *slog.Logger, key string, head *s3.HeadObjectOutput) error {
	const op = "ingest.Put"
	v := aws.ToString(head.VersionId)
	if v == "" || v == "null" {
		log.Error("object of an expired idempotency key has no version id; left in place", "bucket", s.cfg.Bucket, "key", key)
		return errInProgress()
	}
	log.Warn("taking over an idempotency key: removing the object version its crashed writer left", "bucket", s.cfg.Bucket, "key", key,
		"version_id", v, "last_modified", aws.ToTime(head.LastModified))
	_, err := s.cfg.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key, VersionId: &v})
	if err != nil && errorCode(err) != "NoSuchVersion" && errorCode(err) != "NoSuchKey" {
		return storageErr(op, "remove the object of an expired idempotency key", err)
	}
	return nil
}

// writeItem stores the image item with one PutItem conditioned on no item
// of that id existing; the item enters the list index. When the condition
// fails it returns the existing item as well as the error.
func (s *Service) writeItem(ctx context.Context, img Image, tm *Timing) (map[string]types.AttributeValue, error) {
	const op = "ingest.Put"
	in := &dynamodb.PutItemInput{
		TableName: &s.cfg.Table, Item: imageItem(img), ConditionExpression: aws.String(condNew),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	_, err := s.cfg.DB.PutItem(ctx, in)
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			tm.Capacity.failedWrite(ccf.Item)
			if ccf.Item != nil {
				return ccf.Item, apperr.Errorf(apperr.Conflict, op, "image %s exists", img.ID)
			}
		}
		return nil, storageErr(op, "write item", err)
	}
	tm.Capacity.write(nil, in.Item) // the condition held: a new item
	return nil, nil
}

// Get returns the image with id; an id that is not a ULID is not found.
func (s *Service) Get(ctx context.Context, id string) (Image, error) {
	return s.get(ctx, id)
}

func (s *Service) get(ctx context.Context, id string) (Image, error) {
	const op = "ingest.Get"
	if _, err := ulid.ParseStrict(id); err != nil || len(id) != ulid.EncodedSize {
		return Image{}, apperr.Errorf(apperr.NotFound, op, "no image %q", id)
	}
	out, err := s.cfg.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.cfg.Table, Key: map[string]types.AttributeValue{attrID: sv(id)},
	})
	if err != nil {
		return Image{}, storageErr(op, "read item", err)
	}
	img, ok := imageFromItem(out.Item)
	if !ok {
		return Image{}, apperr.Errorf(apperr.NotFound, op, "no image %q", id)
	}
	return img, nil
}

// List limits.
const (
	DefaultListLimit = 20
	MaxListLimit     = 100
)

// Page is one page of images, newest first. Next, when set, is the cursor
// of the following page.
type Page struct {
	Images []Image
	Next   string
}

type cursor struct {
	ID        string `json:"i"`
	CreatedAt string `json:"c"`
}

// List returns up to limit images (1-MaxListLimit) newest first, starting
// after cursor (empty: from the newest).
func (s *Service) List(ctx context.Context, limit int, after string) (Page, error) {
	const op = "ingest.List"
	if limit < 1 || limit > MaxListLimit {
		return Page{}, apperr.Errorf(apperr.Invalid, op, "limit must be 1-%d", MaxListLimit)
	}
	in := &dynamodb.QueryInput{
		TableName:                 &s.cfg.Table,
		IndexName:                 aws.String(constructs.ListIndex),
		KeyConditionExpression:    aws.String("#p = :p"),
		ExpressionAttributeNames:  map[string]string{"#p": constructs.ListPartition},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": sv(constructs.ListPartitionValue)},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit)),
	}
	if after != "" {
		c, err := decodeCursor(after)
		if err != nil {
			return Page{}, apperr.E(apperr.Invalid, op, err)
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{
			attrID: sv(c.ID), constructs.ListPartition: sv(constructs.ListPartitionValue), constructs.ListSort: sv(c.CreatedAt),
		}
	}
	out, err := s.cfg.DB.Query(ctx, in)
	if err != nil {
		return Page{}, storageErr(op, "query images", err)
	}
	p := Page{Images: make([]Image, 0, len(out.Items))}
	for _, it := range out.Items {
		if img, ok := imageFromItem(it); ok {
			p.Images = append(p.Images, img)
		}
	}
	if lek := out.LastEvaluatedKey; lek != nil {
		p.Next = encodeCursor(cursor{ID: str(lek, attrID), CreatedAt: str(lek, constructs.ListSort)})
	}
	return p, nil
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(v string) (cursor, error) {
	bad := errors.New("cursor is not one this server issued")
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) > 256 {
		return cursor{}, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return cursor{}, bad
	}
	if _, err := ulid.ParseStrict(c.ID); err != nil {
		return cursor{}, bad
	}
	if _, err := time.Parse(time.RFC3339, c.CreatedAt); err != nil {
		return cursor{}, bad
	}
	return c, nil
}

// ContentURL returns a presigned GET URL of image id's object, valid for
// PresignExpiry.
func (s *Service) ContentURL(ctx context.Context, id string) (PresignedURL, error) {
	const op = "ingest.ContentURL"
	img, err := s.get(ctx, id)
	if err != nil {
		return "", err
	}
	if s.cfg.Presign == nil {
		return "", apperr.Errorf(apperr.Internal, op, "no presigner configured")
	}
	req, err := s.cfg.Presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &img.Bucket, Key: &img.Key},
		s3.WithPresignExpires(s.cfg.PresignExpiry))
	if err != nil {
		return "", &apperr.Error{Code: apperr.Internal, Op: op, Message: "signing the content URL failed", Err: err}
	}
	return PresignedURL(req.URL), nil
}

// PresignedURL is a URL carrying a signature; it logs without its query.
type PresignedURL string

// LogValue keeps the signature out of logs.
func (u PresignedURL) LogValue() slog.Value {
	p, err := url.Parse(string(u))
	if err != nil {
		return slog.StringValue("[unparseable url]")
	}
	p.RawQuery, p.Fragment = "", ""
	return slog.StringValue(p.String() + "?[signature redacted]")
}

// errorCode is the API error code of err ("NoSuchBucket"), or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Ready checks that the bucket and the images table are reachable with the
// permissions the server has: DescribeTable on the table, and a GetObject of
// a key under images/ that does not exist (the role has no s3:ListBucket,
// so S3 answers AccessDenied instead of NoSuchKey; only NoSuchBucket or a
// transport error means not ready).
func (s *Service) Ready(ctx context.Context) error {
	if err := TableReady(ctx, s.cfg.DB, s.cfg.Table); err != nil {
		return err
	}
	return s.bucketReady(ctx)
}

// TableReady checks that table exists and is usable.
func TableReady(ctx context.Context, db interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}, table string) error {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		return fmt.Errorf("table %s: %w", table, err)
	}
	if st := out.Table.TableStatus; st != types.TableStatusActive && st != types.TableStatusUpdating {
		return fmt.Errorf("table %s is %s", table, st)
	}
	return nil
}

// ReadyProbeKey is the object key the readiness probe reads; it is never
// written.
const ReadyProbeKey = constructs.ImagesPrefix + ".ready-probe"

func (s *Service) bucketReady(ctx context.Context) error {
	out, err := s.cfg.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.cfg.Bucket, Key: aws.String(ReadyProbeKey), Range: aws.String("bytes=0-0")})
	if err == nil {
		out.Body.Close()
		return nil
	}
	switch errorCode(err) {
	case "NoSuchKey", "AccessDenied", "InvalidRange":
		return nil
	}
	return fmt.Errorf("bucket %s: %w", s.cfg.Bucket, err)
}
