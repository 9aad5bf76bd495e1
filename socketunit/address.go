//go:build linux

package socketunit

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
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

// sunPathMax is sizeof(sockaddr_un.sun_path).
const sunPathMax = 108

// vsockPrefixes are the vsock address prefixes: "vsock:" (every version, type left 0) and the
// typed ones systemd accepts since v254.
var vsockPrefixes = [...]struct {
	prefix string
	typ    int
}{
	{"vsock:", 0},
	{"vsock-stream:", unix.SOCK_STREAM},
	{"vsock-dgram:", unix.SOCK_DGRAM},
	{"vsock-seqpacket:", unix.SOCK_SEQPACKET},
}

// vsockCIDNames are the CID names systemd accepts since v256.
var vsockCIDNames = map[string]uint32{"hypervisor": 0, "local": 1, "host": 2}

// addrError wraps an errno with the address it came from.
func addrError(s string, err error) error {
	return fmt.Errorf("parse address %q: %w", s, err)
}

// ParseAddress parses a socket address the way systemd's socket_address_parse does: a UNIX
// path ("/run/x.sk", at most 107 bytes), an abstract name ("@name"), vsock:CID:PORT, a port alone
// ([::]:PORT when the kernel has IPv6, else 0.0.0.0:PORT), IPv4:PORT or [IPv6]:PORT%DEV. Ports
// and vsock numbers are base-auto (0x50, 010, 0b1). Host names are never resolved.
//
// Beyond systemd 252 it also accepts the vsock forms of later versions: the typed prefixes
// vsock-stream:, vsock-dgram: and vsock-seqpacket: (v254; they set Type) and the CID names
// hypervisor, local and host (v256). Otherwise the returned Type is 0.
//
// Errors wrap syscall.EINVAL, ERANGE (a port beyond 65535), ENODEV (an unknown %DEV) or
// ENAMETOOLONG (a path beyond 107 bytes) as systemd's do.
func ParseAddress(s string) (Address, error) {
	a, err := parseAddress(s)
	if err != nil {
		return Address{}, addrError(s, err)
	}
	return a, nil
}

func parseAddress(s string) (Address, error) {
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, "@") {
		return parseUnixAddress(s)
	}
	for _, v := range vsockPrefixes {
		if rest, ok := strings.CutPrefix(s, v.prefix); ok {
			a, err := parseVsockAddress(rest)
			a.Type = v.typ
			return a, err
		}
	}
	port, err := parseIPPort(s)
	if err == syscall.ERANGE {
		return Address{}, err // a port, but too large
	}
	if err == nil {
		if IPv6Supported() {
			return Address{Family: unix.AF_INET6, IP: netip.IPv6Unspecified(), Port: port}, nil
		}
		return Address{Family: unix.AF_INET, IP: netip.IPv4Unspecified(), Port: port}, nil
	}
	a, err := parseIPPortIfindex(s)
	if err != nil {
		return Address{}, err
	}
	if a.Port == 0 {
		return Address{}, syscall.EINVAL // no port, no go
	}
	if a.Family == unix.AF_INET {
		a.IfIndex, a.IfName = 0, "" // systemd drops the scope of an IPv4 address silently
	}
	return a, nil
}

// parseUnixAddress is sockaddr_un_set_path: "/path" or "@abstract", 2 to 107 bytes, verbatim.
func parseUnixAddress(s string) (Address, error) {
	if len(s) < 2 {
		return Address{}, syscall.EINVAL
	}
	if len(s)+1 > sunPathMax {
		if s[0] == '@' {
			return Address{}, syscall.EINVAL
		}
		return Address{}, syscall.ENAMETOOLONG
	}
	return Address{Family: unix.AF_UNIX, Path: s}, nil
}

