package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Reasons a document cannot be read. Errors returned by the readers wrap one
// of them; branch with errors.Is.
var (
	ErrSyntax           = errors.New("malformed input")
	ErrStructure        = errors.New("not a valid document")
	ErrDangling         = errors.New("dangling reference")
	ErrUnknownIntrinsic = errors.New("unknown intrinsic function")
	ErrUnsupported      = errors.New("unsupported construct")
)

// Error is a failure to read a document, located by file, JSON path and,
// for syntax errors, line and column.
type Error struct {
	File      string
	Path      string // "Resources.Server1.Properties.ImageId"
	Line, Col int    // 1-based; 0 when not known
	Kind      error  // one of the Err* sentinels
	Reason    string // what is wrong, lower-case
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Kind.Error())
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Kind }

// Errorf builds an *Error at path.
func Errorf(kind error, path, format string, args ...any) *Error {
	return &Error{Path: path, Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// DecodeJSON parses data into maps, slices, strings, json.Numbers, bools and
// nils. Syntax errors carry the line and column; trailing data is an error.
func DecodeJSON(file string, data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		off := dec.InputOffset()
		if rest := bytes.TrimSpace(data[off:]); len(rest) > 0 {
			off += int64(bytes.Index(data[off:], rest[:1]))
			line, col := position(data, off)
			return nil, &Error{File: file, Line: line, Col: col, Kind: ErrSyntax, Reason: "data after the top-level value"}
		}
		return v, nil
	}
	e := &Error{File: file, Kind: ErrSyntax, Reason: err.Error()}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Offset counts the offending byte.
		off := se.Offset - 1
		if off < 0 {
			off = 0
		}
		e.Line, e.Col = position(data, off)
	case err.Error() == "EOF" || strings.Contains(err.Error(), "unexpected EOF"):
		e.Line, e.Col = position(data, int64(len(data)))
		e.Reason = "unexpected end of input (truncated?)"
	}
	return nil, e
}

func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}

// FromJSON converts a decoded JSON value into a Value of literals only.
func FromJSON(v any) Value {
	switch x := v.(type) {
	case nil:
		return Null{}
	case string:
		return Lit(x)
	case json.Number:
		return Lit(NormalizeNumber(x.String()))
	case bool:
		return Lit(strconv.FormatBool(x))
	case []any:
		l := make(List, len(x))
		for i, e := range x {
			l[i] = FromJSON(e)
		}
		return l
	case map[string]any:
		m := make(Map, len(x))
		for k, e := range x {
			m[k] = FromJSON(e)
		}
		return m
	}
	return Lit(fmt.Sprint(v))
}

// NormalizeNumber writes integral numbers without fraction or exponent
// ("256.0" -> "256"); other text is returned unchanged.
func NormalizeNumber(s string) string {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// JSONKind names the JSON type of a decoded value for error messages ("a
// string", "an object", ...); both readers use it.
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// Section is the object under key at the top of a document: empty when the
// key is absent, an ErrStructure error naming key when it is not an object.
func Section(top map[string]any, key string) (map[string]any, error) {
	raw, ok := top[key]
	if !ok {
		return map[string]any{}, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, Errorf(ErrStructure, key, "want an object, got %s", JSONKind(raw))
	}
	return m, nil
}
