package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/twinstack/twinstack/internal/apperr"
)

// SchemaVersion is the price-file schema this package reads.
const SchemaVersion = 1

// Prices is a parsed price file. Money is in Currency (USD for the shipped
// file).
type Prices struct {
	SchemaVersion int     `json:"schema_version"`
	Region        string  `json:"region"`
	Currency      string  `json:"currency"`
	AsOf          string  `json:"as_of"`
	Source        string  `json:"source"`
	Note          string  `json:"note,omitempty"`
	HoursPerMonth float64 `json:"hours_per_month,omitempty"`

	EC2 struct {
		InstanceHour   map[string]float64 `json:"instance_hour"`
		PublicIPv4Hour float64            `json:"public_ipv4_hour"`
		EBSGp3GBMonth  float64            `json:"ebs_gp3_gb_month"`
	} `json:"ec2"`
	LoadBalancer struct {
		ALBHour float64 `json:"alb_hour"`
		LCUHour float64 `json:"lcu_hour"`
	} `json:"load_balancer"`
	Lambda map[string]LambdaPrice `json:"lambda"` // by architecture: arm64, x86_64
	S3     struct {
		PutPer1000     float64 `json:"put_per_1000"`
		GetPer1000     float64 `json:"get_per_1000"`
		StorageGBMonth float64 `json:"storage_gb_month"`
	} `json:"s3"`
	DynamoDB struct {
		WRUPerMillion  float64 `json:"write_request_units_per_million"`
		RRUPerMillion  float64 `json:"read_request_units_per_million"`
		StorageGBMonth float64 `json:"storage_gb_month"`
		PITRGBMonth    float64 `json:"pitr_gb_month"`
	} `json:"dynamodb"`
	DataTransfer struct {
		InGB            float64 `json:"in_gb"`
		OutToInternetGB float64 `json:"out_to_internet_gb"`
		InterAZGB       float64 `json:"inter_az_gb"`
	} `json:"data_transfer"`

	// File is where the prices came from (a path or the shipped name).
	File string `json:"file,omitempty"`
}

// LambdaPrice is the price of one Lambda architecture.
type LambdaPrice struct {
	GBSecond           float64 `json:"gb_second"`
	RequestsPerMillion float64 `json:"requests_per_million"`
}

// ErrorCode is a stable price-file error code. Its string form is part of
// the CLI's output: never rename one.
type ErrorCode string

const (
	CodeUnreadable   ErrorCode = "price_file_unreadable"
	CodeSyntax       ErrorCode = "price_file_syntax"
	CodeSchema       ErrorCode = "price_file_schema"
	CodeUnknownField ErrorCode = "price_unknown_field"
	CodeWrongType    ErrorCode = "price_wrong_type"
	CodeMissing      ErrorCode = "price_missing"
	CodeNegative     ErrorCode = "price_negative"
	CodeNotListed    ErrorCode = "price_not_listed"
)

// PriceError is one problem with a price file: Field is the JSON path
// ("lambda.arm64.gb_second"), Line and Col locate syntax errors (1-based,
// zero when unknown).
type PriceError struct {
	Code  ErrorCode
	File  string
	Field string
	Line  int
	Col   int
	Msg   string
}

func (e *PriceError) Error() string {
	var b strings.Builder
	b.WriteString("price file")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg + " [" + string(e.Code) + "]")
	return b.String()
}

