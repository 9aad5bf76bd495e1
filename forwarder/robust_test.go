//go:build linux

package forwarder

import (
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// abortingBackend echoes, except that one connection in four is reset at once and one in four
// is reset after the first read.
func abortingBackend(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				tc := c.(*net.TCPConn)
				switch n % 4 {
				case 0:
					tc.SetLinger(0)
					tc.Close()
					return
				case 1:
					buf := make([]byte, 512)
					tc.SetDeadline(time.Now().Add(5 * time.Second))
					tc.Read(buf)
					tc.SetLinger(0)
					tc.Close()
					return
				}
				defer tc.Close()
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				echoPlain(tc)
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// abortingClients makes n connections to addr from 32 goroutines: some reset at once, some
// after sending, some half-close and read the echo; it returns how many got a full echo.
func abortingClients(t testing.TB, addr string, n int) int64 {
	var next, ok atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			msg := []byte("0123456789abcdef")
			buf := make([]byte, 64)
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				c, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					continue
				}
				tc := c.(*net.TCPConn)
				tc.SetDeadline(time.Now().Add(5 * time.Second))
				switch rand.IntN(4) {
				case 0:
					tc.SetLinger(0)
				case 1:
					tc.Write(msg)
					tc.SetLinger(0)
				default:
					tc.Write(msg)
					tc.CloseWrite()
					if m, _ := io.ReadFull(tc, buf[:len(msg)]); m == len(msg) {
						ok.Add(1)
					}
				}
				tc.Close()
			}
		})
	}
	wg.Wait()
	return ok.Load()
}

