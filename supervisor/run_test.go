//go:build linux

package supervisor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sockvisor/sockvisor/socketunit"
)

// dialRead connects to addr, writes msg (if any) and returns the first line of the reply ("" on EOF).
func dialRead(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if msg != "" {
		io.WriteString(c, msg)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("read from %s: %v", addr, err)
	}
	return strings.TrimSpace(line)
}

func addrOf(l socketunit.Listen) string {
	return net.JoinHostPort(l.Address.IP.String(), fmt.Sprint(l.Address.Port))
}

func TestAcceptNoPassesFDsAndKeepsService(t *testing.T) {
	noLeaks(t)
	dir := t.TempDir()
	l := tcpListen(t)
	b := &testBackend{}
	b.setUnit(writeUnitFile(t, dir, "hello.socket"), testUnit("hello.socket", false, "accept-no", l))
	control, stop := runTest(t, b, Config{Units: []string{dir}})

	if st := unitStatus(t, control, "hello.socket"); st.State != "listening" {
		t.Fatalf("state before traffic %q, want listening", st.State)
	}
	for i := 0; i < 3; i++ {
		if got, want := dialRead(t, addrOf(l), ""), "pid_ok=true fds=1 names=hello.socket"; got != want {
			t.Fatalf("connection %d: service said %q, want %q", i, got, want)
		}
	}
	if got := b.startedNames(); len(got) != 1 || got[0] != "hello.service" {
		t.Fatalf("services started %v, want one hello.service", got)
	}
	if st := unitStatus(t, control, "hello.socket"); st.State != "running" || st.Activates[0] != "hello.service" {
		t.Fatalf("status %+v, want running hello.service", st)
	}
	if err := stop(); err != nil {
		t.Fatalf("clean stop returned %v", err)
	}
	if _, err := net.Dial("tcp", addrOf(l)); err == nil {
		t.Fatal("socket still open after stop")
	}
}

func TestAcceptNoListensAgainAfterExit(t *testing.T) {
	dir := t.TempDir()
	l := tcpListen(t)
	u := testUnit("once.socket", false, "accept-no", l)
	u.Service.Exec.Environment = append(u.Service.Exec.Environment, "HELPER_ONCE=1")
	b := &testBackend{}
	b.setUnit(writeUnitFile(t, dir, "once.socket"), u)
	control, _ := runTest(t, b, Config{Units: []string{dir}})
	for i := 0; i < 3; i++ {
		if got := dialRead(t, addrOf(l), ""); !strings.HasPrefix(got, "pid_ok=true") {
			t.Fatalf("connection %d: %q", i, got)
		}
	}
	waitFor(t, "three activations", func() bool { return len(b.startedNames()) == 3 })
	waitFor(t, "listening again", func() bool { return unitStatus(t, control, "once.socket").State == "listening" })
}

func TestAcceptYesInstanceNamesAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	l := tcpListen(t)
	b := &testBackend{}
	b.setUnit(writeUnitFile(t, dir, "echo.socket"), testUnit("echo.socket", true, "inetd", l))
	control, _ := runTest(t, b, Config{Units: []string{dir}})

	c, err := net.Dial("tcp", addrOf(l))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lport := c.LocalAddr().(*net.TCPAddr).Port
	io.WriteString(c, "ping\n")
	r := bufio.NewReader(c)
	env, _ := r.ReadString('\n')
	echo, _ := r.ReadString('\n')
	if want := fmt.Sprintf("addr=127.0.0.1 port=%d fds=1 names=connection\n", lport); env != want {
		t.Fatalf("instance environment %q, want %q", env, want)
	}
	if echo != "ping\n" {
		t.Fatalf("echo %q", echo)
	}
	want := fmt.Sprintf("echo@0-127.0.0.1:%d-127.0.0.1:%d.service", l.Address.Port, lport)
	if got := b.startedNames(); len(got) != 1 || got[0] != want {
		t.Fatalf("instances %v, want [%s]", got, want)
	}
	waitFor(t, "connection released", func() bool {
		st := unitStatus(t, control, "echo.socket")
		return st.NAccepted == 1 && st.NConnections == 0 && st.State == "listening"
	})
}