// CodeOfPrice reports the price-error code in err's chain, or "".
func CodeOfPrice(err error) ErrorCode {
	var pe *PriceError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func priceErr(code ErrorCode, file, field, format string, args ...any) error {
	return apperr.E(apperr.InvalidConfig, "cost.ParsePrices", &PriceError{Code: code, File: file, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// LoadPrices reads and parses the price file at path.
func LoadPrices(path string) (*Prices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, priceErr(CodeUnreadable, path, "", "cannot read: %v", err)
	}
	return ParsePrices(path, b)
}

// kind is the expected shape of a price-file value.
type kind int

const (
	kNumber kind = iota
	kString
	kInt
	kObject    // fixed keys, given by fields
	kNumberMap // any keys, number values
	kObjectMap // any keys, each value shaped by fields
)

type spec struct {
	kind     kind
	optional bool
	fields   map[string]spec
}

func num() spec                  { return spec{kind: kNumber} }
func optNum() spec               { return spec{kind: kNumber, optional: true} }
func str() spec                  { return spec{kind: kString} }
func obj(f map[string]spec) spec { return spec{kind: kObject, fields: f} }

// schemaV1 is the shape of a version-1 price file.
func schemaV1() spec {
	return obj(map[string]spec{
		"schema_version":  {kind: kInt},
		"region":          str(),
		"currency":        str(),
		"as_of":           str(),
		"source":          str(),
		"note":            {kind: kString, optional: true},
		"hours_per_month": optNum(),
		"ec2": obj(map[string]spec{
			"instance_hour":    {kind: kNumberMap},
			"public_ipv4_hour": num(),
			"ebs_gp3_gb_month": num(),
		}),
		"load_balancer": obj(map[string]spec{"alb_hour": num(), "lcu_hour": num()}),
		"lambda":        {kind: kObjectMap, fields: map[string]spec{"gb_second": num(), "requests_per_million": num()}},
		"s3":            obj(map[string]spec{"put_per_1000": num(), "get_per_1000": num(), "storage_gb_month": num()}),
		"dynamodb": obj(map[string]spec{
			"write_request_units_per_million": num(), "read_request_units_per_million": num(),
			"storage_gb_month": num(), "pitr_gb_month": num(),
		}),
		"data_transfer": obj(map[string]spec{"in_gb": optNum(), "out_to_internet_gb": num(), "inter_az_gb": num()}),
	})
}

// ParsePrices parses a price file's bytes; file names it in errors. The
// first problem found is returned (fields are checked in sorted order, so
// the answer is stable).
func ParsePrices(file string, b []byte) (*Prices, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxErr(file, b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		line, col := position(b, off)
		return nil, apperr.E(apperr.InvalidConfig, "cost.ParsePrices", &PriceError{Code: CodeSyntax, File: file, Line: line, Col: col, Msg: "unexpected data after the top-level object"})
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, priceErr(CodeWrongType, file, "", "want a JSON object at the top level")
	}
	// The version decides the schema: check it first.
	sv, ok := root["schema_version"]
	if !ok {
		return nil, priceErr(CodeSchema, file, "schema_version", "missing; this twinstack reads schema_version %d", SchemaVersion)
	}
	if n, ok := sv.(json.Number); !ok || n.String() != fmt.Sprint(SchemaVersion) {
		return nil, priceErr(CodeSchema, file, "schema_version", "%v is not supported; this twinstack reads schema_version %d", sv, SchemaVersion)
	}
	if err := check(file, "", schemaV1(), v); err != nil {
		return nil, err
	}
	var p Prices
	if err := json.Unmarshal(b, &p); err != nil { // shape already checked
		return nil, priceErr(CodeWrongType, file, "", "%v", err)
	}
	if len(p.EC2.InstanceHour) == 0 {
		return nil, priceErr(CodeMissing, file, "ec2.instance_hour", "lists no instance type")
	}
	if len(p.Lambda) == 0 {
		return nil, priceErr(CodeMissing, file, "lambda", "lists no architecture")
	}
	if p.HoursPerMonth == 0 {
		p.HoursPerMonth = 730
	}
	p.File = file
	return &p, nil
}

func check(file, path string, s spec, v any) error {
	at := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch s.kind {
	case kNumber, kInt:
		n, ok := v.(json.Number)
		if !ok {
			return priceErr(CodeWrongType, file, path, "want a number, got %s", describe(v))
		}
		f, err := n.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return priceErr(CodeWrongType, file, path, "%s is not a finite number", n)
		}
		if s.kind == kInt && f != math.Trunc(f) {
			return priceErr(CodeWrongType, file, path, "want a whole number, got %s", n)
		}
		if f < 0 {
			return priceErr(CodeNegative, file, path, "%s is negative; prices are 0 or more", n)
		}
	case kString:
		if _, ok := v.(string); !ok {
			return priceErr(CodeWrongType, file, path, "want a string, got %s", describe(v))
		}
	case kObject, kNumberMap, kObjectMap:
		m, ok := v.(map[string]any)
		if !ok {
			return priceErr(CodeWrongType, file, path, "want an object, got %s", describe(v))
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		switch s.kind {
		case kObject:
			for _, k := range keys {
				fs, ok := s.fields[k]
				if !ok {
					return priceErr(CodeUnknownField, file, at(k), "unknown field (known: %s)", strings.Join(sortedKeys(s.fields), ", "))
				}
				if err := check(file, at(k), fs, m[k]); err != nil {
					return err
				}
			}
			for _, k := range sortedKeys(s.fields) {
				if _, ok := m[k]; !ok && !s.fields[k].optional {
					return priceErr(CodeMissing, file, at(k), "required field is missing")
				}
			}
		case kNumberMap:
			for _, k := range keys {
				if err := check(file, at(k), num(), m[k]); err != nil {
					return err
				}
			}
		case kObjectMap:
			for _, k := range keys {
				if err := check(file, at(k), obj(s.fields), m[k]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]spec) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + x.String()
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func syntaxErr(file string, b []byte, err error) error {
	pe := &PriceError{Code: CodeSyntax, File: file, Msg: strings.TrimPrefix(err.Error(), "json: ")}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		pe.Line, pe.Col = position(b, se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		pe.Line, pe.Col = position(b, int64(len(b)))
		pe.Msg = "unexpected end of file"
	}
	return apperr.E(apperr.InvalidConfig, "cost.ParsePrices", pe)
}

// position converts a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col = 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
