//go:build linux

package listener

import (
	"fmt"
	"net/netip"

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

// sameAddress reports whether a bound socket's local address (got, from getsockname, with
// family, type and protocol from the kernel) is the unit's address want: socketunit's Equal,
// and the same IP protocol where SocketProtocol= chose one.
func sameAddress(want, got *socketunit.Address) bool {
	w := *want
	if w.Family == unix.AF_INET6 && !w.IP.IsValid() {
		w.IP = netip.IPv6Unspecified()
	}
	if isInet(&w) && w.Protocol != 0 && w.Protocol != got.Protocol {
		return false
	}
	return w.Equal(*got)
}
