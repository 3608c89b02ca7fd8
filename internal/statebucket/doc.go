// Package statebucket creates the S3 bucket that holds the Terraform
// deployment's state, the way `cdk bootstrap` prepares an account for the
// AWS CDK: the bucket must exist before the stack and outlive every
// destroy, so it is not part of the stack.
//
// The bucket is what the model (constructs.StateBucket) says: versioned
// (every state written stays restorable), all public access blocked,
// SSE-S3 encrypted and TLS-only (a bucket policy denying insecure
// transport). It is tagged twinstack:created-by first, and Bootstrap
// refuses to touch a bucket without that tag: a name that exists but was
// not made by this package is never reconfigured. Running Bootstrap again
// on its own bucket converges the settings.
//
// Errors are *apperr.Error; AWS errors are classified by their API error
// code (smithy.APIError), never by message text. A bucket created here whose
// configuration then fails is deleted again (it is still empty), so nothing
// half-configured is left behind.
//
// It imports constructs, apperr and the AWS SDK's S3 client types only; it
// declares the narrow S3 interface it calls.
package statebucket
