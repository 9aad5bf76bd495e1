//go:build linux

package supervisor

import (
	"fmt"
	"net"
	"os"
	"slices"
	"testing"
)

// acceptedFD connects to ln from laddr (nil: any) and returns the server side's fd.
func acceptedFD(t *testing.T, network string, ln net.Listener, laddr net.Addr) (int, net.Conn) {
	t.Helper()
	d := net.Dialer{LocalAddr: laddr}
	c, err := d.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f, err := s.(interface{ File() (*os.File, error) }).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return int(f.Fd()), c
}

func TestInstanceNamesAndEnvironment(t *testing.T) {
	t.Run("IPv4", func(t *testing.T) {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		fd, c := acceptedFD(t, "tcp4", ln, &net.TCPAddr{IP: net.ParseIP("127.0.0.2")})
		lp, rp := ln.Addr().(*net.TCPAddr).Port, c.LocalAddr().(*net.TCPAddr).Port
		checkInstance(t, fd, 7, fmt.Sprintf("7-127.0.0.1:%d-127.0.0.2:%d", lp, rp),
			[]string{"REMOTE_ADDR=127.0.0.2", fmt.Sprintf("REMOTE_PORT=%d", rp)}, "127.0.0.2")
	})
	t.Run("IPv6", func(t *testing.T) {
		ln, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skip("no IPv6 loopback:", err)
		}
		defer ln.Close()
		fd, c := acceptedFD(t, "tcp6", ln, nil)
		lp, rp := ln.Addr().(*net.TCPAddr).Port, c.LocalAddr().(*net.TCPAddr).Port
		checkInstance(t, fd, 0, fmt.Sprintf("0-::1:%d-::1:%d", lp, rp),
			[]string{"REMOTE_ADDR=::1", fmt.Sprintf("REMOTE_PORT=%d", rp)}, "::1")
	})
	t.Run("IPv4-mapped", func(t *testing.T) {
		ln, err := net.Listen("tcp", "[::]:0")
		if err != nil {
			t.Skip("no dual-stack socket:", err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Skip("dual-stack listener not reachable over IPv4:", err)
		}
		defer c.Close()
		s, _ := ln.Accept()
		defer s.Close()
		f, _ := s.(*net.TCPConn).File()
		defer f.Close()
		rp := c.LocalAddr().(*net.TCPAddr).Port
		checkInstance(t, int(f.Fd()), 3, fmt.Sprintf("3-127.0.0.1:%d-127.0.0.1:%d", port, rp),
			[]string{"REMOTE_ADDR=127.0.0.1", fmt.Sprintf("REMOTE_PORT=%d", rp)}, "127.0.0.1")
	})
	t.Run("UNIX", func(t *testing.T) {
		ln, err := net.Listen("unix", t.TempDir()+"/s")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		fd, _ := acceptedFD(t, "unix", ln, nil)
		checkInstance(t, fd, 12, fmt.Sprintf("12-%d-%d", os.Getpid(), os.Geteuid()), nil, fmt.Sprintf("UID %d", os.Geteuid()))
	})
}

func checkInstance(t *testing.T, fd int, nr uint64, wantName string, wantEnv []string, wantSource string) {
	t.Helper()
	name, err := instanceName(nr, fd)
	if err != nil || name != wantName {
		t.Errorf("instance %q (%v), want %q", name, err, wantName)
	}
	if env := remoteEnv(fd); !slices.Equal(env, wantEnv) {
		t.Errorf("environment %q, want %q", env, wantEnv)
	}
	if src, ok := peerSource(fd); !ok || src != wantSource {
		t.Errorf("source %q (%v), want %q", src, ok, wantSource)
	}
}

func TestInstanceServiceName(t *testing.T) {
	for _, c := range [][3]string{
		{"echo.socket", "0-127.0.0.1:7-127.0.0.1:5000", "echo@0-127.0.0.1:7-127.0.0.1:5000.service"},
		{"echo@inst.socket", "4-100-0", "echo@4-100-0.service"},
	} {
		if got := instanceServiceName(c[0], c[1]); got != c[2] {
			t.Errorf("instanceServiceName(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
