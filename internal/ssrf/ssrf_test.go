package ssrf_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/twinstack/twinstack/internal/ssrf"
)

func TestCheckHost(t *testing.T) {
	cases := []struct {
		host         string
		strict, priv bool // allowed by New(), allowed by New(AllowPrivate(true))
	}{
		{"example.com", true, true},
		{"images.example.com.", true, true},
		{"1e100.net", true, true},
		{"8.8.8.8", true, true},
		{"2606:4700:4700::1111", true, true},
		{"localhost", true, true}, // a name: Control checks what it resolves to
		{"127.0.0.1", false, true},
		{"127.255.255.254", false, true},
		{"::1", false, true},
		{"10.0.0.1", false, true},
		{"172.16.5.4", false, true},
		{"192.168.1.1", false, true},
		{"100.64.0.1", false, true},
		{"fd00::1", false, true},
		{"169.254.169.254", false, false},
		{"fe80::1", false, false},
		{"fe80::1%eth0", false, false},
		{"224.0.0.1", false, false},
		{"ff02::1", false, false},
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"255.255.255.255", false, false},
		{"240.0.0.1", false, false},
		{"192.0.2.10", false, false},
		{"2001:db8::1", false, false},
		{"64:ff9b::7f00:1", false, false},
		{"2002:7f00:1::", false, false},
		{"::127.0.0.1", false, false},
		// IPv4-mapped IPv6 is checked as the IPv4 it carries.
		{"::ffff:127.0.0.1", false, true},
		{"::ffff:7f00:1", false, true},
		{"::ffff:169.254.169.254", false, false},
		{"::ffff:a9fe:a9fe", false, false},
		{"::ffff:8.8.8.8", true, true},
		// Non-canonical spellings never pass, whatever they point at.
		{"2130706433", false, false},
		{"0x7f000001", false, false},
		{"0X7F000001", false, false},
		{"0177.0.0.1", false, false},
		{"0177.0000.0000.0001", false, false},
		{"127.1", false, false},
		{"127.0.1", false, false},
		{"0x7f.1", false, false},
		{"127.000.000.001", false, false},
		{"2852039166", false, false}, // 169.254.169.254
		{"0xa9fea9fe", false, false},
		{"0251.0376.0251.0376", false, false},
		{"134744072", false, false}, // 8.8.8.8, but ambiguous
		{"0x08080808", false, false},
		{"4294967296", false, false}, // out of range
		{"1.2.3.4.5", false, false},
		{"", false, false},
		{"[::1]", false, false},
	}
	strict, priv := ssrf.New(), ssrf.New(ssrf.AllowPrivate(true))
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			for _, g := range []struct {
				name  string
				guard *ssrf.Guard
				want  bool
			}{{"strict", strict, tc.strict}, {"allow-private", priv, tc.priv}} {
				err := g.guard.CheckHost(tc.host)
				if got := err == nil; got != g.want {
					t.Errorf("%s: CheckHost(%q) = %v, want allowed=%v", g.name, tc.host, err, g.want)
				}
				if err != nil && !errors.Is(err, ssrf.ErrBlocked) {
					t.Errorf("%s: error %v does not wrap ErrBlocked", g.name, err)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]ssrf.Class{
		"93.184.216.34":   ssrf.Public,
		"127.0.0.1":       ssrf.Loopback,
		"::1":             ssrf.Loopback,
		"10.1.2.3":        ssrf.Private,
		"169.254.169.254": ssrf.LinkLocal,
		"fe80::1":         ssrf.LinkLocal,
		"239.1.1.1":       ssrf.Multicast,
		"0.0.0.0":         ssrf.Unspecified,
		"::":              ssrf.Unspecified,
		"0.1.2.3":         ssrf.Reserved,
		"198.18.0.1":      ssrf.Reserved,
	}
	got := map[string]ssrf.Class{}
	for s := range cases {
		got[s] = ssrf.Classify(netip.MustParseAddr(s))
	}
	if d := cmp.Diff(cases, got); d != "" {
		t.Error(d)
	}
	if got := ssrf.Classify(netip.Addr{}); got != ssrf.Invalid {
		t.Errorf("zero Addr: %v", got)
	}
}

func TestControl(t *testing.T) {
	g := ssrf.New()
	cases := []struct {
		network, address string
		ok               bool
	}{
		{"tcp4", "93.184.216.34:443", true},
		{"tcp6", "[2606:4700::1]:80", true},
		{"tcp4", "127.0.0.1:80", false},
		{"tcp6", "[::1]:80", false},
		{"tcp6", "[::ffff:127.0.0.1]:80", false},
		{"tcp4", "169.254.169.254:80", false},
		{"tcp6", "[fe80::1%eth0]:80", false},
		{"udp4", "93.184.216.34:53", false},
		{"tcp", "example.com:80", false}, // never an unresolved name
		{"tcp", "garbage", false},
	}
	for _, tc := range cases {
		err := g.Control(tc.network, tc.address, nil)
		if (err == nil) != tc.ok {
			t.Errorf("Control(%s, %s) = %v, want ok=%v", tc.network, tc.address, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ssrf.ErrBlocked) {
			t.Errorf("Control(%s, %s): %v does not wrap ErrBlocked", tc.network, tc.address, err)
		}
	}
}

// TestDialResolvedName shows that the check runs on the address actually
// dialled: "localhost" passes CheckHost (it is a name) and is refused once
// it has resolved to a loopback address, which is what a rebinding name
// does.
func TestDialResolvedName(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(origin.Close)
	port := origin.Listener.Addr().(*net.TCPAddr).Port
	url := "http://localhost:" + strconv.Itoa(port) + "/"

	get := func(g *ssrf.Guard) error {
		tr := &http.Transport{DialContext: g.Dialer().DialContext, Proxy: nil}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	strict := ssrf.New()
	if err := strict.CheckHost("localhost"); err != nil {
		t.Fatalf("CheckHost(localhost) = %v", err)
	}
	if err := get(strict); !errors.Is(err, ssrf.ErrBlocked) {
		t.Fatalf("strict guard: got %v, want ErrBlocked", err)
	}
	if err := get(ssrf.New(ssrf.AllowPrivate(true))); err != nil {
		t.Fatalf("allow-private guard: %v", err)
	}
}

func TestClassString(t *testing.T) {
	var got []string
	for c := ssrf.Public; c <= ssrf.Invalid+1; c++ {
		got = append(got, c.String())
	}
	want := []string{"public", "loopback", "private", "link_local", "multicast", "unspecified", "reserved", "invalid", "invalid"}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
}

func TestAllowPorts(t *testing.T) {
	g := ssrf.New(ssrf.AllowPorts(80, 443))
	for _, tc := range []struct {
		addr string
		ok   bool
	}{{"93.184.216.34:80", true}, {"93.184.216.34:443", true}, {"93.184.216.34:22", false}, {"93.184.216.34:8080", false}} {
		err := g.Control("tcp", tc.addr, nil)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ssrf.ErrBlocked)) {
			t.Errorf("Control(%s) = %v, want allowed %v", tc.addr, err, tc.ok)
		}
	}
	if err := ssrf.New().Control("tcp", "93.184.216.34:22", nil); err != nil {
		t.Errorf("without AllowPorts any port passes: %v", err)
	}
}
