package forwarder

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func tcp(s string) *net.TCPAddr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
func udp(s string) *net.UDPAddr { return net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

// v2 builds a version 2 header from hex, signature included.
func v2(h string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		panic(err)
	}
	return append(proxyV2Signature[:], b...)
}

func TestProxyHeaderV1(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src, dst net.Addr
		want     string
		fallback bool
	}{
		// The examples of haproxy's proxy-protocol.txt, section 2.1.
		{"spec tcp4", tcp("192.168.0.1:56324"), tcp("192.168.0.11:443"), "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", false},
		{"spec longest tcp4", tcp("255.255.255.255:65535"), tcp("255.255.255.255:65535"), "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", false},
		{"spec longest tcp6", tcp("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), tcp("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
			"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", false},
		{"tcp6 loopback", tcp("[::1]:40000"), tcp("[::1]:8080"), "PROXY TCP6 ::1 ::1 40000 8080\r\n", false},
		{"zone dropped", tcp("[fe80::1%lo]:1"), tcp("[fe80::2%lo]:2"), "PROXY TCP6 fe80::1 fe80::2 1 2\r\n", false},
		{"v4-mapped both ends is TCP4", tcp("[::ffff:10.0.0.1]:5000"), tcp("[::ffff:10.0.0.2]:80"), "PROXY TCP4 10.0.0.1 10.0.0.2 5000 80\r\n", false},
		{"mixed families mapped into TCP6", tcp("10.0.0.1:5000"), tcp("[2001:db8::1]:80"), "PROXY TCP6 ::ffff:10.0.0.1 2001:db8::1 5000 80\r\n", false},
		{"unix client", &net.UnixAddr{Name: "", Net: "unix"}, &net.UnixAddr{Name: "/run/x.sock", Net: "unix"}, "PROXY UNKNOWN\r\n", true},
		{"udp is not v1", udp("10.0.0.1:53"), udp("10.0.0.2:53"), "PROXY UNKNOWN\r\n", true},
		{"nil", nil, nil, "PROXY UNKNOWN\r\n", true},
		{"typed nil", (*net.TCPAddr)(nil), tcp("10.0.0.2:80"), "PROXY UNKNOWN\r\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := proxyHeader(1, tc.src, tc.dst)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("proxyHeader(1) = %q, want %q", got, tc.want)
			}
			if len(got) > 107 {
				t.Errorf("header is %d bytes, the spec allows 107", len(got))
			}
			if fb := proxyHeaderFallback(1, tc.src, tc.dst); fb != tc.fallback {
				t.Errorf("proxyHeaderFallback = %v, want %v", fb, tc.fallback)
			}
		})
	}
}

func TestProxyHeaderV2(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src, dst net.Addr
		want     []byte
	}{
		{"tcp4", tcp("192.168.0.1:56324"), tcp("192.168.0.11:443"),
			v2("21 11 000c c0a80001 c0a8000b dc04 01bb")},
		{"udp4", udp("127.0.0.1:5353"), udp("127.0.0.2:53"),
			v2("21 12 000c 7f000001 7f000002 14e9 0035")},
		{"tcp6", tcp("[2001:db8::1]:1"), tcp("[::1]:2"),
			v2("21 21 0024 20010db8000000000000000000000001 00000000000000000000000000000001 0001 0002")},
		{"udp6", udp("[::1]:65535"), udp("[::1]:0"),
			v2("21 22 0024 00000000000000000000000000000001 00000000000000000000000000000001 ffff 0000")},
		{"v4-mapped is tcp4", tcp("[::ffff:1.2.3.4]:7"), tcp("5.6.7.8:9"),
			v2("21 11 000c 01020304 05060708 0007 0009")},
		{"unix stream is LOCAL", &net.UnixAddr{Name: "", Net: "unix"}, &net.UnixAddr{Name: "/s", Net: "unix"}, v2("20 00 0000")},
		{"unix dgram is LOCAL", &net.UnixAddr{Name: "@c", Net: "unixgram"}, &net.UnixAddr{Name: "@s", Net: "unixgram"}, v2("20 00 0000")},
		{"udp to unix is LOCAL", udp("1.2.3.4:1"), &net.UnixAddr{Name: "/s", Net: "unixgram"}, v2("20 00 0000")},
		{"tcp to udp is LOCAL", tcp("1.2.3.4:1"), udp("1.2.3.4:2"), v2("20 00 0000")},
		{"tcp to unix is LOCAL", tcp("1.2.3.4:1"), &net.UnixAddr{Name: "/s", Net: "unix"}, v2("20 00 0000")},
		{"nil is LOCAL", nil, nil, v2("20 00 0000")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := proxyHeader(2, tc.src, tc.dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("proxyHeader(2) =\n%x\nwant\n%x", got, tc.want)
			}
			local := tc.want[12] == proxyV2Local
			if fb := proxyHeaderFallback(2, tc.src, tc.dst); fb != local {
				t.Errorf("proxyHeaderFallback = %v, want %v", fb, local)
			}
		})
	}
}

