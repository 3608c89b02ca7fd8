package cost

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/twinstack/twinstack/internal/apperr"
	"github.com/twinstack/twinstack/prices"
)

func shipped(t *testing.T) *Prices {
	t.Helper()
	p, err := ParsePrices(prices.DefaultName, prices.Default())
	if err != nil {
		t.Fatalf("shipped price file: %v", err)
	}
	return p
}

func TestShippedPrices(t *testing.T) {
	p := shipped(t)
	if p.Region != "us-east-1" || p.AsOf == "" || p.Source == "" || p.Currency != "USD" {
		t.Errorf("region/date/source not noted: %+v", p)
	}
	if _, ok := p.EC2.InstanceHour["t3.micro"]; !ok {
		t.Error("no price for the default instance type t3.micro")
	}
	for _, arch := range []string{"arm64", "x86_64"} {
		if _, ok := p.Lambda[arch]; !ok {
			t.Errorf("no Lambda price for %s", arch)
		}
	}
}

// approx compares money to a millionth of a cent.
var approx = cmpopts.EquateApprox(0, 1e-9)

func TestComputeHandChecked(t *testing.T) {
	p := shipped(t)
	const G = 1 << 30
	tests := []struct {
		name        string
		prof        Profile
		use         Usage
		wantVar     map[string]float64 // item -> per 1,000 requests
		wantIdle    map[string]float64 // item -> per month
		wantPer1000 float64
		wantMonthly float64 // total per month
	}{
		{
			name: "lambda, two t3.micro behind the ALB, 1 request/s",
			prof: Profile{Deployment: "terraform", Region: "us-east-1", Via: ViaLambda, InstanceType: "t3.micro", InstanceCount: 2,
				LoadBalancer: true, RootVolumeGiB: 8, PublicIPv4: 2, LambdaMemoryMB: 256, LambdaArch: "arm64", PITR: true},
			use: Usage{RatePerSecond: 1, LambdaBilledMs: 100, ImageBytes: 10000, RequestBytes: 50, ResponseBytes: 450},
			wantVar: map[string]float64{
				"Lambda requests":        0.20 / 1e6 * 1000,                  // $0.20 per million
				"Lambda compute":         0.25 * 0.100 * 0.0000133334 * 1000, // 0.25 GB x 0.1 s x $/GB-s
				"S3 PUT":                 0.005,                              // $0.005 per 1,000 PUTs
				"S3 storage":             10000.0 / G * 0.023 * 0.5 * 1000,
				"DynamoDB writes":        2 * 0.625 / 1e6 * 1000, // item + GSI copy, 1 WRU each
				"DynamoDB storage":       1400.0 / G * 0.25 * 0.5 * 1000,
				"DynamoDB PITR":          700.0 / G * 0.20 * 0.5 * 1000,
				"load balancer LCU":      1.0 / 90000 * 0.008 * 1000, // 1 new connection = 1/90,000 LCU-hour
				"data transfer out":      450.0 / G * 0.09 * 1000,
				"data transfer inter-AZ": 500 * 0.5 * 2 / G * 0.01 * 1000,
			},
			wantIdle: map[string]float64{
				"EC2 instances":         2 * 0.0104 * 730, // 15.184
				"EBS root volumes":      2 * 8 * 0.08,     // 1.28
				"public IPv4 addresses": 2 * 0.005 * 730,  // 7.30
				"load balancer":         0.0225 * 730,     // 16.425
			},
			wantPer1000: 0.007249875192895466,
			wantMonthly: 0.007249875192895466*2628 + 15.184 + 1.28 + 7.3 + 16.425,
		},
		{
			name: "server, one t4g.micro, no ALB, 12 MiB images go multipart, 10 requests/s",
			prof: Profile{Deployment: "cloudformation", Via: ViaServer, InstanceType: "t4g.micro", InstanceCount: 1, RootVolumeGiB: 8, LambdaArch: "arm64"},
			use:  Usage{RatePerSecond: 10, ImageBytes: 12 << 20, RequestBytes: 0, ResponseBytes: 0},
			wantVar: map[string]float64{
				"S3 PUT":                 5 * 0.005, // create + 3 parts + complete
				"S3 storage":             float64(12<<20) / G * 0.023 * 0.5 * 1000,
				"DynamoDB writes":        2 * 0.625 / 1e6 * 1000,
				"DynamoDB storage":       1400.0 / G * 0.25 * 0.5 * 1000,
				"data transfer inter-AZ": 0,
			},
			wantIdle: map[string]float64{
				"EC2 instances":    0.0084 * 730,
				"EBS root volumes": 8 * 0.08,
			},
			wantPer1000: 5*0.005 + float64(12<<20)/G*0.023*0.5*1000 + 2*0.625/1e6*1000 + 1400.0/G*0.25*0.5*1000,
			wantMonthly: (5*0.005+float64(12<<20)/G*0.023*0.5*1000+2*0.625/1e6*1000+1400.0/G*0.25*0.5*1000)*26280 + 0.0084*730 + 0.64,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Compute(p, tc.prof, tc.use, Assumptions{})
			if err != nil {
				t.Fatal(err)
			}
			gotVar := map[string]float64{}
			for _, l := range e.Variable {
				gotVar[l.Item] = l.Per1000
				if want := l.Per1000 / 1000 * e.RequestsPerMonth; math.Abs(want-l.Monthly) > 1e-9 {
					t.Errorf("%s: monthly %g, want per-1000 x requests/month %g", l.Item, l.Monthly, want)
				}
			}
			gotIdle := map[string]float64{}
			for _, l := range e.Idle {
				gotIdle[l.Item] = l.Monthly
			}
			if d := cmp.Diff(tc.wantVar, gotVar, approx); d != "" {
				t.Errorf("per 1,000 requests (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantIdle, gotIdle, approx); d != "" {
				t.Errorf("idle per month (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantPer1000, e.Per1000, approx); d != "" {
				t.Errorf("per 1,000 (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantMonthly, e.TotalMonthly, cmpopts.EquateApprox(1e-9, 0)); d != "" {
				t.Errorf("total per month (-want +got):\n%s", d)
			}
			if len(e.Assumptions) < 5 {
				t.Errorf("assumptions not stated: %q", e.Assumptions)
			}
		})
	}
}

func TestComputeNotListed(t *testing.T) {
	p := shipped(t)
	tests := []struct {
		name  string
		prof  Profile
		field string
	}{
		{"instance type", Profile{Via: ViaServer, InstanceType: "z9.huge", InstanceCount: 1}, "ec2.instance_hour.z9.huge"},
		{"lambda arch", Profile{Via: ViaLambda, LambdaArch: "sparc", LambdaMemoryMB: 128}, "lambda.sparc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compute(p, tc.prof, Usage{RatePerSecond: 1}, Assumptions{})
			var pe *PriceError
			if !errors.As(err, &pe) || pe.Code != CodeNotListed || pe.Field != tc.field {
				t.Fatalf("err = %v, want %s on %s", err, CodeNotListed, tc.field)
			}
		})
	}
}

// edit returns the shipped price file with one change applied to its
// decoded form.
func edit(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(prices.Default(), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePricesErrors(t *testing.T) {
	sub := func(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }
	tests := []struct {
		name  string
		body  []byte
		code  ErrorCode
		field string
		line  int
		msg   string // substring of the message
	}{
		{"syntax", []byte("{\n  \"region\": \"us-east-1\",\n  oops\n}"), CodeSyntax, "", 3, "invalid character"},
		{"truncated", []byte("{\n  \"region\": "), CodeSyntax, "", 2, "unexpected end of file"},
		{"trailing data", []byte(`{"schema_version": 1} {}`), CodeSyntax, "", 1, "after the top-level object"},
		{"not an object", []byte(`[1, 2]`), CodeWrongType, "", 0, "want a JSON object"},
		{"no schema version", edit(t, func(m map[string]any) { delete(m, "schema_version") }), CodeSchema, "schema_version", 0, "missing"},
		{"future schema", edit(t, func(m map[string]any) { m["schema_version"] = 2 }), CodeSchema, "schema_version", 0, "not supported"},
		{"unknown top-level field", edit(t, func(m map[string]any) { m["ec3"] = map[string]any{} }), CodeUnknownField, "ec3", 0, "known: as_of"},
		{"unknown nested field", edit(t, func(m map[string]any) { sub(m, "s3")["put_per_100"] = 1 }), CodeUnknownField, "s3.put_per_100", 0, "known: get_per_1000"},
		{"missing price", edit(t, func(m map[string]any) { delete(sub(m, "dynamodb"), "pitr_gb_month") }), CodeMissing, "dynamodb.pitr_gb_month", 0, "required"},
		{"missing section", edit(t, func(m map[string]any) { delete(m, "load_balancer") }), CodeMissing, "load_balancer", 0, "required"},
		{"string price", edit(t, func(m map[string]any) { sub(m, "load_balancer")["lcu_hour"] = "0.008" }), CodeWrongType, "load_balancer.lcu_hour", 0, `want a number, got string "0.008"`},
		{"negative price", edit(t, func(m map[string]any) { sub(sub(m, "lambda"), "arm64")["gb_second"] = -1 }), CodeNegative, "lambda.arm64.gb_second", 0, "negative"},
		{"negative instance price", edit(t, func(m map[string]any) { sub(sub(m, "ec2"), "instance_hour")["t3.micro"] = -0.01 }), CodeNegative, "ec2.instance_hour.t3.micro", 0, "negative"},
		{"no instance types", edit(t, func(m map[string]any) { sub(m, "ec2")["instance_hour"] = map[string]any{} }), CodeMissing, "ec2.instance_hour", 0, "no instance type"},
		{"null section", edit(t, func(m map[string]any) { m["s3"] = nil }), CodeWrongType, "s3", 0, "got null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrices("my.json", tc.body)
			if err == nil {
				t.Fatal("no error")
			}
			if apperr.CodeOf(err) != apperr.InvalidConfig {
				t.Errorf("apperr code %q, want %q", apperr.CodeOf(err), apperr.InvalidConfig)
			}
			var pe *PriceError
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not a *PriceError", err)
			}
			got := struct {
				Code  ErrorCode
				Field string
				Line  int
			}{pe.Code, pe.Field, pe.Line}
			want := got
			want.Code, want.Field, want.Line = tc.code, tc.field, tc.line
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s\nerror: %v", d, err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "my.json") || !strings.Contains(err.Error(), string(tc.code)) {
				t.Errorf("message %q should name the file, say %q and carry the code", err, tc.msg)
			}
		})
	}
}

