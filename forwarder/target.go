//go:build linux

package forwarder

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// target is a parsed Config.Target: either fixed addresses (UNIX, vsock, IP literals) or a
// host name resolved while serving, at a fixed port.
type target struct {
	raw   string
	fixed []unix.Sockaddr // when non-empty, the addresses to try in order
	host  string          // otherwise: the name to resolve
	port  int
}

// parseTarget reads a target: /path, @abstract, vsock:CID:PORT, [V6]:PORT, V6:PORT (split at
// the last colon, as systemd-socket-proxyd does), HOST:PORT with PORT a number or a service
// name, or HOST alone for port 80.
func parseTarget(s string) (*target, error) {
	t := &target{raw: s}
	switch {
	case s == "":
		return nil, fmt.Errorf("empty target")
	case s[0] == '/' || s[0] == '@':
		if len(s) > len(unix.RawSockaddrUnix{}.Path) || (s[0] == '/' && len(s) == len(unix.RawSockaddrUnix{}.Path)) {
			return nil, fmt.Errorf("%q does not fit in an AF_UNIX address", s)
		}
		t.fixed = []unix.Sockaddr{&unix.SockaddrUnix{Name: s}}
		return t, nil
	case strings.HasPrefix(s, "vsock:"):
		cid, port, ok := strings.Cut(strings.TrimPrefix(s, "vsock:"), ":")
		c, err1 := strconv.ParseUint(cid, 0, 32)
		p, err2 := strconv.ParseUint(port, 0, 32)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%q: want vsock:CID:PORT", s)
		}
		t.fixed = []unix.Sockaddr{&unix.SockaddrVM{CID: uint32(c), Port: uint32(p)}}
		return t, nil
	}
	host, service := s, "80"
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return nil, fmt.Errorf("%q: missing ]", s)
		}
		host = s[1:end]
		switch rest := s[end+1:]; {
		case rest == "":
		case rest[0] == ':' && len(rest) > 1:
			service = rest[1:]
		default:
			return nil, fmt.Errorf("%q: want [IPV6]:PORT", s)
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, service = s[:i], s[i+1:]
	}
	if host == "" || service == "" {
		return nil, fmt.Errorf("%q: want HOST:PORT", s)
	}
	port, err := net.LookupPort("tcp", service)
	if err != nil {
		return nil, fmt.Errorf("%q: unknown port %q", s, service)
	}
	t.port = port
	if ip, err := netip.ParseAddr(host); err == nil {
		t.fixed = []unix.Sockaddr{ipSockaddr(ip, port)}
		return t, nil
	}
	t.host = host
	return t, nil
}

// ipSockaddr converts an address and port to a socket address (IPv4-mapped addresses stay
// IPv6, zones become the scope id).
func ipSockaddr(ip netip.Addr, port int) unix.Sockaddr {
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: port, Addr: ip.As4()}
	}
	sa := &unix.SockaddrInet6{Port: port, Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		} else if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.ZoneId = uint32(n)
		}
	}
	return sa
}

// sockaddrFamily is the address family of sa.
func sockaddrFamily(sa unix.Sockaddr) int {
	switch sa.(type) {
	case *unix.SockaddrInet4:
		return unix.AF_INET
	case *unix.SockaddrInet6:
		return unix.AF_INET6
	case *unix.SockaddrUnix:
		return unix.AF_UNIX
	case *unix.SockaddrVM:
		return unix.AF_VSOCK
	}
	return unix.AF_UNSPEC
}

// sockaddrString prints sa for logs.
func sockaddrString(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrUnix:
		if a.Name == "" {
			return "unix:(unnamed)"
		}
		return a.Name
	case *unix.SockaddrVM:
		return fmt.Sprintf("vsock:%d:%d", a.CID, a.Port)
	case nil:
		return "?"
	}
	return fmt.Sprintf("%T", sa)
}

// netAddr converts sa to a net.Addr for the PROXY protocol header.
func netAddr(sa unix.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)))
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr)
		if ip.Is4In6() {
			ip = ip.Unmap()
		}
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(a.Port)))
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return nil
}
