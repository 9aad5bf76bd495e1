//go:build linux

package forwarder

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// A UDP socket bound to a wildcard address receives datagrams sent to any local address; a
// reply must leave from the address the client sent to, or the client drops it. The kernel
// reports that address per datagram (IP_PKTINFO, IPV6_PKTINFO) and takes it back as the source
// of a reply in the same kind of control message.

// enablePktinfo asks for the destination address of each datagram received on fd. Datagrams
// already queued when it is set come without one; their replies leave from the address the
// kernel picks.
func enablePktinfo(fd, family int) error {
	if family == unix.AF_INET {
		return unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
	}
	return unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
}

// parsePktinfo returns the local address a datagram was sent to and the interface it came in
// on, from the control messages received with it; the zero Addr when there is none.
func parsePktinfo(oob []byte) (netip.Addr, int) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return netip.Addr{}, 0
	}
	for _, m := range msgs {
		switch {
		case m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_PKTINFO && len(m.Data) >= unix.SizeofInet4Pktinfo:
			// struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }:
			// ipi_spec_dst is the local address to answer from (for a broadcast it is the
			// interface's address, not the broadcast address in ipi_addr).
			ifindex := int(int32(binary.NativeEndian.Uint32(m.Data[0:4])))
			return netip.AddrFrom4([4]byte(m.Data[4:8])), ifindex
		case m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_PKTINFO && len(m.Data) >= unix.SizeofInet6Pktinfo:
			// struct in6_pktinfo { in6_addr ipi6_addr; int ipi6_ifindex; }; an IPv4 datagram on
			// a dual-stack socket comes as an IPv4-mapped address.
			return netip.AddrFrom16([16]byte(m.Data[0:16])), int(binary.NativeEndian.Uint32(m.Data[16:20]))
		}
	}
	return netip.Addr{}, 0
}

// replyPktinfo returns the control message that makes a reply on a socket of family leave
// from dst, or nil when dst cannot be a source (multicast: the kernel then picks one).
func replyPktinfo(family int, dst netip.Addr, ifindex int) []byte {
	if dst.IsMulticast() || dst.Unmap().IsMulticast() {
		return nil
	}
	if family == unix.AF_INET {
		if !dst.Unmap().Is4() {
			return nil
		}
		return unix.PktInfo4(&unix.Inet4Pktinfo{Spec_dst: dst.Unmap().As4()})
	}
	info := &unix.Inet6Pktinfo{Addr: dst.As16()}
	if dst.IsLinkLocalUnicast() {
		info.Ifindex = uint32(ifindex) // a link-local source is only meaningful on its link
	}
	return unix.PktInfo6(info)
}