func TestMaxConnections(t *testing.T) {
	dir := t.TempDir()
	l := tcpListen(t)
	u := testUnit("hold.socket", true, "hold", l)
	u.Socket.MaxConnections = 2
	b := &testBackend{}
	b.setUnit(writeUnitFile(t, dir, "hold.socket"), u)
	control, _ := runTest(t, b, Config{Units: []string{dir}})
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", addrOf(l))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		if line != "held\n" {
			t.Fatalf("connection %d: %q", i, line)
		}
		held = append(held, c)
	}
	if got := dialRead(t, addrOf(l), ""); got != "" {
		t.Fatalf("third connection got %q, want it dropped", got)
	}
	st := unitStatus(t, control, "hold.socket")
	if st.NAccepted != 2 || st.NConnections != 2 || st.NRefused != 1 {
		t.Fatalf("counters accepted=%d connections=%d refused=%d, want 2 2 1", st.NAccepted, st.NConnections, st.NRefused)
	}
	held[0].Close()
}

func TestMaxConnectionsPerSource(t *testing.T) {
	dir := t.TempDir()
	l := tcpListen(t)
	l.Address.IP = l.Address.IP.Unmap()
	u := testUnit("src.socket", true, "hold", l)
	u.Socket.MaxConnectionsPerSource = 1
	b := &testBackend{}
	b.setUnit(writeUnitFile(t, dir, "src.socket"), u)
	control, _ := runTest(t, b, Config{Units: []string{dir}})
	c, err := net.Dial("tcp", addrOf(l))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if line, _ := bufio.NewReader(c).ReadString('\n'); line != "held\n" {
		t.Fatalf("first connection: %q", line)
	}
	if got := dialRead(t, addrOf(l), ""); got != "" {
		t.Fatalf("second connection from 127.0.0.1 got %q, want it dropped", got)
	}
	// Another source address is a separate budget.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	c2, err := d.Dial("tcp", addrOf(l))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if line, _ := bufio.NewReader(c2).ReadString('\n'); line != "held\n" {
		t.Fatalf("connection from 127.0.0.2: %q", line)
	}
	if st := unitStatus(t, control, "src.socket"); st.NRefused != 1 || st.NConnections != 2 {
		t.Fatalf("refused=%d connections=%d, want 1 and 2", st.NRefused, st.NConnections)
	}
}

func TestTriggerLimitFailsCrashLoop(t *testing.T) {
	dir := t.TempDir()
	l := tcpListen(t)
	u := testUnit("crash.socket", false, "crash", l)
	u.Socket.TriggerLimitBurst = 5
	u.Socket.TriggerLimitInterval = 10e6
	b := &testBackend{}
	b.setUnit(writeUnitFile(t, dir, "crash.socket"), u)
	control, stop := runTest(t, b, Config{Units: []string{dir}})
	c, err := net.Dial("tcp", addrOf(l))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, "trigger limit", func() bool { return unitStatus(t, control, "crash.socket").State == "failed" })
	st := unitStatus(t, control, "crash.socket")
	if st.Result != "trigger-limit-hit" {
		t.Fatalf("result %q, want trigger-limit-hit", st.Result)
	}
	if n := len(b.startedNames()); n != 5 {
		t.Fatalf("service started %d times, want exactly the burst (5)", n)
	}
	if _, err := net.Dial("tcp", addrOf(l)); err == nil {
		t.Fatal("failed unit still listens")
	}
	if err := stop(); !errors.Is(err, ErrFailed) {
		t.Fatalf("Run returned %v, want ErrFailed", err)
	}
}

