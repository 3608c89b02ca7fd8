package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes report.md.
func WriteMarkdown(w io.Writer, r *Results) error {
	bw := bufio.NewWriter(w)
	for i, s := range buildDoc(r) {
		level := "## "
		if i == 0 {
			level = "# "
		}
		fmt.Fprintf(bw, "%s%s\n\n", level, s.title)
		for _, b := range s.blocks {
			switch b := b.(type) {
			case para:
				if b.strong {
					fmt.Fprintf(bw, "**%s**\n\n", mdEscape(b.text))
				} else {
					fmt.Fprintf(bw, "%s\n\n", mdEscape(b.text))
				}
			case list:
				for _, it := range b.items {
					fmt.Fprintf(bw, "- %s\n", mdEscape(it))
				}
				fmt.Fprintln(bw)
			case table:
				writeMDTable(bw, b)
			case chart:
				// Charts are in report.html.
			}
		}
	}
	fmt.Fprintln(bw, "Charts (latency over time, latency CDF, breakdown) are in report.html; raw requests in requests.csv; every figure in results.json.")
	return bw.Flush()
}

func writeMDTable(w io.Writer, t table) {
	cell := func(s string) string { return strings.ReplaceAll(mdEscape(s), "|", `\|`) }
	var hdr, sep []string
	for i, h := range t.header {
		hdr = append(hdr, cell(h))
		if i < len(t.right) && t.right[i] {
			sep = append(sep, "---:")
		} else {
			sep = append(sep, "---")
		}
	}
	fmt.Fprintf(w, "| %s |\n|%s|\n", strings.Join(hdr, " | "), strings.Join(sep, "|"))
	for _, r := range t.rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = cell(c)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
}

// mdEscape keeps text from being read as markup, except `code` spans.
func mdEscape(s string) string {
	r := strings.NewReplacer("*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "\n", " ")
	return r.Replace(s)
}
