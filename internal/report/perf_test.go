package report

import (
	"io"
	"testing"
)

func BenchmarkWriteReports(b *testing.B) {
	t := &testing.T{}
	res, recs := fixture(t) // 400 records
	b.Run("html", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = WriteHTML(io.Discard, res, recs)
		}
	})
	b.Run("csv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = WriteCSV(io.Discard, recs)
		}
	})
}
