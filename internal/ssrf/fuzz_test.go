package ssrf_test

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/twinstack/twinstack/internal/ssrf"
)

// FuzzGuard feeds URL-ish strings to the host check and the dial check and
// compares their verdicts with the standard library's own notion of
// non-public addresses: whatever passes must not be loopback, private,
// link-local, multicast or unspecified by net.IP's predicates, in any
// spelling net.ParseIP, netip or inet_aton-style parsing accepts.
func FuzzGuard(f *testing.F) {
	for _, s := range []string{
		"http://example.com/a.png", "http://127.0.0.1/", "http://[::1]:8080/", "http://2130706433/",
		"http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/", "http://[::ffff:127.0.0.1]/",
		"http://169.254.169.254/latest/meta-data/", "http://[fe80::1%25eth0]/", "http://8.8.8.8/",
		"https://[::ffff:a9fe:a9fe]/", "http://10.0.0.1:80/", "http://0/", "http://[::]/",
	} {
		f.Add(s)
	}
	strict := ssrf.New()
	priv := ssrf.New(ssrf.AllowPrivate(true))
	f.Fuzz(func(t *testing.T, s string) {
		host := s
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			host = u.Hostname()
		}
		errStrict := strict.CheckHost(host)
		errPriv := priv.CheckHost(host)
		for _, err := range []error{errStrict, errPriv} {
			if err != nil && !errors.Is(err, ssrf.ErrBlocked) {
				t.Fatalf("CheckHost(%q) = %v, not ErrBlocked", host, err)
			}
		}
		if errPriv != nil && errStrict == nil {
			t.Fatalf("CheckHost(%q): strict allows what allow-private blocks", host)
		}
		// Every parser's reading of an allowed literal host must be public.
		if errStrict == nil {
			for _, ip := range readings(host) {
				if nonPublic(ip) {
					t.Fatalf("CheckHost(%q) allowed, but it reads as %v", host, ip)
				}
			}
		}
		if errPriv == nil {
			for _, ip := range readings(host) {
				if ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() {
					t.Fatalf("allow-private CheckHost(%q) allowed, but it reads as %v", host, ip)
				}
			}
		}
		// The dial check agrees with the stdlib predicates on any address
		// it accepts.
		if ap, err := netip.ParseAddrPort(s); err == nil {
			if strict.Control("tcp", s, nil) == nil && nonPublic(net.IP(ap.Addr().AsSlice())) {
				t.Fatalf("Control allowed %q", s)
			}
		}
		if addr, err := netip.ParseAddr(host); err == nil {
			if strict.CheckAddr(addr) == nil && nonPublic(net.IP(addr.AsSlice())) {
				t.Fatalf("CheckAddr allowed %v", addr)
			}
		}
	})
}

func nonPublic(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified()
}

// readings are the addresses different parsers make of host.
func readings(host string) []net.IP {
	var ips []net.IP
	h := strings.TrimSuffix(host, ".")
	if ip := net.ParseIP(h); ip != nil {
		ips = append(ips, ip)
	}
	if a, err := netip.ParseAddr(h); err == nil {
		ips = append(ips, net.IP(a.WithZone("").AsSlice()))
	}
	if ip, ok := inetAton(h); ok {
		ips = append(ips, ip)
	}
	return ips
}

// inetAton is an independent reading of the BSD inet_aton rules.
func inetAton(s string) (net.IP, bool) {
	parts := strings.Split(s, ".")
	if len(parts) < 1 || len(parts) > 4 {
		return nil, false
	}
	var nums []uint64
	for _, p := range parts {
		var n uint64
		base := uint64(10)
		switch {
		case strings.HasPrefix(strings.ToLower(p), "0x"):
			base, p = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
		case p == "":
			return nil, false
		}
		for _, r := range strings.ToLower(p) {
			d := uint64(strings.IndexRune("0123456789abcdef", r))
			if d >= base || d == ^uint64(0) {
				return nil, false
			}
			n = n*base + d
			if n > 0xffffffff {
				return nil, false
			}
		}
		nums = append(nums, n)
	}
	var v uint64
	last := len(nums) - 1
	for i := 0; i < last; i++ {
		if nums[i] > 0xff {
			return nil, false
		}
		v |= nums[i] << (8 * (3 - i))
	}
	if nums[last] >= 1<<(8*(4-last)) {
		return nil, false
	}
	v |= nums[last]
	return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)), true
}
