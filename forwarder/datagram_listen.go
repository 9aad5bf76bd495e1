//go:build linux

package forwarder

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// listenDatagram opens the datagram socket that --listen-datagram=ADDR names, in the grammar
// of --listen (ListenDatagram= in a socket unit): PORT (every address, IPv6 and IPv4),
// IPv4:PORT, [IPv6]:PORT%DEV, /path (a stale socket file there is replaced) or @abstract. A
// socket bound to a wildcard address reports each datagram's destination from the start, so
// that every reply leaves from the address its client used.
func listenDatagram(addr string) (*os.File, error) {
	sa, err := listenAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	family := sockaddrFamily(sa)
	if family == unix.AF_VSOCK {
		return nil, fmt.Errorf("listen %s: datagram forwarding takes UDP or unixgram sockets", addr)
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("listen %s: socket: %w", addr, err)
	}
	if ap, ok := sockaddrAddrPort(sa); ok && ap.Addr().IsUnspecified() {
		err = enablePktinfo(fd, family)
	}
	if err == nil {
		err = unix.Bind(fd, sa)
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok && errors.Is(err, unix.EADDRINUSE) && u.Name[0] == '/' {
		if fi, serr := os.Lstat(u.Name); serr == nil && fi.Mode().Type() == os.ModeSocket {
			// A stale socket file from an earlier run: replace it, as systemd does.
			os.Remove(u.Name)
			err = unix.Bind(fd, sa)
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return os.NewFile(uintptr(fd), addr), nil
}
