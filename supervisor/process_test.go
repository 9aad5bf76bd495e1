//go:build linux

package supervisor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/socketunit"
)

// startReaper runs a reaper for the test's lifetime.
func startReaper(t *testing.T) *Reaper {
	t.Helper()
	r := NewReaper(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// listenTCP returns a listening socket on 127.0.0.1 as a file, and its address.
func listenTCP(t *testing.T) (*os.File, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.(*net.TCPListener).File()
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, l.Addr().String()
}

func shCommand(script string) socketunit.ExecCommand {
	return socketunit.ExecCommand{Path: "/bin/sh", Argv: []string{"sh", "-c", script}}
}

func defaultExec() socketunit.ExecContext {
	return socketunit.ExecContext{UMask: 0o022}
}

// waitDone waits for a process with a deadline.
func waitDone(t *testing.T, p *Process) ExitStatus {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("pid %d did not exit", p.PID())
	}
	return p.Wait()
}

// TestListenPIDIsOwnPID is the test the design asks for: a service that prints its
// environment and its fd table sees LISTEN_PID equal to its own PID and fds 3.. being the
// sockets it was given, in order, with their names.
func TestListenPIDIsOwnPID(t *testing.T) {
	r := startReaper(t)
	a, _ := listenTCP(t)
	b, _ := listenTCP(t)
	out := filepath.Join(t.TempDir(), "out")
	spec := ProcessSpec{
		Unit:    "t.service",
		Command: shCommand(`echo "pid=$$$$"; env; ls -l /proc/self/fd/; for fd in 3 4 5; do echo "fd$fd=$(readlink /proc/self/fd/$fd)"; done`),
		Exec:    defaultExec(),
		Files:   []*os.File{a, b},
		FDNames: []string{"web", "admin"},
	}
	spec.Exec.StandardOutput = socketunit.StdioSpec{Kind: "file", Path: out}
	p, err := StartProcess(context.Background(), r, spec)
	if err != nil {
		t.Fatal(err)
	}
	if st := waitDone(t, p); !st.Success(true) {
		t.Fatalf("status %s", st)
	}
	data, _ := os.ReadFile(out)
	text := string(data)
	vars := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = v
		}
	}
	if vars["pid"] != strconv.Itoa(p.PID()) || vars["LISTEN_PID"] != vars["pid"] {
		t.Errorf("pid=%q LISTEN_PID=%q started pid=%d\n%s", vars["pid"], vars["LISTEN_PID"], p.PID(), text)
	}
	if vars["SYSTEMD_EXEC_PID"] != vars["pid"] {
		t.Errorf("SYSTEMD_EXEC_PID=%q, want %q", vars["SYSTEMD_EXEC_PID"], vars["pid"])
	}
	if id, ok := pidfdID(); ok && id != 0 {
		// pidfs: the service's pidfd inode is announced; it differs from ours.
		if v := vars["LISTEN_PIDFDID"]; v == "" || v == strconv.FormatUint(id, 10) {
			t.Errorf("LISTEN_PIDFDID=%q (ours %d)", v, id)
		}
	}
	if vars["LISTEN_FDS"] != "2" || vars["LISTEN_FDNAMES"] != "web:admin" {
		t.Errorf("LISTEN_FDS=%q LISTEN_FDNAMES=%q", vars["LISTEN_FDS"], vars["LISTEN_FDNAMES"])
	}
	for _, fd := range []string{"fd3", "fd4"} {
		if !strings.HasPrefix(vars[fd], "socket:[") {
			t.Errorf("%s = %q, want a socket\n%s", fd, vars[fd], text)
		}
	}
	if vars["fd5"] != "" {
		t.Errorf("fd 5 leaked into the service: %q", vars["fd5"])
	}
	var ino [2]uint64
	for i, f := range []*os.File{a, b} {
		var st syscall.Stat_t
		syscall.Fstat(int(f.Fd()), &st)
		ino[i] = st.Ino
	}
	if vars["fd3"] != fmt.Sprintf("socket:[%d]", ino[0]) || vars["fd4"] != fmt.Sprintf("socket:[%d]", ino[1]) {
		t.Errorf("fds out of order: fd3=%s fd4=%s, want inodes %v", vars["fd3"], vars["fd4"], ino)
	}
	if vars["PATH"] != DefaultPath {
		t.Errorf("PATH=%q, want %q", vars["PATH"], DefaultPath)
	}
	if len(vars["INVOCATION_ID"]) != 32 {
		t.Errorf("INVOCATION_ID=%q", vars["INVOCATION_ID"])
	}
}

