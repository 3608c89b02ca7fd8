package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/twinstack/twinstack/internal/albums"
	"github.com/twinstack/twinstack/internal/ingest"
)

// Images is what the server calls for /images (ingest.Service fits).
type Images interface {
	Put(ctx context.Context, in ingest.PutInput) (ingest.Result, ingest.Timing, error)
	Get(ctx context.Context, id string) (ingest.Image, error)
	List(ctx context.Context, limit int, cursor string) (ingest.Page, error)
	ContentURL(ctx context.Context, id string) (ingest.PresignedURL, error)
	Ready(ctx context.Context) error
}

// Albums is what the server calls for /albums (albums.Store fits).
type Albums interface {
	List(ctx context.Context) ([]albums.Album, error)
	Get(ctx context.Context, id string) (albums.Album, error)
	Create(ctx context.Context, a albums.Album) (albums.Album, error)
	Seed(ctx context.Context) (int, error)
	Ready(ctx context.Context) error
}

// Config configures a Server.
type Config struct {
	Images Images // required
	Albums Albums // required
	// Logger receives JSON request logs (default: discard).
	Logger *slog.Logger
	// Registry receives the metrics and is served at /metrics (default: a
	// new registry).
	Registry *prometheus.Registry
	// OpenAPI is served at /openapi.yaml.
	OpenAPI []byte
	// ReadyTimeout bounds each readiness check (default 2s).
	ReadyTimeout time.Duration
	// ShutdownTimeout bounds the drain at the end of Run (default 25s).
	ShutdownTimeout time.Duration
	// ReadTimeout bounds reading a whole request, WriteTimeout the time
	// from the end of its headers to the end of the answer; WriteTimeout
	// must cover the longest ingest (download + storage). Defaults: 30s
	// and DefaultWriteTimeout. Run applies them.
	ReadTimeout, WriteTimeout time.Duration
	// Now is the clock for durations (default time.Now).
	Now func() time.Time
	// InstanceID, when set, is sent on every answer as X-Instance-Id, so
	// that a caller behind a load balancer sees which server answered.
	InstanceID string
}

// Timeout defaults: requests are small JSON bodies; the answer of an ingest
// may take the download and storage timeouts plus a margin.
const (
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = ingest.DefaultDownloadTimeout + ingest.DefaultStorageTimeout + WriteMargin
	WriteMargin         = 5 * time.Second
)

// Server is the HTTP server. Build it with New.
type Server struct {
	cfg      Config
	echo     *echo.Echo
	log      *slog.Logger
	metrics  *metrics
	registry *prometheus.Registry
	routes   map[string]bool
	now      func() time.Time
	seeded   atomic.Bool
	draining atomic.Bool
}

// New builds a Server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Images == nil || cfg.Albums == nil {
		return nil, errors.New("server: Images and Albums are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 2 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 25 * time.Second
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("server: metrics: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: m, registry: cfg.Registry, now: cfg.Now, routes: map[string]bool{}}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.observe)
	s.echo = e
	s.route(http.MethodPost, "/images", s.postImage)
	s.route(http.MethodGet, "/images", s.listImages)
	s.route(http.MethodGet, "/images/:id", s.getImage)
	s.route(http.MethodGet, "/images/:id/content", s.getContent)
	s.route(http.MethodGet, "/albums", s.listAlbums)
	s.route(http.MethodGet, "/albums/:id", s.getAlbum)
	s.route(http.MethodPost, "/albums", s.postAlbum)
	s.route(http.MethodGet, "/healthz", s.healthz)
	s.route(http.MethodGet, "/readyz", s.readyz)
	s.route(http.MethodGet, "/metrics", echo.WrapHandler(promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})))
	s.route(http.MethodGet, "/openapi.yaml", s.openapi)
	return s, nil
}

func (s *Server) route(method, path string, h echo.HandlerFunc) {
	s.echo.Add(method, path, h)
	s.routes[method+" "+path] = true
}

// Routes lists the registered routes as "METHOD /path" (Echo syntax).
func (s *Server) Routes() []string {
	var rs []string
	for _, r := range s.echo.Routes() {
		rs = append(rs, r.Method+" "+r.Path)
	}
	return rs
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// SeedAlbums seeds the albums table, retrying with backoff until it
// succeeds or ctx ends; /readyz reports not ready until then.
func (s *Server) SeedAlbums(ctx context.Context) {
	delay := 200 * time.Millisecond
	for {
		n, err := s.cfg.Albums.Seed(ctx)
		if err == nil {
			s.seeded.Store(true)
			s.log.Info("albums seeded", "written", n)
			return
		}
		s.log.Warn("seed albums", "err", err, "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// Run seeds the albums in the background and serves on ln until ctx ends;
// then it stops accepting, reports not ready, and waits for in-flight
// requests up to ShutdownTimeout. A drain cut short is logged, not an
// error: the process still exits 0.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// Requests outlive a SIGTERM: they are drained, not cancelled.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	seedCtx, stopSeed := context.WithCancel(ctx)
	defer stopSeed()
	go s.SeedAlbums(seedCtx)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("draining", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("drain cut short; closing remaining connections", "err", err)
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("stopped")
	return nil
}
