package report

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"

	"github.com/twinstack/twinstack/internal/bench"
)

// Chart geometry.
const (
	chartW   = 920
	chartH   = 340
	padLeft  = 70
	padRight = 20
	padTop   = 36
	padBot   = 48
	maxDots  = 4000 // per deployment on the timeline
	maxSteps = 400  // points per CDF line
)

// colorOf gives each deployment a stable colour.
func colorOf(name string, i int) string {
	switch name {
	case "terraform":
		return "#7b42bc"
	case "cloudformation":
		return "#e07b00"
	}
	palette := []string{"#1f77b4", "#2ca02c", "#d62728", "#17becf", "#8c564b"}
	return palette[i%len(palette)]
}

// segmentColor gives each breakdown segment a stable colour.
func segmentColor(name string, i int) string {
	switch name {
	case bench.SegInvoke:
		return "#9e9e9e"
	case bench.SegFunction:
		return "#616161"
	case bench.SegServerCall:
		return "#90a4ae"
	case bench.SegHop:
		return "#4fc3f7"
	case bench.SegDownload:
		return "#66bb6a"
	case bench.SegS3:
		return "#ffa726"
	case bench.SegDynamoDB:
		return "#5c6bc0"
	case bench.SegServerRest:
		return "#ef5350"
	}
	palette := []string{"#8d6e63", "#26a69a", "#ab47bc", "#d4e157"}
	return palette[i%len(palette)]
}

type svgBuf struct{ strings.Builder }

func (b *svgBuf) open(title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s" font-family="sans-serif" font-size="12">`,
		chartW, chartH, chartW, chartH, esc(title))
	fmt.Fprintf(b, `<title>%s</title><rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`, esc(title), chartW, chartH)
	fmt.Fprintf(b, `<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`, padLeft, esc(title))
}

func (b *svgBuf) close() { b.WriteString("</svg>") }

func (b *svgBuf) text(x, y float64, anchor, s string, extra string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s"%s>%s</text>`, x, y, anchor, extra, esc(s))
}

func (b *svgBuf) line(x1, y1, x2, y2 float64, stroke string, width float64) {
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%.1f"/>`, x1, y1, x2, y2, stroke, width)
}

// legend draws coloured labels along the top right.
func (b *svgBuf) legend(names, colors []string) {
	x := float64(chartW - padRight)
	for i := len(names) - 1; i >= 0; i-- {
		w := float64(len(names[i]))*7 + 22
		x -= w
		fmt.Fprintf(b, `<rect x="%.1f" y="10" width="12" height="12" fill="%s"/>`, x, colors[i])
		b.text(x+16, 20, "start", names[i], "")
	}
}

func esc(s string) string { return html.EscapeString(s) }

// axis maps data values to pixels, linearly or on a log10 scale.
type axis struct {
	lo, hi   float64
	p0, p1   float64 // pixels for lo and hi
	log      bool
	unit     string
	vertical bool
}

func (a axis) px(v float64) float64 {
	if a.log {
		v, lo, hi := math.Log10(math.Max(v, a.lo)), math.Log10(a.lo), math.Log10(a.hi)
		return a.p0 + (v-lo)/(hi-lo)*(a.p1-a.p0)
	}
	return a.p0 + (v-a.lo)/(a.hi-a.lo)*(a.p1-a.p0)
}

func (a axis) ticks() []float64 {
	if a.log {
		var out []float64
		for e := math.Floor(math.Log10(a.lo)); e <= math.Ceil(math.Log10(a.hi)); e++ {
			for _, m := range []float64{1, 2, 5} {
				v := m * math.Pow(10, e)
				if v >= a.lo*0.999 && v <= a.hi*1.001 {
					out = append(out, v)
				}
			}
		}
		return out
	}
	step := niceStep((a.hi - a.lo) / 6)
	var out []float64
	for v := math.Ceil(a.lo/step) * step; v <= a.hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	s := niceStep(v / 6)
	return math.Ceil(v/s) * s
}

