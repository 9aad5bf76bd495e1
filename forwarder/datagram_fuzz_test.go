//go:build linux

package forwarder

import (
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzDatagramTarget feeds arbitrary strings to the datagram target parser: no panic, and
// whatever is accepted is either a fixed UDP or unixgram address or a name and a port.
func FuzzDatagramTarget(f *testing.F) {
	for _, s := range []string{"127.0.0.1:53", "[::1]:53", "::1:53", "host", "/run/x", "@x", "53", "vsock:2:1", "[", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := parseDatagramTarget(s)
		if err != nil {
			return
		}
		if tg.sa == nil {
			if tg.host == "" || tg.port < 0 || tg.port > 65535 {
				t.Fatalf("%q: host %q port %d", s, tg.host, tg.port)
			}
			return
		}
		if fam := sockaddrFamily(tg.sa); fam != unix.AF_INET && fam != unix.AF_INET6 && fam != unix.AF_UNIX {
			t.Fatalf("%q: family %d", s, fam)
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