func TestPollLimitPausesSocket(t *testing.T) {
	dir := t.TempDir()
	l := tcpListen(t)
	u := testUnit("flood.socket", true, "inetd", l)
	u.Socket.PollLimitBurst = 3
	u.Socket.PollLimitInterval = 1e6
	b := &testBackend{}
	b.setUnit(writeUnitFile(t, dir, "flood.socket"), u)
	control, _ := runTest(t, b, Config{Units: []string{dir}})
	start := time.Now()
	var conns []net.Conn
	for i := 0; i < 6; i++ {
		c, err := net.Dial("tcp", addrOf(l))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	time.Sleep(300 * time.Millisecond)
	if n := unitStatus(t, control, "flood.socket").NAccepted; time.Since(start) < time.Second && n != 3 {
		t.Fatalf("accepted %d connections within the window, want the burst (3)", n)
	}
	waitFor(t, "the pause to end", func() bool { return unitStatus(t, control, "flood.socket").NAccepted == 6 })
	if el := time.Since(start); el < time.Second {
		t.Fatalf("all 6 accepted after %v, before the 1 s window ended", el)
	}
	if st := unitStatus(t, control, "flood.socket"); st.State != "listening" {
		t.Fatalf("poll limit changed the state to %s", st.State)
	}
}

func TestInProcessProxyRestartsAfterIdle(t *testing.T) {
	noLeaks(t)
	dir := t.TempDir()
	l := tcpListen(t)
	u := testUnit("proxy.socket", false, "", l)
	u.Service.ExecStart = []socketunit.ExecCommand{{Path: "/lib/systemd/systemd-socket-proxyd",
		Argv: []string{"/lib/systemd/systemd-socket-proxyd", "--exit-idle-time=1", "/nonexistent"}}}
	served := make(chan int, 10)
	n := 0
	b := &testBackend{proxyFn: func(ctx context.Context, files []*os.File) error {
		// A stand-in forwarder: serve one connection, then exit as if idle.
		ln, err := net.FileListener(files[0])
		if err != nil {
			return err
		}
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		n++
		fmt.Fprintf(c, "inproc %d\n", n)
		c.Close()
		served <- n
		return nil
	}}
	b.setUnit(writeUnitFile(t, dir, "proxy.socket"), u)
	control, _ := runTest(t, b, Config{Units: []string{dir}})
	for i := 1; i <= 2; i++ {
		if got, want := dialRead(t, addrOf(l), ""), fmt.Sprintf("inproc %d", i); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		<-served
		waitFor(t, "proxy idle exit", func() bool { return unitStatus(t, control, "proxy.socket").State == "listening" })
	}
	if got := b.startedNames(); len(got) != 0 {
		t.Fatalf("processes started %v; the proxy should run in process", got)
	}
}

func TestReloadKeepsSocketsAndQueuedConnections(t *testing.T) {
	noLeaks(t)
	dir := t.TempDir()
	l1, l2 := tcpListen(t), tcpListen(t)
	b := &testBackend{}
	p1 := writeUnitFile(t, dir, "a.socket")
	u1 := testUnit("a.socket", false, "accept-no", l1)
	u1.Service.Exec.Environment = append(u1.Service.Exec.Environment, "HELPER_ONCE=1")
	b.setUnit(p1, u1)
	control, _ := runTest(t, b, Config{Units: []string{dir}})
	if n := b.openedSets(); n != 1 {
		t.Fatalf("opened %d sets", n)
	}
	// A connection queued before the reload must be served after it.
	c, err := net.Dial("tcp", addrOf(l1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if line, _ := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "pid_ok=true") {
		t.Fatalf("first: %q", line)
	}
	// Change the service (same Listen=), add b.socket.
	u1b := testUnit("a.socket", false, "accept-no", l1)
	u1b.Service.Exec.Environment = append(u1b.Service.Exec.Environment, "HELPER_ONCE=1", "X=changed")
	b.setUnit(p1, u1b)
	b.setUnit(writeUnitFile(t, dir, "b.socket"), testUnit("b.socket", false, "accept-no", l2))
	os.WriteFile(p1, []byte("[Socket]\n# changed\n"), 0o644)
	waitFor(t, "b.socket to appear", func() bool {
		st, _ := QueryStatus(context.Background(), control)
		return len(st) == 2
	})
	if n := b.openedSets(); n != 2 {
		t.Fatalf("reload opened %d sets, want 2 (a kept, b new)", n)
	}
	if got := dialRead(t, addrOf(l2), ""); !strings.Contains(got, "names=b.socket") {
		t.Fatalf("b.socket: %q", got)
	}
	if got := dialRead(t, addrOf(l1), ""); !strings.HasPrefix(got, "pid_ok=true") {
		t.Fatalf("a.socket after reload: %q", got)
	}
	// Remove b.socket: it stops and closes.
	b.setUnit(filepath.Join(dir, "b.socket"), nil)
	os.Remove(filepath.Join(dir, "b.socket"))
	waitFor(t, "b.socket to go", func() bool {
		st, _ := QueryStatus(context.Background(), control)
		return len(st) == 1
	})
	if _, err := net.Dial("tcp", addrOf(l2)); err == nil {
		t.Fatal("removed unit still listens")
	}
}

// noLeaks fails the test if goroutines started during it outlive it (checked after the
// supervisor started by runTest has been stopped: cleanups run last-in, first-out).
func noLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}
