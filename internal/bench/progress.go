package bench

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// Progress shows a running phase: one line rewritten in place on a
// terminal, or a plain line every few seconds otherwise.
type Progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration
}

// NewProgress writes progress to w. tty selects the in-place line (see
// IsTerminal); interval 0 means 250ms on a terminal and 5s otherwise.
func NewProgress(w io.Writer, tty bool, interval time.Duration) *Progress {
	if interval <= 0 {
		interval = 5 * time.Second
		if tty {
			interval = 250 * time.Millisecond
		}
	}
	return &Progress{w: w, tty: tty, interval: interval}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// start shows progress until the returned stop is called; stop prints the
// final state. A nil Progress shows nothing.
func (p *Progress) start(phase string, began time.Time, lives []*live) (stop func()) {
	if p == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.show(phase, time.Since(began), lives, false)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		p.show(phase, time.Since(began), lives, true)
	}
}

func (p *Progress) show(phase string, elapsed time.Duration, lives []*live, final bool) {
	parts := make([]string, 0, len(lives))
	for _, l := range lives {
		parts = append(parts, FormatSnapshot(l.snapshot()))
	}
	line := fmt.Sprintf("%s %6.1fs  %s", phase, elapsed.Seconds(), strings.Join(parts, " | "))
	switch {
	case p.tty && final:
		fmt.Fprintf(p.w, "\r\x1b[K%s\n", line)
	case p.tty:
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// FormatSnapshot is one target's part of the progress line.
func FormatSnapshot(s Snapshot) string {
	return fmt.Sprintf("%s: sent %d/%d ok %d err %d p50 %s p99 %s",
		s.Name, s.Sent, s.Planned, s.OK, s.Errors, fmtDur(s.P50), fmtDur(s.P99))
}

func fmtDur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}
