package verify

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// AWSConfig loads the SDK configuration for region. With endpoint set (a
// local emulator) every client is pointed at it and, when the environment
// has no credentials, dummy static ones are used.
func AWSConfig(ctx context.Context, region, endpoint string, haveCreds bool) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithRegion(region)}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
		if !haveCreds {
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}

// NewClients builds every client from cfg. local selects path-style S3
// addressing, which emulators need.
func NewClients(cfg aws.Config, local bool) *Clients {
	return &Clients{
		S3:             s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = local }),
		DynamoDB:       dynamodb.NewFromConfig(cfg),
		EC2:            ec2.NewFromConfig(cfg),
		IAM:            iam.NewFromConfig(cfg),
		ELB:            elb.NewFromConfig(cfg),
		AutoScaling:    autoscaling.NewFromConfig(cfg),
		Lambda:         lambda.NewFromConfig(cfg),
		Logs:           cloudwatchlogs.NewFromConfig(cfg),
		STS:            sts.NewFromConfig(cfg),
		SSM:            ssm.NewFromConfig(cfg),
		CloudFormation: cloudformation.NewFromConfig(cfg),
	}
}
