package relay

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/twinstack/twinstack/internal/apperr"
)

// imageRequest is the one request the Lambda understands, as a direct
// invocation payload and as the body of an HTTP event; it is also what it
// sends to the server.
type imageRequest struct {
	ImageURL string `json:"image_url"`
}

// event is a decoded invocation.
type event struct {
	// http is set for function URL / HTTP API v2 events, which are answered
	// with a proxy response.
	http bool
	// badMethod is set for HTTP events with a method other than POST.
	badMethod bool
	imageURL  string
}

func (e event) kind() string {
	if e.http {
		return "http"
	}
	return "direct"
}

// errMethod marks an HTTP event whose method is not POST (405).
var errMethod = errors.New("method not allowed")

// envelope holds the members that tell the event shapes apart. A function
// URL event and an API Gateway HTTP API v2 event have the same shape
// (events.LambdaFunctionURLRequest, events.APIGatewayV2HTTPRequest):
// requestContext.http is what marks them; REST API (v1) events have no
// requestContext.http and are not supported.
type envelope struct {
	ImageURL       json.RawMessage `json:"image_url"`
	RequestContext *struct {
		HTTP *struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
	Body            *string `json:"body"`
	IsBase64Encoded bool    `json:"isBase64Encoded"`
}

// decodeEvent tells a direct invocation from an HTTP event and extracts the
// image URL. The returned event is meaningful (http set) even with an error,
// so that a bad HTTP event still gets a proxy response. Errors are
// invalid_request.
func decodeEvent(payload []byte) (event, error) {
	const op = "relay.decodeEvent"
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return event{}, apperr.Errorf(apperr.Invalid, op, "the event is not a JSON object")
	}
	if env.RequestContext != nil && env.RequestContext.HTTP != nil {
		ev := event{http: true}
		if m := env.RequestContext.HTTP.Method; !strings.EqualFold(m, "POST") {
			ev.badMethod = true
			return ev, &apperr.Error{Code: apperr.Invalid, Op: op, Message: "method " + m + " not allowed: POST a JSON body {\"image_url\": \"…\"}", Err: errMethod}
		}
		if env.Body == nil || *env.Body == "" {
			return ev, apperr.Errorf(apperr.Invalid, op, "empty body: want {\"image_url\": \"…\"}")
		}
		body := []byte(*env.Body)
		if env.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*env.Body)
			if err != nil {
				return ev, apperr.Errorf(apperr.Invalid, op, "the body is marked base64 but does not decode")
			}
			body = b
		}
		u, err := decodeBody(op, body)
		ev.imageURL = u
		return ev, err
	}
	if env.ImageURL != nil {
		u, err := imageURLOf(op, env.ImageURL)
		return event{imageURL: u}, err
	}
	return event{}, apperr.Errorf(apperr.Invalid, op, "unrecognised event: want {\"image_url\": \"…\"} or a function URL / HTTP API v2 event with that JSON body")
}

// decodeBody reads {"image_url": "…"} from an HTTP event's body.
func decodeBody(op string, body []byte) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return "", apperr.Errorf(apperr.Invalid, op, "the body is not a JSON object: want {\"image_url\": \"…\"}")
	}
	raw, ok := m["image_url"]
	if !ok {
		return "", apperr.Errorf(apperr.Invalid, op, "the body has no image_url")
	}
	return imageURLOf(op, raw)
}

// imageURLOf checks that raw is a non-empty JSON string of bounded length.
// Whether it is an acceptable URL is the server's decision.
func imageURLOf(op string, raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", apperr.Errorf(apperr.Invalid, op, "image_url must be a string")
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", apperr.Errorf(apperr.Invalid, op, "image_url is empty")
	case len(s) > MaxImageURLBytes:
		return "", apperr.Errorf(apperr.Invalid, op, "image_url is longer than %d bytes", MaxImageURLBytes)
	}
	return s, nil
}