// TestStressAbortsNoLeakedFDs runs 10,000 connections with random client and backend aborts
// through the sockvisor binary, then checks its fd table is back where it started.
func TestStressAbortsNoLeakedFDs(t *testing.T) {
	t.Parallel()
	target := abortingBackend(t)
	a := passSockets(t, impls(t)[0].argv("-c", "10000", target))
	pid := a.cmd.Process.Pid
	waitDial(t, a.addr)
	time.Sleep(pipeIdle + 500*time.Millisecond) // the warm-up's pooled pipes expire
	base := countFDs(t, pid)
	served := abortingClients(t, a.addr, 10000)
	if served == 0 {
		t.Fatal("no connection got its echo")
	}
	deadline := time.Now().Add(pipeIdle + 3*time.Second)
	for {
		n := countFDs(t, pid)
		if n <= base {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy holds %d fds after the load, %d before", n, base)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, ended := a.exited(0); ended {
		t.Fatalf("proxy died: %s", exitStatus(a.err))
	}
	t.Logf("%d of 10000 connections echoed; fds back to %d", served, base)
}

// TestBackendDownThenUp: with the backend down, clients under load fail and the proxy stays
// up; once the backend listens, connections succeed again within a second.
func TestBackendDownThenUp(t *testing.T) {
	t.Parallel()
	target := freeAddr(t)
	a := passSockets(t, impls(t)[0].argv("--connect-retry=0", target))
	stop := make(chan struct{})
	var served atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if echoThrough(t, a.addr, []byte("ping")) == nil {
					served.Add(1)
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(time.Second)
	if served.Load() != 0 {
		t.Fatalf("%d connections served with the backend down", served.Load())
	}
	if _, ended := a.exited(0); ended {
		t.Fatalf("proxy died with the backend down: %s", exitStatus(a.err))
	}
	ln, err := net.Listen("tcp", target)
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	up := time.Now()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { echoPlain(c); c.Close() }()
		}
	}()
	defer ln.Close()
	for served.Load() == 0 {
		if time.Since(up) > time.Second {
			t.Fatalf("no connection served 1 s after the backend came up")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("served again %v after the backend came up", time.Since(up))
}

// TestConnectRetryWaitsForBackend: a client arriving before its backend listens is served
// once the backend comes up (default --connect-retry).
func TestConnectRetryWaitsForBackend(t *testing.T) {
	t.Parallel()
	target := freeAddr(t)
	addr, _, _, _ := serveInProcess(t, Config{Target: target, ConnectionsMax: 10, ConnectRetry: 5 * time.Second, PipeSize: DefaultPipeSize})
	res := make(chan error, 1)
	go func() { res <- echoThrough(t, addr, []byte("early")) }()
	time.Sleep(300 * time.Millisecond)
	startBackendAt(t, target)
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("early client: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("early client not served")
	}
}

func startBackendAt(t testing.TB, addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port taken meanwhile: %v", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { echoPlain(c); c.Close() })
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
}

// TestAcceptWithFullFDTable runs the proxy with RLIMIT_NOFILE 48 and 80 clients holding their
// connections: accepting must not spin while the table is full, and service resumes after.
func TestAcceptWithFullFDTable(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	argv := append([]string{"prlimit", "--nofile=48:48", "--"}, impls(t)[0].argv("-c", "1000", b.target)...)
	a := passSockets(t, argv)
	pid := a.cmd.Process.Pid
	waitDial(t, a.addr)
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range 80 {
		c, err := net.DialTimeout("tcp", a.addr, time.Second)
		if err != nil {
			break
		}
		clients = append(clients, c)
	}
	time.Sleep(300 * time.Millisecond)
	before := cpuTime(t, pid)
	time.Sleep(2 * time.Second)
	used := cpuTime(t, pid) - before
	if used > 30 {
		t.Errorf("proxy used %d clock ticks of CPU in 2 s with its fd table full", used)
	}
	for _, c := range clients {
		c.Close()
	}
	clients = nil
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := echoThrough(t, a.addr, []byte("again"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no service after the clients left: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("CPU while full: %d ticks in 2 s; fds now %s", used, strconv.Itoa(countFDs(t, pid)))
}

// TestClientLeavesMidTransfer: clients that close while the backend is still sending make the
// proxy write into dead sockets (EPIPE, SIGPIPE for a C program); it must stay up and serve.
func TestClientLeavesMidTransfer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	blob := make([]byte, 8<<20)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 4)
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if string(buf) == "ping" {
					c.Write(buf)
					return
				}
				c.Write(blob)
			}()
		}
	}()
	a := passSockets(t, impls(t)[0].argv(ln.Addr().String()))
	waitDial(t, a.addr)
	for range 20 {
		c, err := net.Dial("tcp", a.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("blob"))
		c.Read(make([]byte, 1000))
		c.Close() // with the blob still coming
	}
	time.Sleep(200 * time.Millisecond)
	if _, ended := a.exited(0); ended {
		t.Fatalf("proxy died: %s", exitStatus(a.err))
	}
	if err := echoThrough(t, a.addr, []byte("ping")); err != nil {
		t.Fatalf("no service after clients left mid-transfer: %v", err)
	}
}

// TestRaisesNofileLimit: started with a soft RLIMIT_NOFILE of 64 under a hard limit of 4096,
// the proxy raises the soft limit (as newer systemd-socket-proxyd does; the Go runtime does it
// at start-up).
func TestRaisesNofileLimit(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	argv := append([]string{"prlimit", "--nofile=64:4096", "--"}, impls(t)[0].argv(b.target)...)
	a := passSockets(t, argv)
	waitDial(t, a.addr)
	// The listening socket was bound before the proxy started, so a dial does not prove the
	// proxy is past its start: give it time to raise the limit.
	var line string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		limits, err := os.ReadFile("/proc/" + strconv.Itoa(a.cmd.Process.Pid) + "/limits")
		if err != nil {
			t.Fatal(err)
		}
		line = ""
		for _, l := range strings.Split(string(limits), "\n") {
			if f := strings.Fields(l); strings.HasPrefix(l, "Max open files") && len(f) >= 5 {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("no open-files line in:\n%s", limits)
		}
		if soft, _ := strconv.Atoi(strings.Fields(line)[3]); soft > 64 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("soft limit not raised 10 s after start: %s", line)
		}
	}
}
