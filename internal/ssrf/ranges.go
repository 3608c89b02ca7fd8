package ssrf

import "net/netip"

// Class is why an address is or is not reachable.
type Class int

const (
	Public Class = iota
	Loopback
	Private // RFC 1918, unique local IPv6, shared address space (CGNAT)
	LinkLocal
	Multicast
	Unspecified
	Reserved // documentation, benchmarking, protocol assignments, future use, translation prefixes
	Invalid
)

var classNames = [...]string{"public", "loopback", "private", "link_local", "multicast", "unspecified", "reserved", "invalid"}

// String is a stable name, usable as a metric label.
func (c Class) String() string {
	if c < 0 || int(c) >= len(classNames) {
		return "invalid"
	}
	return classNames[c]
}

type rangeClass struct {
	prefix netip.Prefix
	class  Class
	note   string
}

// specialRanges are the IANA IPv4 and IPv6 special-purpose address
// registries (RFC 6890 and updates), reduced to what matters for outbound
// fetches. Order matters only for readability: the ranges with a class
// other than Reserved do not overlap.
var specialRanges = []rangeClass{
	// IPv4
	{netip.MustParsePrefix("0.0.0.0/32"), Unspecified, "RFC 1122 this host"},
	{netip.MustParsePrefix("0.0.0.0/8"), Reserved, "RFC 791 this network"},
	{netip.MustParsePrefix("10.0.0.0/8"), Private, "RFC 1918"},
	{netip.MustParsePrefix("100.64.0.0/10"), Private, "RFC 6598 shared address space (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), Loopback, "RFC 1122"},
	{netip.MustParsePrefix("169.254.0.0/16"), LinkLocal, "RFC 3927 (instance metadata 169.254.169.254)"},
	{netip.MustParsePrefix("172.16.0.0/12"), Private, "RFC 1918"},
	{netip.MustParsePrefix("192.0.0.0/24"), Reserved, "RFC 6890 IETF protocol assignments"},
	{netip.MustParsePrefix("192.0.2.0/24"), Reserved, "RFC 5737 TEST-NET-1"},
	{netip.MustParsePrefix("192.31.196.0/24"), Reserved, "RFC 7535 AS112"},
	{netip.MustParsePrefix("192.52.193.0/24"), Reserved, "RFC 7450 AMT"},
	{netip.MustParsePrefix("192.88.99.0/24"), Reserved, "RFC 7526 6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), Private, "RFC 1918"},
	{netip.MustParsePrefix("192.175.48.0/24"), Reserved, "RFC 7534 direct delegation AS112"},
	{netip.MustParsePrefix("198.18.0.0/15"), Reserved, "RFC 2544 benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), Reserved, "RFC 5737 TEST-NET-2"},
	{netip.MustParsePrefix("203.0.113.0/24"), Reserved, "RFC 5737 TEST-NET-3"},
	{netip.MustParsePrefix("224.0.0.0/4"), Multicast, "RFC 5771"},
	{netip.MustParsePrefix("255.255.255.255/32"), Reserved, "RFC 919 limited broadcast"},
	{netip.MustParsePrefix("240.0.0.0/4"), Reserved, "RFC 1112 future use"},

	// IPv6 (IPv4-mapped ::ffff:0:0/96 is unmapped and checked as IPv4).
	{netip.MustParsePrefix("::/128"), Unspecified, "RFC 4291"},
	{netip.MustParsePrefix("::1/128"), Loopback, "RFC 4291"},
	{netip.MustParsePrefix("::/96"), Reserved, "RFC 4291 IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("64:ff9b::/96"), Reserved, "RFC 6052 NAT64 (may embed a private IPv4)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), Reserved, "RFC 8215 local-use translation"},
	{netip.MustParsePrefix("100::/64"), Reserved, "RFC 6666 discard-only"},
	{netip.MustParsePrefix("2001::/23"), Reserved, "RFC 2928 IETF protocol assignments (Teredo, ORCHID…)"},
	{netip.MustParsePrefix("2001:db8::/32"), Reserved, "RFC 3849 documentation"},
	{netip.MustParsePrefix("2002::/16"), Reserved, "RFC 3056 6to4 (may embed a private IPv4)"},
	{netip.MustParsePrefix("3fff::/20"), Reserved, "RFC 9637 documentation"},
	{netip.MustParsePrefix("5f00::/16"), Reserved, "RFC 9602 SRv6 SIDs"},
	{netip.MustParsePrefix("fc00::/7"), Private, "RFC 4193 unique local"},
	{netip.MustParsePrefix("fe80::/10"), LinkLocal, "RFC 4291"},
	{netip.MustParsePrefix("fec0::/10"), Reserved, "RFC 3879 site-local (deprecated)"},
	{netip.MustParsePrefix("ff00::/8"), Multicast, "RFC 4291"},
}

// Classify reports the class of addr. IPv4-mapped IPv6 addresses are
// classified as the IPv4 address they carry; zones are ignored.
func Classify(addr netip.Addr) Class {
	if !addr.IsValid() {
		return Invalid
	}
	addr = addr.WithZone("").Unmap()
	for _, r := range specialRanges {
		if r.prefix.Contains(addr) {
			return r.class
		}
	}
	return Public
}
