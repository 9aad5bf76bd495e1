//go:build linux

package forwarder

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"golang.org/x/sys/unix"
)

// exchangeRetry sends msg to addr until a reply comes (the proxy may still be starting), for
// up to 10 s, and returns it ("" if none came).
func exchangeRetry(t *testing.T, c net.PacketConn, addr, msg string) string {
	t.Helper()
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if got, _ := exchange(t, c, to, msg, 200*time.Millisecond); got != "" {
			return got
		}
	}
	return ""
}

// exchangeSkipping is exchange (5 s) for a client that sent the datagram earlier before: late
// answers to that one (repeated by exchangeRetry, or sent while the backend was down and
// forwarded once it is up) are skipped; it returns the first other reply, "" if none.
func exchangeSkipping(t *testing.T, c net.PacketConn, to net.Addr, msg, earlier string) string {
	t.Helper()
	got := repliesUntil(t, c, to, msg, 5*time.Second)
	for len(got) > 1 && got[0] == "echo:"+earlier {
		got = got[1:]
	}
	return got[0]
}

// TestDatagramActivatedBinary: `systemd-socket-activate -d -l ADDR sockvisor proxy TARGET`
// forwards UDP; systemd-socket-proxyd, in the same run, refuses the datagram socket (its bug
// #1: stream sockets only).
func TestDatagramActivatedBinary(t *testing.T) {
	t.Parallel()
	sa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate missing (Debian package systemd)")
	}
	be := startEcho(t, "udp4", "127.0.0.1:0", false)
	for _, im := range impls(t) {
		t.Run(im.name, func(t *testing.T) {
			addr := freeAddr(t)
			a := startCmd(t, exec.Command(sa, append([]string{"-d", "-l", addr}, im.argv(be.conn.LocalAddr().String())...)...))
			c := udpClient(t, "udp4", "127.0.0.1:0")
			switch im.name {
			case "sockvisor":
				if got := exchangeRetry(t, c, addr, "ping"); got != "echo:ping" {
					t.Fatalf("reply %q, want echo:ping", got)
				}
				for i := range 5 {
					msg := "again " + strconv.Itoa(i)
					if got := exchangeSkipping(t, c, c2a(t, addr), msg, "ping"); got != "echo:"+msg {
						t.Errorf("reply %q, want echo:%s", got, msg)
					}
				}
				a.cmd.Process.Signal(syscall.SIGTERM)
				if err, ok := a.exited(5 * time.Second); !ok || exitStatus(err) != "exit 0" {
					t.Errorf("after SIGTERM: ended=%v %s, want exit 0", ok, exitStatus(err))
				}
			case "proxyd":
				// The first datagram makes systemd-socket-activate exec it; it then gives up.
				var err error
				ok := false
				for deadline := time.Now().Add(10 * time.Second); !ok && time.Now().Before(deadline); {
					if got, _ := exchange(t, c, c2a(t, addr), "ping", 100*time.Millisecond); got != "" {
						t.Errorf("systemd-socket-proxyd answered %q over UDP", got)
					}
					err, ok = a.exited(100 * time.Millisecond)
				}
				if !ok || exitStatus(err) != "exit 1" || !strings.Contains(a.stderr.String(), "Passed in socket is not a stream socket.") {
					t.Errorf("systemd-socket-proxyd with a datagram socket: ended=%v %s, output %q", ok, exitStatus(err), a.stderr)
				}
			}
		})
	}
}

