package localcloud

import (
	"fmt"
	"io"
	"time"
)

// progress prints one line per step with the elapsed time since the
// command started and the step's own duration.
type progress struct {
	out   io.Writer
	start time.Time
}

func newProgress(out io.Writer) *progress {
	if out == nil {
		out = io.Discard
	}
	return &progress{out: out, start: time.Now()}
}

func (p *progress) elapsed() string {
	return fmt.Sprintf("[%6.1fs]", time.Since(p.start).Seconds())
}

// step runs fn between a start line and an end line; fn returns a short
// detail for the end line.
func (p *progress) step(name string, fn func() (string, error)) error {
	t := time.Now()
	fmt.Fprintf(p.out, "%s %s ...\n", p.elapsed(), name)
	detail, err := fn()
	d := time.Since(t).Seconds()
	if err != nil {
		fmt.Fprintf(p.out, "%s FAILED %s after %.1fs\n", p.elapsed(), name, d)
		return err
	}
	if detail != "" {
		detail = ": " + detail
	}
	fmt.Fprintf(p.out, "%s done   %s in %.1fs%s\n", p.elapsed(), name, d, detail)
	return nil
}

// note prints an informational line.
func (p *progress) note(format string, args ...any) {
	fmt.Fprintf(p.out, "%s   %s\n", p.elapsed(), fmt.Sprintf(format, args...))
}
