//go:build linux

package listener

import (
	"context"
	"net"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// acceptViaGo accepts one connection on the unit's first fd through Go's net package (which
// forces TCP_NODELAY and a 15 s keepalive) and returns it as a file.
func acceptViaGo(t *testing.T, s *Set, port uint16) *net.TCPConn {
	t.Helper()
	ln, err := net.FileListener(s.FDs[0].File)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c, err := net.Dial("tcp", "127.0.0.1:"+itoa(int(port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.(*net.TCPConn)
}

func sockopt(t *testing.T, c *net.TCPConn, level, opt int) int {
	t.Helper()
	rc, _ := c.SyscallConn()
	var v int
	var err error
	rc.Control(func(fd uintptr) { v, err = unix.GetsockoptInt(int(fd), level, opt) })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestApplyConnectionOptionsUndoesGoDefaults(t *testing.T) {
	port := freePort(t)
	u := newUnit("conn.socket", listenInet(socketunit.ListenStream, "127.0.0.1", port))
	u.Priority = 3
	s, err := Open(context.Background(), u, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn := acceptViaGo(t, s, port)
	if sockopt(t, conn, unix.IPPROTO_TCP, unix.TCP_NODELAY) == 0 || sockopt(t, conn, unix.SOL_SOCKET, unix.SO_KEEPALIVE) == 0 {
		t.Fatal("Go no longer forces TCP_NODELAY and keepalive; this test needs revisiting")
	}
	f, err := conn.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ApplyConnectionOptions(u, f); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		level, opt int
		want       int
	}{
		{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 0},
		{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 0},
		{"SO_PRIORITY", unix.SOL_SOCKET, unix.SO_PRIORITY, 3},
	} {
		if got := sockopt(t, conn, c.level, c.opt); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestApplyConnectionOptionsKeepAlive(t *testing.T) {
	port := freePort(t)
	u := newUnit("ka.socket", listenInet(socketunit.ListenStream, "127.0.0.1", port))
	u.KeepAlive, u.KeepAliveTime, u.NoDelay = true, socketunit.Timespan(33e6), true
	s, err := Open(context.Background(), u, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn := acceptViaGo(t, s, port)
	f, err := conn.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ApplyConnectionOptions(u, f); err != nil {
		t.Fatal(err)
	}
	intvl, probes := sysctlInt(t, "tcp_keepalive_intvl"), sysctlInt(t, "tcp_keepalive_probes")
	for _, c := range []struct {
		name       string
		level, opt int
		want       int
	}{
		{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 1},
		{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
		{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 33},
		{"TCP_KEEPINTVL (kernel default, not Go's 15)", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, intvl},
		{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, probes},
	} {
		if got := sockopt(t, conn, c.level, c.opt); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
}