// TestServiceAcceptsOnPassedSocket: the service really uses fd 3 as a listening socket.
func TestServiceAcceptsOnPassedSocket(t *testing.T) {
	r := startReaper(t)
	f, addr := listenTCP(t)
	spec := ProcessSpec{
		Unit:    "echo.service",
		Command: testService("echo-fd3"),
		Exec:    defaultExec(),
		Files:   []*os.File{f},
	}
	p, err := StartProcess(context.Background(), r, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(context.Background(), time.Second)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintln(c, "hello")
	buf := make([]byte, 6)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "hello\n" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
}

func TestStartMissingCommandFails(t *testing.T) {
	r := startReaper(t)
	for _, path := range []string{"/nonexistent/bin/x", "no-such-command-sockvisor"} {
		_, err := StartProcess(context.Background(), r, ProcessSpec{
			Unit: "x.service", Command: socketunit.ExecCommand{Path: path, Argv: []string{path}}, Exec: defaultExec(),
		})
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want an error naming it", path, err)
		}
	}
}

func TestStartMissingWorkingDirectory(t *testing.T) {
	r := startReaper(t)
	dir := filepath.Join(t.TempDir(), "missing")
	spec := ProcessSpec{Unit: "x.service", Command: shCommand("pwd"), Exec: defaultExec()}
	spec.Exec.WorkingDirectory = dir
	_, err := StartProcess(context.Background(), r, spec)
	if err == nil || !strings.Contains(err.Error(), "200/CHDIR") {
		t.Fatalf("err = %v, want a 200/CHDIR failure", err)
	}
	// "-" prefix: a missing directory is not an error.
	out := filepath.Join(t.TempDir(), "out")
	spec.Exec.WorkingDirectoryOpt = true
	spec.Exec.StandardOutput = socketunit.StdioSpec{Kind: "file", Path: out}
	p, err := StartProcess(context.Background(), r, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
}

func TestUMaskAndWorkingDirectory(t *testing.T) {
	r := startReaper(t)
	dir := t.TempDir()
	spec := ProcessSpec{Unit: "x.service", Command: shCommand("umask > umask.txt; pwd > pwd.txt"), Exec: defaultExec()}
	spec.Exec.UMask = 0o027
	spec.Exec.WorkingDirectory = dir
	p, err := StartProcess(context.Background(), r, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
	if b, _ := os.ReadFile(filepath.Join(dir, "umask.txt")); strings.TrimSpace(string(b)) != "0027" {
		t.Errorf("umask %q, want 0027", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "pwd.txt")); strings.TrimSpace(string(b)) != dir {
		t.Errorf("pwd %q, want %s", b, dir)
	}
}

func TestExitStatusAndStop(t *testing.T) {
	r := startReaper(t)
	p, err := StartProcess(context.Background(), r, ProcessSpec{Unit: "x", Command: shCommand("exit 3"), Exec: defaultExec()})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitDone(t, p); st.Code != 3 || st.Success(true) || st.String() != "code=exited, status=3" {
		t.Errorf("status %+v %s", st, st)
	}

	// KillSignal=SIGTERM reaches the group: a shell and its child both die.
	p, err = StartProcess(context.Background(), r, ProcessSpec{
		Unit: "x", Command: shCommand("sleep 100 & wait"), Exec: defaultExec(),
		Kill: socketunit.KillContext{KillSignal: int(syscall.SIGTERM), SendSIGKILL: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := p.Stop(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	st := p.Wait()
	if st.Signal != syscall.SIGTERM || !st.Success(true) || st.Success(false) {
		t.Errorf("status %s, want killed by TERM (clean for a main process only)", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for groupAlive(p.PID()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if groupAlive(p.PID()) {
		t.Error("process group still alive after stop")
	}

	// A process that ignores SIGTERM gets SIGKILL after the timeout.
	p, err = StartProcess(context.Background(), r, ProcessSpec{
		Unit: "x", Command: shCommand("trap '' TERM; echo ok; while :; do sleep 0.05; done"), Exec: defaultExec(),
		Kill: socketunit.KillContext{KillSignal: int(syscall.SIGTERM), SendSIGKILL: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	p.Stop(context.Background(), 300*time.Millisecond)
	if st := p.Wait(); st.Signal != syscall.SIGKILL {
		t.Errorf("status %s, want SIGKILL", st)
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Errorf("killed after %v, before the timeout", el)
	}
}

func TestRunCommands(t *testing.T) {
	r := startReaper(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	spec := ProcessSpec{Unit: "x", Exec: defaultExec()}
	spec.Exec.WorkingDirectory = dir
	cmds := []socketunit.ExecCommand{
		shCommand("echo one >> log"),
		{Path: "/bin/false", Argv: []string{"false"}, IgnoreFailure: true},
		{Path: "/nonexistent", Argv: []string{"nonexistent"}, IgnoreFailure: true},
		shCommand("echo two >> log; exit 4"),
		shCommand("echo three >> log"),
	}
	err := RunCommands(context.Background(), r, cmds, spec, 0)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Status.Code != 4 {
		t.Fatalf("err = %v, want the exit 4 of the fourth command", err)
	}
	if b, _ := os.ReadFile(log); string(b) != "one\ntwo\n" {
		t.Errorf("log %q: the commands after the failure must not run", b)
	}
	start := time.Now()
	err = RunCommands(context.Background(), r, []socketunit.ExecCommand{{Path: "/bin/sleep", Argv: []string{"sleep", "30"}, IgnoreFailure: true}}, spec, 200*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v, want a timeout even with the - prefix", err, time.Since(start))
	}
}

func TestStdioSocketAndAppend(t *testing.T) {
	r := startReaper(t)
	a, b, err := socketPair()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	logf := filepath.Join(t.TempDir(), "err.log")
	os.WriteFile(logf, []byte("old\n"), 0o644)
	spec := ProcessSpec{Unit: "x", Command: shCommand("read line; echo \"got $line\"; echo oops >&2"), Exec: defaultExec(), Conn: b}
	spec.Exec.StandardInput = socketunit.StdioSpec{Kind: "socket"}
	spec.Exec.StandardOutput = socketunit.StdioSpec{Kind: "inherit"}
	spec.Exec.StandardError = socketunit.StdioSpec{Kind: "append", Path: logf}
	p, err := StartProcess(context.Background(), r, spec)
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	fmt.Fprintln(a, "ping")
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, _ := a.Read(buf)
	if got := string(buf[:n]); got != "got ping\n" {
		t.Errorf("socket got %q", got)
	}
	waitDone(t, p)
	if data, _ := os.ReadFile(logf); !bytes.Equal(data, []byte("old\noops\n")) {
		t.Errorf("append: %q", data)
	}
}

// socketPair returns a connected pair of UNIX stream sockets.
func socketPair() (*os.File, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "b"), nil
}

// TestUserSwitch runs a service as nobody (root only).
func TestUserSwitch(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	r := startReaper(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	out := filepath.Join(dir, "id")
	spec := ProcessSpec{Unit: "x", Command: shCommand("id -u; id -g; id -G; echo $${USER}; echo $${HOME}"), Exec: defaultExec()}
	spec.Exec.User = "nobody"
	spec.Exec.SupplementaryGroups = []string{"0"}
	spec.Exec.StandardOutput = socketunit.StdioSpec{Kind: "truncate", Path: out}
	p, err := StartProcess(context.Background(), r, spec)
	if err != nil {
		t.Fatal(err)
	}
	if st := waitDone(t, p); !st.Success(true) {
		t.Fatalf("status %s", st)
	}
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 5 || lines[0] != "65534" || !strings.Contains(" "+lines[2]+" ", " 0 ") || lines[3] != "nobody" {
		t.Errorf("id output %q", lines)
	}
}

func TestFixStdio(t *testing.T) {
	cases := []struct{ in, out, err, wantOut, wantErr string }{
		{"", "", "", "journal", "journal"},
		{"null", "inherit", "inherit", "journal", "journal"},
		{"socket", "", "", "inherit", "inherit"},
		{"tty", "", "null", "inherit", "null"},
		{"", "null", "", "null", "inherit"},
		{"", "", "null", "journal", "null"},
	}
	for _, c := range cases {
		o, e := fixStdio(c.in, c.out, c.err)
		if o != c.wantOut || e != c.wantErr {
			t.Errorf("fixStdio(%q, %q, %q) = %q, %q; want %q, %q", c.in, c.out, c.err, o, e, c.wantOut, c.wantErr)
		}
	}
}

// TestNotifyReady: a Type=notify service is ready on READY=1 from its main process, and its
// STATUS= is kept; a datagram from another process is ignored.
func TestNotifyReady(t *testing.T) {
	r := startReaper(t)
	a, b, err := socketPair()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	spec := ProcessSpec{Unit: "n.service", Command: testService("notify"), Exec: defaultExec(), Notify: true, Conn: b}
	spec.Exec.StandardInput = socketunit.StdioSpec{Kind: "socket"}
	p, err := StartProcess(context.Background(), r, spec)
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	// A stranger sending READY=1 must not make the service ready.
	addr := p.notify.addr
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("READY=1\nSTATUS=forged"))
	c.Close()
	select {
	case <-p.Ready():
	case <-p.Done():
		t.Fatalf("exited before READY=1: %s", p.Status())
	case <-time.After(10 * time.Second):
		t.Fatal("no READY=1")
	}
	if st := p.Notified(); !st.Ready || st.Status != "serving" || st.MainPID != p.PID() {
		t.Errorf("notify state %+v, pid %d", st, p.PID())
	}
	a.Close() // stdin EOF: the service exits
	if st := waitDone(t, p); !st.Success(true) {
		t.Errorf("status %s", st)
	}
}

// TestStopKillsGroupLeftovers: the main process dies of SIGTERM, a group member ignores it and
// gets the final SIGKILL after the timeout (KillMode=control-group, no cgroup needed).
func TestStopKillsGroupLeftovers(t *testing.T) {
	r := startReaper(t)
	p, err := StartProcess(context.Background(), r, ProcessSpec{
		Unit: "x", Command: shCommand("(trap '' TERM; exec sleep 100) & wait"), Exec: defaultExec(),
		Kill: socketunit.KillContext{KillSignal: int(syscall.SIGTERM), SendSIGKILL: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := p.Stop(context.Background(), 400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 350*time.Millisecond {
		t.Errorf("Stop returned after %v, before the leftover was killed", el)
	}
	waitFor(t, "group gone", func() bool { return !groupAlive(p.PID()) })
}

// TestEnvironmentAndExpansion: Environment=, EnvironmentFile= and PassEnvironment= reach the
// service and expand in its command line with systemd's word rules.
func TestEnvironmentAndExpansion(t *testing.T) {
	r := startReaper(t)
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env")
	os.WriteFile(envFile, []byte("# settings\nARGS=\"-n 'two words'\"\nONE=from-file\n"), 0o644)
	out := filepath.Join(dir, "out")
	t.Setenv("SOCKVISOR_TEST_PASSED", "passed")
	spec := ProcessSpec{Unit: "x", Exec: defaultExec(), Command: socketunit.ExecCommand{
		Path: "/bin/sh", Argv: []string{"sh", "-c", `for a in "$@"; do echo "[$a]"; done; echo "$PASSED_ENV"`, "sh", "$ARGS", "${ONE}", "x${TWO}y", "$UNSET"},
	}}
	spec.Exec.Environment = []string{"ONE=from-env", "TWO=2", "PASSED_ENV=$SOCKVISOR_TEST_PASSED"}
	spec.Exec.EnvironmentFiles = []socketunit.EnvironmentFile{{Path: envFile}, {Path: filepath.Join(dir, "missing"), Optional: true}}
	spec.Exec.PassEnvironment = []string{"SOCKVISOR_TEST_PASSED"}
	spec.Exec.StandardOutput = socketunit.StdioSpec{Kind: "file", Path: out}
	p, err := StartProcess(context.Background(), r, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
	b, _ := os.ReadFile(out)
	// $ARGS splits into two words with quotes removed; ${ONE} comes from the file (files win
	// over Environment=); $UNSET disappears; Environment= values are not expanded themselves.
	want := "[-n]\n[two words]\n[from-file]\n[x2y]\n$SOCKVISOR_TEST_PASSED\n"
	if string(b) != want {
		t.Errorf("output\n%s\nwant\n%s", b, want)
	}
}
