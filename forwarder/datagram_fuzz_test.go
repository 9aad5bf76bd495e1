//go:build linux

package forwarder

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzDatagramAddresses feeds arbitrary strings to the datagram target and --listen-datagram
// parsers: no panic, and whatever is accepted is well formed.
func FuzzDatagramAddresses(f *testing.F) {
	for _, s := range []string{"127.0.0.1:53", "[::1]:53", "::1:53", "host", "/run/x", "@x", "53", "vsock:2:1", "[", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tg, err := parseDatagramTarget(s); err == nil {
			if tg.sa == nil && (tg.host == "" || tg.port == "") {
				t.Fatalf("%q accepted without host or port", s)
			}
			if tg.sa != nil && s[0] != '/' && s[0] != '@' {
				t.Fatalf("%q resolved without a lookup", s)
			}
		}
		if network, address, err := datagramListenAddr(s); err == nil {
			if network == "unixgram" != (s[0] == '/' || s[0] == '@') || address == "" {
				t.Fatalf("%q: %s %q", s, network, address)
			}
			if strings.HasPrefix(network, "udp") {
				if _, err := netip.ParseAddrPort(address); err != nil {
					t.Fatalf("%q: %q is not an address and port", s, address)
				}
			}
		}
	})
}

// FuzzParsePktinfo feeds arbitrary control-message bytes to parsePktinfo: it must not panic.
func FuzzParsePktinfo(f *testing.F) {
	f.Add([]byte("\x1c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00\x01\x00\x00\x00\x7f\x00\x00\x02\x7f\x00\x00\x02\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, oob []byte) {
		a, _ := parsePktinfo(oob)
		if a.IsValid() && !a.Is4() && !a.Is6() {
			t.Fatalf("invalid address %v", a)
		}
	})
}
