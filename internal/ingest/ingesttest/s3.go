package ingesttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Object is a stored object.
type Object struct {
	Body        []byte // nil when the fake discards bodies
	Size        int64
	ContentType string
	VersionID   string
	// LastModified is when the object was stored, by the fake's clock.
	LastModified time.Time
}

// S3 is a fake S3 bucket (one bucket name; others are NoSuchBucket).
type S3 struct {
	Bucket string
	// Discard keeps sizes but not bytes (benchmarks).
	Discard bool
	// Hook, when set, runs before each operation ("PutObject", "UploadPart",
	// …); a non-nil error fails the operation.
	Hook func(op, key string) error
	// Now is the clock of LastModified (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	objects map[string]Object
	uploads map[string]*upload
	seq     int
	// Calls counts operations by name.
	calls map[string]int
}

type upload struct {
	key, contentType string
	parts            map[int32][]byte
	sizes            map[int32]int64
}

// NewS3 returns an empty fake bucket.
func NewS3(bucket string) *S3 {
	return &S3{Bucket: bucket, objects: map[string]Object{}, uploads: map[string]*upload{}, calls: map[string]int{}}
}

func apiErr(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func (f *S3) begin(op, bucket, key string) error {
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
	if f.Hook != nil {
		if err := f.Hook(op, key); err != nil {
			return err
		}
	}
	if bucket != f.Bucket {
		return apiErr("NoSuchBucket", "The specified bucket does not exist")
	}
	return nil
}

func (f *S3) read(r io.Reader) ([]byte, int64, error) {
	if r == nil {
		return nil, 0, nil
	}
	if f.Discard {
		n, err := io.Copy(io.Discard, r)
		return nil, n, err
	}
	b, err := io.ReadAll(r)
	return b, int64(len(b)), err
}

func (f *S3) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if err := f.begin("PutObject", deref(in.Bucket), deref(in.Key)); err != nil {
		return nil, err
	}
	b, size, err := f.read(in.Body)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.condition(*in.Key, in.IfNoneMatch); err != nil {
		return nil, err
	}
	f.seq++
	v := "v" + strconv.Itoa(f.seq)
	f.objects[*in.Key] = Object{Body: b, Size: size, ContentType: deref(in.ContentType), VersionID: v, LastModified: f.now()}
	return &s3.PutObjectOutput{VersionId: &v}, nil
}

func (f *S3) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	if err := f.begin("CreateMultipartUpload", deref(in.Bucket), deref(in.Key)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := "upload-" + strconv.Itoa(f.seq)
	f.uploads[id] = &upload{key: *in.Key, contentType: deref(in.ContentType), parts: map[int32][]byte{}, sizes: map[int32]int64{}}
	return &s3.CreateMultipartUploadOutput{UploadId: &id, Bucket: in.Bucket, Key: in.Key}, nil
}

func (f *S3) UploadPart(ctx context.Context, in *s3.UploadPartInput, _ ...func(*s3.Options)) (*s3.UploadPartOutput, error) {
	if err := f.begin("UploadPart", deref(in.Bucket), deref(in.Key)); err != nil {
		return nil, err
	}
	b, size, err := f.read(in.Body)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[deref(in.UploadId)]
	if !ok {
		return nil, apiErr("NoSuchUpload", "no such upload")
	}
	u.parts[*in.PartNumber] = b
	u.sizes[*in.PartNumber] = size
	etag := fmt.Sprintf("\"etag-%d\"", *in.PartNumber)
	return &s3.UploadPartOutput{ETag: &etag}, nil
}

func (f *S3) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	if err := f.begin("CompleteMultipartUpload", deref(in.Bucket), deref(in.Key)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[deref(in.UploadId)]
	if !ok {
		return nil, apiErr("NoSuchUpload", "no such upload")
	}
	if err := f.condition(u.key, in.IfNoneMatch); err != nil {
		return nil, err
	}
	nums := make([]int, 0, len(u.parts))
	for k := range u.parts {
		nums = append(nums, int(k))
	}
	sort.Ints(nums)
	var buf bytes.Buffer
	var size int64
	for _, k := range nums {
		buf.Write(u.parts[int32(k)])
		size += u.sizes[int32(k)]
	}
	delete(f.uploads, *in.UploadId)
	f.seq++
	v := "v" + strconv.Itoa(f.seq)
	var body []byte
	if !f.Discard {
		body = buf.Bytes()
	}
	f.objects[u.key] = Object{Body: body, Size: size, ContentType: u.contentType, VersionID: v, LastModified: f.now()}
	return &s3.CompleteMultipartUploadOutput{VersionId: &v, Key: &u.key}, nil
}

func (f *S3) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, _ ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	if err := f.begin("AbortMultipartUpload", deref(in.Bucket), deref(in.Key)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.uploads, deref(in.UploadId))
	return &s3.AbortMultipartUploadOutput{}, nil
}

func (f *S3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	if err := f.begin("DeleteObject", deref(in.Bucket), deref(in.Key)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.objects[*in.Key]; ok && (in.VersionId == nil || *in.VersionId == o.VersionID) {
		delete(f.objects, *in.Key)
	}
	return &s3.DeleteObjectOutput{}, nil
}

func (f *S3) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if err := f.begin("GetObject", deref(in.Bucket), deref(in.Key)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[deref(in.Key)]
	if !ok {
		return nil, &types.NoSuchKey{Message: ptr("The specified key does not exist.")}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(o.Body)), ContentType: &o.ContentType, ContentLength: &o.Size}, nil
}

func (f *S3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if err := f.begin("HeadObject", deref(in.Bucket), deref(in.Key)); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[deref(in.Key)]
	if !ok {
		return nil, &types.NotFound{Message: ptr("Not Found")}
	}
	return &s3.HeadObjectOutput{ContentType: &o.ContentType, ContentLength: &o.Size, VersionId: ptr(o.VersionID), LastModified: ptr(o.LastModified)}, nil
}

// PresignGetObject returns a fake signed URL.
func (f *S3) PresignGetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.PresignOptions)) (*v4.PresignedHTTPRequest, error) {
	u := "https://s3.fake/" + url.PathEscape(deref(in.Bucket)) + "/" + deref(in.Key) + "?X-Amz-Signature=fake"
	return &v4.PresignedHTTPRequest{URL: u, Method: "GET"}, nil
}

// Objects returns a copy of the stored objects by key.
func (f *S3) Objects() map[string]Object {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]Object, len(f.objects))
	for k, v := range f.objects {
		m[k] = v
	}
	return m
}

// PendingUploads is the number of multipart uploads neither completed nor
// aborted.
func (f *S3) PendingUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

// Calls returns how often op was called.
func (f *S3) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// Reset forgets every object (benchmarks).
func (f *S3) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects = map[string]Object{}
}

// condition refuses a write with If-None-Match: * when key exists, as S3
// does (412 PreconditionFailed). Callers hold f.mu.
func (f *S3) condition(key string, ifNoneMatch *string) error {
	if ifNoneMatch == nil {
		return nil
	}
	if *ifNoneMatch != "*" {
		return apiErr("NotImplemented", "only If-None-Match: * is supported")
	}
	if _, ok := f.objects[key]; ok {
		return apiErr("PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
	}
	return nil
}

func (f *S3) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }
