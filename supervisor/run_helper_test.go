//go:build linux

package supervisor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// helperEnv selects a helper mode of the test binary, which then acts as a service.
const helperEnv = "SUPERVISOR_TEST_HELPER"

// helperMain is a service for the tests:
//
//	accept-no  accept one connection on every LISTEN fd in turn, reply with what it was given
//	inetd      reply on stdin/stdout with the environment, then echo one line
//	crash      exit 3 at once
//	hold       reply "held", then keep the connection until killed
func helperMain(mode string) int {
	switch mode {
	case "accept-no":
		n, _ := strconv.Atoi(os.Getenv("LISTEN_FDS"))
		pid := os.Getenv("LISTEN_PID")
		// systemd hands the fds over in blocking mode (NonBlocking=no); the test backend does not.
		_ = unix.SetNonblock(3, false)
		for {
			nfd, _, err := unix.Accept4(3, unix.SOCK_CLOEXEC)
			if err != nil {
				fmt.Fprintln(os.Stderr, "accept:", err)
				return 1
			}
			fmt.Fprintf(os.NewFile(uintptr(nfd), "c"), "pid_ok=%v fds=%d names=%s\n", pid == strconv.Itoa(os.Getpid()), n, os.Getenv("LISTEN_FDNAMES"))
			unix.Close(nfd)
			if os.Getenv("HELPER_ONCE") != "" {
				return 0
			}
		}
	case "inetd":
		fmt.Printf("addr=%s port=%s fds=%s names=%s\n", os.Getenv("REMOTE_ADDR"), os.Getenv("REMOTE_PORT"), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES"))
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		fmt.Print(line)
		return 0
	case "crash":
		return 3
	case "hold":
		fmt.Println("held")
		time.Sleep(time.Hour)
		return 0
	}
	return 2
}

// testUnit builds a socket unit with systemd's defaults, as socketunit would load it.
func testUnit(name string, accept bool, mode string, listen ...socketunit.Listen) *socketunit.Loaded {
	s := &socketunit.Socket{
		Name: name, Path: "/test/" + name, Listen: listen, Accept: accept,
		Backlog: 128, SocketMode: 0o666, DirectoryMode: 0o755, MaxConnections: 64,
		TriggerLimitInterval: 2e6, TriggerLimitBurst: 20, PollLimitInterval: 2e6, PollLimitBurst: 15,
		Timeout: 90e6, Priority: -1, IPTOS: -1, IPTTL: -1, Mark: -1, AcceptFileDescriptors: true,
	}
	if accept {
		s.TriggerLimitBurst, s.PollLimitBurst = 200, 150
	}
	svcName := strings.TrimSuffix(name, ".socket") + ".service"
	if accept {
		svcName = strings.TrimSuffix(name, ".socket") + "@.service"
	}
	exe, _ := os.Executable()
	svc := &socketunit.Service{
		Name: svcName, Type: "simple", TimeoutStopSec: 5e6,
		ExecStart: []socketunit.ExecCommand{{Path: exe, Argv: []string{exe, "-test.run=^$"}}},
		Exec:      socketunit.ExecContext{Environment: []string{helperEnv + "=" + mode}},
		Kill:      socketunit.KillContext{KillSignal: int(syscall.SIGTERM), SendSIGKILL: true},
	}
	if accept {
		svc.Exec.StandardInput = socketunit.StdioSpec{Kind: "socket"}
		svc.Exec.StandardOutput = socketunit.StdioSpec{Kind: "socket"}
	}
	return &socketunit.Loaded{Socket: s, Service: svc}
}

// tcpListen is a ListenStream= entry on 127.0.0.1 at a free port.
func tcpListen(t *testing.T) socketunit.Listen {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	port := sa.(*unix.SockaddrInet4).Port
	return socketunit.Listen{Kind: socketunit.ListenStream, Address: socketunit.Address{
		Family: unix.AF_INET, Type: unix.SOCK_STREAM, IP: netip.MustParseAddr("127.0.0.1"), Port: uint16(port)}}
}

// testBackend opens plain sockets and starts services with os/exec; units come from a map.
type testBackend struct {
	mu      sync.Mutex
	units   map[string]*socketunit.Loaded // by path
	opened  int
	started []string
	proxyFn proxyServe
}

func (b *testBackend) setUnit(path string, l *socketunit.Loaded) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.units == nil {
		b.units = map[string]*socketunit.Loaded{}
	}
	if l == nil {
		delete(b.units, path)
		return
	}
	l.Socket.Path = path
	b.units[path] = l
}

func (b *testBackend) load(path string, _ socketunit.Options) (*socketunit.Loaded, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.units[path]
	if l == nil {
		return nil, os.ErrNotExist
	}
	return l, nil
}

type fileSet []*os.File

func (s fileSet) Files() []*os.File { return s }
func (s fileSet) Close() error {
	for _, f := range s {
		f.Close()
	}
	return nil
}

