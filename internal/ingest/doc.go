// Package ingest copies an image from an origin URL into the image store:
// the object into S3 under images/<id>, its metadata as an item in the images
// table. It is the one place that knows the store's layout (keys, item
// attributes, the list index, idempotency records).
//
// Invariants:
//   - The image streams origin -> SHA-256 + size counter -> S3; it is never
//     held whole in memory. Small images go up in one PutObject, larger ones
//     through the SDK's upload manager (multipart, a bounded number of
//     part buffers), so memory does not grow with image size.
//   - Nothing half-written: success means the object and the item are both
//     stored. If the item write fails the object is deleted; a failed request
//     leaves neither behind.
//   - An Idempotency-Key is claimed with a DynamoDB conditional write before
//     any work, so repeats, concurrent or on other instances, get the first
//     result and store nothing new. Only successes are remembered: a failed
//     attempt releases its claim so that the client may retry.
//   - Every failure is an *apperr.Error with one of the codes.
//
// It declares the narrow S3 and DynamoDB interfaces it calls (ObjectAPI,
// Presigner, TableAPI); *s3.Client, *s3.PresignClient and *dynamodb.Client fit
// them. Outbound fetches go through an ssrf.Guard. It must not import the
// server, Echo or the CLI.
package ingest
