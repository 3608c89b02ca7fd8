package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/twinstack/twinstack/internal/albums"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/ingest"
	"github.com/twinstack/twinstack/internal/ssrf"
)

// Deps are what Build needs beyond the settings.
type Deps struct {
	AWS      aws.Config // region and credentials resolved by the caller
	Logger   *slog.Logger
	Registry *prometheus.Registry
	OpenAPI  []byte
	// InstanceID overrides the resolution of config.Serve (tests).
	InstanceID string
	// IMDS is the metadata client used when c.UseIMDS() (default: the
	// SDK's IMDSv2 client).
	IMDS InstanceIDSource
}

// Build wires the AWS clients, ingest and albums into a Server according
// to c. With c.Endpoint set, S3 and DynamoDB go to that endpoint and S3
// uses path-style addressing.
func Build(ctx context.Context, c config.Serve, d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s3c := s3.NewFromConfig(d.AWS, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			o.UsePathStyle = true
		}
	})
	ddb := dynamodb.NewFromConfig(d.AWS, func(o *dynamodb.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	id := d.InstanceID
	if id == "" {
		id = ResolveInstanceID(ctx, c, d.IMDS, os.Hostname, d.Logger)
	}
	svc, err := ingest.New(ingest.Config{
		Bucket: c.ImagesBucket, Table: c.ImagesTable,
		S3: s3c, Presign: s3.NewPresignClient(s3c), DB: ddb,
		Guard:           ssrf.New(ssrf.AllowPrivate(c.AllowPrivate), ssrf.AllowPorts(c.AllowedOriginPorts...)),
		MaxBytes:        c.MaxImageBytes,
		DownloadTimeout: c.DownloadTimeout,
		StorageTimeout:  ingest.DefaultStorageTimeout,
		MaxInFlight:     c.MaxConcurrentIngests,
		MinDownloadRate: minRate(c.MinDownloadRate),
		InstanceID:      id,
		Logger:          d.Logger,
	})
	if err != nil {
		return nil, err
	}
	return New(Config{
		Images:          svc,
		Albums:          albums.New(ddb, c.AlbumsTable),
		Logger:          d.Logger,
		Registry:        d.Registry,
		OpenAPI:         d.OpenAPI,
		ShutdownTimeout: c.ShutdownTimeout,
		WriteTimeout:    c.DownloadTimeout + ingest.DefaultStorageTimeout + WriteMargin,
		InstanceID:      id,
	})
}

// minRate maps the setting's 0 (off) to ingest's "no limit".
func minRate(v int64) int64 {
	if v == 0 {
		return -1
	}
	return v
}

// InstanceIDSource asks the instance metadata service for the instance id.
type InstanceIDSource interface {
	GetMetadata(ctx context.Context, in *imds.GetMetadataInput, opts ...func(*imds.Options)) (*imds.GetMetadataOutput, error)
}

// IMDSTimeout bounds the metadata lookup at start.
const IMDSTimeout = 2 * time.Second

// ResolveInstanceID decides what the server reports as instance_id:
//  1. INSTANCE_ID when set;
//  2. the EC2 instance id from IMDSv2, when c.UseIMDS() (IMDS=on, or
//     IMDS=auto and no AWS_ENDPOINT_URL: a real AWS deployment), within
//     IMDSTimeout;
//  3. the host name;
//  4. "unknown".
func ResolveInstanceID(ctx context.Context, c config.Serve, src InstanceIDSource, hostname func() (string, error), log *slog.Logger) string {
	if c.InstanceID != "" {
		return c.InstanceID
	}
	if c.UseIMDS() {
		if src == nil {
			src = imds.New(imds.Options{
				ClientEnableState: imds.ClientEnabled,
				HTTPClient:        &http.Client{Timeout: IMDSTimeout},
				Retryer:           aws.NopRetryer{},
			})
		}
		id, err := instanceIDFromIMDS(ctx, src)
		if err == nil {
			log.Info("instance id from IMDSv2", "instance_id", id)
			return id
		}
		log.Warn("instance id: IMDSv2 unavailable, using the host name", "err", err)
	}
	if h, err := hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}

func instanceIDFromIMDS(ctx context.Context, src InstanceIDSource) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, IMDSTimeout)
	defer cancel()
	out, err := src.GetMetadata(ctx, &imds.GetMetadataInput{Path: "instance-id"})
	if err != nil {
		return "", err
	}
	defer out.Content.Close()
	b, err := io.ReadAll(io.LimitReader(out.Content, 64))
	if err != nil {
		return "", err
	}
	id := string(b)
	if id == "" || len(id) > 32 {
		return "", errors.New("unexpected instance id from IMDS")
	}
	return id, nil
}

// LocalAWSConfig is the SDK configuration for a local endpoint: the given
// static credentials (moto accepts any), region, no IMDS or shared-file
// lookups.
func LocalAWSConfig(region, accessKey, secretKey, token string) aws.Config {
	if accessKey == "" || secretKey == "" {
		accessKey, secretKey, token = "test", "test", ""
	}
	return aws.Config{
		Region:           region,
		Credentials:      aws.NewCredentialsCache(staticCreds{aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey, SessionToken: token, Source: "local"}}),
		RetryMaxAttempts: 3,
		RetryMode:        aws.RetryModeStandard,
	}
}

type staticCreds struct{ c aws.Credentials }

func (s staticCreds) Retrieve(context.Context) (aws.Credentials, error) { return s.c, nil }
