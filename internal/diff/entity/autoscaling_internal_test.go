package entity

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRollouts: both rolling updates resolved into instances of the
// desired capacity; the cases are what AWS documents for an instance
// refresh (min 90/max 100 of 10 replaces one by terminating first; min
// 100/max 110 of 10 one by launching first; a larger range more at once).
func TestRollouts(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		desired, minPct, maxPct string
		batch, minInService     string
	}{
		{"defaults of ten", "10", "90", "100", "1 at a time", "9 of 10"},
		{"launch first, ten", "10", "100", "110", "1 at a time", "10 of 10"},
		{"one server, 100 to 200", "1", "100", "200", "1 at a time", "1 of 1"},
		{"two servers, 100 to 200", "2", "100", "200", "2 at a time", "2 of 2"},
		{"two servers, 100 to 150", "2", "100", "150", "1 at a time", "2 of 2"},
		{"three servers, 100 to 134", "3", "100", "134", "1 at a time", "3 of 3"},
		{"half of four", "4", "50", "100", "2 at a time", "2 of 4"},
		{"rounding up the floor", "3", "90", "100", "1 at a time", "3 of 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := refreshRollout(tc.desired, tc.minPct, tc.maxPct, "60")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := []string{r.batch, r.minInService, r.pause}, []string{tc.batch, tc.minInService, "60 s"}; !cmp.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	for _, tc := range []struct {
		name                                   string
		desired, maxBatch, minInService, pause string
		batch, floor, seconds                  string
	}{
		{"one at a time, all in service", "2", "1", "2", "PT1M", "1 at a time", "2 of 2", "60 s"},
		{"a batch larger than the group", "1", "3", "1", "PT0S", "1 at a time", "1 of 1", "0 s"},
		{"hours and seconds", "4", "2", "3", "PT1H2M3S", "2 at a time", "3 of 4", "3723 s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := rollingRollout(tc.desired, tc.maxBatch, tc.minInService, tc.pause, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := []string{r.batch, r.minInService, r.pause}, []string{tc.batch, tc.floor, tc.seconds}; !cmp.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	// What cannot be resolved is said, never made equal.
	if _, err := refreshRollout("{input:desired}", "100", "200", "60"); err == nil {
		t.Error("a symbolic desired capacity resolved")
	}
	if _, err := rollingRollout("2", "1", "2", "1 minute", nil); err == nil {
		t.Error("a PauseTime that is not ISO 8601 resolved")
	}
}

func TestImageExpr(t *testing.T) {
	for in, want := range map[string]string{
		"resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64":       "{ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}",
		"{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}":   "{ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}",
		"{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64:3}}": "{ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64:3}",
		"ami-0123456789abcdef0": "ami-0123456789abcdef0",
	} {
		if got := imageExpr(Text(in)).String(); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