func c2a(t *testing.T, addr string) net.Addr {
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestDatagramListenFlagBinary: `sockvisor proxy --listen-datagram=ADDR TARGET` on its own,
// with a unixgram backend and UDP plus unixgram listeners side by side.
func TestDatagramListenFlagBinary(t *testing.T) {
	t.Parallel()
	bin := testbin.Path(t)
	bePath := t.TempDir() + "/be.sock"
	startEcho(t, "unixgram", bePath, false)
	udpAddr := freeAddr(t)
	unixAddr := "@sockvisor-test-listen-datagram-" + strconv.Itoa(syscall.Getpid())
	a := startCmd(t, exec.Command(bin, "proxy", "--listen-datagram="+udpAddr, "--listen-datagram="+unixAddr, bePath))
	c := udpClient(t, "udp4", "127.0.0.1:0")
	if got := exchangeRetry(t, c, udpAddr, "over udp"); got != "echo:over udp" {
		t.Fatalf("UDP reply %q", got)
	}
	u := udpClient(t, "unixgram", t.TempDir()+"/client.sock")
	if got, _ := exchange(t, u, &net.UnixAddr{Name: unixAddr, Net: "unixgram"}, "over unix", 5*time.Second); got != "echo:over unix" {
		t.Errorf("unixgram reply %q", got)
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	if err, ok := a.exited(5 * time.Second); !ok || exitStatus(err) != "exit 0" {
		t.Errorf("after SIGTERM: ended=%v %s, want exit 0", ok, exitStatus(err))
	}
}

// TestDatagramBinaryRefusesProxyV1: version 1 of the PROXY protocol has no way to describe a
// datagram; asking for it with a datagram socket is an error, not a silent drop.
func TestDatagramBinaryRefusesProxyV1(t *testing.T) {
	t.Parallel()
	bin := testbin.Path(t)
	a := startCmd(t, exec.Command(bin, "proxy", "--proxy-protocol=v1", "--listen-datagram="+freeAddr(t), "127.0.0.1:9"))
	err, ok := a.exited(10 * time.Second)
	if !ok || exitStatus(err) != "exit 1" || !strings.Contains(a.stderr.String(), "version 1 cannot describe datagrams") {
		t.Errorf("ended=%v %s, output %q; want exit 1 with a clear message", ok, exitStatus(err), a.stderr)
	}
}

// TestDatagramExitIdleBinary: a live datagram flow counts as a connection for
// --exit-idle-time; once it expires (--idle-timeout) the proxy exits after the idle time.
func TestDatagramExitIdleBinary(t *testing.T) {
	t.Parallel()
	bin := testbin.Path(t)
	be := startEcho(t, "udp4", "127.0.0.1:0", false)
	addr := freeAddr(t)
	a := startCmd(t, exec.Command(bin, "proxy", "--listen-datagram="+addr, "--exit-idle-time=1s", "--idle-timeout=2s", be.conn.LocalAddr().String()))
	c := udpClient(t, "udp4", "127.0.0.1:0")
	if got := exchangeRetry(t, c, addr, "keep"); got != "echo:keep" {
		t.Fatalf("reply %q", got)
	}
	start := time.Now()
	// The flow lives 2 s after this datagram: the proxy must outlive the 1 s exit idle time.
	if _, ended := a.exited(1500 * time.Millisecond); ended {
		t.Fatalf("exited %v after the last datagram while its flow was alive", time.Since(start))
	}
	err, ended := a.exited(5 * time.Second)
	if !ended || exitStatus(err) != "exit 0" {
		t.Fatalf("ended=%v %s; want exit 0 about 3 s after the last datagram", ended, exitStatus(err))
	}
	if el := time.Since(start); el < 2500*time.Millisecond {
		t.Errorf("exited %v after the last datagram, want ≥ 3 s (2 s flow expiry + 1 s idle)", el)
	}
}

// TestDatagramFDTableFullBinary: with the fd table full, new clients are dropped with a
// warning (no spinning, no exit) while a client with a flow keeps being served; once
// descriptors are available again new clients are served.
func TestDatagramFDTableFullBinary(t *testing.T) {
	t.Parallel()
	bin := testbin.Path(t)
	be := startEcho(t, "udp4", "127.0.0.1:0", false)
	addr := freeAddr(t)
	a := startCmd(t, exec.Command(bin, "proxy", "--listen-datagram="+addr, be.conn.LocalAddr().String()))
	first := udpClient(t, "udp4", "127.0.0.1:0")
	if got := exchangeRetry(t, first, addr, "first"); got != "echo:first" {
		t.Fatalf("reply %q", got)
	}
	pid := a.cmd.Process.Pid
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Skipf("prlimit: %v", err)
	}
	// A soft limit at the lowest free descriptor number: no new descriptor can be opened.
	full := unix.Rlimit{Cur: uint64(lowestFreeFD(t, pid)), Max: old.Max}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &full, nil); err != nil {
		t.Skipf("prlimit: %v", err)
	}
	to := c2a(t, addr)
	var clients []net.PacketConn
	for i := range 5 {
		c := udpClient(t, "udp4", "127.0.0.1:0")
		clients = append(clients, c)
		if got, _ := exchange(t, c, to, "new", 200*time.Millisecond); got != "" {
			t.Errorf("new client %d answered %q with the fd table full", i, got)
		}
	}
	if got := exchangeSkipping(t, first, to, "still", "first"); got != "echo:still" {
		t.Errorf("the client with a flow got %q with the fd table full", got)
	}
	cpu := cpuTime(t, pid)
	for range 50 { // the refused clients keep sending for about half a second
		for _, c := range clients {
			c.WriteTo([]byte("more"), to)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if used := cpuTime(t, pid) - cpu; used > 25 { // clock ticks (1/100 s)
		t.Errorf("proxy used %d ticks of CPU in half a second while its fd table was full", used)
	}
	if !strings.Contains(a.stderr.String(), "Failed to create backend socket") {
		t.Errorf("no warning about the full fd table; output:\n%s", a.stderr)
	}
	// Room again (an operator raised the limit, or connections closed elsewhere).
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &old, nil); err != nil {
		t.Fatal(err)
	}
	// Datagrams the proxy could not serve while full may still sit in its socket's queue and be
	// answered first now; any reply but theirs and the new one is wrong.
	if got := repliesUntil(t, clients[0], to, "later", 5*time.Second); got[len(got)-1] != "echo:later" {
		t.Errorf("with room again, a new client got %q; output:\n%s", got, a.stderr)
	} else {
		for _, r := range got[:len(got)-1] {
			if r != "echo:new" && r != "echo:more" {
				t.Errorf("with room again, a new client got %q before its answer", r)
			}
		}
	}
	if _, ended := a.exited(0); ended {
		t.Errorf("proxy exited: %s", a.stderr)
	}
}

// repliesUntil sends msg from c to to and reads the replies until "echo:"+msg arrives or timeout
// passes; it returns them all in order, the last being "" on a timeout.
func repliesUntil(t *testing.T, c net.PacketConn, to net.Addr, msg string, timeout time.Duration) []string {
	t.Helper()
	if _, err := c.WriteTo([]byte(msg), to); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 1<<17)
	var got []string
	for {
		n, _, err := c.ReadFrom(buf)
		if err != nil {
			return append(got, "")
		}
		got = append(got, string(buf[:n]))
		if got[len(got)-1] == "echo:"+msg {
			return got
		}
	}
}

// lowestFreeFD returns the lowest descriptor number process pid does not use.
func lowestFreeFD(t *testing.T, pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			used[n] = true
		}
	}
	n := 0
	for used[n] {
		n++
	}
	return n
}