func TestLoadPrices(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.json")
	if err := os.WriteFile(path, prices.Default(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPrices(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.File != path || p.HoursPerMonth != 730 {
		t.Errorf("File %q HoursPerMonth %g", p.File, p.HoursPerMonth)
	}
	if _, err := LoadPrices(filepath.Join(dir, "none.json")); CodeOfPrice(err) != CodeUnreadable {
		t.Errorf("missing file: %v, want %s", err, CodeUnreadable)
	}
}

// TestComputeMeasuredWriteUnits: write units the server counted replace the
// item-size assumption ($0.625 per million WRU in the shipped us-east-1
// file).
func TestComputeMeasuredWriteUnits(t *testing.T) {
	p := shipped(t)
	prof := Profile{Deployment: "terraform", Region: "us-east-1", Via: ViaServer}
	for _, tc := range []struct {
		name string
		use  Usage
		want float64 // DynamoDB writes per 1,000 requests
	}{
		{"assumed", Usage{RatePerSecond: 1}, 2 * 0.625 / 1e6 * 1000},
		{"keyed, measured", Usage{RatePerSecond: 1, WriteUnits: 2, IndexWriteUnits: 1}, 3 * 0.625 / 1e6 * 1000},
		{"before: claim + transaction", Usage{RatePerSecond: 1, WriteUnits: 5, IndexWriteUnits: 1}, 6 * 0.625 / 1e6 * 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Compute(p, prof, tc.use, Assumptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range e.Variable {
				if l.Item == "DynamoDB writes" && math.Abs(l.Per1000-tc.want) > 1e-12 {
					t.Errorf("DynamoDB writes per 1,000: %g, want %g (%s)", l.Per1000, tc.want, l.Basis)
				}
			}
		})
	}
}
