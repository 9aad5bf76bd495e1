package socketunit

import (
	"errors"
	"net/netip"
)

// Address is a parsed socket address, as systemd's socket_address_parse (and, for netlink,
// socket_address_parse_netlink) produce it. Which fields are meaningful depends on Family.
type Address struct {
	Family   int // unix.AF_INET, AF_INET6, AF_UNIX, AF_VSOCK or AF_NETLINK
	Type     int // unix.SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW; 0 until a Listen key forces it
	Protocol int // AF_INET/AF_INET6: SocketProtocol= (0 = default); AF_NETLINK: the netlink family

	IP      netip.Addr // AF_INET, AF_INET6 (never carries a zone; see IfIndex)
	Port    uint16     // AF_INET, AF_INET6
	IfIndex int        // AF_INET6 scope (the %dev suffix), 0 = none
	IfName  string     // the %dev suffix as written, for printing

	Path string // AF_UNIX: "/path", or "@name" for an abstract socket ('@' stands for the leading NUL)

	CID       uint32 // AF_VSOCK context id (VMADDR_CID_ANY = 0xFFFFFFFF)
	VsockPort uint32 // AF_VSOCK port

	Groups uint32 // AF_NETLINK multicast groups
}

// ParseAddress parses a socket address the way systemd's socket_address_parse does: a UNIX path,
// an abstract name, vsock:CID:PORT, a port alone, IPv4:PORT or [IPv6]:PORT%DEV. The returned
// Type is 0. Errors wrap syscall.EINVAL, ERANGE, ENODEV or ENAMETOOLONG as systemd's do.
func ParseAddress(s string) (Address, error) {
	return Address{}, errors.ErrUnsupported // implemented by the value-grammar work of issue 2
}
