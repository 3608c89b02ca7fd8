// Package emugaps reads the list of known local-emulator gaps: settings that
// a deployment declares and real AWS applies, but that the emulator (moto)
// accepts and silently drops. The list is data (emulator-gaps.json at the
// project root). Each entry is an observation: for one property (one verify
// check, or a narrow pattern of checks with the same observation) it states
// the value the emulator is seen to produce and the emulator version it was
// seen on. An entry applies only when verify observes exactly that value;
// any other value is a real difference. An entry that no longer reproduces
// is stale, and the file must describe today's emulator.
//
// It uses the standard library only.
package emugaps
