package moto

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/twinstack/twinstack/constructs"
)

// Region is the region local clients use.
const Region = "us-east-1"

// AWSConfig is an SDK configuration for a local endpoint: static dummy
// credentials, Region, the endpoint as base URL. It reads no environment,
// shared files or instance metadata.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		// moto answers quickly or not at all; do not let the SDK's retries
		// stretch a test by minutes.
		RetryMaxAttempts: 2,
	}
}

// S3 is an S3 client for endpoint with path-style addressing.
func S3(endpoint string) *s3.Client {
	return s3.NewFromConfig(AWSConfig(endpoint), func(o *s3.Options) { o.UsePathStyle = true })
}

// DynamoDB is a DynamoDB client for endpoint.
func DynamoDB(endpoint string) *dynamodb.Client {
	return dynamodb.NewFromConfig(AWSConfig(endpoint))
}

// S3 is an S3 client for this server.
func (s *Server) S3() *s3.Client { return S3(s.Endpoint()) }

// DynamoDB is a DynamoDB client for this server.
func (s *Server) DynamoDB() *dynamodb.Client { return DynamoDB(s.Endpoint()) }

// Names are the names of the data resources to create.
type Names struct {
	Bucket      string
	ImagesTable string
	AlbumsTable string
}

// DefaultNames are the names the model gives the data resources for the
// default prefix (the bucket name without the account token).
func DefaultNames() Names {
	return Names{Bucket: "twinstack-images-local", ImagesTable: "twinstack-images", AlbumsTable: "twinstack-albums"}
}

// CreateStore creates the bucket and both tables at endpoint with the
// model's schemas (key, GSI; versioning as the model says) and waits until
// the tables are active.
func CreateStore(ctx context.Context, endpoint string, n Names) error {
	sys, err := constructs.New(constructs.Defaults())
	if err != nil {
		return fmt.Errorf("moto: model: %w", err)
	}
	if _, err := S3(endpoint).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(n.Bucket)}); err != nil {
		var owned *s3types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return fmt.Errorf("moto: create bucket %s: %w", n.Bucket, err)
		}
	}
	if sys.Bucket.Versioned {
		if _, err := S3(endpoint).PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(n.Bucket),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
		}); err != nil {
			return fmt.Errorf("moto: bucket versioning %s: %w", n.Bucket, err)
		}
	}
	db := DynamoDB(endpoint)
	images := sys.ImagesTable
	images.Name = n.ImagesTable
	albums := sys.AlbumsTable
	albums.Name = n.AlbumsTable
	for _, tb := range []constructs.Table{images, albums} {
		if err := CreateTable(ctx, db, tb); err != nil {
			return err
		}
	}
	return nil
}

// CreateStore creates the bucket and tables in this server.
func (s *Server) CreateStore(ctx context.Context, n Names) error {
	return CreateStore(ctx, s.Endpoint(), n)
}

// CreateTable creates a table described by the model (on-demand billing,
// its key and global secondary indexes) unless it exists, and waits until it
// is active.
func CreateTable(ctx context.Context, db *dynamodb.Client, tb constructs.Table) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(tb.Name),
		BillingMode: ddbtypes.BillingModePayPerRequest,
		KeySchema:   []ddbtypes.KeySchemaElement{{AttributeName: aws.String(tb.Partition.Name), KeyType: ddbtypes.KeyTypeHash}},
	}
	attrs := map[string]constructs.KeyType{tb.Partition.Name: tb.Partition.Type}
	if tb.Sort != nil {
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(tb.Sort.Name), KeyType: ddbtypes.KeyTypeRange})
		attrs[tb.Sort.Name] = tb.Sort.Type
	}
	for _, ix := range tb.Indexes {
		gsi := ddbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  []ddbtypes.KeySchemaElement{{AttributeName: aws.String(ix.Partition.Name), KeyType: ddbtypes.KeyTypeHash}},
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionType(ix.Projection)},
		}
		attrs[ix.Partition.Name] = ix.Partition.Type
		if ix.Sort != nil {
			gsi.KeySchema = append(gsi.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(ix.Sort.Name), KeyType: ddbtypes.KeyTypeRange})
			attrs[ix.Sort.Name] = ix.Sort.Type
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	for _, name := range sortedKeys(attrs) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
			AttributeName: aws.String(name), AttributeType: ddbtypes.ScalarAttributeType(attrs[name]),
		})
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		var inUse *ddbtypes.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("moto: create table %s: %w", tb.Name, err)
		}
	}
	w := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tb.Name)}, 30*time.Second); err != nil {
		return fmt.Errorf("moto: table %s: %w", tb.Name, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
