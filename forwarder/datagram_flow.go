//go:build linux

package forwarder

import (
	"container/list"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// flowKey identifies a client of a datagram socket.
type flowKey struct {
	ip   netip.AddrPort // UDP clients
	name string         // unixgram clients; "" for unbound ones, which all share one flow
}

// datagramFlow is one client's conversation with the backend, over a backend socket of its own.
type datagramFlow struct {
	key      flowKey
	client   unix.Sockaddr // where replies go; nil for an unbound unixgram client (no reply possible)
	dst      netip.Addr    // where the client's datagrams went, when the socket is wildcard-bound
	ifindex  int           // the interface they came in on (with dst)
	replyOOB []byte        // IP_PKTINFO / IPV6_PKTINFO control message that makes replies leave from dst
	header   []byte        // PROXY v2 header put in front of each datagram, nil when off
	fd       int           // backend socket, connected to the target
	elem     *list.Element // in datagramServer.lru

	start, last time.Time
	in, out     flowCount // client→backend, backend→client
	dropped     int       // datagrams lost: buffers full, backend refusing, reply impossible
}

// flowCount counts the datagrams and bytes of one direction of a flow.
type flowCount struct{ packets, bytes int }

// add counts one datagram of n bytes.
func (c *flowCount) add(n int) { c.packets++; c.bytes += n }

// fromClients forwards what the clients sent, opening flows for new clients.
func (s *datagramServer) fromClients(now time.Time) {
	for range datagramBurst {
		payload := s.buf[datagramHeadroom:]
		n, oobn, flags, from, err := unix.Recvmsg(s.lfd, payload, s.oob, 0)
		if err != nil {
			if !transient(err) {
				s.warnThrottled(now, "Failed to receive datagram", "err", err)
			}
			return
		}
		if flags&unix.MSG_TRUNC != 0 {
			s.log.Debug("datagram too large, dropped", "client", sockaddrString(from))
			continue
		}
		key, client := s.clientKey(from)
		fl := s.flows[key]
		if fl == nil {
			if fl = s.newFlow(key, client, now); fl == nil {
				continue
			}
		}
		if s.pktinfo {
			s.setDestination(fl, s.oob[:oobn])
		}
		s.touch(fl, now)
		s.toBackend(fl, n)
	}
}

// toBackend sends the n payload bytes at s.buf[datagramHeadroom:] to the flow's backend socket,
// preceded by the flow's PROXY header.
func (s *datagramServer) toBackend(fl *datagramFlow, n int) {
	start := datagramHeadroom - len(fl.header)
	copy(s.buf[start:], fl.header)
	b := s.buf[start : datagramHeadroom+n]
	_, err := unix.Write(fl.fd, b)
	if errors.Is(err, unix.ECONNREFUSED) || errors.Is(err, unix.ENOTCONN) || errors.Is(err, unix.ECONNRESET) {
		// A UDP backend refused an earlier datagram (the error is reported once), or a unixgram
		// backend went away and may be back under the same name: connect again, send again.
		if sa, rerr := s.target.resolve(time.Now()); rerr == nil {
			unix.Connect(fl.fd, sa)
		}
		_, err = unix.Write(fl.fd, b)
	}
	if err != nil {
		fl.dropped++
		s.log.Debug("datagram to backend dropped", "client", s.clientString(fl), "target", s.target.spec, "err", err)
		return
	}
	fl.in.add(n)
}

// fromBackend sends the backend's replies of one flow back to its client.
func (s *datagramServer) fromBackend(fl *datagramFlow, events uint32, now time.Time) {
	for range datagramBurst {
		n, _, flags, _, err := unix.Recvmsg(fl.fd, s.buf, nil, 0)
		if err != nil {
			if transient(err) {
				break
			}
			// ECONNREFUSED: the backend port is closed (an ICMP error); the flow stays until it
			// expires, so a backend that comes back is found again. ECONNRESET: a unixgram
			// backend closed. Both are reported once and consumed by this read.
			s.log.Debug("backend error", "client", s.clientString(fl), "target", s.target.spec, "err", err)
			continue
		}
		if flags&unix.MSG_TRUNC != 0 {
			fl.dropped++
			continue
		}
		s.touch(fl, now)
		if fl.client == nil {
			fl.dropped++
			continue
		}
		if err := unix.Sendmsg(s.lfd, s.buf[:n], fl.replyOOB, fl.client, 0); err != nil {
			fl.dropped++
			s.log.Debug("reply to client dropped", "client", s.clientString(fl), "err", err)
			continue
		}
		fl.out.add(n)
	}
	if events&unix.EPOLLHUP != 0 {
		s.closeFlow(fl, "backend hang-up", now)
	}
}

// newFlow opens a backend socket for a new client, or returns nil (and says why) when the flow
// limit is reached or the target cannot be reached.
func (s *datagramServer) newFlow(key flowKey, client unix.Sockaddr, now time.Time) *datagramFlow {
	if len(s.flows) >= s.opts.maxFlows {
		s.warnThrottled(now, "Hit connection limit, dropping datagrams of a new client.", "limit", s.opts.maxFlows)
		return nil
	}
	sa, err := s.target.resolve(now)
	if err != nil {
		s.warnThrottled(now, "Failed to resolve host", "err", err)
		return nil
	}
	fd, err := unix.Socket(sockaddrFamily(sa), unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		s.warnThrottled(now, "Failed to create backend socket", "err", err)
		return nil
	}
	if _, ok := sa.(*unix.SockaddrUnix); ok {
		// An unbound unixgram socket cannot be answered: take an autobind abstract name.
		err = unix.Bind(fd, &unix.SockaddrUnix{})
	}
	if err == nil {
		err = unix.Connect(fd, sa)
	}
	if err == nil {
		err = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
	}
	if err != nil {
		unix.Close(fd)
		s.warnThrottled(now, "Failed to connect to remote host", "target", s.target.spec, "err", err)
		return nil
	}
	fl := &datagramFlow{key: key, client: client, fd: fd, start: now, last: now}
	fl.elem = s.lru.PushBack(fl)
	s.flows[key] = fl
	s.byFD[int32(fd)] = fl
	s.setHeader(fl)
	if s.opts.active != nil {
		s.opts.active(+1)
	}
	s.log.Debug("New datagram flow", "client", s.clientString(fl), "target", s.target.spec)
	return fl
}

// closeFlow ends a flow and logs its totals.
func (s *datagramServer) closeFlow(fl *datagramFlow, why string, now time.Time) {
	unix.Close(fl.fd)
	s.lru.Remove(fl.elem)
	delete(s.flows, fl.key)
	delete(s.byFD, int32(fl.fd))
	if s.opts.active != nil {
		s.opts.active(-1)
	}
	s.log.Debug("Datagram flow closed", "client", s.clientString(fl), "target", s.target.spec, "reason", why,
		"duration", now.Sub(fl.start), "packets_in", fl.in.packets, "bytes_in", fl.in.bytes,
		"packets_out", fl.out.packets, "bytes_out", fl.out.bytes, "dropped", fl.dropped)
}

// touch marks a flow active.
func (s *datagramServer) touch(fl *datagramFlow, now time.Time) {
	fl.last = now
	s.lru.MoveToBack(fl.elem)
}

// clientKey returns the flow key of a datagram's sender and the address to answer it at.
func (s *datagramServer) clientKey(from unix.Sockaddr) (flowKey, unix.Sockaddr) {
	if u, ok := from.(*unix.SockaddrUnix); ok {
		// x/sys spells an unbound sender (an address of family only) as "@".
		if u.Name == "" || u.Name == "@" {
			return flowKey{}, nil
		}
		return flowKey{name: u.Name}, u
	}
	ap, _ := sockaddrAddrPort(from)
	return flowKey{ip: ap}, from
}

// setDestination records where the client's datagram went (from its IP_PKTINFO or
// IPV6_PKTINFO message) and prepares replies to leave from that address.
func (s *datagramServer) setDestination(fl *datagramFlow, oob []byte) {
	dst, ifindex := parsePktinfo(oob)
	if !dst.IsValid() || (dst == fl.dst && ifindex == fl.ifindex) {
		return
	}
	fl.dst, fl.ifindex = dst, ifindex
	fl.replyOOB = replyPktinfo(s.family, dst, ifindex)
	s.setHeader(fl)
}

// setHeader computes the flow's PROXY v2 header: from the client to the address it sent to.
func (s *datagramServer) setHeader(fl *datagramFlow) {
	if s.opts.proxyProtocol == 0 {
		return
	}
	var src, dst net.Addr // none for unixgram clients: the header says LOCAL
	if s.family != unix.AF_UNIX {
		local := s.local.Addr()
		if fl.dst.IsValid() {
			local = fl.dst
		}
		src = net.UDPAddrFromAddrPort(fl.key.ip)
		dst = net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, s.local.Port()))
	}
	fl.header, _ = proxyHeader(s.opts.proxyProtocol, src, dst)
}

// clientString names a flow's client for the log.
func (s *datagramServer) clientString(fl *datagramFlow) string {
	if s.family == unix.AF_UNIX {
		if fl.key.name == "" {
			return "(unbound)"
		}
		return fl.key.name
	}
	return fl.key.ip.String()
}

// sockaddrAddrPort returns an IP socket address as an address and port (with the zone as a
// number).
func sockaddrAddrPort(sa unix.Sockaddr) (netip.AddrPort, bool) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), true
	case *unix.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			a = a.WithZone(strconv.FormatUint(uint64(sa.ZoneId), 10))
		}
		return netip.AddrPortFrom(a, uint16(sa.Port)), true
	}
	return netip.AddrPort{}, false
}
