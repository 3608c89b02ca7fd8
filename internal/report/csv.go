package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/twinstack/twinstack/internal/bench"
)

// CSVHeader returns the first row of requests.csv. Times are RFC 3339 UTC
// with nanoseconds; latency is whole microseconds (the histogram's unit);
// timings are milliseconds, empty when the answer did not carry them.
func CSVHeader() []string {
	return []string{
		"deployment", "phase", "offered_rps", "seq", "scheduled", "sent", "latency_us", "status", "ok",
		"error_code", "error", "bytes_out", "bytes_in",
		"download_ms", "s3_ms", "dynamodb_ms", "server_total_ms", "lambda_server_ms", "lambda_total_ms",
		"image_bytes", "image_id", "bucket", "key",
		"write_units", "index_write_units", "read_units",
	}
}

// WriteCSV writes one row per record.
func WriteCSV(w io.Writer, recs []bench.Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader()); err != nil {
		return err
	}
	for i := range recs {
		r := &recs[i]
		img := ""
		if r.ImageBytes >= 0 {
			img = strconv.FormatInt(r.ImageBytes, 10)
		}
		row := []string{
			r.Deployment, r.Phase, ff(r.OfferedRate), strconv.FormatUint(r.Seq, 10),
			r.Scheduled.UTC().Format(time.RFC3339Nano), r.Sent.UTC().Format(time.RFC3339Nano),
			strconv.FormatInt(r.LatencyMicros(), 10), strconv.Itoa(r.Status), strconv.FormatBool(r.OK),
			r.Code, r.Error, strconv.FormatUint(r.BytesOut, 10), strconv.FormatUint(r.BytesIn, 10),
			fnan(r.DownloadMs), fnan(r.S3Ms), fnan(r.DynamoDBMs), fnan(r.ServerTotalMs), fnan(r.LambdaServerMs), fnan(r.LambdaTotalMs),
			img, r.ImageID, r.Bucket, r.Key,
			fnan(r.WriteUnits), fnan(r.IndexWriteUnits), fnan(r.ReadUnits),
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func fnan(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return ff(v)
}

// ReadCSV reads requests.csv back into records. Latency comes back as whole
// microseconds, exactly as the summaries used it.
func ReadCSV(r io.Reader) ([]bench.Record, error) {
	cr := csv.NewReader(r)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("requests.csv: empty")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range CSVHeader() {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("requests.csv: no column %q", h)
		}
	}
	var out []bench.Record
	for n, row := range rows[1:] {
		p := parser{row: row, col: col}
		rec := bench.Record{
			Deployment: p.str("deployment"), Phase: p.str("phase"), OfferedRate: p.float("offered_rps"),
			Seq: uint64(p.int("seq")), Scheduled: p.time("scheduled"), Sent: p.time("sent"),
			Latency: time.Duration(p.int("latency_us")) * time.Microsecond, Status: int(p.int("status")),
			OK: p.str("ok") == "true", Code: p.str("error_code"), Error: p.str("error"),
			BytesOut: uint64(p.int("bytes_out")), BytesIn: uint64(p.int("bytes_in")),
			DownloadMs: p.float("download_ms"), S3Ms: p.float("s3_ms"), DynamoDBMs: p.float("dynamodb_ms"),
			ServerTotalMs: p.float("server_total_ms"), LambdaServerMs: p.float("lambda_server_ms"), LambdaTotalMs: p.float("lambda_total_ms"),
			ImageBytes: -1, ImageID: p.str("image_id"), Bucket: p.str("bucket"), Key: p.str("key"),
			WriteUnits: p.float("write_units"), IndexWriteUnits: p.float("index_write_units"), ReadUnits: p.float("read_units"),
		}
		if p.str("image_bytes") != "" {
			rec.ImageBytes = p.int("image_bytes")
		}
		if p.err != nil {
			return nil, fmt.Errorf("requests.csv line %d: %w", n+2, p.err)
		}
		out = append(out, rec)
	}
	return out, nil
}

type parser struct {
	row []string
	col map[string]int
	err error
}

func (p *parser) str(name string) string { return p.row[p.col[name]] }

func (p *parser) int(name string) int64 {
	v, err := strconv.ParseInt(p.str(name), 10, 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("%s: %w", name, err)
	}
	return v
}

func (p *parser) float(name string) float64 {
	s := p.str(name)
	if s == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("%s: %w", name, err)
	}
	return v
}

func (p *parser) time(name string) time.Time {
	v, err := time.Parse(time.RFC3339Nano, p.str(name))
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("%s: %w", name, err)
	}
	return v
}
