//go:build linux

package listener

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// sockaddr converts a unit address into the kernel's form.
func sockaddr(a *socketunit.Address) (unix.Sockaddr, error) {
	switch a.Family {
	case unix.AF_INET:
		if !a.IP.Is4() {
			return nil, fmt.Errorf("address %s is not IPv4: %w", a.IP, unix.EINVAL)
		}
		return &unix.SockaddrInet4{Port: int(a.Port), Addr: a.IP.As4()}, nil
	case unix.AF_INET6:
		ip := a.IP
		if !ip.IsValid() {
			ip = netip.IPv6Unspecified()
		}
		return &unix.SockaddrInet6{Port: int(a.Port), Addr: ip.As16(), ZoneId: uint32(a.IfIndex)}, nil
	case unix.AF_UNIX:
		// x/sys turns a leading '@' into the abstract namespace's NUL.
		return &unix.SockaddrUnix{Name: a.Path}, nil
	case unix.AF_VSOCK:
		return &unix.SockaddrVM{CID: a.CID, Port: a.VsockPort}, nil
	case unix.AF_NETLINK:
		return &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: a.Groups}, nil
	}
	return nil, fmt.Errorf("address family %d: %w", a.Family, unix.EAFNOSUPPORT)
}

// fromSockaddr converts a kernel address (from getsockname) back into a unit address.
func fromSockaddr(sa unix.Sockaddr) socketunit.Address {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return socketunit.Address{Family: unix.AF_INET, IP: netip.AddrFrom4(sa.Addr), Port: uint16(sa.Port)}
	case *unix.SockaddrInet6:
		return socketunit.Address{Family: unix.AF_INET6, IP: netip.AddrFrom16(sa.Addr), Port: uint16(sa.Port), IfIndex: int(sa.ZoneId)}
	case *unix.SockaddrUnix:
		return socketunit.Address{Family: unix.AF_UNIX, Path: sa.Name}
	case *unix.SockaddrVM:
		return socketunit.Address{Family: unix.AF_VSOCK, CID: sa.CID, VsockPort: sa.Port}
	case *unix.SockaddrNetlink:
		return socketunit.Address{Family: unix.AF_NETLINK, Groups: sa.Groups}
	}
	return socketunit.Address{}
}

// netlinkFamilies names the netlink protocols the way systemd prints them.
var netlinkFamilies = map[int]string{
	unix.NETLINK_ROUTE: "route", unix.NETLINK_USERSOCK: "usersock", unix.NETLINK_FIREWALL: "firewall",
	unix.NETLINK_SOCK_DIAG: "inet-diag", unix.NETLINK_NFLOG: "nflog", unix.NETLINK_XFRM: "xfrm",
	unix.NETLINK_SELINUX: "selinux", unix.NETLINK_ISCSI: "iscsi", unix.NETLINK_AUDIT: "audit",
	unix.NETLINK_FIB_LOOKUP: "fib-lookup", unix.NETLINK_CONNECTOR: "connector",
	unix.NETLINK_NETFILTER: "netfilter", unix.NETLINK_IP6_FW: "ip6-fw", unix.NETLINK_DNRTMSG: "dnrtmsg",
	unix.NETLINK_KOBJECT_UEVENT: "kobject-uevent", unix.NETLINK_GENERIC: "generic",
	unix.NETLINK_SCSITRANSPORT: "scsitransport", unix.NETLINK_ECRYPTFS: "ecryptfs",
	unix.NETLINK_RDMA: "rdma",
}

// formatAddress prints an address as systemd does in its messages (socket_address_print).
func formatAddress(a *socketunit.Address) string {
	switch a.Family {
	case unix.AF_INET:
		return netip.AddrPortFrom(a.IP, a.Port).String()
	case unix.AF_INET6:
		ip := a.IP
		if !ip.IsValid() {
			ip = netip.IPv6Unspecified()
		}
		s := "[" + ip.String()
		if a.IfName != "" {
			s += "%" + a.IfName
		} else if a.IfIndex != 0 {
			s += "%" + strconv.Itoa(a.IfIndex)
		}
		return s + "]:" + strconv.Itoa(int(a.Port))
	case unix.AF_UNIX:
		return a.Path
	case unix.AF_VSOCK:
		return fmt.Sprintf("vsock:%d:%d", a.CID, a.VsockPort)
	case unix.AF_NETLINK:
		n, ok := netlinkFamilies[a.Protocol]
		if !ok {
			n = strconv.Itoa(a.Protocol)
		}
		return fmt.Sprintf("%s %d", n, a.Groups)
	}
	return fmt.Sprintf("family %d", a.Family)
}

// sameAddress reports whether a bound socket's local address (got, from getsockname, with
// family, type and protocol from the kernel) is the unit's address want.
func sameAddress(want, got *socketunit.Address) bool {
	if want.Family != got.Family || want.Type != got.Type {
		return false
	}
	if want.Protocol != 0 && want.Protocol != got.Protocol {
		return false
	}
	switch want.Family {
	case unix.AF_INET, unix.AF_INET6:
		wip := want.IP
		if !wip.IsValid() {
			wip = netip.IPv6Unspecified()
		}
		return want.Port == got.Port && wip == got.IP && (want.IfIndex == 0 || want.IfIndex == got.IfIndex)
	case unix.AF_UNIX:
		return strings.TrimRight(want.Path, "\x00") == strings.TrimRight(got.Path, "\x00")
	case unix.AF_VSOCK:
		return want.CID == got.CID && want.VsockPort == got.VsockPort
	case unix.AF_NETLINK:
		return want.Protocol == got.Protocol && want.Groups == got.Groups
	}
	return false
}