func (b *svgBuf) axes(x, y axis, xlabel, ylabel string) {
	x0, x1 := float64(padLeft), float64(chartW-padRight)
	y0, y1 := float64(chartH-padBot), float64(padTop)
	for _, t := range y.ticks() {
		py := y.px(t)
		b.line(x0, py, x1, py, "#e0e0e0", 1)
		b.text(x0-6, py+4, "end", tickLabel(t), "")
	}
	for _, t := range x.ticks() {
		px := x.px(t)
		b.line(px, y0, px, y0+5, "#757575", 1)
		b.text(px, y0+18, "middle", tickLabel(t), "")
	}
	b.line(x0, y0, x1, y0, "#757575", 1)
	b.line(x0, y0, x0, y1, "#757575", 1)
	b.text((x0+x1)/2, float64(chartH-8), "middle", xlabel, "")
	fmt.Fprintf(b, `<text x="16" y="%.1f" text-anchor="middle" transform="rotate(-90 16 %.1f)">%s</text>`, (y0+y1)/2, (y0+y1)/2, esc(ylabel))
}

func tickLabel(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

// byDeployment groups records, keeping the deployments' order.
func byDeployment(r *Results, recs []bench.Record) ([]string, map[string][]bench.Record) {
	var names []string
	for _, d := range r.Deployments {
		names = append(names, d.Name)
	}
	m := map[string][]bench.Record{}
	for _, rec := range recs {
		if _, ok := m[rec.Deployment]; !ok {
			found := false
			for _, n := range names {
				found = found || n == rec.Deployment
			}
			if !found {
				names = append(names, rec.Deployment)
			}
		}
		m[rec.Deployment] = append(m[rec.Deployment], rec)
	}
	return names, m
}

// timelineSVG plots each request's latency at its scheduled time.
func timelineSVG(r *Results, recs []bench.Record) string {
	var b svgBuf
	b.open("Latency over time")
	names, groups := byDeployment(r, recs)
	if len(recs) == 0 {
		b.text(chartW/2, chartH/2, "middle", "no requests", "")
		b.close()
		return b.String()
	}
	start := recs[0].Scheduled
	var maxT, maxL float64
	for _, rec := range recs {
		if rec.Scheduled.Before(start) {
			start = rec.Scheduled
		}
	}
	for _, rec := range recs {
		maxT = math.Max(maxT, rec.Scheduled.Sub(start).Seconds())
		maxL = math.Max(maxL, float64(rec.LatencyMicros())/1000)
	}
	x := axis{lo: 0, hi: niceMax(maxT), p0: padLeft, p1: chartW - padRight}
	y := axis{lo: 0, hi: niceMax(maxL), p0: chartH - padBot, p1: padTop}
	b.axes(x, y, "time since start (s, by schedule)", "latency (ms)")
	var colors []string
	for i, n := range names {
		c := colorOf(n, i)
		colors = append(colors, c)
		g := groups[n]
		stride := 1
		if len(g) > maxDots {
			stride = (len(g) + maxDots - 1) / maxDots
		}
		fmt.Fprintf(&b, `<g fill="%s" stroke="%s">`, c, c)
		for j := 0; j < len(g); j += stride {
			rec := g[j]
			px, py := x.px(rec.Scheduled.Sub(start).Seconds()), y.px(float64(rec.LatencyMicros())/1000)
			if rec.OK {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2" stroke="none"/>`, px, py)
			} else {
				fmt.Fprintf(&b, `<path d="M%.1f %.1fl6 6m0 -6l-6 6" fill="none" stroke-width="1.5"/>`, px-3, py-3)
			}
		}
		b.WriteString("</g>")
	}
	b.legend(names, colors)
	b.close()
	return b.String()
}

// cdfSVG draws each deployment's latency distribution.
func cdfSVG(r *Results, recs []bench.Record) string {
	var b svgBuf
	b.open("Latency CDF")
	names, groups := byDeployment(r, recs)
	if len(recs) == 0 {
		b.text(chartW/2, chartH/2, "middle", "no requests", "")
		b.close()
		return b.String()
	}
	lo, hi := math.Inf(1), 0.0
	sorted := map[string][]float64{}
	for _, n := range names {
		var v []float64
		for _, rec := range groups[n] {
			l := float64(rec.LatencyMicros()) / 1000
			v = append(v, l)
			lo, hi = math.Min(lo, l), math.Max(hi, l)
		}
		sort.Float64s(v)
		sorted[n] = v
	}
	logScale := hi/lo >= 20
	var x axis
	if logScale {
		x = axis{lo: math.Pow(10, math.Floor(math.Log10(lo))), hi: math.Pow(10, math.Ceil(math.Log10(hi))), p0: padLeft, p1: chartW - padRight, log: true}
	} else {
		x = axis{lo: 0, hi: niceMax(hi), p0: padLeft, p1: chartW - padRight}
	}
	y := axis{lo: 0, hi: 1, p0: chartH - padBot, p1: padTop}
	xl := "latency (ms)"
	if logScale {
		xl = "latency (ms, log scale)"
	}
	b.axes(x, y, xl, "fraction of requests at or below")
	var colors []string
	for i, n := range names {
		c := colorOf(n, i)
		colors = append(colors, c)
		v := sorted[n]
		var pts []string
		step := 1
		if len(v) > maxSteps {
			step = (len(v) + maxSteps - 1) / maxSteps
		}
		for j := 0; j < len(v); j += step {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x.px(v[j]), y.px(float64(j+1)/float64(len(v)))))
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x.px(v[len(v)-1]), y.px(1)))
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, c, strings.Join(pts, " "))
	}
	b.legend(names, colors)
	b.close()
	return b.String()
}

