package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/cost"
	"github.com/twinstack/twinstack/prices"
	"golang.org/x/net/html"
)

// fixture builds records of two deployments and the results bench would
// compute from them.
func fixture(t *testing.T) (*Results, []bench.Record) {
	t.Helper()
	start := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	nan := math.NaN()
	var recs []bench.Record
	for di, name := range []string{"terraform", "cloudformation"} {
		for i := 0; i < 200; i++ {
			sched := start.Add(time.Duration(i)*100*time.Millisecond + time.Duration(di)*time.Second)
			lat := time.Duration(5000+i*37+di*900+(i%7)*1111) * time.Microsecond
			r := bench.Record{
				Deployment: name, Phase: "run", OfferedRate: 10, Seq: uint64(i), Scheduled: sched, Sent: sched.Add(80 * time.Microsecond),
				Latency: lat, Status: 200, OK: true, BytesOut: 40, BytesIn: 300,
				DownloadMs: 1.5, S3Ms: 1.25, DynamoDBMs: 0.5, ServerTotalMs: 3.5,
				LambdaServerMs: 4, LambdaTotalMs: 4.5, ImageBytes: 2048, ImageID: fmt.Sprintf("img%d", i), Bucket: name + "-images", Key: fmt.Sprintf("images/img%d", i),
			}
			if i%50 == 7 {
				r.OK, r.Status, r.Code, r.Error = false, 502, "origin_error", "origin said \"no\", twice"
				r.DownloadMs, r.S3Ms, r.DynamoDBMs, r.ServerTotalMs, r.LambdaServerMs, r.LambdaTotalMs, r.ImageBytes, r.ImageID, r.Bucket, r.Key = nan, nan, nan, nan, nan, nan, -1, "", "", ""
			}
			recs = append(recs, r)
		}
	}
	p, err := cost.ParsePrices(prices.DefaultName, prices.Default())
	if err != nil {
		t.Fatal(err)
	}
	res := &Results{
		StartedAt: start, FinishedAt: start.Add(41 * time.Second), Label: "local cloud (moto and local processes on this machine), not AWS", Local: true,
		Settings: Settings{Command: "twinstack bench --rate 10 --duration 20s", Via: "lambda", Rate: 10, Duration: "20s", Slice: "1s", ImageURL: "http://127.0.0.1:1/a_b.png", Timeout: "30s"},
		Prices:   PriceInfo{File: p.File, Region: p.Region, Currency: p.Currency, AsOf: p.AsOf, Source: p.Source, Note: p.Note},
	}
	for _, name := range []string{"terraform", "cloudformation"} {
		s := bench.Summarize(recs, bench.Spec{Deployment: name, Phase: "run", OfferedRate: 10, Planned: 200, Active: 20 * time.Second})
		e, err := cost.Compute(p, cost.Profile{Deployment: name, Via: cost.ViaLambda, InstanceType: "t3.micro", InstanceCount: 2, LoadBalancer: true, RootVolumeGiB: 8, PublicIPv4: 2, LambdaMemoryMB: 256, LambdaArch: "arm64"},
			cost.Usage{RatePerSecond: s.Throughput, LambdaBilledMs: s.LambdaBilledMs, ImageBytes: s.MeanImageBytes, RequestBytes: s.MeanBytesOut, ResponseBytes: s.MeanBytesIn}, cost.Assumptions{})
		if err != nil {
			t.Fatal(err)
		}
		res.Deployments = append(res.Deployments, Deployment{Name: name, Target: Target{Kind: "lambda-invoke", URL: "http://127.0.0.1:9/x"}, Summary: s, Cost: e,
			Toolchain: &Toolchain{SynthSeconds: 3.2, DeploySeconds: 101, DestroySeconds: 35, DestroyFrom: "last local down", ResourceCount: 41, TemplateBytes: 31000, EmulatorGaps: 2, GapsPatched: 2, Gaps: []string{"ImagesBucket VersioningConfiguration <patched>"}}})
	}
	res.Comparison = Compare(res.Deployments, nil)
	return res, recs
}

