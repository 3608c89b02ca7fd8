// Package state is the file through which the local cloud tells the other
// commands what it started: `local up` writes .twinstack/state.json, and
// `local status`, `local down`, `invoke`, `consistency` and `bench` read it.
//
// The schema is versioned (Version) and only grows: fields are added, never
// renamed or repurposed, so that an older reader still understands a newer
// file. Save writes atomically (temporary file + rename in the same
// directory), so a reader never sees half a file. Timings survive `local
// down` in a second file (.twinstack/timings.json), because destroy times are
// only known after the state file is gone.
//
// This package uses the standard library and internal/apperr only: it must
// not import the AWS SDK, the local cloud or bench.
package state
