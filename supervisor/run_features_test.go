//go:build linux

package supervisor

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testnet"
)

// helperService is a [Service] section that runs this test binary as one of helperMain's modes.
func helperService(mode string, extra ...string) string {
	exe, _ := os.Executable()
	return fmt.Sprintf("[Service]\nExecStart=%s -test.run=^$\nEnvironment=%s=%s\n%s", exe, helperEnv, mode, strings.Join(extra, ""))
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRunSIGKILLKeepsSocket kills an Accept=no service with SIGKILL: the socket stays open
// (sockvisor holds its own copies) and the next connection starts a new service.
func TestRunSIGKILLKeepsSocket(t *testing.T) {
	dir := t.TempDir()
	port := testnet.Port(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	writeFile(t, filepath.Join(dir, "kill.socket"), fmt.Sprintf("[Socket]\nListenStream=%s\nFileDescriptorName=web\n", addr))
	writeFile(t, filepath.Join(dir, "kill.service"), helperService("accept-no"))
	r := startRun(t, dir)
	if got := dialRead(t, addr, ""); got != "pid_ok=true fds=1 names=web" {
		t.Fatalf("first service: %q", got)
	}
	pid := r.unit(t, "kill.socket").MainPID
	if pid == 0 {
		t.Fatal("no main pid")
	}
	syscall.Kill(pid, syscall.SIGKILL)
	waitFor(t, "the socket to listen again", func() bool { return r.unit(t, "kill.socket").State == "listening" })
	if got := dialRead(t, addr, ""); got != "pid_ok=true fds=1 names=web" {
		t.Fatalf("after SIGKILL: %q", got)
	}
	if p2 := r.unit(t, "kill.socket").MainPID; p2 == 0 || p2 == pid {
		t.Fatalf("second service pid %d (first %d)", p2, pid)
	}
}

// TestRunFlushPending: a service that exits without accepting leaves the connection queued;
// with FlushPending=yes it is discarded when the socket listens again (one activation), without
// it the socket re-triggers until the trigger limit fails it (systemd issue 2467's loop).
func TestRunFlushPending(t *testing.T) {
	for _, flush := range []bool{true, false} {
		t.Run(fmt.Sprintf("FlushPending=%v", flush), func(t *testing.T) {
			dir := t.TempDir()
			port := testnet.Port(t)
			writeFile(t, filepath.Join(dir, "loop.socket"), fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nFlushPending=%v\nTriggerLimitIntervalSec=10s\n", port, flush))
			writeFile(t, filepath.Join(dir, "loop.service"), "[Service]\nExecStart=/bin/true\n")
			r := startRun(t, dir)
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if flush {
				c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Read(make([]byte, 1)); err == nil {
					t.Fatal("read data from a flushed connection")
				}
				time.Sleep(500 * time.Millisecond)
				u := r.unit(t, "loop.socket")
				if u.State != "listening" {
					t.Fatalf("state %s, want listening", u.State)
				}
				if n := strings.Count(r.log.String(), "msg=starting"); n != 1 {
					t.Fatalf("%d activations, want 1", n)
				}
				return
			}
			waitFor(t, "the trigger limit", func() bool { return r.unit(t, "loop.socket").State == "failed" })
			if u := r.unit(t, "loop.socket"); u.Result != "trigger-limit-hit" {
				t.Fatalf("result %s", u.Result)
			}
			if n := strings.Count(r.log.String(), "msg=starting"); n != 20 {
				t.Fatalf("%d activations, want the default Accept=no burst (20)", n)
			}
			if code := r.stop(t); code != 1 {
				t.Fatalf("exit code %d after a unit failed, want 1", code)
			}
		})
	}
}

// TestRunPassFileDescriptorsToExec is upstream's TEST-07-PID1.socket-pass-fds: with
// PassFileDescriptorsToExec=yes, ExecStartPost=, ExecStopPre= and ExecStopPost= get the fds
// (LISTEN_FDS=2, LISTEN_FDNAMES=foo:foo, fds 3 and 4 are sockets); ExecStartPre= never does;
// with no, none of them does.
func TestRunPassFileDescriptorsToExec(t *testing.T) {
	for _, pass := range []bool{true, false} {
		t.Run(fmt.Sprintf("PassFileDescriptorsToExec=%v", pass), func(t *testing.T) {
			dir, marks := t.TempDir(), t.TempDir()
			have := `test "$LISTEN_FDS" = 2 && test "$LISTEN_FDNAMES" = foo:foo && test -S /dev/fd/3 && test -S /dev/fd/4`
			none := `test -z "$LISTEN_FDS" && test -z "$LISTEN_FDNAMES" && ! test -e /dev/fd/3 && ! test -e /dev/fd/4`
			check := none
			if pass {
				check = have
			}
			cmd := func(key, test string) string {
				return fmt.Sprintf("%s=/bin/sh -c '%s && touch %s/%s'\n", key, test, marks, key)
			}
			writeFile(t, filepath.Join(dir, "pass.socket"), fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nListenStream=[::1]:%d\nAccept=yes\nFileDescriptorName=foo\nPassFileDescriptorsToExec=%v\n", testnet.Port(t), testnet.Port(t), pass)+
				cmd("ExecStartPre", none)+cmd("ExecStartPost", check)+cmd("ExecStopPre", check)+cmd("ExecStopPost", check))
			writeFile(t, filepath.Join(dir, "pass@.service"), "[Service]\nExecStart=/bin/true\n")
			r := startRun(t, dir)
			if code := r.stop(t); code != 0 {
				t.Fatalf("exit code %d\n%s", code, r.log)
			}
			for _, key := range []string{"ExecStartPre", "ExecStartPost", "ExecStopPre", "ExecStopPost"} {
				if _, err := os.Stat(filepath.Join(marks, key)); err != nil {
					t.Errorf("%s did not see what it should (LISTEN_FDS and fds 3/4 %s)", key, map[bool]string{true: "present", false: "absent"}[pass && key != "ExecStartPre"])
				}
			}
		})
	}
}

// TestRunUnixPerSourceUID is upstream's TEST-74-AUX-UTILS.socket per-source-limit: an Accept=yes
// UNIX socket with MaxConnectionsPerSource=2 serves two connections of one UID, refuses the
// third before any output, and serves another UID.
func TestRunUnixPerSourceUID(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to connect as another UID")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	dir := t.TempDir()
	sdir, err := os.MkdirTemp("", "per-source-") // t.TempDir's parent is private to root
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sdir) })
	os.Chmod(sdir, 0o755)
	sock := filepath.Join(sdir, "per-source-limit.sk")
	writeFile(t, filepath.Join(dir, "per-source-limit.socket"), "[Socket]\nListenStream="+sock+"\nMaxConnectionsPerSource=2\nAccept=yes\n")
	writeFile(t, filepath.Join(dir, "per-source-limit@.service"), "[Service]\nExecStartPre=/bin/echo waldo\nExecStart=/bin/sleep infinity\nStandardOutput=socket\n")
	r := startRun(t, dir)
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if line, _ := bufio.NewReader(c).ReadString('\n'); line != "waldo\n" {
			t.Fatalf("connection %d from root: %q", i, line)
		}
		held = append(held, c)
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, _ := bufio.NewReader(c).ReadString('\n'); line != "" {
		t.Fatalf("third connection from root got %q, want it refused", line)
	}
	c.Close()
	out, _ := exec.Command("setpriv", "--reuid=1", "--regid=1", "--clear-groups", "timeout", "3", "nc", "-U", sock).Output()
	if string(out) != "waldo\n" {
		t.Fatalf("connection from UID 1: %q", out)
	}
	if u := r.unit(t, "per-source-limit.socket"); u.NRefused != 1 || u.NAccepted != 3 {
		t.Fatalf("accepted %d refused %d, want 3 and 1", u.NAccepted, u.NRefused)
	}
	for _, want := range []string{"Too many incoming connections (3) from source UID 0, dropping connection."} {
		if !strings.Contains(r.log.String(), want) {
			t.Fatalf("log lacks %q", want)
		}
	}
}

