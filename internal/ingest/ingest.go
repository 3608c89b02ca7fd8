package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/oklog/ulid/v2"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ssrf"
)

// Config configures a Service. Zero values of the optional fields take the
// documented defaults.
type Config struct {
	Bucket string // required
	Table  string // the images table, required

	S3      ObjectAPI // required
	Presign Presigner // required for ContentURL
	DB      TableAPI  // required

	// Guard checks every destination the fetch dials (required).
	Guard *ssrf.Guard
	// Transport overrides the fetch transport (tests); its dialer must
	// still apply Guard. Default: a transport dialling through Guard.
	Transport http.RoundTripper

	MaxBytes        int64         // largest image accepted (default 20 MiB)
	DownloadTimeout time.Duration // bound on the whole download (default 10s)
	// StorageTimeout bounds the S3 and DynamoDB work of one request after
	// the download (default 30s). Storage work does not stop when the
	// client goes away, so that rollback always runs.
	StorageTimeout time.Duration
	InstanceID     string

	// PartSize is the multipart part size (default and minimum 5 MiB).
	// Concurrency is the number of parts in flight per upload (default 2).
	// Memory per large upload is about (Concurrency+2) * PartSize.
	PartSize    int64
	Concurrency int
	// SmallBytes is the size up to which an image is read whole into a
	// pooled buffer and stored with one PutObject, bypassing the upload
	// manager (default 1 MiB). Larger images stream through the manager.
	SmallBytes int64
	// MaxInFlight bounds concurrent downloads+uploads (default 8). There is
	// no queue: a request that finds every slot taken fails at once with
	// too_many_requests.
	MaxInFlight int
	// MinDownloadRate is the slowest origin transfer accepted, in bytes per
	// second of time spent waiting for the origin (default 16 KiB/s;
	// negative: no limit). It is checked over each RateWindow (default
	// 2s) after a first window of grace for connecting and headers, so a
	// stalled origin is cut off well before DownloadTimeout.
	MinDownloadRate int64
	RateWindow      time.Duration

	// PresignExpiry is the lifetime of content URLs (default 5m).
	PresignExpiry time.Duration

	Now   func() time.Time // default time.Now
	NewID func() string    // default: a new ULID
	// Logger receives cleanup failures; requests may pass their own.
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultMaxBytes        = 20 << 20
	DefaultDownloadTimeout = 10 * time.Second
	DefaultStorageTimeout  = 30 * time.Second
	DefaultConcurrency     = 2
	DefaultSmallBytes      = 1 << 20
	DefaultMaxInFlight     = 8
	DefaultMinDownloadRate = 16 << 10
	DefaultRateWindow      = 2 * time.Second
	DefaultPresignExpiry   = 5 * time.Minute
	MaxRedirects           = 5
	MaxURLLength           = 2048
	sniffLen               = 512
)

// Service ingests, lists and serves images. Build it with New; it is safe
// for concurrent use.
type Service struct {
	cfg      Config
	client   *http.Client
	uploader *manager.Uploader
	slots    chan struct{}
	heads    sync.Pool // *[]byte of SmallBytes: the start of each image
	log      *slog.Logger

	flightMu sync.Mutex
	flights  map[string]*flight // keyed ingests in progress, by key and URL
}

