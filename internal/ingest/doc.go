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
//   - No transactions, no pending records. An Idempotency-Key fixes the
//     image id (KeyedID), hence the object key, and the object is the
//     claim: after the download it is written with If-None-Match: * (on
//     the multipart path the condition reaches CompleteMultipartUpload),
//     then the item with the same one conditional PutItem as an unkeyed
//     ingest. A repeat whose conditional write is refused (412) reads the
//     item (strongly consistent): the same URL is a replay, another a
//     conflict; without an item the first writer is in flight (wait, then
//     conflict) or, once the object is older than the lease, crashed: the
//     repeat deletes exactly that object version and starts over. A
//     failure after the object was stored deletes exactly the version it
//     wrote. Concurrent repeats on one instance share one attempt; across
//     instances each may download, only one stores.
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
