package moto_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/moto"
)

func TestStartCreateStoreStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server")
	}
	srv := moto.StartT(t)
	if !strings.HasPrefix(srv.Endpoint(), "http://localhost:") {
		t.Fatalf("endpoint %q", srv.Endpoint())
	}
	ctx := context.Background()
	n := moto.DefaultNames()
	if err := srv.CreateStore(ctx, n); err != nil {
		t.Fatal(err)
	}
	// Creating twice is fine (tests share helpers).
	if err := srv.CreateStore(ctx, n); err != nil {
		t.Fatalf("second CreateStore: %v", err)
	}
	if _, err := srv.S3().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(n.Bucket)}); err != nil {
		t.Fatalf("head bucket: %v", err)
	}
	out, err := srv.DynamoDB().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(n.ImagesTable)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range out.Table.KeySchema {
		got = append(got, *k.AttributeName+"/"+string(k.KeyType))
	}
	for _, ix := range out.Table.GlobalSecondaryIndexes {
		got = append(got, *ix.IndexName)
		for _, k := range ix.KeySchema {
			got = append(got, *k.AttributeName+"/"+string(k.KeyType))
		}
	}
	want := []string{"image_id/HASH", constructs.ListIndex, constructs.ListPartition + "/HASH", constructs.ListSort + "/RANGE"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("images table schema (-want +got):\n%s", d)
	}
	if _, err := srv.DynamoDB().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(n.AlbumsTable)}); err != nil {
		t.Fatal(err)
	}

	port := srv.Port()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.Done():
	default:
		t.Fatal("process still running after Stop")
	}
	if err := srv.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	// Back on the same port (state is gone: moto keeps it in memory).
	again := moto.StartPortT(t, port)
	if again.Port() != port {
		t.Fatalf("port %d, want %d", again.Port(), port)
	}
}
