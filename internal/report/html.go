package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/twinstack/twinstack/internal/bench"
)

const css = `body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:980px;color:#212121;line-height:1.4}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #e0e0e0}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #e0e0e0;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}
.label{background:#fff8e1;border-left:4px solid #ffb300;padding:.6em 1em}
code{background:#f5f5f5;padding:0 .2em}svg{display:block;margin:1em 0;max-width:100%;height:auto}`

// WriteHTML writes report.html: one self-contained page, charts as inline
// SVG, no external scripts, styles or fonts.
func WriteHTML(w io.Writer, r *Results, recs []bench.Record) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>twinstack bench report</title>\n<style>%s</style>\n</head>\n<body>\n", css)
	for i, s := range buildDoc(r) {
		tag := "h2"
		if i == 0 {
			tag = "h1"
		}
		fmt.Fprintf(bw, "<%s>%s</%s>\n", tag, esc(s.title), tag)
		for j, b := range s.blocks {
			switch b := b.(type) {
			case para:
				switch {
				case i == 0 && j == 0:
					fmt.Fprintf(bw, "<p class=\"label\"><strong>%s</strong></p>\n", inline(b.text))
				case b.strong:
					fmt.Fprintf(bw, "<p><strong>%s</strong></p>\n", inline(b.text))
				default:
					fmt.Fprintf(bw, "<p>%s</p>\n", inline(b.text))
				}
			case list:
				bw.WriteString("<ul>\n")
				for _, it := range b.items {
					fmt.Fprintf(bw, "<li>%s</li>\n", inline(it))
				}
				bw.WriteString("</ul>\n")
			case table:
				writeHTMLTable(bw, b)
			case chart:
				switch b.kind {
				case chartTimeline:
					bw.WriteString(timelineSVG(r, recs))
				case chartCDF:
					bw.WriteString(cdfSVG(r, recs))
				case chartBreakdown:
					bw.WriteString(breakdownSVG(r))
				}
				bw.WriteString("\n")
			}
		}
	}
	bw.WriteString("<p>Raw requests: <code>requests.csv</code>; every figure: <code>results.json</code>.</p>\n</body>\n</html>\n")
	return bw.Flush()
}

func writeHTMLTable(w io.Writer, t table) {
	class := func(i int) string {
		if i < len(t.right) && t.right[i] {
			return ` class="r"`
		}
		return ""
	}
	io.WriteString(w, "<table>\n<thead><tr>")
	for i, h := range t.header {
		fmt.Fprintf(w, "<th%s>%s</th>", class(i), esc(h))
	}
	io.WriteString(w, "</tr></thead>\n<tbody>\n")
	for _, r := range t.rows {
		io.WriteString(w, "<tr>")
		for i, c := range r {
			fmt.Fprintf(w, "<td%s>%s</td>", class(i), inline(c))
		}
		io.WriteString(w, "</tr>\n")
	}
	io.WriteString(w, "</tbody>\n</table>\n")
}

// inline escapes text and renders `code` spans.
func inline(s string) string {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + esc(p) + "</code>")
		} else {
			if i%2 == 1 {
				b.WriteString("`")
			}
			b.WriteString(esc(p))
		}
	}
	return b.String()
}
