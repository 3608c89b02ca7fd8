package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Kind is how a target is called.
type Kind string

const (
	// KindServer is the server's POST <url>/images.
	KindServer Kind = "server"
	// KindLambdaInvoke is a direct invocation through the Lambda invoke
	// API, as the Runtime Interface Emulator serves it:
	// POST <url>/2015-03-31/functions/function/invocations.
	KindLambdaInvoke Kind = "lambda-invoke"
	// KindFunctionURL is a Lambda function URL with AWS_IAM auth: requests
	// are signed with SigV4 for the service "lambda".
	KindFunctionURL Kind = "function-url"
)

// InvokePath is the emulator's invoke API path.
const InvokePath = "/2015-03-31/functions/function/invocations"

// ParseKind checks a kind given on the command line.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(s); k {
	case KindServer, KindLambdaInvoke, KindFunctionURL:
		return k, nil
	}
	return "", fmt.Errorf("unknown target kind %q (want %s, %s or %s)", s, KindServer, KindLambdaInvoke, KindFunctionURL)
}

// Target is one deployment as the benchmark calls it.
type Target struct {
	// Name is the deployment's name (terraform, cloudformation).
	Name string
	Kind Kind
	// URL is the server's base URL, the invoke URL, or the function URL.
	URL      string
	ImageURL string
	// Region and Credentials sign KindFunctionURL requests.
	Region      string
	Credentials aws.CredentialsProvider
}

// Endpoint is the URL requests go to: the server's /images, the invoke
// API path when the invoke URL has none, the function URL as given.
func (t *Target) Endpoint() (string, error) {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("target %s: %q is not an http(s) URL", t.Name, t.URL)
	}
	switch t.Kind {
	case KindServer:
		if !strings.HasSuffix(u.Path, "/images") {
			u.Path = strings.TrimSuffix(u.Path, "/") + "/images"
		}
	case KindLambdaInvoke:
		if u.Path == "" || u.Path == "/" {
			u.Path = InvokePath
		}
	case KindFunctionURL:
		if u.Path == "" {
			u.Path = "/"
		}
	default:
		return "", fmt.Errorf("target %s: unknown kind %q", t.Name, t.Kind)
	}
	return u.String(), nil
}

// RegionFromFunctionURL extracts the region from a function URL's host,
// <id>.lambda-url.<region>.on.aws, or returns "".
func RegionFromFunctionURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	parts := strings.Split(u.Hostname(), ".")
	for i := 0; i+2 < len(parts); i++ {
		if parts[i] == "lambda-url" && parts[i+2] == "on" {
			return parts[i+1]
		}
	}
	return ""
}

// targeter builds the vegeta.Targeter for t. Every request carries the same
// body; function-URL requests are signed when vegeta asks for them, that
// is at send time, so signatures never go stale on long runs.
func (t *Target) targeter(ctx context.Context, sent func()) (vegeta.Targeter, error) {
	endpoint, err := t.Endpoint()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]string{"image_url": t.ImageURL})
	if err != nil {
		return nil, err
	}
	hdr := http.Header{"Content-Type": []string{"application/json"}}
	if t.Kind != KindFunctionURL {
		return func(tgt *vegeta.Target) error {
			sent()
			*tgt = vegeta.Target{Method: http.MethodPost, URL: endpoint, Body: body, Header: hdr.Clone()}
			return nil
		}, nil
	}
	if t.Credentials == nil {
		return nil, fmt.Errorf("target %s: a function URL with AWS_IAM auth needs AWS credentials", t.Name)
	}
	region := t.Region
	if region == "" {
		region = RegionFromFunctionURL(endpoint)
	}
	if region == "" {
		return nil, fmt.Errorf("target %s: no region to sign requests for (set --region or AWS_REGION)", t.Name)
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	signer := v4.NewSigner()
	return func(tgt *vegeta.Target) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
		if err != nil {
			return err
		}
		req.Header = hdr.Clone()
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
		creds, err := t.Credentials.Retrieve(ctx)
		if err != nil {
			return fmt.Errorf("aws credentials: %w", err)
		}
		if err := signer.SignHTTP(ctx, creds, req, payloadHash, "lambda", region, time.Now()); err != nil {
			return fmt.Errorf("sign request: %w", err)
		}
		*tgt = vegeta.Target{Method: http.MethodPost, URL: endpoint, Body: body, Header: req.Header}
		sent()
		return nil
	}, nil
}
