//go:build linux

package supervisor

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// instanceName builds the instance part of a per-connection service name exactly as systemd 252
// does (instance_from_socket): "NR-LADDR:LPORT-RADDR:RPORT" for IP (IPv4-mapped IPv6 printed as
// IPv4 when both ends are mapped), "NR-LCID:LPORT-RCID:RPORT" for vsock, "NR-PID-UID" for UNIX
// (SO_PEERCRED), "NR-unknown" when the UNIX peer has no credentials. nr counts from 0.
func instanceName(nr uint64, fd int) (string, error) {
	local, err := unix.Getsockname(fd)
	if err != nil {
		return "", err
	}
	n := strconv.FormatUint(nr, 10)
	switch l := local.(type) {
	case *unix.SockaddrUnix:
		cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if errors.Is(err, unix.ENODATA) {
			return n + "-unknown", nil
		}
		if err != nil {
			return "", err
		}
		return n + "-" + strconv.FormatInt(int64(cred.Pid), 10) + "-" + strconv.FormatUint(uint64(cred.Uid), 10), nil
	case *unix.SockaddrVM:
		r, err := unix.Getpeername(fd)
		if err != nil {
			return "", err
		}
		rv, ok := r.(*unix.SockaddrVM)
		if !ok {
			return "", unix.EAFNOSUPPORT
		}
		return n + "-" + strconv.FormatUint(uint64(l.CID), 10) + ":" + strconv.FormatUint(uint64(l.Port), 10) +
			"-" + strconv.FormatUint(uint64(rv.CID), 10) + ":" + strconv.FormatUint(uint64(rv.Port), 10), nil
	case *unix.SockaddrInet4, *unix.SockaddrInet6:
		r, err := unix.Getpeername(fd)
		if err != nil {
			return "", err
		}
		la, lp, _ := ipOf(local)
		ra, rp, _ := ipOf(r)
		if la.Is4In6() && ra.Is4In6() {
			la, ra = la.Unmap(), ra.Unmap()
		}
		return n + "-" + la.String() + ":" + strconv.Itoa(lp) + "-" + ra.String() + ":" + strconv.Itoa(rp), nil
	}
	return "", unix.EAFNOSUPPORT
}

// ipOf returns the address (without zone) and port of an IP socket address.
func ipOf(sa unix.Sockaddr) (netip.Addr, int, bool) {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(a.Addr), a.Port, true
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(a.Addr), a.Port, true
	}
	return netip.Addr{}, 0, false
}

// remoteEnv returns REMOTE_ADDR and REMOTE_PORT for a connection, as systemd's service_spawn
// sets them: only for IP and vsock peers that getpeername() still reports; IPv4-mapped addresses
// as IPv4, IPv6 without brackets (with %ifname when scoped), vsock as "vsock:CID".
func remoteEnv(fd int) []string {
	r, err := unix.Getpeername(fd)
	if err != nil {
		return nil
	}
	switch a := r.(type) {
	case *unix.SockaddrInet4:
		return []string{"REMOTE_ADDR=" + netip.AddrFrom4(a.Addr).String(), "REMOTE_PORT=" + strconv.Itoa(a.Port)}
	case *unix.SockaddrInet6:
		ip := netip.AddrFrom16(a.Addr).Unmap()
		s := ip.String()
		if a.ZoneId != 0 && ip.Is6() {
			if name, err := ifName(int(a.ZoneId)); err == nil {
				s += "%" + name
			} else {
				s += "%" + strconv.FormatUint(uint64(a.ZoneId), 10)
			}
		}
		return []string{"REMOTE_ADDR=" + s, "REMOTE_PORT=" + strconv.Itoa(a.Port)}
	case *unix.SockaddrVM:
		return []string{"REMOTE_ADDR=vsock:" + strconv.FormatUint(uint64(a.CID), 10), "REMOTE_PORT=" + strconv.FormatUint(uint64(a.Port), 10)}
	}
	return nil
}

// ifName returns the name of the network interface with the given index.
func ifName(index int) (string, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("")
	if err != nil {
		return "", err
	}
	ifr.SetUint32(uint32(index))
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFNAME, ifr); err != nil {
		return "", err
	}
	return ifr.Name(), nil
}

// peerSource returns the key MaxConnectionsPerSource= counts a connection under and how systemd
// prints it: the IP address (IPv4-mapped shown as IPv4), the vsock CID, or "UID n" for UNIX
// peers. ok is false for peers that are not limited.
func peerSource(fd int) (key string, ok bool) {
	local, err := unix.Getsockname(fd)
	if err != nil {
		return "", false
	}
	if _, isUnix := local.(*unix.SockaddrUnix); isUnix {
		cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil {
			return "", false
		}
		return "UID " + strconv.FormatUint(uint64(cred.Uid), 10), true
	}
	r, err := unix.Getpeername(fd)
	if err != nil {
		return "", false
	}
	if a, _, isIP := ipOf(r); isIP {
		return a.Unmap().String(), true
	}
	if v, isVM := r.(*unix.SockaddrVM); isVM {
		return "vsock:" + strconv.FormatUint(uint64(v.CID), 10), true
	}
	return "", false
}

// instanceServiceName returns the per-connection service name for socket unit name sock
// ("echo.socket" or "echo@x.socket") and an instance: "echo@INSTANCE.service".
func instanceServiceName(sock, instance string) string {
	prefix := strings.TrimSuffix(sock, ".socket")
	if i := strings.IndexByte(prefix, '@'); i >= 0 {
		prefix = prefix[:i]
	}
	return prefix + "@" + instance + ".service"
}
