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
//   - No transactions. An Idempotency-Key fixes the image id (KeyedID) and
//     is claimed before any work by creating the image item "pending" with
//     a conditional PutItem; the owner completes it with a second
//     conditional PutItem of the whole item. The list index is sparse, so
//     only completed items are listed, and GET ignores pending ones.
//     Repeats, concurrent or on other instances, get the first result and
//     store nothing new. A failed attempt deletes its claim so that the
//     client may retry; a crashed instance's claim is taken over after its
//     lease, and the new owner first removes the object the crashed one
//     may have left. Pending claims carry a TTL attribute.
//   - Backpressure, not queues: at most MaxInFlight downloads+uploads run
//     at once, and a request finding no free slot fails at once with
//     too_many_requests; an origin slower than MinDownloadRate is cut off.
//   - Every failure is an *apperr.Error with one of the codes.
//
// It declares the narrow S3 and DynamoDB interfaces it calls (ObjectAPI,
// Presigner, TableAPI); *s3.Client, *s3.PresignClient and *dynamodb.Client fit
// them. Outbound fetches go through an ssrf.Guard. It must not import the
// server, Echo or the CLI.
package ingest