// TestRunEnabledSockets runs without unit arguments: the sockets enabled in the search path.
func TestRunEnabledSockets(t *testing.T) {
	dir := t.TempDir()
	port := testnet.Port(t)
	writeFile(t, filepath.Join(dir, "on.socket"), fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n[Install]\nWantedBy=sockets.target\n", port))
	writeFile(t, filepath.Join(dir, "on@.service"), "[Service]\nExecStart=/bin/echo enabled\nStandardOutput=socket\n")
	writeFile(t, filepath.Join(dir, "off.socket"), fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\n", testnet.Port(t)))
	writeFile(t, filepath.Join(dir, "off.service"), "[Service]\nExecStart=/bin/true\n")
	os.MkdirAll(filepath.Join(dir, "sockets.target.wants"), 0o755)
	os.Symlink("../on.socket", filepath.Join(dir, "sockets.target.wants", "on.socket"))
	r := startRun(t, "--unit-path="+dir)
	if got := dialRead(t, fmt.Sprintf("127.0.0.1:%d", port), ""); got != "enabled" {
		t.Fatalf("enabled socket: %q", got)
	}
	st, _ := QueryStatusPath(t, r.control)
	if len(st) != 1 || st[0] != "on.socket" {
		t.Fatalf("units %v, want only the enabled on.socket", st)
	}
}

// QueryStatusPath returns the unit names the supervisor at control reports.
func QueryStatusPath(t *testing.T, control string) ([]string, error) {
	t.Helper()
	st, err := QueryStatus(t.Context(), control)
	var names []string
	for _, u := range st {
		names = append(names, u.Unit)
	}
	return names, err
}

// TestRunSocketCommandsTimeoutAndFailure: the socket's own commands are bounded by TimeoutSec=
// (a hanging ExecStartPre= fails the unit with result timeout, a hanging ExecStopPost= does
// not hold up the stop), and a failing ExecStartPre= fails the unit with exit-code.
func TestRunSocketCommandsTimeoutAndFailure(t *testing.T) {
	dir := t.TempDir()
	unit := func(name, extra string) {
		writeFile(t, filepath.Join(dir, name+".socket"), fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nTimeoutSec=1\n%s", testnet.Port(t), extra))
		writeFile(t, filepath.Join(dir, name+".service"), "[Service]\nExecStart=/bin/true\n")
	}
	unit("hang", "ExecStartPre=/bin/sleep 30\n")
	unit("fail", "ExecStartPre=/bin/false\n")
	unit("ignored", "ExecStartPre=-/bin/false\n")
	unit("slowstop", "ExecStopPost=/bin/sleep 30\n")
	r := startRun(t, dir)
	want := map[string][2]string{
		"hang.socket": {"failed", "timeout"}, "fail.socket": {"failed", "exit-code"},
		"ignored.socket": {"listening", "success"}, "slowstop.socket": {"listening", "success"},
	}
	for name, w := range want {
		if u := r.unit(t, name); u.State != w[0] || u.Result != w[1] {
			t.Errorf("%s: %s (%s), want %s (%s)", name, u.State, u.Result, w[0], w[1])
		}
	}
	start := time.Now()
	code := r.stop(t)
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("stop took %v: ExecStopPost= not bounded by TimeoutSec=1", el)
	}
	if code != 1 {
		t.Fatalf("exit code %d, want 1 (units failed)", code)
	}
}

// TestRunPollLimit is upstream's TEST-07-PID1.poll-limit: an Accept=yes socket with
// PollLimitIntervalSec=10s and PollLimitBurst=3 flooded with connections accepts at most
// ceil((elapsed+10 s)·3/10 s) of them, and stays listening (no failure).
func TestRunPollLimit(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(t.TempDir(), "floodme")
	writeFile(t, filepath.Join(dir, "floodme.socket"), "[Socket]\nListenStream="+sock+"\nPollLimitIntervalSec=10s\nAccept=yes\nPollLimitBurst=3\n")
	writeFile(t, filepath.Join(dir, "floodme@.service"), "[Service]\nExecStart=/bin/true\n")
	r := startRun(t, dir)
	start := time.Now()
	var conns []net.Conn
	for i := 0; i < 100; i++ {
		c, err := net.Dial("unix", sock)
		if err != nil {
			break // the backlog is full: the socket is paused, as it should be
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	time.Sleep(2 * time.Second)
	elapsed := time.Since(start)
	u := r.unit(t, "floodme.socket")
	limit := uint64((elapsed+10*time.Second)*3/(10*time.Second)) + 1
	if u.NAccepted > limit || u.NAccepted < 3 {
		t.Fatalf("accepted %d connections in %v, want between 3 and %d", u.NAccepted, elapsed, limit)
	}
	if u.State != "listening" {
		t.Fatalf("state %s, want listening", u.State)
	}
}

// TestRunSIGHUPRestartsFailedUnit: a unit failed by its trigger limit stays failed until
// SIGHUP, which starts it again (a file change would too; without either it stays failed).
func TestRunSIGHUPRestartsFailedUnit(t *testing.T) {
	dir := t.TempDir()
	port := testnet.Port(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	writeFile(t, filepath.Join(dir, "loop.socket"), fmt.Sprintf("[Socket]\nListenStream=%s\nTriggerLimitBurst=2\nTriggerLimitIntervalSec=10s\n", addr))
	writeFile(t, filepath.Join(dir, "loop.service"), "[Service]\nExecStart=/bin/true\n")
	r := startRun(t, dir)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	waitFor(t, "the trigger limit", func() bool { return r.unit(t, "loop.socket").State == "failed" })
	time.Sleep(500 * time.Millisecond)
	if st := r.unit(t, "loop.socket").State; st != "failed" {
		t.Fatalf("failed unit became %s on its own", st)
	}
	r.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "SIGHUP to restart the unit", func() bool { return r.unit(t, "loop.socket").State == "listening" })
	if code := r.stop(t); code != 1 {
		t.Fatalf("exit code %d, want 1: the unit failed during the run", code)
	}
}

// TestRunSecondSIGTERMKills: a service that ignores SIGTERM holds up the stop for its
// TimeoutStopSec=; a second SIGTERM sends the final SIGKILL at once.
func TestRunSecondSIGTERMKills(t *testing.T) {
	dir := t.TempDir()
	port := testnet.Port(t)
	writeFile(t, filepath.Join(dir, "stubborn.socket"), fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n", port))
	writeFile(t, filepath.Join(dir, "stubborn@.service"), "[Service]\nExecStart=/bin/sh -c 'trap \"\" TERM; echo held; exec sleep 120'\nStandardInput=socket\nStandardOutput=socket\nTimeoutStopSec=120\n")
	r := startRun(t, dir)
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, _ := bufio.NewReader(c).ReadString('\n'); line != "held\n" {
		t.Fatalf("service said %q", line)
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
		t.Fatal("stopped at once although the service ignores SIGTERM and TimeoutStopSec=120")
	case <-time.After(1500 * time.Millisecond):
	}
	start := time.Now()
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(15 * time.Second):
		t.Fatal("a second SIGTERM did not end the stop")
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("second SIGTERM took %v", el)
	}
	t.Logf("stop after the second SIGTERM took %v", time.Since(start))
	if !strings.Contains(r.log.String(), "second stop request") {
		t.Fatalf("log:\n%s", r.log)
	}
}

// TestRunInstanceSpecifiers: each connection's service is loaded as its own instance of the
// template, so %i and %n expand to the instance systemd would name.
func TestRunInstanceSpecifiers(t *testing.T) {
	dir := t.TempDir()
	port := testnet.Port(t)
	writeFile(t, filepath.Join(dir, "sp.socket"), fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n", port))
	writeFile(t, filepath.Join(dir, "sp@.service"), "[Service]\nExecStart=/bin/echo %i %n\nStandardOutput=socket\n")
	startRun(t, dir)
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(c).ReadString('\n')
	inst := fmt.Sprintf("0-127.0.0.1:%d-127.0.0.1:%d", port, c.LocalAddr().(*net.TCPAddr).Port)
	if want := inst + " sp@" + inst + ".service\n"; line != want {
		t.Fatalf("service printed %q, want %q", line, want)
	}
}
