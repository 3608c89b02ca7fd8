package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/twinstack/twinstack/internal/albums"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest"
)

// HeaderIdempotencyKey names the optional idempotency key of POST /images.
const HeaderIdempotencyKey = "Idempotency-Key"

// ImageBody is the success body of the image endpoints.
type ImageBody struct {
	Status string `json:"status"`
	ingest.Image
}

// ImageList is the body of GET /images.
type ImageList struct {
	Status     string         `json:"status"`
	Images     []ingest.Image `json:"images"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// AlbumBody is the body of GET /albums/{id} and POST /albums.
type AlbumBody struct {
	Status string `json:"status"`
	albums.Album
}

// AlbumList is the body of GET /albums.
type AlbumList struct {
	Status string         `json:"status"`
	Albums []albums.Album `json:"albums"`
}

// serverTiming is the Server-Timing value of an ingest: durations in
// milliseconds, and the DynamoDB capacity it consumed as desc values
// (wcu: table write units, wcu-index: list index write units, rcu: read
// units).
func serverTiming(t ingest.Timing) string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) }
	units := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return "download;dur=" + ms(t.Download) + ", s3;dur=" + ms(t.S3) + ", dynamodb;dur=" + ms(t.DynamoDB) + ", total;dur=" + ms(t.Total) +
		`, wcu;desc="` + units(t.Capacity.WriteUnits) + `", wcu-index;desc="` + units(t.Capacity.IndexWriteUnits) + `", rcu;desc="` + units(t.Capacity.ReadUnits) + `"`
}

func (s *Server) postImage(c echo.Context) error {
	start := s.now()
	req := c.Request()
	var tm ingest.Timing
	res, err := func() (ingest.Result, error) {
		in, err := DecodeUpload(limitBody(c.Response(), req))
		if err != nil {
			return ingest.Result{}, err
		}
		var res ingest.Result
		res, tm, err = s.cfg.Images.Put(req.Context(), ingest.PutInput{
			URL: in.ImageURL, IdempotencyKey: req.Header.Get(HeaderIdempotencyKey), Logger: logger(c, s.log),
		})
		return res, err
	}()
	if tm.Total == 0 {
		tm.Total = s.now().Sub(start)
	}
	c.Response().Header().Set("Server-Timing", serverTiming(tm))
	s.metrics.dependency.WithLabelValues("origin").Observe(tm.Download.Seconds())
	s.metrics.dependency.WithLabelValues("s3").Observe(tm.S3.Seconds())
	s.metrics.dependency.WithLabelValues("dynamodb").Observe(tm.DynamoDB.Seconds())
	s.metrics.capacity.WithLabelValues("write").Add(tm.Capacity.WriteUnits)
	s.metrics.capacity.WithLabelValues("index_write").Add(tm.Capacity.IndexWriteUnits)
	s.metrics.capacity.WithLabelValues("read").Add(tm.Capacity.ReadUnits)
	if err != nil {
		s.metrics.ingests.WithLabelValues(string(apperr.CodeOf(err))).Inc()
		return err
	}
	status := http.StatusCreated
	if res.Replayed {
		status = http.StatusOK
		s.metrics.ingests.WithLabelValues("replayed").Inc()
	} else {
		s.metrics.ingests.WithLabelValues("success").Inc()
		s.metrics.bytes.Add(float64(res.Image.SizeBytes))
		logger(c, s.log).Info("image stored", "image_id", res.Image.ID, "bucket", res.Image.Bucket, "key", res.Image.Key,
			"size_bytes", res.Image.SizeBytes, "content_type", res.Image.ContentType)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/images/"+res.Image.ID)
	return c.JSON(status, ImageBody{Status: "success", Image: res.Image})
}

func (s *Server) getImage(c echo.Context) error {
	img, err := s.cfg.Images.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ImageBody{Status: "success", Image: img})
}

func (s *Server) listImages(c echo.Context) error {
	const op = "server.listImages"
	limit := ingest.DefaultListLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > ingest.MaxListLimit {
			return apperr.Errorf(apperr.Invalid, op, "limit must be an integer 1-%d", ingest.MaxListLimit)
		}
		limit = n
	}
	p, err := s.cfg.Images.List(c.Request().Context(), limit, c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ImageList{Status: "success", Images: p.Images, NextCursor: p.Next})
}

func (s *Server) getContent(c echo.Context) error {
	u, err := s.cfg.Images.ContentURL(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	logger(c, s.log).Debug("content redirect", "url", u)
	return c.Redirect(http.StatusFound, string(u))
}

func (s *Server) listAlbums(c echo.Context) error {
	as, err := s.cfg.Albums.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, AlbumList{Status: "success", Albums: as})
}

func (s *Server) getAlbum(c echo.Context) error {
	a, err := s.cfg.Albums.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, AlbumBody{Status: "success", Album: a})
}

func (s *Server) postAlbum(c echo.Context) error {
	a, err := DecodeAlbum(limitBody(c.Response(), c.Request()))
	if err != nil {
		return err
	}
	a, err = s.cfg.Albums.Create(c.Request().Context(), a)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/albums/"+a.ID)
	return c.JSON(http.StatusCreated, AlbumBody{Status: "success", Album: a})
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// ReadyBody is the body of GET /readyz.
type ReadyBody struct {
	Status string            `json:"status"` // "ready" or "failure"
	Checks map[string]string `json:"checks"` // check -> "ok" or why not
	Error  *FailureError     `json:"error,omitempty"`
}

func (s *Server) readyz(c echo.Context) error {
	checks := map[string]func(context.Context) error{
		"images": s.cfg.Images.Ready, // images table and bucket
		"albums": s.cfg.Albums.Ready,
		"seeded": func(context.Context) error {
			if !s.seeded.Load() {
				return fmt.Errorf("albums not seeded yet")
			}
			return nil
		},
		"serving": func(context.Context) error {
			if s.draining.Load() {
				return fmt.Errorf("shutting down")
			}
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.ReadyTimeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	body := ReadyBody{Status: "ready", Checks: map[string]string{}}
	var failed []string
	for name, check := range checks {
		wg.Go(func() {
			err := check(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				body.Checks[name] = "ok"
				return
			}
			body.Checks[name] = shortReason(err)
			failed = append(failed, name)
		})
	}
	wg.Wait()
	if len(failed) == 0 {
		return c.JSON(http.StatusOK, body)
	}
	logger(c, s.log).Warn("not ready", "checks", body.Checks)
	body.Status = "failure"
	body.Error = &FailureError{Code: apperr.StorageUnavailable, Message: "not ready: " + strings.Join(slices.Sorted(slices.Values(failed)), ", ")}
	return c.JSON(http.StatusServiceUnavailable, body)
}

func shortReason(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func (s *Server) openapi(c echo.Context) error {
	if len(s.cfg.OpenAPI) == 0 {
		return apperr.Errorf(apperr.NotFound, "server.openapi", "no OpenAPI document built in")
	}
	return c.Blob(http.StatusOK, "application/yaml", s.cfg.OpenAPI)
}
