package inventory_test

import (
	"errors"
	"testing"

	"github.com/twinstack/twinstack/internal/diff/inventory"
)

func TestJSONTextWithReferences(t *testing.T) {
	arn := &inventory.Ref{Kind: inventory.ToResource, Addr: "aws_s3_bucket.b", Attr: "arn"}
	doc := inventory.Concat(
		inventory.Lit(`{"Statement": [{"Resource": "`), inventory.RefStr(arn), inventory.Lit(`/*", "N": 1, "B": true}]}`))
	v, err := inventory.ParseJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Statement":[{"B":"true","N":"1","Resource":"${aws_s3_bucket.b.arn}/*"}]}`
	if got := v.String(); got != want {
		t.Errorf("parsed %s, want %s", got, want)
	}
	back, err := inventory.ParseJSON(inventory.EncodeJSON(v))
	if err != nil {
		t.Fatal(err)
	}
	if back.String() != want {
		t.Errorf("round trip %s, want %s", back, want)
	}
	for _, bad := range []inventory.Str{
		inventory.Concat(inventory.Lit(`{"a": `), inventory.RefStr(arn), inventory.Lit(`}`)), // bare reference
		inventory.Concat(inventory.Lit(`{"`), inventory.RefStr(arn), inventory.Lit(`": 1}`)), // reference as key
		inventory.Lit("{\"a\": \"\uE000" + "0\uE001\"}"),                                     // reserved characters
	} {
		if _, err := inventory.ParseJSON(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestDecodeJSONPositions(t *testing.T) {
	for _, tc := range []struct {
		in        string
		line, col int
	}{
		{"{\n  \"a\": x\n}", 2, 8},
		{"{\"a\": [1,", 1, 10},
	} {
		_, err := inventory.DecodeJSON("f.json", []byte(tc.in))
		var e *inventory.Error
		if !errors.As(err, &e) || !errors.Is(err, inventory.ErrSyntax) {
			t.Fatalf("%q: error %v", tc.in, err)
		}
		if e.Line != tc.line || e.Col != tc.col {
			t.Errorf("%q: at %d:%d, want %d:%d (%v)", tc.in, e.Line, e.Col, tc.line, tc.col, err)
		}
	}
}

func TestNormalizeNumber(t *testing.T) {
	for in, want := range map[string]string{"256": "256", "256.0": "256", "1e3": "1000", "0.5": "0.5", "x": "x"} {
		if got := inventory.NormalizeNumber(in); got != want {
			t.Errorf("NormalizeNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
