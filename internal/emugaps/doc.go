// Package emugaps reads the list of known local-emulator gaps: settings that
// a deployment declares and real AWS applies, but that the emulator (moto)
// accepts and silently drops. The list is data (emulator-gaps.json at the
// project root), each gap with the emulator version it was seen on, so that
// verify can report a gap as what it is — neither a success nor a defect of
// the stack — and can report an entry as stale when a newer emulator closes
// the gap.
//
// It uses the standard library only.
package emugaps