// breakdownSVG draws one stacked bar of mean segments per deployment.
func breakdownSVG(r *Results) string {
	var b svgBuf
	b.open("Where the time goes (mean ms per successful request)")
	segs := segmentNames(r.Deployments)
	var maxSum float64
	for _, d := range r.Deployments {
		var s float64
		for _, sg := range d.Summary.Breakdown.Segments {
			s += math.Max(sg.MeanMs, 0)
		}
		maxSum = math.Max(maxSum, s)
	}
	if len(segs) == 0 || maxSum == 0 {
		b.text(chartW/2, chartH/2, "middle", "no timing breakdown in the answers", "")
		b.close()
		return b.String()
	}
	left := float64(padLeft + 60)
	x := axis{lo: 0, hi: niceMax(maxSum), p0: left, p1: chartW - padRight}
	barH := 34.0
	top := float64(padTop + 20)
	for _, t := range x.ticks() {
		px := x.px(t)
		b.line(px, top-6, px, top+float64(len(r.Deployments))*(barH+16), "#e0e0e0", 1)
		b.text(px, top+float64(len(r.Deployments))*(barH+16)+14, "middle", tickLabel(t), "")
	}
	for i, d := range r.Deployments {
		y := top + float64(i)*(barH+16)
		b.text(left-8, y+barH/2+4, "end", d.Name, "")
		cur := 0.0
		for _, sg := range d.Summary.Breakdown.Segments {
			w := math.Max(sg.MeanMs, 0)
			if w == 0 {
				continue
			}
			j := indexOf(segs, sg.Name)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x.px(cur), y, x.px(cur+w)-x.px(cur), barH, segmentColor(sg.Name, j), esc(fmt.Sprintf("%s: %s: %s ms", d.Name, sg.Name, ms(sg.MeanMs))))
			cur += w
		}
	}
	// Legend below the bars.
	ly := top + float64(len(r.Deployments))*(barH+16) + 34
	lx := left
	for j, s := range segs {
		w := float64(len(s))*7 + 34
		if lx+w > chartW-padRight {
			lx, ly = left, ly+20
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/>`, lx, ly-10, segmentColor(s, j))
		b.text(lx+16, ly, "start", s, "")
		lx += w
	}
	b.text(chartW/2, float64(chartH-8), "middle", "milliseconds", "")
	b.close()
	return b.String()
}

func indexOf(l []string, s string) int {
	for i, v := range l {
		if v == s {
			return i
		}
	}
	return 0
}