// parseVsockAddress parses "CID:PORT" after the vsock prefix; an empty CID is VMADDR_CID_ANY.
func parseVsockAddress(s string) (Address, error) {
	cidText, portText, ok := strings.Cut(s, ":")
	if !ok {
		return Address{}, syscall.EINVAL
	}
	port, err := safeAtou32(portText)
	if err != nil {
		return Address{}, err
	}
	cid := uint32(unix.VMADDR_CID_ANY)
	if cidText != "" {
		if v, named := vsockCIDNames[cidText]; named {
			cid = v
		} else if cid, err = safeAtou32(cidText); err != nil {
			return Address{}, err
		}
	}
	return Address{Family: unix.AF_VSOCK, CID: cid, VsockPort: port}, nil
}

// safeAtou32 is safe_atou returning the bare errno.
func safeAtou32(s string) (uint32, error) {
	v, err := safeAtoull(s, 0, 0)
	if err == nil && v > 1<<32-1 {
		err = syscall.ERANGE
	}
	return uint32(v), err
}

// IPv6Supported reports whether the kernel has IPv6 (socket_ipv6_is_supported). systemd drops a
// Listen*= IPv6 address with EAFNOSUPPORT when it does not.
func IPv6Supported() bool {
	_, err := os.Stat("/proc/net/if_inet6")
	return err == nil
}

// parseIPPortIfindex is in_addr_port_ifindex_name_from_string_auto without server names:
// IPv4[:PORT], IPv6, [IPv6]:PORT, each optionally followed by %DEV.
func parseIPPortIfindex(s string) (Address, error) {
	if strings.Contains(s, "#") {
		return Address{}, syscall.EINVAL
	}
	var a Address
	if host, dev, ok := strings.Cut(s, "%"); ok {
		if !ifnameValidFull(dev, ifnameAlternative|ifnameNumeric) {
			return Address{}, syscall.EINVAL
		}
		idx, err := resolveInterface(dev)
		if err != nil {
			return Address{}, err
		}
		a.IfIndex, a.IfName = idx, dev
		s = host
	}
	colon := strings.LastIndexByte(s, ':')
	switch {
	case colon >= 0 && s[0] == '[':
		if colon == 0 || s[colon-1] != ']' {
			return Address{}, syscall.EINVAL
		}
		port, err := parseIPPort(s[colon+1:])
		if err != nil {
			return Address{}, err
		}
		ip, err := parseIP6(s[1 : colon-1])
		if err != nil {
			return Address{}, err
		}
		a.Family, a.IP, a.Port = unix.AF_INET6, ip, port
	case colon >= 0:
		if ip, err := parseIP6(s); err == nil {
			a.Family, a.IP = unix.AF_INET6, ip
			break
		}
		ip, err := parseIP4(s[:colon])
		if err != nil {
			return Address{}, err
		}
		port, err := parseIPPort(s[colon+1:])
		if err != nil {
			return Address{}, err
		}
		a.Family, a.IP, a.Port = unix.AF_INET, ip, port
	default:
		ip, err := parseIP4(s)
		if err != nil {
			return Address{}, err
		}
		a.Family, a.IP = unix.AF_INET, ip
	}
	return a, nil
}

// parseIP4 is inet_pton(AF_INET): exactly four decimal octets without leading zeros.
func parseIP4(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.Is4() {
		return netip.Addr{}, syscall.EINVAL
	}
	return ip, nil
}

// parseIP6 is inet_pton(AF_INET6): an IPv6 literal without zone.
func parseIP6(s string) (netip.Addr, error) {
	if strings.Contains(s, "%") {
		return netip.Addr{}, syscall.EINVAL
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.Is6() {
		return netip.Addr{}, syscall.EINVAL
	}
	return ip, nil
}

// resolveInterface is rtnl_resolve_interface: a positive number is taken as the index as is, a
// name is looked up; an unknown name is ENODEV.
func resolveInterface(dev string) (int, error) {
	if idx, ok := parseIfindex(dev); ok {
		return idx, nil
	}
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		return 0, syscall.ENODEV
	}
	return ifi.Index, nil
}

