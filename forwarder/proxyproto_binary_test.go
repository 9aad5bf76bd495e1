//go:build linux

package forwarder

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
)

// startHeaderBackend is a TCP server that parses the PROXY header of each connection, answers
// with one line "PROTO SRC DST" (or "LOCAL", or "ERROR …") and then echoes the rest.
func startHeaderBackend(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				var buf []byte
				chunk := make([]byte, 512)
				for {
					n, err := c.Read(chunk)
					buf = append(buf, chunk[:n]...)
					p, perr := parseProxy(buf)
					if perr == nil {
						line := fmt.Sprintf("%s %s %s\n", p.proto, p.src, p.dst)
						if p.local {
							line = "LOCAL\n"
						}
						c.Write([]byte(line))
						c.Write(buf[p.n:])
						io.Copy(c, c)
						return
					}
					if err != nil || len(buf) > 1024 {
						fmt.Fprintf(c, "ERROR %v\n", perr)
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// headerThrough connects to the proxy at network/addr, sends "data\n" and returns the
// backend's header line and the echo.
func headerThrough(t *testing.T, network, addr string) (line, echo string, local string) {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("data\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	line, _ = r.ReadString('\n')
	echo, _ = r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), echo, c.LocalAddr().String()
}

// TestProxyProtocolBinary runs `sockvisor proxy --listen=… --proxy-protocol=v1|v2` in front of
// a backend that parses the header, over IPv4, IPv6 and a UNIX client.
func TestProxyProtocolBinary(t *testing.T) {
	t.Parallel()
	bin := testbin.Path(t)
	target := startHeaderBackend(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name, version, network, listen string
		want                           func(client, proxy string) string
	}{
		{"v1 tcp4", "v1", "tcp", freeAddr(t), func(c, p string) string { return "TCP4 " + c + " " + p }},
		{"v2 tcp4", "v2", "tcp", freeAddr(t), func(c, p string) string { return "TCP4 " + c + " " + p }},
		{"v1 tcp6", "v1", "tcp6", "[::1]:" + portOf(t, freeAddr(t)), func(c, p string) string { return "TCP6 " + c + " " + p }},
		{"v2 tcp6", "v2", "tcp6", "[::1]:" + portOf(t, freeAddr(t)), func(c, p string) string { return "TCP6 " + c + " " + p }},
		{"v1 unix client", "v1", "unix", filepath.Join(dir, "v1.sock"), func(string, string) string { return "LOCAL" }},
		{"v2 unix client", "v2", "unix", filepath.Join(dir, "v2.sock"), func(string, string) string { return "LOCAL" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startCmd(t, exec.Command(bin, "proxy", "--listen="+tc.listen, "--proxy-protocol="+tc.version, target))
			waitListen(t, tc.network, tc.listen)
			line, echo, client := headerThrough(t, tc.network, tc.listen)
			if want := tc.want(client, tc.listen); line != want {
				t.Errorf("backend read the header as %q, want %q", line, want)
			}
			if echo != "data\n" {
				t.Errorf("payload after the header: %q, want %q", echo, "data\n")
			}
			if tc.network == "unix" && !strings.Contains(a.stderr.String(), "reporting fallback proxy data") {
				t.Errorf("no warning about the UNKNOWN/LOCAL fallback; output:\n%s", a.stderr)
			}
			a.cmd.Process.Signal(syscall.SIGTERM)
			a.exited(5 * time.Second)
		})
	}
}

// TestProxyProtocolBinaryHaproxy puts haproxy (accept-proxy) behind sockvisor proxy and checks
// that haproxy sees the real client, for both versions.
func TestProxyProtocolBinaryHaproxy(t *testing.T) {
	t.Parallel()
	bin := testbin.Path(t)
	sock := startHaproxyEcho(t)
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) {
			listen := freeAddr(t)
			a := startCmd(t, exec.Command(bin, "proxy", "--listen="+listen, "--proxy-protocol="+version, sock))
			waitListen(t, "tcp", listen)
			c, err := net.Dial("tcp", listen)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
			resp, _ := io.ReadAll(c)
			cl := c.LocalAddr().(*net.TCPAddr)
			want := fmt.Sprintf("src=127.0.0.1 sport=%d dst=127.0.0.1 dport=%s", cl.Port, portOf(t, listen))
			if !strings.HasSuffix(string(resp), "\r\n\r\n"+want) {
				t.Errorf("haproxy answered %q, want a body %q", resp, want)
			}
			a.cmd.Process.Signal(syscall.SIGTERM)
			a.exited(5 * time.Second)
		})
	}
}

func portOf(t *testing.T, addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitListen waits until something accepts on network/addr (the connection is closed at once;
// the backend sees a header and an EOF).
func waitListen(t *testing.T, network, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout(network, addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s %s", network, addr)
		}
	}
}