func TestWriteAll(t *testing.T) {
	res, recs := fixture(t)
	dir := t.TempDir()
	if err := WriteAll(dir, res, recs); err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// results.json parses and round-trips.
	var got Results
	if err := json.Unmarshal(read(ResultsFile), &got); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	if got.SchemaVersion != SchemaVersion || len(got.Deployments) != 2 || got.Comparison == nil {
		t.Fatalf("results.json content: %+v", got)
	}

	// requests.csv reads back to the same records.
	back, err := ReadCSV(bytes.NewReader(read(RequestsFile)))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(recs, back, cmpopts.EquateNaNs()); d != "" {
		t.Errorf("requests.csv round trip (-want +got):\n%s", d)
	}

	// The percentiles in results.json equal those recomputed from the CSV.
	for _, d := range got.Deployments {
		h := bench.NewHistogram()
		var sum, n, hi int64
		for _, r := range back {
			if r.Deployment != d.Name || r.Phase != d.Summary.Phase {
				continue
			}
			us := r.Latency.Microseconds()
			if err := h.RecordValue(us); err != nil {
				t.Fatal(err)
			}
			sum, n, hi = sum+us, n+1, max(hi, us)
		}
		q := func(p float64) float64 { return float64(min(h.ValueAtQuantile(p), hi)) / 1000 }
		want := []float64{q(50), q(90), q(99), q(99.9), float64(hi) / 1000, float64(sum) / float64(n) / 1000}
		l := d.Summary.Latency
		if diff := cmp.Diff(want, []float64{l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean}); diff != "" {
			t.Errorf("%s: percentiles from requests.csv (-csv +results.json):\n%s", d.Name, diff)
		}
		if int64(d.Summary.Sent) != n {
			t.Errorf("%s: sent %d, csv rows %d", d.Name, d.Summary.Sent, n)
		}
	}

	md := string(read(MarkdownFile))
	for _, want := range []string{"# twinstack bench report", "**Figures from: local cloud", "| terraform |", "ratio = cloudformation / terraform", "## Cost", "Assumptions:", "## Deployment process", "origin\\_error"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	checkHTML(t, read(HTMLFile))
}

// checkHTML parses the page, checks that elements nest properly, that
// nothing external is loaded, and that every inline SVG is well-formed XML.
func checkHTML(t *testing.T, page []byte) {
	t.Helper()
	if _, err := html.Parse(bytes.NewReader(page)); err != nil {
		t.Fatalf("report.html does not parse: %v", err)
	}
	void := map[string]bool{"meta": true, "br": true, "img": true, "link": true, "input": true, "hr": true}
	svgVoid := map[string]bool{"rect": true, "line": true, "circle": true, "path": true, "polyline": true}
	z := html.NewTokenizer(bytes.NewReader(page))
	var stack []string
	svgs := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken:
			for _, a := range tok.Attr {
				if (a.Key == "src" || a.Key == "href") && !strings.HasPrefix(a.Val, "#") {
					t.Errorf("external reference <%s %s=%q>", tok.Data, a.Key, a.Val)
				}
			}
			if tok.Data == "script" || tok.Data == "link" || tok.Data == "img" {
				t.Errorf("report.html has a <%s>", tok.Data)
			}
			if tok.Data == "svg" {
				svgs++
			}
			if !void[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Fatalf("</%s> closes %v", tok.Data, stack)
			}
			stack = stack[:len(stack)-1]
		case html.SelfClosingTagToken:
			if !svgVoid[tok.Data] && !void[tok.Data] {
				t.Errorf("self-closing <%s/>", tok.Data)
			}
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements %v", stack)
	}
	if svgs != 3 {
		t.Errorf("%d inline SVG charts, want 3 (timeline, CDF, breakdown)", svgs)
	}
	s := string(page)
	for {
		i := strings.Index(s, "<svg")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "</svg>")
		doc := s[i : i+j+len("</svg>")]
		d := xml.NewDecoder(strings.NewReader(doc))
		d.Strict = true
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("SVG is not well-formed XML: %v\n%.300s", err, doc)
			}
		}
		s = s[i+j:]
	}
	for _, want := range []string{"Latency over time", "Latency CDF", "Where the time goes", "class=\"label\""} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestCompareRatios(t *testing.T) {
	res, _ := fixture(t)
	c := res.Comparison
	if c.A != "terraform" || c.B != "cloudformation" {
		t.Fatalf("A/B = %s/%s", c.A, c.B)
	}
	rows := map[string]Row{}
	for _, r := range c.Rows {
		rows[r.Group+"/"+r.Metric] = r
	}
	p50 := rows["latency/p50"]
	if p50.A == nil || p50.B == nil || p50.Ratio == nil || math.Abs(*p50.Ratio - *p50.B / *p50.A) > 1e-12 {
		t.Errorf("p50 row %+v", p50)
	}
	for _, k := range []string{"cost/per 1,000 requests", "cost/per month, idle", "deployment/deploy time", "deployment/emulator gaps", "breakdown/invoke overhead", "breakdown/S3 put"} {
		if _, ok := rows[k]; !ok {
			t.Errorf("no row %q", k)
		}
	}
	if Compare(res.Deployments[:1], nil) != nil {
		t.Error("comparison of one deployment")
	}
}

func TestReadCSVErrors(t *testing.T) {
	if _, err := ReadCSV(strings.NewReader("a,b\n1,2\n")); err == nil || !strings.Contains(err.Error(), "no column") {
		t.Errorf("err %v", err)
	}
	var buf bytes.Buffer
	_ = WriteCSV(&buf, []bench.Record{{Deployment: "d", Latency: time.Millisecond, ImageBytes: -1}})
	bad := strings.Replace(buf.String(), ",1000,", ",lots,", 1)
	if _, err := ReadCSV(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "latency_us") {
		t.Errorf("err %v", err)
	}
}
