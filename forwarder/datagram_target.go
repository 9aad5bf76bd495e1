//go:build linux

package forwarder

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// datagramTarget is where datagram flows are sent: a UDP host and port or a unixgram socket.
type datagramTarget struct {
	spec string        // as given
	host string        // UDP: host name or address literal (zone allowed); "" for unixgram
	port string        // UDP: port number or service name
	sa   unix.Sockaddr // the resolved address; nil until resolve succeeds (names are resolved once)
}

// parseDatagramTarget reads TARGET the way the stream side does: "/path" or "@abstract" is a
// unixgram socket, "HOST:PORT", "[IPv6]:PORT" or "IPv6:PORT" (split at the last colon) a UDP
// destination, and a HOST alone means port 80.
func parseDatagramTarget(spec string) (*datagramTarget, error) {
	t := &datagramTarget{spec: spec}
	switch {
	case spec == "":
		return nil, errors.New("empty target")
	case spec[0] == '/' || spec[0] == '@':
		if len(spec) >= len(unix.RawSockaddrUnix{}.Path) {
			return nil, fmt.Errorf("target %s: does not fit in an AF_UNIX address", spec)
		}
		t.sa = &unix.SockaddrUnix{Name: spec}
		return t, nil
	case strings.HasPrefix(spec, "vsock:"):
		return nil, fmt.Errorf("target %s: datagram forwarding needs a UDP or unixgram target", spec)
	case spec[0] == '[':
		host, port, err := net.SplitHostPort(spec)
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", spec, err)
		}
		t.host, t.port = host, port
	default:
		i := strings.LastIndexByte(spec, ':')
		if i < 0 {
			t.host, t.port = spec, "80"
		} else {
			t.host, t.port = spec[:i], spec[i+1:]
		}
	}
	if t.host == "" || t.port == "" {
		return nil, fmt.Errorf("target %s: host and port must not be empty", spec)
	}
	return t, nil
}

// resolve returns the target's socket address, looking a UDP host up on first use (IPv4
// first, like Go's resolver for "udp") and keeping the answer.
func (t *datagramTarget) resolve() (unix.Sockaddr, error) {
	if t.sa != nil {
		return t.sa, nil
	}
	a, err := net.ResolveUDPAddr("udp", net.JoinHostPort(t.host, t.port))
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", t.spec, err)
	}
	t.sa = udpSockaddr(a)
	return t.sa, nil
}

// sockaddrFamily returns the address family of a socket address.
func sockaddrFamily(sa unix.Sockaddr) int {
	switch sa.(type) {
	case *unix.SockaddrInet4:
		return unix.AF_INET
	case *unix.SockaddrInet6:
		return unix.AF_INET6
	}
	return unix.AF_UNIX
}

// udpSockaddr converts a resolved UDP address to a socket address of its own family.
func udpSockaddr(a *net.UDPAddr) unix.Sockaddr {
	if ip4 := a.IP.To4(); ip4 != nil && a.Zone == "" {
		return &unix.SockaddrInet4{Port: a.Port, Addr: [4]byte(ip4)}
	}
	sa := &unix.SockaddrInet6{Port: a.Port, Addr: [16]byte(a.IP.To16())}
	if a.Zone != "" {
		if ifi, err := net.InterfaceByName(a.Zone); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		} else if n, err := strconv.ParseUint(a.Zone, 10, 32); err == nil {
			sa.ZoneId = uint32(n)
		}
	}
	return sa
}
