//go:build linux

package listener

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// sock_diag constants and sizes (linux/inet_diag.h, linux/unix_diag.h).
const (
	inetDiagReqV2Len  = 56
	unixDiagReqLen    = 24
	udiagShowRQLen    = 0x10
	unixDiagRQLenAttr = 4
	sockDiagByFamily  = 20 // SOCK_DIAG_BY_FAMILY
	tcpListenState    = 10 // TCP_LISTEN
)

// readBacklog reports the listen backlog of a TCP or UNIX listening socket through sock_diag
// (the kernel caps Backlog= at net.core.somaxconn). Other protocols cannot report it.
func readBacklog(u *socketunit.Socket, fd int, a *socketunit.Address) Reading {
	r := Reading{Key: "Backlog", Want: strconv.FormatUint(uint64(min(u.Backlog, somaxconn())), 10)}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		r.Err = err.Error()
		return r
	}
	var (
		n   uint32
		err error
	)
	switch {
	case a.Family == unix.AF_UNIX:
		n, err = unixBacklog(uint32(st.Ino))
	case isInet(a) && a.Protocol == unix.IPPROTO_TCP:
		n, err = tcpBacklog(a.Family, uint32(st.Ino))
	default:
		r.Value, r.Want = "(not reported by the kernel for this protocol)", ""
		return r
	}
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.Value = strconv.FormatUint(uint64(n), 10)
	return r
}

// somaxconn is the kernel's cap on listen backlogs.
func somaxconn() uint32 {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 4096
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
	if err != nil {
		return 4096
	}
	return uint32(n)
}

// sockDiag sends one sock_diag request and returns the payloads of the answers.
func sockDiag(req []byte, flags uint16) ([][]byte, error) {
	s, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, err
	}
	defer unix.Close(s)
	msg := make([]byte, unix.NLMSG_HDRLEN+len(req))
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(msg[6:], flags|unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(msg[8:], 1)
	copy(msg[unix.NLMSG_HDRLEN:], req)
	if err := unix.Sendto(s, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	var out [][]byte
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(s, buf, 0)
		if err != nil {
			return nil, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) >= 4 {
					if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
						return nil, unix.Errno(-e)
					}
				}
				return out, nil
			}
			out = append(out, m.Data)
		}
		if flags&unix.NLM_F_DUMP == 0 {
			return out, nil
		}
	}
}

// tcpBacklog finds the listening TCP socket with the given inode and returns its backlog.
func tcpBacklog(family int, ino uint32) (uint32, error) {
	req := make([]byte, inetDiagReqV2Len)
	req[0] = byte(family)
	req[1] = unix.IPPROTO_TCP
	binary.NativeEndian.PutUint32(req[4:], 1<<tcpListenState)
	msgs, err := sockDiag(req, unix.NLM_F_DUMP)
	if err != nil {
		return 0, fmt.Errorf("sock_diag: %w", err)
	}
	for _, m := range msgs {
		// struct inet_diag_msg: idiag_wqueue at 60 (the backlog of a listener), inode at 68.
		if len(m) >= 72 && binary.NativeEndian.Uint32(m[68:]) == ino {
			return binary.NativeEndian.Uint32(m[60:]), nil
		}
	}
	return 0, errors.New("sock_diag: socket not found")
}

// unixBacklog asks for the UNIX socket with the given inode and returns its backlog.
func unixBacklog(ino uint32) (uint32, error) {
	req := make([]byte, unixDiagReqLen)
	req[0] = unix.AF_UNIX
	binary.NativeEndian.PutUint32(req[4:], ^uint32(0))
	binary.NativeEndian.PutUint32(req[8:], ino)
	binary.NativeEndian.PutUint32(req[12:], udiagShowRQLen)
	binary.NativeEndian.PutUint32(req[16:], ^uint32(0))
	binary.NativeEndian.PutUint32(req[20:], ^uint32(0))
	msgs, err := sockDiag(req, 0)
	if err != nil {
		return 0, fmt.Errorf("sock_diag: %w", err)
	}
	for _, m := range msgs {
		// struct unix_diag_msg is 16 bytes, then attributes.
		for b := m[min(16, len(m)):]; len(b) >= 4; {
			l := int(binary.NativeEndian.Uint16(b))
			if l < 4 || l > len(b) {
				break
			}
			if binary.NativeEndian.Uint16(b[2:]) == unixDiagRQLenAttr && l >= 12 {
				return binary.NativeEndian.Uint32(b[8:]), nil
			}
			b = b[min((l+3)&^3, len(b)):]
		}
	}
	return 0, errors.New("sock_diag: socket not found")
}
