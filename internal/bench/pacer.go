package bench

import (
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// SlicedPacer paces a constant rate of PerSecond requests, Count in all,
// during this target's slices only: time is cut into slices of length
// Slice, dealt round-robin to Of targets, and this target (number Index,
// from 0) sends only in its own. With Of <= 1 it is a plain constant pacer
// that stops after Count requests.
//
// The schedule depends on nothing but the request number (At), so it is
// the same whatever the target answers: the definition of open loop.
type SlicedPacer struct {
	PerSecond float64
	Count     uint64
	Slice     time.Duration
	Index     int
	Of        int
}

var _ vegeta.Pacer = SlicedPacer{}

// At is the time, from the start of the attack, at which request i is due.
func (p SlicedPacer) At(i uint64) time.Duration {
	if p.PerSecond <= 0 {
		return 0
	}
	active := time.Duration(float64(i) * float64(time.Second) / p.PerSecond)
	if p.Of <= 1 || p.Slice <= 0 {
		return active
	}
	m := active / p.Slice
	return (m*time.Duration(p.Of)+time.Duration(p.Index))*p.Slice + active%p.Slice
}

// Pace implements vegeta.Pacer.
func (p SlicedPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.Count || p.PerSecond <= 0 {
		return 0, true
	}
	if next := p.At(hits); next > elapsed {
		return next - elapsed, false
	}
	return 0, false
}

// Rate implements vegeta.Pacer: PerSecond inside this target's slices, 0
// outside them.
func (p SlicedPacer) Rate(elapsed time.Duration) float64 {
	if p.Of > 1 && p.Slice > 0 && int((elapsed/p.Slice)%time.Duration(p.Of)) != p.Index {
		return 0
	}
	return p.PerSecond
}

// End is when the last request is due.
func (p SlicedPacer) End() time.Duration {
	if p.Count == 0 {
		return 0
	}
	return p.At(p.Count - 1)
}

// CountFor is the number of requests at rate per second for d: rate x d,
// rounded to the nearest whole request.
func CountFor(rate float64, d time.Duration) uint64 {
	n := rate * d.Seconds()
	if n <= 0 {
		return 0
	}
	return uint64(n + 0.5)
}
