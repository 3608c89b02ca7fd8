package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeOf(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want Code
		msg  string
	}{
		{"nil", nil, "", ""},
		{"foreign", base, Internal, "internal error"},
		{"direct", E(NotFound, "op", base), NotFound, "boom"},
		{"wrapped", fmt.Errorf("outer: %w", Errorf(TooLarge, "op", "over %d bytes", 5)), TooLarge, "over 5 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CodeOf(tc.err); got != tc.want {
				t.Errorf("CodeOf = %q, want %q", got, tc.want)
			}
			if got := MessageOf(tc.err); got != tc.msg {
				t.Errorf("MessageOf = %q, want %q", got, tc.msg)
			}
		})
	}
	if err := E(Invalid, "op", base); !errors.Is(err, base) {
		t.Error("Unwrap does not reach the cause")
	}
}
