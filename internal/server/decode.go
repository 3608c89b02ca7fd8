package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/twinstack/twinstack/internal/albums"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/ingest"
)

// MaxBodyBytes bounds every JSON request body.
const MaxBodyBytes = 64 << 10

// UploadRequest is the body of POST /images.
type UploadRequest struct {
	ImageURL string `json:"image_url"`
}

// decodeJSON reads exactly one JSON object of at most MaxBodyBytes into v,
// refusing unknown fields and trailing data.
func decodeJSON(r io.Reader, v any, op string) error {
	b, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		return apperr.Errorf(apperr.Invalid, op, "reading the request body failed")
	}
	if len(b) > MaxBodyBytes {
		return apperr.Errorf(apperr.Invalid, op, "request body is over %d bytes", MaxBodyBytes)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return apperr.Errorf(apperr.Invalid, op, "request body is empty; want a JSON object")
	}
	if b[0] != '{' {
		return apperr.Errorf(apperr.Invalid, op, "request body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.Errorf(apperr.Invalid, op, "bad JSON: %s", jsonReason(err))
	}
	if dec.More() {
		return apperr.Errorf(apperr.Invalid, op, "bad JSON: data after the object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.Errorf(apperr.Invalid, op, "bad JSON: data after the object")
	}
	return nil
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s must be a %s", te.Field, jsonType(te.Type.Kind().String()))
		}
		return "wrong type"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "cannot decode"
}

func jsonType(kind string) string {
	switch kind {
	case "float64", "int", "int64":
		return "number"
	}
	return kind
}

// DecodeUpload decodes and checks the body of POST /images: one JSON object
// with a non-empty absolute http(s) image_url. Destinations are checked
// later, by ingest.
func DecodeUpload(r io.Reader) (UploadRequest, error) {
	const op = "server.DecodeUpload"
	var req UploadRequest
	if err := decodeJSON(r, &req, op); err != nil {
		return UploadRequest{}, err
	}
	if req.ImageURL == "" {
		return UploadRequest{}, apperr.Errorf(apperr.Invalid, op, "image_url is required")
	}
	if len(req.ImageURL) > ingest.MaxURLLength {
		return UploadRequest{}, apperr.Errorf(apperr.Invalid, op, "image_url is longer than %d bytes", ingest.MaxURLLength)
	}
	u, err := url.Parse(req.ImageURL)
	if err != nil {
		return UploadRequest{}, apperr.Errorf(apperr.Invalid, op, "image_url is not a URL")
	}
	if err := ingest.CheckURLShape(u); err != nil {
		return UploadRequest{}, apperr.E(apperr.Invalid, op, err)
	}
	return req, nil
}

type albumRequest struct {
	ID     *string  `json:"id"`
	Title  *string  `json:"title"`
	Artist *string  `json:"artist"`
	Price  *float64 `json:"price"`
}

// DecodeAlbum decodes and validates the body of POST /albums.
func DecodeAlbum(r io.Reader) (albums.Album, error) {
	const op = "server.DecodeAlbum"
	var req albumRequest
	if err := decodeJSON(r, &req, op); err != nil {
		return albums.Album{}, err
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"id", req.ID != nil}, {"title", req.Title != nil}, {"artist", req.Artist != nil}, {"price", req.Price != nil}} {
		if !f.set {
			return albums.Album{}, apperr.Errorf(apperr.Invalid, op, "%s is required", f.name)
		}
	}
	a := albums.Album{ID: *req.ID, Title: *req.Title, Artist: *req.Artist, Price: *req.Price}
	if err := a.Validate(); err != nil {
		return albums.Album{}, err
	}
	return a, nil
}

// limitBody caps a request body at MaxBodyBytes+1 so decodeJSON can tell
// "too large" from "fits".
func limitBody(w http.ResponseWriter, r *http.Request) io.Reader {
	return http.MaxBytesReader(w, r.Body, MaxBodyBytes+1)
}