// CanAccept reports whether connections can be accepted on the address (SOCK_STREAM or
// SOCK_SEQPACKET), systemd's socket_address_can_accept.
func (a Address) CanAccept() bool {
	return a.Type == unix.SOCK_STREAM || a.Type == unix.SOCK_SEQPACKET
}

// String prints the address as systemd's socket_address_print: "1.2.3.4:80",
// "[::1]:80%lo", "/run/x.sk", "@abstract" (C-escaped), "vsock:2:1234", "vsock::1234" (any CID),
// "route 10".
func (a Address) String() string {
	switch a.Family {
	case unix.AF_INET:
		return fmt.Sprintf("%s:%d", a.IP, a.Port)
	case unix.AF_INET6:
		s := fmt.Sprintf("[%s]:%d", formatIP6(a.IP), a.Port)
		if a.IfIndex != 0 {
			s += "%" + a.ifname()
		}
		return s
	case unix.AF_UNIX:
		if len(a.Path) < 1 {
			return "<unnamed>"
		}
		if a.Path[0] == '@' {
			return "@" + cEscape(a.Path[1:])
		}
		return cEscape(a.Path)
	case unix.AF_VSOCK:
		if a.CID == unix.VMADDR_CID_ANY {
			return fmt.Sprintf("vsock::%d", a.VsockPort)
		}
		return fmt.Sprintf("vsock:%d:%d", a.CID, a.VsockPort)
	case unix.AF_NETLINK:
		return fmt.Sprintf("%s %d", netlinkFamilyName(a.Protocol), a.Groups)
	}
	return fmt.Sprintf("<family %d>", a.Family)
}

// ifname names the scope interface as systemd prints it: the current name of the index, else the
// name as written, else the number.
func (a Address) ifname() string {
	if ifi, err := net.InterfaceByIndex(a.IfIndex); err == nil {
		return ifi.Name
	}
	if a.IfName != "" && !allDigits(a.IfName) {
		return a.IfName
	}
	return strconv.Itoa(a.IfIndex)
}

// formatIP6 is inet_ntop(AF_INET6): like netip's form, except that IPv4-compatible addresses
// (::a.b.c.d, first 96 bits zero, not :: or ::1-style) keep the dotted tail as glibc prints them.
func formatIP6(ip netip.Addr) string {
	b := ip.As16()
	zero := true
	for _, x := range b[:12] {
		zero = zero && x == 0
	}
	if zero && (b[12] != 0 || b[13] != 0) {
		return fmt.Sprintf("::%d.%d.%d.%d", b[12], b[13], b[14], b[15])
	}
	return ip.String()
}

// Equal reports whether two addresses are the same socket, as systemd's socket_address_equal:
// the types must match; IPv6 ignores the scope; UNIX paths compare as paths (or the same inode),
// abstract names byte for byte.
func (a Address) Equal(b Address) bool {
	if a.Type != b.Type || a.Family != b.Family {
		return false
	}
	switch a.Family {
	case unix.AF_INET, unix.AF_INET6:
		return a.IP == b.IP && a.Port == b.Port
	case unix.AF_UNIX:
		if a.Path == "" || b.Path == "" {
			return false
		}
		if (a.Path[0] == '@') != (b.Path[0] == '@') {
			return false
		}
		if a.Path[0] == '@' {
			return a.Path == b.Path
		}
		return pathEqualOrInodeSame(a.Path, b.Path)
	case unix.AF_NETLINK:
		return a.Protocol == b.Protocol && a.Groups == b.Groups
	case unix.AF_VSOCK:
		return a.CID == b.CID && a.VsockPort == b.VsockPort
	}
	return false
}

// pathEqualOrInodeSame is path_equal_or_inode_same: equal paths, or two names of one file.
func pathEqualOrInodeSame(a, b string) bool {
	if pathEqual(a, b) {
		return true
	}
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
