//go:build linux

package supervisor

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// notifySocket is the NOTIFY_SOCKET of one Type=notify service: an abstract unixgram socket
// with SO_PASSCRED, so every message carries the sender's PID and only the service's main
// process is listened to (systemd's NotifyAccess=main).
type notifySocket struct {
	conn *net.UnixConn
	addr string // "@sockvisor/notify/..."
	log  *slog.Logger

	mu       sync.Mutex
	mainPID  int
	state    NotifyState
	ready    chan struct{}
	stopping chan struct{}
}

// NotifyState is what a Type=notify service has told sockvisor so far.
type NotifyState struct {
	Ready    bool   // READY=1 received
	Stopping bool   // STOPPING=1 received
	Status   string // the last STATUS=
	MainPID  int    // the last MAINPID=, or 0
	Errno    int    // the last ERRNO=
}

// newNotifySocket opens a fresh socket; its name includes sockvisor's PID and a random part.
func newNotifySocket(log *slog.Logger) (*notifySocket, error) {
	var rnd [8]byte
	rand.Read(rnd[:])
	name := "@sockvisor/notify/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(rnd[:])
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	rc, err := conn.SyscallConn()
	if err == nil {
		cerr := rc.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
		})
		if err == nil {
			err = cerr
		}
	}
	if err != nil {
		conn.Close()
		return nil, os.NewSyscallError("setsockopt(SO_PASSCRED)", err)
	}
	return &notifySocket{conn: conn, addr: name, log: log, ready: make(chan struct{}), stopping: make(chan struct{})}, nil
}

// serve reads messages until the socket is closed.
func (n *notifySocket) serve() {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred)+unix.CmsgSpace(4*16))
	for {
		nb, noob, _, _, err := n.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pid := senderPID(oob[:noob])
		n.mu.Lock()
		main := n.mainPID
		n.mu.Unlock()
		if pid != main {
			n.log.Warn("notification from a process other than the main process ignored", "pid", pid, "main", main)
			continue
		}
		n.handle(string(buf[:nb]))
	}
}

// senderPID extracts the PID from SCM_CREDENTIALS, or returns 0.
func senderPID(oob []byte) int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_CREDENTIALS {
			if c, err := unix.ParseUnixCredentials(&m); err == nil {
				return int(c.Pid)
			}
		}
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_RIGHTS {
			// fd-store messages are not supported: close what was sent.
			if fds, err := unix.ParseUnixRights(&m); err == nil {
				for _, fd := range fds {
					syscall.Close(fd)
				}
			}
		}
	}
	return 0
}

// handle applies one datagram of newline-separated KEY=VALUE assignments.
func (n *notifySocket) handle(msg string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, line := range strings.Split(msg, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch k {
		case "READY":
			if v == "1" && !n.state.Ready {
				n.state.Ready = true
				close(n.ready)
			}
		case "STOPPING":
			if v == "1" && !n.state.Stopping {
				n.state.Stopping = true
				close(n.stopping)
			}
		case "STATUS":
			n.state.Status = v
		case "ERRNO":
			n.state.Errno, _ = strconv.Atoi(v)
		case "MAINPID":
			if p, err := strconv.Atoi(v); err == nil && p > 0 {
				n.state.MainPID = p
				n.mainPID = p // later messages come from the new main process
			}
		}
	}
}

func (n *notifySocket) snapshot() NotifyState {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.state
}

func (n *notifySocket) close() { n.conn.Close() }