func TestProxyHeaderBadVersion(t *testing.T) {
	for _, v := range []int{0, 3, -1} {
		if b, err := proxyHeader(v, tcp("1.2.3.4:1"), tcp("1.2.3.4:2")); err == nil || b != nil {
			t.Errorf("proxyHeader(%d) = %q, %v; want an error", v, b, err)
		}
	}
}

// parsedProxy is what the test-side parser reads from a header.
type parsedProxy struct {
	local    bool   // v2 LOCAL or v1 UNKNOWN
	proto    string // "TCP4", "TCP6", "UDP4", "UDP6" or "" for fallbacks
	src, dst string // "addr:port"
	n        int    // bytes the header took
}

// parseProxy reads a PROXY header (either version) from the start of b, following the spec
// independently of the builder.
func parseProxy(b []byte) (parsedProxy, error) {
	if bytes.HasPrefix(b, proxyV2Signature[:]) {
		return parseProxyV2(b)
	}
	if !bytes.HasPrefix(b, []byte("PROXY ")) {
		return parsedProxy{}, errors.New("no PROXY signature")
	}
	end := bytes.Index(b, []byte("\r\n"))
	if end < 0 || end+2 > 107 {
		return parsedProxy{}, errors.New("v1: no CRLF within 107 bytes")
	}
	f := strings.Split(string(b[6:end]), " ")
	if f[0] == "UNKNOWN" {
		return parsedProxy{local: true, n: end + 2}, nil
	}
	if len(f) != 5 || (f[0] != "TCP4" && f[0] != "TCP6") {
		return parsedProxy{}, fmt.Errorf("v1: bad line %q", b[:end])
	}
	var ap [2]netip.AddrPort
	for i := range 2 {
		a, err := netip.ParseAddr(f[1+i])
		if err != nil || a.Is4() != (f[0] == "TCP4") || a.Zone() != "" {
			return parsedProxy{}, fmt.Errorf("v1: bad address %q", f[1+i])
		}
		p, err := strconv.ParseUint(f[3+i], 10, 16)
		if err != nil || (len(f[3+i]) > 1 && f[3+i][0] == '0') {
			return parsedProxy{}, fmt.Errorf("v1: bad port %q", f[3+i])
		}
		ap[i] = netip.AddrPortFrom(a, uint16(p))
	}
	return parsedProxy{proto: f[0], src: ap[0].String(), dst: ap[1].String(), n: end + 2}, nil
}

