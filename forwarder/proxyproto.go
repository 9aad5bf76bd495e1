package forwarder

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// The PROXY protocol (haproxy's proxy-protocol.txt) tells the backend who the client is: a
// header sent on the backend connection before any client byte. Version 1 is one text line,
// version 2 a binary block. Both are built here; the stream core writes the bytes.

// proxyUnknownWarning is what the caller logs when proxyHeaderFallback reports true; the v1
// wording follows systemd-socket-proxyd v260.
const proxyUnknownWarning = "Only TCP (and, in version 2, UDP) on IPv4 and IPv6 are supported, reporting fallback proxy data (v1 'UNKNOWN', v2 'LOCAL')."

// proxyV2Signature opens every version 2 header.
var proxyV2Signature = [12]byte{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A}

// Version 2 values: ver_cmd (byte 12: version 2 in the high nibble, the command in the low
// one) and fam (byte 13: address family in the high nibble, transport in the low one).
const (
	proxyV2Local = 0x20
	proxyV2Proxy = 0x21

	proxyV2Unspec = 0x00
	proxyV2TCP4   = 0x11
	proxyV2UDP4   = 0x12
	proxyV2TCP6   = 0x21
	proxyV2UDP6   = 0x22

	proxyV2HeaderLen = 16 // signature, ver_cmd, fam, len
)

// proxyHeader returns the PROXY protocol header (version 1 or 2) describing a connection from
// src (the client) to dst (the local address it connected to). Version 1 describes TCP over
// IPv4 and IPv6, version 2 also UDP (the header then goes in front of each datagram).
// Everything else gets the version's fallback: "PROXY UNKNOWN\r\n" for version 1, a LOCAL
// command with an unspecified family for version 2. Version 2 has codes for UNIX sockets, but
// haproxy 2.6 resets a connection whose header uses them, so UNIX clients get LOCAL too (as
// haproxy's own send-proxy-v2 does). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is described
// as IPv4 when both ends are IPv4. The only error is an unknown version.
func proxyHeader(version int, src, dst net.Addr) ([]byte, error) {
	switch version {
	case 1:
		return proxyHeaderV1(src, dst), nil
	case 2:
		return proxyHeaderV2(src, dst), nil
	}
	return nil, fmt.Errorf("PROXY protocol version %d: only 1 and 2 exist", version)
}

// proxyHeaderFallback reports whether proxyHeader(version, src, dst) sends the fallback
// (UNKNOWN or LOCAL) instead of the addresses.
func proxyHeaderFallback(version int, src, dst net.Addr) bool {
	switch version {
	case 1:
		_, _, ok := proxyIPPair(src, dst, false)
		return !ok
	case 2:
		fam, _ := proxyV2Addresses(src, dst)
		return fam == proxyV2Unspec
	}
	return false
}

// proxyHeaderV1 builds "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN\r\n".
func proxyHeaderV1(src, dst net.Addr) []byte {
	s, d, ok := proxyIPPair(src, dst, false)
	if !ok {
		return []byte("PROXY UNKNOWN\r\n")
	}
	fam := "TCP6"
	if s.Addr().Is4() {
		fam = "TCP4"
	}
	b := make([]byte, 0, 104) // the spec's maximum line length, CRLF included
	b = append(b, "PROXY "...)
	b = append(b, fam...)
	b = append(b, ' ')
	b = s.Addr().AppendTo(b)
	b = append(b, ' ')
	b = d.Addr().AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(s.Port()), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(d.Port()), 10)
	return append(b, '\r', '\n')
}

// proxyHeaderV2 builds the binary header: signature, command, family, length, addresses.
func proxyHeaderV2(src, dst net.Addr) []byte {
	fam, body := proxyV2Addresses(src, dst)
	cmd := byte(proxyV2Proxy)
	if fam == proxyV2Unspec {
		cmd = proxyV2Local
	}
	b := make([]byte, proxyV2HeaderLen, proxyV2HeaderLen+len(body))
	copy(b, proxyV2Signature[:])
	b[12] = cmd
	b[13] = fam
	binary.BigEndian.PutUint16(b[14:16], uint16(len(body)))
	return append(b, body...)
}

// proxyV2Addresses returns the version 2 family byte and address block for src and dst, or
// proxyV2Unspec and nothing when they cannot be described.
func proxyV2Addresses(src, dst net.Addr) (byte, []byte) {
	s, d, ok := proxyIPPair(src, dst, true)
	if !ok {
		return proxyV2Unspec, nil
	}
	fam := byte(proxyV2TCP6)
	if s.Addr().Is4() {
		fam = proxyV2TCP4
	}
	if proxyIsUDP(src) {
		fam++ // each family's DGRAM code follows its STREAM code
	}
	body := make([]byte, 0, 36)
	body = append(body, s.Addr().AsSlice()...)
	body = append(body, d.Addr().AsSlice()...)
	body = binary.BigEndian.AppendUint16(body, s.Port())
	body = binary.BigEndian.AppendUint16(body, d.Port())
	return fam, body
}

// proxyIPPair returns src and dst as IP address/port pairs of one family: both IPv4 (IPv4-mapped
// IPv6 unmapped) or both IPv6 (a lone IPv4 end mapped). Version 1 knows TCP only (udpOK false).
func proxyIPPair(src, dst net.Addr, udpOK bool) (netip.AddrPort, netip.AddrPort, bool) {
	s, sok := proxyIPAddr(src, udpOK)
	d, dok := proxyIPAddr(dst, udpOK)
	if !sok || !dok || proxyIsUDP(src) != proxyIsUDP(dst) {
		return s, d, false
	}
	s = netip.AddrPortFrom(s.Addr().Unmap().WithZone(""), s.Port())
	d = netip.AddrPortFrom(d.Addr().Unmap().WithZone(""), d.Port())
	if s.Addr().Is4() != d.Addr().Is4() {
		s = netip.AddrPortFrom(proxyAs6(s.Addr()), s.Port())
		d = netip.AddrPortFrom(proxyAs6(d.Addr()), d.Port())
	}
	return s, d, true
}

// proxyAs6 returns a as an IPv6 address, mapping IPv4 into ::ffff:0:0/96.
func proxyAs6(a netip.Addr) netip.Addr { return netip.AddrFrom16(a.As16()) }

// proxyIPAddr returns the address and port of a TCP (or, with udpOK, UDP) address.
func proxyIPAddr(a net.Addr, udpOK bool) (netip.AddrPort, bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		if a != nil {
			return proxyAddrPort(a.IP, a.Port)
		}
	case *net.UDPAddr:
		if a != nil && udpOK {
			return proxyAddrPort(a.IP, a.Port)
		}
	}
	return netip.AddrPort{}, false
}

func proxyAddrPort(ip net.IP, port int) (netip.AddrPort, bool) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok || port < 0 || port > 65535 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, uint16(port)), true
}

func proxyIsUDP(a net.Addr) bool {
	_, ok := a.(*net.UDPAddr)
	return ok
}
