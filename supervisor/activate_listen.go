//go:build linux

package supervisor

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// openActivateSocket opens one listening socket the way systemd-socket-activate does
// (make_socket_fd → socket_address_listen): SO_REUSEADDR, IPV6_V6ONLY left at the system
// default, a UNIX socket node created with mode 0644 in parents created 0755 (a stale node is
// unlinked and the bind retried), listen() with the largest backlog the kernel allows. The fd
// is close-on-exec; the caller decides what a child inherits.
func openActivateSocket(a socketunit.Address) (int, error) {
	sa, path, err := activateSockaddr(a)
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(a.Family, a.Type|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return -1, err
	}
	if path != "" {
		os.MkdirAll(filepath.Dir(path), 0o755)
		old := unix.Umask(0o133) // ~0644: the node gets mode 0644
		err = unix.Bind(fd, sa)
		if errors.Is(err, unix.EADDRINUSE) {
			if unix.Unlink(path) == nil {
				err = unix.Bind(fd, sa)
			}
		}
		unix.Umask(old)
	} else {
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		return -1, err
	}
	if a.Type != unix.SOCK_DGRAM {
		if err := unix.Listen(fd, math.MaxInt32); err != nil {
			return -1, err
		}
	}
	ok = true
	return fd, nil
}

// activateSockaddr converts a parsed address; path is the file-system node of a UNIX socket.
func activateSockaddr(a socketunit.Address) (sa unix.Sockaddr, path string, err error) {
	switch a.Family {
	case unix.AF_INET:
		s := &unix.SockaddrInet4{Port: int(a.Port)}
		s.Addr = a.IP.As4()
		return s, "", nil
	case unix.AF_INET6:
		s := &unix.SockaddrInet6{Port: int(a.Port), ZoneId: uint32(a.IfIndex)}
		s.Addr = a.IP.As16()
		return s, "", nil
	case unix.AF_UNIX:
		if a.Path != "" && a.Path[0] == '@' {
			return &unix.SockaddrUnix{Name: a.Path}, "", nil
		}
		return &unix.SockaddrUnix{Name: a.Path}, a.Path, nil
	case unix.AF_VSOCK:
		return &unix.SockaddrVM{CID: a.CID, Port: a.VsockPort}, "", nil
	}
	return nil, "", fmt.Errorf("address family %d: %w", a.Family, unix.EAFNOSUPPORT)
}

// prettySockaddr formats a socket's address as systemd's getpeername_pretty/getsockname_pretty
// do for the accept messages: "1.2.3.4:80", "[::1]:80", "PID 12/UID 0" for a UNIX peer with
// credentials, the path for a named UNIX socket.
func prettySockaddr(sa unix.Sockaddr, fd int, peer bool) string {
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		return fmt.Sprintf("%s:%d", net.IP(s.Addr[:]), s.Port)
	case *unix.SockaddrInet6:
		ip := net.IP(s.Addr[:])
		if v4 := ip.To4(); v4 != nil && peer {
			return fmt.Sprintf("%s:%d", v4, s.Port)
		}
		return fmt.Sprintf("[%s]:%d", ip, s.Port)
	case *unix.SockaddrUnix:
		if peer {
			if cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
				return fmt.Sprintf("PID %d/UID %d", cred.Pid, cred.Uid)
			}
		}
		if s.Name == "" {
			return "<unnamed>"
		}
		return s.Name
	case *unix.SockaddrVM:
		return fmt.Sprintf("vsock:%d:%d", s.CID, s.Port)
	}
	return "n/a"
}
