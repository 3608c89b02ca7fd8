package ingest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

	// A request with an Idempotency-Key claims its image item before any
	// work: the item is created "pending" (state, owner, lease_until,
	// source_url and the TTL attribute, no list attributes, so neither the
	// list index nor GET shows it) with a conditional put, and completed by
	// its owner with a second conditional put of the whole image item. The
	// image id is derived from the key, so a repeat finds the item.
	attrState     = "state"
	attrOwner     = "owner"
	attrLease     = "lease_until" // unix milliseconds
	statePending  = "pending"
	claimLeaseMin = 30 * time.Second
)

// Condition expressions (the fakes in tests recognise them by value).
const (
	condNew      = "attribute_not_exists(image_id)"
	condClaim    = "attribute_not_exists(image_id) OR (#state = :pending AND lease_until < :now)"
	condComplete = "#state = :pending AND #owner = :owner"
	condRelease  = "#state = :pending AND #owner = :owner"
)

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

// claim is the pending image item this request owns.
type claim struct {
	id    string // the image id, derived from the key
	owner string
	// tookOver is set when the claim replaced an expired one: its owner
	// may have left an object behind.
	tookOver bool
	// item is the pending item as written: what the completing write
	// replaces while the claim holds (for the capacity count).
	item map[string]types.AttributeValue
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
// Every instance derives the same id, so the image item itself is the
// idempotency record. Unlike a fresh ULID its time part means nothing; the
// list sorts on created_at, not on ids.
func KeyedID(key string) string {
	sum := sha256.Sum256([]byte("twinstack idempotency key\x00" + key))
	var u ulid.ULID
	copy(u[:], sum[:16])
	return u.String()
}

// claimLease is how long a pending claim blocks others before it may be
// taken over (a crashed instance never releases its claims).
func (s *Service) claimLease() time.Duration {
	return max(s.cfg.DownloadTimeout+s.cfg.StorageTimeout+10*time.Second, claimLeaseMin)
}

// claim creates the pending image item of key for this request, or returns
// the image a completed earlier request stored under it. It waits
// (polling) while another request holds the key, as long as ctx allows.
func (s *Service) claim(ctx, sctx context.Context, key, url string, tm *Timing) (*claim, *Image, error) {
	const op = "ingest.Put"
	id := KeyedID(key)
	owner := newOwner()
	delay := 20 * time.Millisecond
	for {
		now := s.cfg.Now()
		item := map[string]types.AttributeValue{
			attrID: sv(id), attrState: sv(statePending), attrOwner: sv(owner),
			attrLease: nv(now.Add(s.claimLease()).UnixMilli()), attrSourceURL: sv(url),
			attrInstanceID:     sv(s.cfg.InstanceID),
			s.cfg.TTLAttribute: nv(now.Add(s.cfg.IdempotencyTTL).Unix()),
		}
		out, err := s.cfg.DB.PutItem(sctx, &dynamodb.PutItemInput{
			TableName:                           &s.cfg.Table,
			Item:                                item,
			ConditionExpression:                 aws.String(condClaim),
			ExpressionAttributeNames:            map[string]string{"#state": attrState},
			ExpressionAttributeValues:           map[string]types.AttributeValue{":pending": sv(statePending), ":now": nv(now.UnixMilli())},
			ReturnValues:                        types.ReturnValueAllOld,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			tm.Capacity.write(out.Attributes, item)
			return &claim{id: id, owner: owner, tookOver: len(out.Attributes) > 0, item: item}, nil, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return nil, nil, storageErr(op, "claim idempotency key", err)
		}
		rec := ccf.Item
		tm.Capacity.failedWrite(rec)
		if rec != nil {
			if str(rec, attrSourceURL) != url {
				return nil, nil, apperr.Errorf(apperr.Conflict, op, "Idempotency-Key was used with a different image_url")
			}
			if img, ok := imageFromItem(rec); ok {
				return nil, &img, nil
			}
		}
		// Pending elsewhere (or just released): wait and try again.
		select {
		case <-ctx.Done():
			return nil, nil, apperr.Errorf(apperr.Conflict, op, "a request with this Idempotency-Key is still in progress")
		case <-time.After(delay):
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

func newOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// release deletes an uncompleted claim so that a retry starts afresh.
func (s *Service) release(ctx context.Context, c *claim, tm *Timing) error {
	out, err := s.cfg.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.cfg.Table,
		Key:                       map[string]types.AttributeValue{attrID: sv(c.id)},
		ConditionExpression:       aws.String(condRelease),
		ExpressionAttributeNames:  map[string]string{"#state": attrState, "#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": sv(statePending), ":owner": sv(c.owner)},
		ReturnValues:              types.ReturnValueAllOld,
	})
	if err == nil {
		tm.Capacity.write(out.Attributes, nil)
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		tm.Capacity.failedWrite(nil)
		return nil // taken over after the lease: not ours any more
	}
	return err
}

// errClaimLost is a completing write whose claim was taken over.
var errClaimLost = errors.New("the Idempotency-Key claim expired before the image was stored")

// writeItem stores the image item: a new item without a claim, else the
// completion of the claim's pending item (only while this request still
// owns it). Either is one conditional PutItem; the completed item enters
// the list index.
func (s *Service) writeItem(ctx context.Context, img Image, c *claim, tm *Timing) error {
	const op = "ingest.Put"
	in := &dynamodb.PutItemInput{TableName: &s.cfg.Table, Item: imageItem(img), ConditionExpression: aws.String(condNew)}
	if c != nil {
		in.ConditionExpression = aws.String(condComplete)
		in.ExpressionAttributeNames = map[string]string{"#state": attrState, "#owner": attrOwner}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":pending": sv(statePending), ":owner": sv(c.owner)}
	}
	_, err := s.cfg.DB.PutItem(ctx, in)
	if err != nil {
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			tm.Capacity.failedWrite(nil)
		}
		if c != nil && errors.As(err, &ccf) {
			return &apperr.Error{Code: apperr.Conflict, Op: op, Message: errClaimLost.Error(), Err: errClaimLost}
		}
		return storageErr(op, "write item", err)
	}
	var old map[string]types.AttributeValue // a new item replaces nothing
	if c != nil {
		old = c.item // the condition held: the item was our pending one
	}
	tm.Capacity.write(old, in.Item)
	return nil
}

// takeOverObject removes what the previous owner of a taken-over claim may
// have stored under the image's key before it crashed: the current version
// of the object, which no item refers to.
func (s *Service) takeOverObject(ctx context.Context, log *slog.Logger, key string) error {
	out, err := s.cfg.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &key})
	if err != nil {
		if code := errorCode(err); code == "NotFound" || code == "NoSuchKey" {
			return nil
		}
		return storageErr("ingest.Put", "check the object of a taken-over claim", err)
	}
	log.Warn("removing the object of a taken-over idempotency claim", "bucket", s.cfg.Bucket, "key", key, "version_id", aws.ToString(out.VersionId))
	in := &s3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key, VersionId: out.VersionId}
	if _, err := s.cfg.S3.DeleteObject(ctx, in); err != nil {
		return storageErr("ingest.Put", "remove the object of a taken-over claim", err)
	}
	return nil
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
