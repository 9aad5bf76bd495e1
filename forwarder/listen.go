//go:build linux

package forwarder

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sockvisor/sockvisor/socketunit"
	"golang.org/x/sys/unix"
)

// Listen opens the sockets of cfg.Listen (stream) and cfg.ListenDatagram, in that order.
// On error the sockets already open are closed.
func Listen(cfg Config) ([]*os.File, error) {
	var files []*os.File
	fail := func(err error) ([]*os.File, error) {
		for _, f := range files {
			f.Close()
		}
		return nil, err
	}
	for _, addr := range cfg.Listen {
		f, err := listenStream(addr)
		if err != nil {
			return fail(err)
		}
		files = append(files, f)
	}
	for _, addr := range cfg.ListenDatagram {
		f, err := listenDatagram(addr)
		if err != nil {
			return fail(err)
		}
		files = append(files, f)
	}
	return files, nil
}

// listenAddress reads a ListenStream=-style address (socketunit.ParseAddress): PORT alone
// (every address, IPv6 and IPv4), IPV4:PORT, [IPV6]:PORT%DEV, /path, @abstract or
// vsock:CID:PORT.
func listenAddress(s string) (unix.Sockaddr, error) {
	a, err := socketunit.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	switch a.Family {
	case unix.AF_INET:
		return &unix.SockaddrInet4{Port: int(a.Port), Addr: a.IP.As4()}, nil
	case unix.AF_INET6:
		return &unix.SockaddrInet6{Port: int(a.Port), Addr: a.IP.As16(), ZoneId: uint32(a.IfIndex)}, nil
	case unix.AF_UNIX:
		return &unix.SockaddrUnix{Name: a.Path}, nil
	case unix.AF_VSOCK:
		return &unix.SockaddrVM{CID: a.CID, Port: a.VsockPort}, nil
	}
	return nil, fmt.Errorf("%q: not a stream address", s)
}

// listenStream opens a listening stream socket on addr.
func listenStream(addr string) (*os.File, error) {
	sa, err := listenAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	family := sockaddrFamily(sa)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("listen %s: socket: %w", addr, err)
	}
	if family == unix.AF_INET || family == unix.AF_INET6 {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}
	err = unix.Bind(fd, sa)
	if u, ok := sa.(*unix.SockaddrUnix); ok && errors.Is(err, unix.EADDRINUSE) && u.Name[0] == '/' {
		// A stale socket file from an earlier run: replace it, as systemd does.
		os.Remove(u.Name)
		err = unix.Bind(fd, sa)
	}
	if err == nil {
		err = unix.Listen(fd, unix.SOMAXCONN)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	return os.NewFile(uintptr(fd), addr), nil
}

// ListenFDs returns the sockets passed by a socket activator ($LISTEN_PID, $LISTEN_FDS,
// $LISTEN_FDNAMES, fds from 3), marks them close-on-exec and unsets the variables. It returns
// no files when none were passed to this process.
func ListenFDs() ([]*os.File, error) {
	defer os.Unsetenv("LISTEN_PID")
	defer os.Unsetenv("LISTEN_FDS")
	defer os.Unsetenv("LISTEN_FDNAMES")
	pidStr, ok := os.LookupEnv("LISTEN_PID")
	if !ok {
		return nil, nil
	}
	pid, err := strconv.Atoi(pidStr)
	if err != nil || pid <= 0 {
		return nil, fmt.Errorf("LISTEN_PID=%q: not a process id", pidStr)
	}
	if pid != os.Getpid() {
		return nil, nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n <= 0 || n > 1<<20 {
		return nil, fmt.Errorf("LISTEN_FDS=%q: not a positive count", os.Getenv("LISTEN_FDS"))
	}
	names := strings.Split(os.Getenv("LISTEN_FDNAMES"), ":")
	var files []*os.File
	for i := range n {
		fd := 3 + i
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, fmt.Errorf("fd %d: %w", fd, err)
		}
		name := "LISTEN_FD_" + strconv.Itoa(fd)
		if i < len(names) && names[i] != "" {
			name = names[i]
		}
		files = append(files, os.NewFile(uintptr(fd), name))
	}
	return files, nil
}

// CheckListener reports whether f can be served: a listening stream socket, or a datagram
// socket.
func CheckListener(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var typ, acc int
	var serr, aerr error
	if err := rc.Control(func(fd uintptr) {
		typ, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TYPE)
		acc, aerr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	}); err != nil {
		return err
	}
	switch {
	case serr != nil:
		return fmt.Errorf("not a socket: %w", serr)
	case typ == unix.SOCK_DGRAM:
		return nil
	case typ != unix.SOCK_STREAM:
		return fmt.Errorf("not a stream socket")
	case aerr != nil || acc == 0:
		return fmt.Errorf("not a listening socket")
	}
	return nil
}
