package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/internal/server"
)

// FuzzDecodeUpload feeds arbitrary bodies to the POST /images decoder: it
// never panics, fails only with invalid_request, and whatever it accepts
// is an absolute http(s) URL with a host and no credentials.
func FuzzDecodeUpload(f *testing.F) {
	for _, s := range []string{
		`{"image_url":"https://example.com/a.png"}`, `{"image_url":"http://[::1]:80/x"}`, `{"image_url":""}`,
		`{"image_url":"ftp://x/y"}`, `{}`, `[]`, `null`, `{"image_url":"http://a"} {}`, `{"image_url":1}`,
		`{"image_url":"http://u:p@h/"}`, `{"image_url":"//example.com/a.png"}`, `{"image_url":"http:///a"}`,
		"{\"image_url\":\"http://ex\u00e4mple.com/\"}", `{"image_url":"http://h:0/"}`, `{"image_url":"http://h:65536/"}`,
		`{"IMAGE_URL":"http://h/"}`, `{"image_url":"http://h/","image_url":"ftp://h/"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := server.DecodeUpload(strings.NewReader(body))
		if err != nil {
			if c := apperr.CodeOf(err); c != apperr.Invalid {
				t.Fatalf("code %q for %q", c, body)
			}
			if apperr.MessageOf(err) == "" {
				t.Fatalf("empty message for %q", body)
			}
			return
		}
		u, perr := url.Parse(req.ImageURL)
		if perr != nil {
			t.Fatalf("accepted unparseable %q", req.ImageURL)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.Opaque != "" {
			t.Fatalf("accepted %q (scheme %q host %q)", req.ImageURL, u.Scheme, u.Hostname())
		}
		if len(req.ImageURL) > 2048 {
			t.Fatalf("accepted a %d-byte URL", len(req.ImageURL))
		}
	})
}