// New checks cfg and builds a Service.
func New(cfg Config) (*Service, error) {
	switch {
	case cfg.Bucket == "" || cfg.Table == "":
		return nil, errors.New("ingest: bucket and table are required")
	case cfg.S3 == nil || cfg.DB == nil:
		return nil, errors.New("ingest: S3 and DynamoDB clients are required")
	case cfg.Guard == nil:
		return nil, errors.New("ingest: an ssrf guard is required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.DownloadTimeout <= 0 {
		cfg.DownloadTimeout = DefaultDownloadTimeout
	}
	if cfg.StorageTimeout <= 0 {
		cfg.StorageTimeout = DefaultStorageTimeout
	}
	if cfg.PartSize < manager.MinUploadPartSize {
		cfg.PartSize = manager.MinUploadPartSize
	}
	if cfg.SmallBytes <= 0 || cfg.SmallBytes > cfg.PartSize {
		cfg.SmallBytes = min(DefaultSmallBytes, cfg.PartSize)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.MinDownloadRate == 0 {
		cfg.MinDownloadRate = DefaultMinDownloadRate
	}
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = DefaultRateWindow
	}
	if cfg.PresignExpiry <= 0 {
		cfg.PresignExpiry = DefaultPresignExpiry
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return ulid.Make().String() }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tr := cfg.Transport
	if tr == nil {
		tr = NewTransport(cfg.Guard)
	}
	s := &Service{
		cfg:    cfg,
		client: &http.Client{Transport: tr, CheckRedirect: checkRedirect(cfg.Guard)},
		uploader: manager.NewUploader(cfg.S3, func(u *manager.Uploader) {
			u.PartSize = cfg.PartSize
			u.Concurrency = cfg.Concurrency
		}),
		slots:   make(chan struct{}, cfg.MaxInFlight),
		log:     cfg.Logger,
		flights: map[string]*flight{},
	}
	// One byte more than SmallBytes tells "exactly SmallBytes" from "more".
	small := int(cfg.SmallBytes) + 1
	s.heads.New = func() any { b := make([]byte, small); return &b }
	return s, nil
}

// Image is the stored description of one image, as the API shows it.
type Image struct {
	ID          string `json:"image_id"`
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	SizeBytes   int64  `json:"size_bytes"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
	SourceURL   string `json:"source_url"`
	InstanceID  string `json:"instance_id"`
	CreatedAt   string `json:"created_at"`
}

// Timing says where the time of one Put went and the DynamoDB capacity it
// consumed. Download counts time waiting for the origin (headers and body
// reads); S3 the upload minus the time it waited for the origin; DynamoDB
// the item write and, for a keyed repeat, its reads of the item.
type Timing struct {
	Download, S3, DynamoDB, Total time.Duration
	Capacity                      Capacity
}

// PutInput is one ingest request.
type PutInput struct {
	URL            string
	IdempotencyKey string // optional
	// Logger, when set, is used for this request's log lines (it carries
	// the request id).
	Logger *slog.Logger
}

// Result is the outcome of a successful Put. Replayed is set when an
// earlier request with the same idempotency key produced Image.
type Result struct {
	Image    Image
	Replayed bool
}

// Key is the object key of image id.
func Key(id string) string { return constructs.ImagesPrefix + id }

// TimeFormat is the format of created_at: RFC 3339 in UTC with fixed
// millisecond precision, so that strings sort like times (the list index
// sorts on it).
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Put ingests the image at in.URL. The Timing is filled whether or not it
// succeeds.
func (s *Service) Put(ctx context.Context, in PutInput) (Result, Timing, error) {
	const op = "ingest.Put"
	start := time.Now()
	var tm Timing
	log := in.Logger
	if log == nil {
		log = s.log
	}
	res, err := s.put(ctx, in, &tm, log)
	tm.Total = time.Since(start)
	if err != nil {
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			err = apperr.E(apperr.Internal, op, err)
		}
		return Result{}, tm, err
	}
	return res, tm, nil
}

func (s *Service) put(ctx context.Context, in PutInput, tm *Timing, log *slog.Logger) (Result, error) {
	u, err := s.checkURL(in.URL)
	if err != nil {
		return Result{}, err
	}
	if in.IdempotencyKey == "" {
		return s.store(ctx, u, "", tm, log)
	}
	if err := CheckIdempotencyKey(in.IdempotencyKey); err != nil {
		return Result{}, err
	}
	return s.putKeyed(ctx, in.IdempotencyKey, u, tm, log)
}

// flight is one keyed ingest in progress on this instance; repeats of its
// key and URL that arrive meanwhile wait for it instead of downloading
// too (and take no ingest slot).
type flight struct {
	done chan struct{}
	res  Result
	err  error
	// retry is set when the leader failed because its own client went
	// away: its failure says nothing about the key, so a waiter tries
	// itself.
	retry bool
}

// putKeyed stores the image of a keyed request once per instance at a
// time; the store decides between instances (the conditional PutObject).
func (s *Service) putKeyed(ctx context.Context, key, u string, tm *Timing, log *slog.Logger) (Result, error) {
	fk := key + "\x00" + u
	for {
		s.flightMu.Lock()
		if f, ok := s.flights[fk]; ok {
			s.flightMu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return Result{}, errInProgress()
			}
			if f.retry {
				continue
			}
			if f.err != nil {
				return Result{}, f.err
			}
			return Result{Image: f.res.Image, Replayed: true}, nil
		}
		f := &flight{done: make(chan struct{})}
		s.flights[fk] = f
		s.flightMu.Unlock()

		f.res, f.err = s.store(ctx, u, KeyedID(key), tm, log)
		f.retry = f.err != nil && ctx.Err() != nil
		s.flightMu.Lock()
		delete(s.flights, fk)
		s.flightMu.Unlock()
		close(f.done)
		return f.res, f.err
	}
}

func errInProgress() error {
	return apperr.Errorf(apperr.Conflict, "ingest.Put", "a request with this Idempotency-Key is still in progress")
}

// maxTakeovers bounds how often one keyed request starts over after
// finding the key free again (its first writer gave up, or its lease ran
// out and the object was removed).
const maxTakeovers = 3

// store ingests the image at u under keyedID (a keyed request), or under a
// new id (keyedID empty).
func (s *Service) store(ctx context.Context, u, keyedID string, tm *Timing, log *slog.Logger) (Result, error) {
	// Storage work outlives a client that went away, so that rollback
	// always runs; it is bounded on its own, and the bound is below
	// claimLease: no request writes after its object's lease ran out.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.DownloadTimeout+s.cfg.StorageTimeout)
	defer cancel()
	for n := 0; ; n++ {
		res, again, err := s.attempt(ctx, sctx, u, keyedID, tm, log)
		if !again {
			return res, err
		}
		if n == maxTakeovers {
			return Result{}, errInProgress()
		}
	}
}

// attempt downloads and stores the image once. For a keyed request the
// object key is the claim: the object is written only if none exists
// (If-None-Match: *). When one does, settle decides: replay, conflict,
// wait, or (again=true) start over because the key is free again.
func (s *Service) attempt(ctx, sctx context.Context, u, keyedID string, tm *Timing, log *slog.Logger) (_ Result, again bool, _ error) {
	const op = "ingest.Put"
	keyed := keyedID != ""

	// No queue: when every slot is busy the caller is told to come back.
	// The slot covers the download and the upload, not a wait for another
	// request's result.
	select {
	case s.slots <- struct{}{}:
	default:
		return Result{}, false, &apperr.Error{Code: apperr.TooManyRequests, Op: op,
			Message: fmt.Sprintf("all %d ingest slots of this instance are busy; retry later", cap(s.slots)), Err: ErrBusy}
	}
	held := true
	free := func() {
		if held {
			held = false
			<-s.slots
		}
	}
	defer free()

	img := Image{
		ID:         keyedID,
		Bucket:     s.cfg.Bucket,
		SourceURL:  u,
		InstanceID: s.cfg.InstanceID,
		CreatedAt:  s.cfg.Now().UTC().Format(TimeFormat),
	}
	if !keyed {
		img.ID = s.cfg.NewID()
	}
	img.Key = Key(img.ID)

	// Download: dctx bounds the whole download, body included, and is
	// cut short when the origin is slower than MinDownloadRate.
	dctx, dcancel := context.WithTimeout(ctx, s.cfg.DownloadTimeout)
	defer dcancel()
	dctx, slow := context.WithCancelCause(dctx)
	defer slow(nil)
	m := &meter{}
	defer s.watchRate(m, slow)()
	t0 := time.Now()
	resp, err := s.fetch(dctx, u, m)
	tm.Download += time.Since(t0)
	if err != nil {
		return Result{}, false, s.originErr(ctx, dctx, err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > s.cfg.MaxBytes {
		return Result{}, false, apperr.Errorf(apperr.TooLarge, op, "image is %d bytes, over the limit of %d", resp.ContentLength, s.cfg.MaxBytes)
	}
	src := &source{r: resp.Body, h: sha256.New(), max: s.cfg.MaxBytes}

	headp := s.heads.Get().(*[]byte)
	defer s.heads.Put(headp)
	head := *headp
	n, rerr := io.ReadFull(src, head)
	switch {
	case src.err != nil || (rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF):
		tm.Download += src.wait
		return Result{}, false, s.readErr(ctx, dctx, src, rerr)
	case rerr != nil:
		rerr = io.EOF // the whole image fits in the buffer
	}
	if n == 0 {
		return Result{}, false, apperr.Errorf(apperr.NotAnImage, op, "origin sent an empty body")
	}
	img.ContentType = http.DetectContentType(head[:min(n, sniffLen)])
	if !isImage(img.ContentType) {
		tm.Download += src.wait
		return Result{}, false, apperr.Errorf(apperr.NotAnImage, op, "content is %s, not a PNG, JPEG, GIF or WebP image", img.ContentType)
	}

	// Upload; keyed: only if the object does not exist. The upload
	// manager copies IfNoneMatch into CompleteMultipartUpload, so a large
	// image is just as conditional.
	var ifNoneMatch *string
	if keyed {
		ifNoneMatch = aws.String("*")
	}
	waitBefore := src.wait
	t0 = time.Now()
	var version *string
	if rerr == io.EOF {
		var out *s3.PutObjectOutput
		out, err = s.cfg.S3.PutObject(sctx, &s3.PutObjectInput{
			Bucket: &img.Bucket, Key: &img.Key, Body: bytes.NewReader(head[:n]),
			ContentLength: aws.Int64(int64(n)), ContentType: &img.ContentType, IfNoneMatch: ifNoneMatch,
		})
		if out != nil {
			version = out.VersionId
		}
	} else {
		var out *manager.UploadOutput
		out, err = s.uploader.Upload(sctx, &s3.PutObjectInput{
			Bucket: &img.Bucket, Key: &img.Key, ContentType: &img.ContentType, IfNoneMatch: ifNoneMatch,
			Body: io.MultiReader(bytes.NewReader(head[:n]), src),
		})
		if out != nil {
			version = out.VersionID
		}
	}
	upload := time.Since(t0)
	tm.Download += src.wait
	tm.S3 += max(upload-(src.wait-waitBefore), 0)
	if err != nil {
		if keyed && objectExists(err) {
			// Another request stored this key's object first (nothing of
			// ours was stored; the manager aborted its multipart upload).
			free()
			return s.settle(ctx, sctx, log, img, tm)
		}
		// The upload failed: a single PutObject stored nothing and the
		// manager aborted its multipart upload. Delete anyway in case the
		// answer was lost after S3 stored the object; a keyed request
		// only by version (a plain delete could hide another request's
		// object; without a version a lost write is left to the lease).
		if keyed {
			if version != nil {
				s.deleteVersion(sctx, log, img.Key, version)
			}
		} else {
			s.deleteObject(sctx, log, img.Key, version)
		}
		if src.err != nil || dctx.Err() != nil || ctx.Err() != nil {
			return Result{}, false, s.readErr(ctx, dctx, src, err)
		}
		return Result{}, false, storageErr(op, "upload object", err)
	}
	img.SizeBytes = src.n
	img.SHA256 = hex.EncodeToString(src.h.Sum(nil))

	// The item: one conditional PutItem, keyed or not.
	t0 = time.Now()
	existing, err := s.writeItem(sctx, img, tm)
	tm.DynamoDB += time.Since(t0)
	if err != nil {
		if !keyed {
			s.deleteObject(sctx, log, img.Key, version)
			return Result{}, false, err
		}
		// Remove exactly the version this request wrote, never the
		// object as a whole, so a retry starts afresh.
		s.deleteVersion(sctx, log, img.Key, version)
		if existing != nil {
			// Another writer's item (only after a takeover race): its
			// answer is ours.
			if res, ok, err := answer(existing, u); ok {
				return res, false, err
			}
			return Result{}, false, errInProgress()
		}
		return Result{}, false, err
	}
	return Result{Image: img}, false, nil
}

// objectExists reports whether err is S3 refusing a conditional write
// because the object exists (412), or because a concurrent conditional
// write to the key is under way (409 ConditionalRequestConflict).
func objectExists(err error) bool {
	switch errorCode(err) {
	case "PreconditionFailed", "ConditionalRequestConflict":
		return true
	}
	return false
}

// isImage reports whether a sniffed content type is an accepted image.
func isImage(ct string) bool {
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// AcceptedTypes lists the content types Put accepts.
func AcceptedTypes() []string { return []string{"image/gif", "image/jpeg", "image/png", "image/webp"} }

// ErrBusy is the cause of a too_many_requests failure: every ingest slot of
// the instance is taken.
var ErrBusy = errors.New("every ingest slot is busy")

// deleteVersion removes one object version; without a version id it does
// nothing (a plain delete could hide another request's object).
func (s *Service) deleteVersion(ctx context.Context, log *slog.Logger, key string, version *string) {
	if version == nil || *version == "" {
		log.Error("object version to roll back has no version id; left in place", "bucket", s.cfg.Bucket, "key", key)
		return
	}
	if _, err := s.cfg.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key, VersionId: version}); err != nil {
		log.Error("delete the object version this request wrote", "bucket", s.cfg.Bucket, "key", key, "err", err)
	}
}

func (s *Service) deleteObject(ctx context.Context, log *slog.Logger, key string, version *string) {
	// In a versioned bucket deleting the version removes the object
	// entirely; without s3:DeleteObjectVersion that fails, and a plain
	// delete (a delete marker) still hides it.
	if version != nil && *version != "" {
		_, err := s.cfg.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key, VersionId: version})
		if err == nil {
			return
		}
		log.Warn("delete object version", "bucket", s.cfg.Bucket, "key", key, "err", err)
	}
	if _, err := s.cfg.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key}); err != nil {
		log.Error("delete object after failed ingest", "bucket", s.cfg.Bucket, "key", key, "err", err)
	}
}

// source counts, hashes and limits the origin body and remembers the
// first error it returned and the time spent waiting for the origin.
type source struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	max  int64
	err  error
	wait time.Duration
}

var errTooLarge = errors.New("image over the size limit")

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	// Never read more than one byte past the limit.
	if room := s.max - s.n + 1; int64(len(p)) > room {
		p = p[:room]
	}
	t0 := time.Now()
	n, err := s.r.Read(p)
	s.wait += time.Since(t0)
	s.h.Write(p[:n])
	s.n += int64(n)
	if s.n > s.max {
		s.err = errTooLarge
		return n, s.err
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func storageErr(op, what string, err error) error {
	return &apperr.Error{Code: apperr.StorageUnavailable, Op: op, Message: "storage unavailable: " + what + " failed", Err: fmt.Errorf("%s: %w", what, err)}
}
