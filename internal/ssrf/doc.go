// Package ssrf keeps outbound image fetches away from addresses a server
// must never reach on a user's behalf: loopback, private networks, link-local
// (the instance metadata service at 169.254.169.254 included), multicast,
// unspecified and other special-purpose ranges, in IPv4, IPv6 and
// IPv4-mapped IPv6 form.
//
// The decisive check is Guard.Control, installed as net.Dialer.Control: it
// sees the address the socket is about to connect to, after DNS resolution,
// so a name that resolves to a public address when checked and to a private
// one when used (DNS rebinding) does not pass. Guard.CheckHost is an early
// check of the URL's host: it rejects IP literals in blocked ranges and
// numeric hosts in non-canonical spellings (decimal "2130706433", hex
// "0x7f.1", octal "0177.0.0.1", short forms "127.1"), which resolvers
// disagree about.
//
// Every refusal wraps ErrBlocked. This package uses the standard library
// only.
package ssrf