func parseProxyV2(b []byte) (parsedProxy, error) {
	if len(b) < 16 {
		return parsedProxy{}, errors.New("v2: short header")
	}
	n := int(binary.BigEndian.Uint16(b[14:16]))
	if len(b) < 16+n {
		return parsedProxy{}, errors.New("v2: length field beyond the data")
	}
	body := b[16 : 16+n]
	p := parsedProxy{n: 16 + n}
	switch b[12] {
	case 0x20:
		p.local = true
		if b[13] != 0 || n != 0 {
			return p, errors.New("v2: LOCAL with addresses (the builder never sends that)")
		}
		return p, nil
	case 0x21:
	default:
		return p, fmt.Errorf("v2: bad version/command %#x", b[12])
	}
	ipPair := func(size int) error {
		if n != 2*size+4 {
			return fmt.Errorf("v2: length %d for a %d-byte family", n, size)
		}
		s, _ := netip.AddrFromSlice(body[:size])
		d, _ := netip.AddrFromSlice(body[size : 2*size])
		p.src = netip.AddrPortFrom(s, binary.BigEndian.Uint16(body[2*size:])).String()
		p.dst = netip.AddrPortFrom(d, binary.BigEndian.Uint16(body[2*size+2:])).String()
		return nil
	}
	var err error
	switch b[13] {
	case 0x11, 0x12:
		p.proto = map[byte]string{0x11: "TCP4", 0x12: "UDP4"}[b[13]]
		err = ipPair(4)
	case 0x21, 0x22:
		p.proto = map[byte]string{0x21: "TCP6", 0x22: "UDP6"}[b[13]]
		err = ipPair(16)
	default:
		return p, fmt.Errorf("v2: PROXY with family %#x", b[13])
	}
	return p, err
}

// FuzzProxyHeader builds headers from arbitrary addresses and checks the invariants: the
// header parses, its length field covers exactly the body, the addresses come back, and only
// the documented fallbacks lose them.
func FuzzProxyHeader(f *testing.F) {
	f.Add(uint8(1), uint8(0), []byte{192, 168, 0, 1}, []byte{192, 168, 0, 11}, uint16(56324), uint16(443), "", "")
	f.Add(uint8(2), uint8(1), []byte(net.ParseIP("::1")), []byte(net.ParseIP("::ffff:1.2.3.4")), uint16(1), uint16(2), "", "")
	f.Add(uint8(2), uint8(2), []byte{}, []byte{}, uint16(0), uint16(0), "@abs", "/run/x")
	f.Add(uint8(2), uint8(1), []byte{10, 0, 0, 1}, []byte{10, 0, 0, 2}, uint16(53), uint16(53), "", "")
	f.Add(uint8(1), uint8(3), []byte{1, 2, 3, 4}, []byte{}, uint16(9), uint16(9), "", "/p")
	f.Fuzz(func(t *testing.T, version, kind uint8, sip, dip []byte, sport, dport uint16, sname, dname string) {
		v := int(version%2) + 1
		var src, dst net.Addr
		switch kind % 4 {
		case 0:
			src, dst = &net.TCPAddr{IP: sip, Port: int(sport)}, &net.TCPAddr{IP: dip, Port: int(dport)}
		case 1:
			src, dst = &net.UDPAddr{IP: sip, Port: int(sport)}, &net.UDPAddr{IP: dip, Port: int(dport)}
		case 2:
			src, dst = &net.UnixAddr{Name: sname, Net: "unixgram"}, &net.UnixAddr{Name: dname, Net: "unixgram"}
		case 3:
			src, dst = &net.TCPAddr{IP: sip, Port: int(sport)}, &net.UnixAddr{Name: dname, Net: "unix"}
		}
		h, err := proxyHeader(v, src, dst)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parseProxy(h)
		if err != nil {
			t.Fatalf("%x: %v", h, err)
		}
		if p.n != len(h) {
			t.Fatalf("parser took %d bytes of a %d-byte header", p.n, len(h))
		}
		if p.local != proxyHeaderFallback(v, src, dst) {
			t.Fatalf("local=%v but proxyHeaderFallback=%v", p.local, !p.local)
		}
		if p.local {
			return
		}
		switch kind % 4 {
		case 0, 1:
			s, _ := netip.AddrFromSlice(sip)
			d, _ := netip.AddrFromSlice(dip)
			if got := netip.MustParseAddrPort(p.src); got.Port() != sport || got.Addr().Unmap() != s.Unmap() {
				t.Fatalf("src %s, want %s port %d", p.src, s, sport)
			}
			if got := netip.MustParseAddrPort(p.dst); got.Port() != dport || got.Addr().Unmap() != d.Unmap() {
				t.Fatalf("dst %s, want %s port %d", p.dst, d, dport)
			}
		case 2, 3:
			t.Fatal("UNIX addresses must fall back")
		}
	})
}
