package ssrf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
)

// ErrBlocked is wrapped by every refusal: the destination is not a public
// address, or is spelt in a way resolvers disagree about.
var ErrBlocked = errors.New("blocked destination")

// Guard decides which destinations outbound fetches may reach. Its zero
// value is not usable; build one with New. A Guard is immutable and safe for
// concurrent use.
type Guard struct {
	allowPrivate bool
	ports        []uint16 // nil: any port
}

// Option configures a Guard.
type Option func(*Guard)

// AllowPrivate, when true, also admits loopback and private (RFC 1918,
// unique local, CGNAT) addresses: the local cloud downloads from an origin
// on 127.0.0.1. Link-local (the metadata service), multicast, unspecified
// and reserved addresses stay blocked.
func AllowPrivate(allow bool) Option {
	return func(g *Guard) { g.allowPrivate = allow }
}

// AllowPorts limits the destination ports to ports (a server passes 80
// and 443 by default). Without it, or with none, any port passes.
func AllowPorts(ports ...int) Option {
	return func(g *Guard) {
		g.ports = nil
		for _, p := range ports {
			if p > 0 && p < 1<<16 {
				g.ports = append(g.ports, uint16(p))
			}
		}
	}
}

// New returns a Guard. By default only public addresses pass, on any port.
func New(opts ...Option) *Guard {
	g := &Guard{}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Allowed reports whether the class may be reached.
func (g *Guard) Allowed(c Class) bool {
	switch c {
	case Public:
		return true
	case Loopback, Private:
		return g.allowPrivate
	default:
		return false
	}
}

// CheckAddr returns nil when addr may be reached, or an error wrapping
// ErrBlocked naming its class.
func (g *Guard) CheckAddr(addr netip.Addr) error {
	c := Classify(addr)
	if g.Allowed(c) {
		return nil
	}
	return &BlockedError{Addr: addr.String(), Class: c}
}

// CheckPort returns nil when port may be dialled, or an error wrapping
// ErrBlocked.
func (g *Guard) CheckPort(port int) error {
	if g.ports == nil {
		return nil
	}
	for _, p := range g.ports {
		if int(p) == port {
			return nil
		}
	}
	return &BlockedError{Addr: strconv.Itoa(port), Port: port}
}

// Control is for net.Dialer.Control: it runs after name resolution with the
// address being connected to ("ip:port") and refuses blocked ones. Anything
// that is not a TCP connection to an IP address is refused too.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %q", ErrBlocked, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Addr: address, Class: Invalid}
	}
	if err := g.CheckPort(int(ap.Port())); err != nil {
		return err
	}
	return g.CheckAddr(ap.Addr())
}

// CheckHost checks the host part of a URL (without port; IPv6 without
// brackets) before any connection: IP literals in blocked ranges and
// numeric hosts spelt other than as canonical dotted-decimal IPv4 or IPv6
// are refused. Names pass; their addresses are checked by Control.
func (g *Guard) CheckHost(host string) error {
	if host == "" {
		return &BlockedError{Addr: host, Class: Invalid}
	}
	h := strings.TrimSuffix(host, ".")
	if addr, err := netip.ParseAddr(h); err == nil {
		return g.CheckAddr(addr)
	}
	if strings.HasPrefix(h, "[") || strings.ContainsAny(h, ":%") {
		// Bracketed or zoned forms that netip refused.
		return &BlockedError{Addr: host, Class: Invalid}
	}
	if addr, ok := parseLooseIPv4(h); ok {
		// A number a C resolver (inet_aton) would read as an address:
		// "2130706433", "0x7f000001", "0177.0.0.1", "127.1".
		return &BlockedError{Addr: host, Class: Classify(addr), Ambiguous: true}
	}
	if looksNumeric(h) {
		return &BlockedError{Addr: host, Class: Invalid, Ambiguous: true}
	}
	return nil
}

// Dialer returns a net.Dialer whose Control is g.Control.
func (g *Guard) Dialer() *net.Dialer {
	return &net.Dialer{Control: g.Control}
}

// BlockedError says which address was refused and why. It wraps
// ErrBlocked.
type BlockedError struct {
	Addr  string
	Class Class
	// Ambiguous is set when the host was a numeric spelling other than
	// canonical dotted-decimal.
	Ambiguous bool
	// Port is set when the port, not the address, was refused.
	Port int
}

// Error names the address: for logs, never for clients (it would tell a
// prober what a name resolves to).
func (e *BlockedError) Error() string {
	if e.Port != 0 {
		return fmt.Sprintf("%v: port %d is not allowed", ErrBlocked, e.Port)
	}
	if e.Ambiguous {
		return fmt.Sprintf("%v: %q is a non-canonical IP address spelling", ErrBlocked, e.Addr)
	}
	return fmt.Sprintf("%v: %s is a %s address", ErrBlocked, e.Addr, strings.ReplaceAll(e.Class.String(), "_", "-"))
}

func (e *BlockedError) Unwrap() error { return ErrBlocked }

// parseLooseIPv4 reads s the way inet_aton does: one to four parts
// separated by dots, each decimal, octal (leading 0) or hex (0x); the last
// part fills the remaining bytes.
func parseLooseIPv4(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parseLooseUint(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 0xff {
			return netip.Addr{}, false
		}
		n |= vals[i] << (8 * (3 - i))
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

func parseLooseUint(p string) (uint64, bool) {
	if p == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(p) > 1 && (p[:2] == "0x" || p[:2] == "0X"):
		base, p = 16, p[2:]
		if p == "" {
			return 0, true // inet_aton accepts a bare "0x" as 0
		}
	case len(p) > 1 && p[0] == '0':
		base, p = 8, p[1:]
	}
	v, err := strconv.ParseUint(p, base, 32)
	if err != nil {
		return 0, false
	}
	return v, true
}

// looksNumeric reports a host made only of digits, dots and hex markers
// that parseLooseIPv4 still refused (out-of-range parts, five parts): no
// real name looks like that, and some resolver may read it as an address.
func looksNumeric(s string) bool {
	if s == "" {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" {
			continue
		}
		ll := strings.ToLower(l)
		if strings.HasPrefix(ll, "0x") {
			ll = ll[2:]
			for _, r := range ll {
				if !strings.ContainsRune("0123456789abcdef", r) {
					return false
				}
			}
			continue
		}
		for _, r := range ll {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	// A name whose last label is all digits is not a valid DNS name under
	// a real TLD either.
	return true
}
