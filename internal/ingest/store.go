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

	// Idempotency records live in the images table under
	// image_id = "idempotency#<sha256 of the key>". They carry no
	// ListPartition attribute, so the list index never shows them, and an
	// image id is a ULID, so GET /images/{id} never reads them.
	idemPrefix    = "idempotency#"
	attrState     = "state"
	attrOwner     = "owner"
	attrLease     = "lease_until" // unix milliseconds
	attrResult    = "result_id"
	statePending  = "pending"
	stateDone     = "done"
	claimLeaseMin = 30 * time.Second
)

// Condition expressions (the fakes in tests recognise them by value).
const (
	condNew      = "attribute_not_exists(image_id)"
	condClaim    = "attribute_not_exists(image_id) OR (#state = :pending AND lease_until < :now)"
	condComplete = "#state = :pending AND #owner = :owner"
	condRelease  = "#state = :pending AND #owner = :owner"
	updComplete  = "SET #state = :done, result_id = :result"
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

// claim is an idempotency key this request owns.
type claim struct {
	id    string // the record's image_id
	owner string
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

func idemID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return idemPrefix + hex.EncodeToString(sum[:])
}

// claimLease is how long a pending claim blocks others before it may be
// taken over (a crashed instance never releases its claims).
func (s *Service) claimLease() time.Duration {
	return max(s.cfg.DownloadTimeout+s.cfg.StorageTimeout+10*time.Second, claimLeaseMin)
}

// claim takes the idempotency key for this request, or returns the image a
// completed earlier request stored under it. It waits (polling) while
// another request holds the key, as long as ctx allows.
func (s *Service) claim(ctx, sctx context.Context, key, url string) (*claim, *Image, error) {
	const op = "ingest.Put"
	id := idemID(key)
	owner := newOwner()
	delay := 20 * time.Millisecond
	for {
		now := s.cfg.Now()
		_, err := s.cfg.DB.PutItem(sctx, &dynamodb.PutItemInput{
			TableName: &s.cfg.Table,
			Item: map[string]types.AttributeValue{
				attrID: sv(id), attrState: sv(statePending), attrOwner: sv(owner),
				attrLease: nv(now.Add(s.claimLease()).UnixMilli()), attrSourceURL: sv(url),
			},
			ConditionExpression:       aws.String(condClaim),
			ExpressionAttributeNames:  map[string]string{"#state": attrState},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pending": sv(statePending), ":now": nv(now.UnixMilli())},
		})
		if err == nil {
			return &claim{id: id, owner: owner}, nil, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return nil, nil, storageErr(op, "claim idempotency key", err)
		}
		out, err := s.cfg.DB.GetItem(sctx, &dynamodb.GetItemInput{
			TableName: &s.cfg.Table, Key: map[string]types.AttributeValue{attrID: sv(id)}, ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return nil, nil, storageErr(op, "read idempotency record", err)
		}
		rec := out.Item
		if rec != nil {
			if str(rec, attrSourceURL) != url {
				return nil, nil, apperr.Errorf(apperr.Conflict, op, "Idempotency-Key was used with a different image_url")
			}
			if str(rec, attrState) == stateDone {
				img, err := s.get(sctx, str(rec, attrResult))
				if err != nil {
					return nil, nil, err
				}
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

// release gives up an uncompleted claim.
func (s *Service) release(ctx context.Context, c *claim) error {
	_, err := s.cfg.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.cfg.Table,
		Key:                       map[string]types.AttributeValue{attrID: sv(c.id)},
		ConditionExpression:       aws.String(condRelease),
		ExpressionAttributeNames:  map[string]string{"#state": attrState, "#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": sv(statePending), ":owner": sv(c.owner)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // taken over after the lease: not ours any more
	}
	return err
}

// writeItem stores the image item; with a claim, it completes the claim in
// the same transaction.
func (s *Service) writeItem(ctx context.Context, img Image, c *claim) error {
	const op = "ingest.Put"
	if c == nil {
		_, err := s.cfg.DB.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &s.cfg.Table, Item: imageItem(img), ConditionExpression: aws.String(condNew),
		})
		if err != nil {
			return storageErr(op, "write item", err)
		}
		return nil
	}
	_, err := s.cfg.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.cfg.Table, Item: imageItem(img), ConditionExpression: aws.String(condNew)}},
		{Update: &types.Update{
			TableName:                 &s.cfg.Table,
			Key:                       map[string]types.AttributeValue{attrID: sv(c.id)},
			UpdateExpression:          aws.String(updComplete),
			ConditionExpression:       aws.String(condComplete),
			ExpressionAttributeNames:  map[string]string{"#state": attrState, "#owner": attrOwner},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pending": sv(statePending), ":owner": sv(c.owner), ":done": sv(stateDone), ":result": sv(img.ID)},
		}},
	}})
	if err != nil {
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && len(tce.CancellationReasons) == 2 && aws.ToString(tce.CancellationReasons[1].Code) == "ConditionalCheckFailed" {
			return apperr.Errorf(apperr.Conflict, op, "the Idempotency-Key claim expired before the image was stored")
		}
		return storageErr(op, "write item", err)
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
