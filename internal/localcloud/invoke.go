package localcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/state"
)

// Paths a request takes through a deployment.
const (
	ViaLambda = "lambda"
	ViaServer = "server"
)

// InvokeResult is the answer of one request through a deployment.
type InvokeResult struct {
	Via      string
	URL      string
	Status   int // HTTP status (the Lambda emulator answers 200; the body carries the outcome)
	Body     map[string]any
	Raw      []byte
	Duration time.Duration
}

// OK reports whether the chain stored the image.
func (r *InvokeResult) OK() bool { return r.Body["status"] == "success" }

// Str returns a string field of the answer.
func (r *InvokeResult) Str(k string) string {
	s, _ := r.Body[k].(string)
	return s
}

// Invoke sends one image URL through deployment d: to the Lambda emulator's
// invoke API (direct invocation) or to the server URL (POST /images).
func Invoke(ctx context.Context, d *state.Deployment, via, imageURL string) (*InvokeResult, error) {
	const op = "invoke"
	body, _ := json.Marshal(map[string]string{"image_url": imageURL})
	var target string
	switch via {
	case ViaLambda:
		target = d.LambdaInvokeURL
	case ViaServer:
		if d.ServerURL != "" {
			target = strings.TrimRight(d.ServerURL, "/") + "/images"
		}
	default:
		return nil, apperr.Errorf(apperr.Invalid, op, "--via must be lambda or server, not %q", via)
	}
	if target == "" {
		return nil, apperr.Errorf(apperr.NotFound, op, "%s has no %s endpoint in the state file", d.Name, via)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, apperr.E(apperr.Invalid, op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	t := time.Now()
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return nil, apperr.E(apperr.ServerUnreachable, op, fmt.Errorf("%s: %w", target, err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, apperr.E(apperr.ServerUnreachable, op, err)
	}
	res := &InvokeResult{Via: via, URL: target, Status: resp.StatusCode, Raw: raw, Duration: time.Since(t)}
	if err := json.Unmarshal(raw, &res.Body); err != nil {
		return res, apperr.Errorf(apperr.BadGateway, op, "%s answered %d with a non-JSON body: %.200s", target, resp.StatusCode, raw)
	}
	return res, nil
}

// Stored is what CheckStored found for one image.
type Stored struct {
	ObjectBytes int64
	ContentType string
	ItemFound   bool
}

// CheckStored reads back, through the AWS API, the object and the item an
// invocation reported: the object must be in d's bucket and the item in
// its images table.
func CheckStored(ctx context.Context, s3c *s3.Client, ddb *dynamodb.Client, d *state.Deployment, key, imageID string) (Stored, error) {
	var out Stored
	h, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(d.Bucket), Key: aws.String(key)})
	if err != nil {
		return out, fmt.Errorf("object s3://%s/%s: %w", d.Bucket, key, err)
	}
	out.ObjectBytes, out.ContentType = aws.ToInt64(h.ContentLength), aws.ToString(h.ContentType)
	it, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(d.ImagesTable), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"image_id": &ddbtypes.AttributeValueMemberS{Value: imageID}}})
	if err != nil {
		return out, fmt.Errorf("item %s in %s: %w", imageID, d.ImagesTable, err)
	}
	out.ItemFound = len(it.Item) > 0
	if !out.ItemFound {
		return out, fmt.Errorf("item %s not in %s", imageID, d.ImagesTable)
	}
	return out, nil
}