func (b *testBackend) open(_ context.Context, ld *socketunit.Loaded) (portSet, error) {
	s := ld.Socket
	var set fileSet
	for _, l := range s.Listen {
		a := l.Address
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			set.Close()
			return nil, err
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: a.IP.As4(), Port: int(a.Port)}); err != nil {
			unix.Close(fd)
			set.Close()
			return nil, fmt.Errorf("bind: %w", err)
		}
		if err := unix.Listen(fd, int(s.Backlog)); err != nil {
			unix.Close(fd)
			set.Close()
			return nil, err
		}
		set = append(set, os.NewFile(uintptr(fd), "listen"))
	}
	b.mu.Lock()
	b.opened++
	b.mu.Unlock()
	return set, nil
}

type procJob struct {
	cmd  *exec.Cmd
	done chan struct{}
	res  jobResult
}

func (j *procJob) Done() <-chan struct{} { return j.done }
func (j *procJob) Result() jobResult     { return j.res }
func (j *procJob) PID() int              { return j.cmd.Process.Pid }
func (j *procJob) Stop(context.Context) {
	_ = j.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-j.done:
	case <-time.After(5 * time.Second):
		_ = j.cmd.Process.Kill()
		<-j.done
	}
}

func (b *testBackend) start(_ context.Context, st serviceStart) (job, error) {
	c := st.service.ExecStart[0]
	// LISTEN_PID must be the service's own PID: a shell sets it and execs the helper.
	cmd := exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$ exec "$@"`, "sh"}, c.Argv...)...)
	cmd.Env = append(os.Environ(), st.service.Exec.Environment...)
	cmd.Env = append(cmd.Env, st.env...)
	cmd.Env = append(cmd.Env, "LISTEN_FDS="+strconv.Itoa(len(st.files)), "LISTEN_FDNAMES="+strings.Join(st.names, ":"))
	cmd.ExtraFiles = st.files
	cmd.Stderr = os.Stderr
	if st.conn != nil && st.service.Exec.StandardInput.Kind == "socket" {
		cmd.Stdin, cmd.Stdout = st.conn, st.conn
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.started = append(b.started, st.name)
	b.mu.Unlock()
	j := &procJob{cmd: cmd, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			ws := ee.Sys().(syscall.WaitStatus)
			if ws.Signaled() {
				j.res.signal = ws.Signal()
			} else {
				j.res.code = ws.ExitStatus()
			}
		} else if err != nil {
			j.res.err = err
		}
		close(j.done)
	}()
	return j, nil
}

func (b *testBackend) runCommands(ctx context.Context, _ *socketunit.Socket, cmds []socketunit.ExecCommand, _ []*os.File, timeout time.Duration) error {
	for _, c := range cmds {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		err := exec.CommandContext(cctx, c.Path, c.Argv[1:]...).Run()
		cancel()
		if err != nil && !c.IgnoreFailure {
			return err
		}
	}
	return nil
}

func (b *testBackend) unitsUp() {}
func (b *testBackend) instance(l *socketunit.Loaded, _ string) (*socketunit.Service, error) {
	return l.Service, nil
}
func (b *testBackend) connOptions(*socketunit.Socket, *os.File) {}
func (b *testBackend) check(*socketunit.Loaded) error           { return nil }
func (b *testBackend) proxy(pc proxyCommand) (proxyServe, error) {
	if b.proxyFn == nil {
		return nil, errors.New("no proxy")
	}
	return b.proxyFn, nil
}

func (b *testBackend) openedSets() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opened
}

func (b *testBackend) startedNames() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.started...)
}

// runTest runs the supervisor on units in the background; the returned stop ends it and
// returns Run's error.
func runTest(t *testing.T, b *testBackend, cfg Config) (control string, stop func() error) {
	t.Helper()
	dir := t.TempDir()
	if cfg.Control == "" {
		cfg.Control = filepath.Join(dir, "control.sock")
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- runWith(ctx, cfg, b) }()
	// Wait for the control socket: the units have been started by then.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(cfg.Control); err == nil {
			break
		}
		select {
		case err := <-errc:
			cancel()
			t.Fatalf("run ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatal("control socket never appeared")
		}
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, "units to start", func() bool {
		st, err := QueryStatus(context.Background(), cfg.Control)
		if err != nil {
			return false
		}
		for _, u := range st {
			if strings.HasPrefix(u.State, "start") {
				return false
			}
		}
		return true
	})
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(20 * time.Second):
				err = errors.New("run did not stop")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return cfg.Control, stop
}

// unitStatus queries one unit over the control socket.
func unitStatus(t *testing.T, control, name string) UnitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := QueryStatus(ctx, control)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range st {
		if u.Unit == name {
			return u
		}
	}
	t.Fatalf("unit %s not in status %+v", name, st)
	return UnitStatus{}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeUnitFile creates a placeholder file for a unit path (the test backend loads from a map).
func writeUnitFile(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("[Socket]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
