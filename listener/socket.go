//go:build linux

package listener

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// effectiveAddress returns the address a socket entry is created with: SocketProtocol= applied
// where systemd applies it (stream: SCTP or MPTCP; seqpacket: SCTP; datagram: UDP-Lite), for
// IP sockets only.
func effectiveAddress(u *socketunit.Socket, l *socketunit.Listen) socketunit.Address {
	a := l.Address
	if !isInet(&a) || u.SocketProtocol == 0 {
		return a
	}
	switch p := u.SocketProtocol; {
	case a.Type == unix.SOCK_STREAM && (p == unix.IPPROTO_SCTP || p == unix.IPPROTO_MPTCP),
		a.Type == unix.SOCK_SEQPACKET && p == unix.IPPROTO_SCTP,
		a.Type == unix.SOCK_DGRAM && p == unix.IPPROTO_UDPLITE:
		a.Protocol = p
	}
	return a
}

// verifyAddress is systemd's socket_address_verify in strict mode.
func verifyAddress(a *socketunit.Address) error {
	switch a.Family {
	case unix.AF_INET, unix.AF_INET6:
		if a.Port == 0 || (a.Type != unix.SOCK_STREAM && a.Type != unix.SOCK_DGRAM) {
			return unix.EINVAL
		}
	case unix.AF_UNIX:
		if a.Path == "" || (a.Type != unix.SOCK_STREAM && a.Type != unix.SOCK_DGRAM && a.Type != unix.SOCK_SEQPACKET) {
			return unix.EINVAL
		}
	case unix.AF_NETLINK:
		if a.Type != unix.SOCK_RAW && a.Type != unix.SOCK_DGRAM {
			return unix.EINVAL
		}
	case unix.AF_VSOCK:
		if a.Type != unix.SOCK_STREAM && a.Type != unix.SOCK_DGRAM && a.Type != unix.SOCK_SEQPACKET {
			return unix.EINVAL
		}
	default:
		return unix.EAFNOSUPPORT
	}
	return nil
}

// isPathSocket reports whether a is a UNIX socket with a file-system node.
func isPathSocket(a *socketunit.Address) bool {
	return a.Family == unix.AF_UNIX && len(a.Path) > 0 && a.Path[0] == '/'
}

// canAccept reports whether sockets of this type listen for connections.
func canAccept(typ int) bool { return typ == unix.SOCK_STREAM || typ == unix.SOCK_SEQPACKET }

// openSocket creates, binds and configures one socket in systemd's order (reference §3.2 then
// §3.3). On error nothing stays open.
func openSocket(ctx context.Context, u *socketunit.Socket, a *socketunit.Address, th *lazyFSThread, log *slog.Logger) (int, error) {
	if err := verifyAddress(a); err != nil {
		return -1, err
	}
	fd, err := unix.Socket(a.Family, a.Type|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, a.Protocol)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := configureSocket(ctx, fd, u, a, th, log); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// configureSocket takes a new socket from its options before bind to its options after listen.
func configureSocket(ctx context.Context, fd int, u *socketunit.Socket, a *socketunit.Address, th *lazyFSThread, log *slog.Logger) error {
	what := a.String()
	if err := applyStage(fd, u, a, stageBeforeBind, logFailure(ctx, log, u, what)); err != nil {
		return err
	}
	sa, err := sockaddr(a)
	if err != nil {
		return err
	}
	if isPathSocket(a) {
		err = bindPath(fd, sa, a.Path, u, th.get())
	} else {
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if canAccept(a.Type) {
		if err := unix.Listen(fd, backlog(u.Backlog)); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	if isPathSocket(a) {
		// Like systemd, touch the node so that inotify watchers see it appear.
		_ = unix.UtimesNanoAt(unix.AT_FDCWD, a.Path, nil, unix.AT_SYMLINK_NOFOLLOW)
	}
	return applyStage(fd, u, a, stageAfterListen, logFailure(ctx, log, u, what))
}

// backlog converts Backlog= to listen's int argument (the kernel caps it at somaxconn).
func backlog(n uint32) int {
	return int(min(n, 1<<31-1))
}

// bindPath binds a UNIX socket to a file-system path: parent directories are created with
// DirectoryMode=, the node gets SocketMode= through the umask, and a stale node left at the
// path is replaced.
func bindPath(fd int, sa unix.Sockaddr, path string, u *socketunit.Socket, th *fsThread) error {
	mkdirParents(path, u.DirectoryMode, th)
	return th.run(int(^u.SocketMode&0o777), func() error {
		err := unix.Bind(fd, sa)
		if !errors.Is(err, unix.EADDRINUSE) {
			return err
		}
		if unix.Unlink(path) != nil {
			return err
		}
		return unix.Bind(fd, sa)
	})
}

// mkdirParents creates the missing parent directories of path with mode (under the process
// umask); errors are ignored as in systemd: the bind or open that follows reports them.
func mkdirParents(path string, mode uint32, th *fsThread) {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); err == nil {
		return
	}
	_ = th.run(th.mask, func() error { return os.MkdirAll(dir, os.FileMode(mode&0o777)) })
}
