package ingest

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// errTooSlow is the cause of a download cut off by the minimum-rate rule.
var errTooSlow = errors.New("origin transfer below the minimum rate")

// meter counts the bytes an origin sent and the time spent waiting for
// it (headers and body reads), so that a slow S3 upload, which stops the
// reading, does not count against the origin.
type meter struct {
	mu     sync.Mutex
	bytes  int64
	waited time.Duration
	since  time.Time // start of the current wait; zero when not waiting
}

func (m *meter) begin() {
	m.mu.Lock()
	m.since = time.Now()
	m.mu.Unlock()
}

func (m *meter) end(n int) {
	m.mu.Lock()
	if !m.since.IsZero() {
		m.waited += time.Since(m.since)
	}
	m.since = time.Time{}
	m.bytes += int64(n)
	m.mu.Unlock()
}

func (m *meter) snapshot() (int64, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.waited
	if !m.since.IsZero() {
		w += time.Since(m.since)
	}
	return m.bytes, w
}

// meteredBody counts an origin body's reads into a meter.
type meteredBody struct {
	io.ReadCloser
	m *meter
}

func (b meteredBody) Read(p []byte) (int, error) {
	b.m.begin()
	n, err := b.ReadCloser.Read(p)
	b.m.end(n)
	return n, err
}

// watchRate cancels the download with errTooSlow when, over a window of
// time spent waiting for the origin, it sent fewer than MinDownloadRate
// bytes per second. The first window is grace for connecting and
// headers. The returned func stops the watch.
func (s *Service) watchRate(m *meter, cancel context.CancelCauseFunc) (stop func()) {
	rate, window := s.cfg.MinDownloadRate, s.cfg.RateWindow
	if rate <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(window / 4)
		defer t.Stop()
		cpBytes, cpWait := int64(0), window
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			b, w := m.snapshot()
			if w-cpWait < window {
				continue
			}
			need := float64(rate) * (w - cpWait).Seconds()
			if cpWait == window {
				need = float64(rate) * window.Seconds() // first check: grace window
			}
			if float64(b-cpBytes) < need {
				cancel(errTooSlow)
				return
			}
			cpBytes, cpWait = b, w
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}
