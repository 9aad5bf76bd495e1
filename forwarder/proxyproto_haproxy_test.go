//go:build linux

package forwarder

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startHaproxyEcho runs haproxy with `accept-proxy` on a UNIX socket; every request is answered
// with the client and local addresses haproxy decoded from the PROXY header. It returns the
// socket path.
func startHaproxyEcho(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed (Debian package haproxy): cannot check headers against a real parser")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "pp.sock")
	cfg := filepath.Join(dir, "haproxy.cfg")
	conf := `defaults
  mode http
  timeout client 5s
  timeout connect 5s
  timeout server 5s
frontend fe
  bind unix@` + sock + ` accept-proxy
  http-request return status 200 content-type text/plain lf-string "src=%[src] sport=%[src_port] dst=%[dst] dport=%[dst_port]"
`
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", cfg, "-db")
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not start: %s", out)
		}
	}
}

// TestProxyHeaderHaproxy sends each header to haproxy (accept-proxy) and checks what it decoded.
func TestProxyHeaderHaproxy(t *testing.T) {
	sock := startHaproxyEcho(t)
	unixSrc, unixDst := &net.UnixAddr{Name: "@client", Net: "unix"}, &net.UnixAddr{Name: "/run/s.sock", Net: "unix"}
	for _, tc := range []struct {
		name     string
		version  int
		src, dst net.Addr
		want     string // haproxy's view; "src= " means it fell back to the real (UNIX) connection
	}{
		{"v1 tcp4", 1, tcp("192.168.0.1:56324"), tcp("192.168.0.11:443"), "src=192.168.0.1 sport=56324 dst=192.168.0.11 dport=443"},
		{"v1 tcp6", 1, tcp("[2001:db8::1]:40000"), tcp("[2001:db8::2]:8443"), "src=2001:db8::1 sport=40000 dst=2001:db8::2 dport=8443"},
		{"v1 mapped", 1, tcp("[::ffff:10.1.2.3]:1"), tcp("[::ffff:10.1.2.4]:2"), "src=10.1.2.3 sport=1 dst=10.1.2.4 dport=2"},
		{"v1 unknown", 1, unixSrc, unixDst, "src= sport= dst= dport="},
		{"v2 tcp4", 2, tcp("192.168.0.1:56324"), tcp("192.168.0.11:443"), "src=192.168.0.1 sport=56324 dst=192.168.0.11 dport=443"},
		{"v2 tcp6", 2, tcp("[2001:db8::1]:40000"), tcp("[::1]:8443"), "src=2001:db8::1 sport=40000 dst=::1 dport=8443"},
		{"v2 local", 2, tcp("10.0.0.1:1"), unixDst, "src= sport= dst= dport="},
		{"v2 unix is local", 2, unixSrc, unixDst, "src= sport= dst= dport="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := proxyHeader(tc.version, tc.src, tc.dst)
			if err != nil {
				t.Fatal(err)
			}
			c, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write(append(h, "GET / HTTP/1.0\r\n\r\n"...)); err != nil {
				t.Fatal(err)
			}
			resp, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(resp), "HTTP/1.1 200") {
				t.Fatalf("haproxy refused the header %q: %q", h, resp)
			}
			if body := string(resp[strings.Index(string(resp), "\r\n\r\n")+4:]); body != tc.want {
				t.Errorf("haproxy decoded %q, want %q", body, tc.want)
			}
		})
	}
}
