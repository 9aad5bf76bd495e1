//go:build linux

package supervisor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"github.com/sockvisor/sockvisor/internal/testnet"
)

// runProc is a `sockvisor run` started by a test.
type runProc struct {
	cmd     *exec.Cmd
	control string
	log     *testbin.Output
	done    chan struct{}
	err     error
}

// startRun starts `sockvisor run ARGS…` with its own control socket and waits until every unit
// has left the start states.
func startRun(t *testing.T, args ...string) *runProc {
	t.Helper()
	return startCmd(t, "", nil, args...)
}

// startCmd starts the binary under wrapper (e.g. unshare; nil for none) with the run arguments.
func startCmd(t *testing.T, control string, wrapper []string, args ...string) *runProc {
	t.Helper()
	return startCmdWith(t, control, wrapper, nil, args...)
}

// startCmdFiles is startCmd handing extra files to the process (fd 3 onwards).
func startCmdFiles(t *testing.T, wrapper []string, files []*os.File, args ...string) *runProc {
	t.Helper()
	return startCmdWith(t, "", wrapper, files, args...)
}

func startCmdWith(t *testing.T, control string, wrapper []string, files []*os.File, args ...string) *runProc {
	t.Helper()
	bin := testbin.Path(t)
	if control == "" {
		control = filepath.Join(t.TempDir(), "control.sock")
	}
	argv := append([]string{bin, "run", "--control=" + control, "--log-level=debug"}, args...)
	argv = append(wrapper, argv...)
	r := &runProc{cmd: exec.Command(argv[0], argv[1:]...), control: control, log: &testbin.Output{}, done: make(chan struct{})}
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	r.cmd.ExtraFiles = files
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("sockvisor run output:\n%s", r.log)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := QueryStatus(context.Background(), control)
		if err == nil && len(st) > 0 && !anyStarting(st) {
			return r
		}
		select {
		case <-r.done:
			t.Fatalf("sockvisor run ended early (%v):\n%s", r.err, r.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sockvisor run never came up:\n%s", r.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func anyStarting(st []UnitStatus) bool {
	for _, u := range st {
		if strings.HasPrefix(u.State, "start") {
			return true
		}
	}
	return false
}

// stop sends SIGTERM and returns the exit code (-1 if it had to be killed).
func (r *runProc) stop(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
	default:
		r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			r.cmd.Process.Kill()
			<-r.done
			return -1
		}
	}
	return r.cmd.ProcessState.ExitCode()
}

// unit returns the status of one unit.
func (r *runProc) unit(t *testing.T, name string) UnitStatus {
	t.Helper()
	st, err := QueryStatus(context.Background(), r.control)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range st {
		if u.Unit == name {
			return u
		}
	}
	t.Fatalf("no unit %s in %+v", name, st)
	return UnitStatus{}
}

// repoRoot is the module root.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

// copyDir copies the regular files of src into a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// dropIn writes DIR/UNIT.d/NAME with content.
func dropIn(t *testing.T, dir, unit, name, content string) {
	t.Helper()
	d := filepath.Join(dir, unit+".d")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// echoLine sends line over a new connection to addr and returns the first line back.
func echoLine(addr, line string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read: %w (got %q)", err, got)
	}
	return strings.TrimSuffix(got, "\n"), nil
}

func TestRunRefusedUnitSkipped(t *testing.T) {
	dir := t.TempDir()
	port := testnet.Port(t)
	os.WriteFile(filepath.Join(dir, "echo.socket"), []byte(fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n", port)), 0o644)
	os.WriteFile(filepath.Join(dir, "echo@.service"), []byte("[Service]\nExecStart=/bin/cat\nStandardInput=socket\nStandardOutput=socket\n"), 0o644)
	// A unit systemd refuses: no Listen*= at all.
	os.WriteFile(filepath.Join(dir, "broken.socket"), []byte("[Socket]\nAccept=yes\n"), 0o644)
	// A unit whose service does not exist: refused at start, not at first connection.
	os.WriteFile(filepath.Join(dir, "orphan.socket"), []byte(fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\n", testnet.Port(t))), 0o644)
	// A unit whose service's executable does not exist: also refused at start.
	os.WriteFile(filepath.Join(dir, "missing.socket"), []byte(fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\n", testnet.Port(t))), 0o644)
	os.WriteFile(filepath.Join(dir, "missing.service"), []byte("[Service]\nExecStart=/nonexistent/daemon\n"), 0o644)
	r := startRun(t, dir)
	if got, err := echoLine(fmt.Sprintf("127.0.0.1:%d", port), "still here"); err != nil || got != "still here" {
		t.Fatalf("good unit beside refused ones: %q %v", got, err)
	}
	st, _ := QueryStatus(context.Background(), r.control)
	states := map[string]string{}
	for _, u := range st {
		states[u.Unit] = u.State
	}
	if len(st) != 2 || states["echo.socket"] != "listening" || states["missing.socket"] != "failed" {
		t.Fatalf("units %v, want echo.socket listening and missing.socket failed", states)
	}
	log := r.log.String()
	for _, want := range []string{"broken.socket:", "Refusing", "orphan.socket", "orphan.service", "/nonexistent/daemon"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// startNginx runs nginx (nginx-light) in the foreground on a UNIX socket in a temporary
// directory and returns the socket's path.
func startNginx(t *testing.T) string {
	t.Helper()
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, err = os.Stat("/usr/sbin/nginx"); err != nil {
			t.Skip("nginx is not installed (Debian: nginx-light)")
		}
		nginx = "/usr/sbin/nginx"
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "nginx.sock")
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen unix:%[2]s;
		location / { return 200 "hello from nginx\n"; }
	}
}
`, dir, sock)
	cf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(cf, []byte(conf), 0o644)
	cmd := exec.Command(nginx, "-c", cf, "-p", dir)
	out := &testbin.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		cmd.Wait()
	})
	waitFor(t, "nginx to listen", func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return sock
}

// curl fetches url with the curl binary.
func curl(t *testing.T, url string) string {
	t.Helper()
	out, err := exec.Command("curl", "-sS", "--max-time", "10", url).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", url, err, out)
	}
	return string(out)
}

// proxyExample prepares examples/proxy-to-nginx in a temporary directory, moved by drop-ins
// to a free port and to the test's nginx socket.
func proxyExample(t *testing.T, proxyd, sock string) (dir, url string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	dir = copyDir(t, filepath.Join(repoRoot(), "examples", "proxy-to-nginx"))
	port := testnet.Port(t)
	dropIn(t, dir, "proxy-to-nginx.socket", "test.conf", fmt.Sprintf("[Socket]\nListenStream=\nListenStream=127.0.0.1:%d\n", port))
	dropIn(t, dir, "proxy-to-nginx.service", "test.conf", fmt.Sprintf("[Service]\nExecStart=\nExecStart=%s --exit-idle-time=1s %s\n", proxyd, sock))
	return dir, fmt.Sprintf("http://127.0.0.1:%d/", port)
}

func TestRunProxyToNginxInProcess(t *testing.T) {
	sock := startNginx(t)
	dir, url := proxyExample(t, "/lib/systemd/systemd-socket-proxyd", sock)
	r := startRun(t, dir)
	for i := 1; i <= 2; i++ {
		if got := curl(t, url); got != "hello from nginx\n" {
			t.Fatalf("request %d: %q", i, got)
		}
		u := r.unit(t, "proxy-to-nginx.socket")
		if u.State != "running" || u.MainPID != 0 {
			t.Fatalf("after request %d: state %s, main pid %d; want running in process (pid 0)", i, u.State, u.MainPID)
		}
		waitFor(t, "the proxy to exit when idle", func() bool { return r.unit(t, "proxy-to-nginx.socket").State == "listening" })
	}
	if n := strings.Count(r.log.String(), "starting the in-process proxy"); n != 2 {
		t.Fatalf("in-process proxy started %d times, want 2 (once per idle period):\n%s", n, r.log)
	}
}

func TestRunRealSocketProxydInterop(t *testing.T) {
	const proxyd = "/lib/systemd/systemd-socket-proxyd"
	if _, err := os.Stat(proxyd); err != nil {
		t.Skip("systemd-socket-proxyd is not installed")
	}
	sock := startNginx(t)
	dir, url := proxyExample(t, proxyd, sock)
	r := startRun(t, "--no-in-process-proxy", dir)
	if got := curl(t, url); got != "hello from nginx\n" {
		t.Fatalf("through systemd-socket-proxyd: %q", got)
	}
	u := r.unit(t, "proxy-to-nginx.socket")
	if u.MainPID == 0 {
		t.Fatalf("no service process: %+v", u)
	}
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", u.MainPID)); filepath.Base(exe) != "systemd-socket-proxyd" {
		t.Fatalf("main process runs %q, want systemd-socket-proxyd", exe)
	}
	// 252's proxyd exits after --exit-idle-time; the socket listens again and the next request
	// starts a new one.
	waitFor(t, "proxyd to exit when idle", func() bool { return r.unit(t, "proxy-to-nginx.socket").State == "listening" })
	if got := curl(t, url); got != "hello from nginx\n" {
		t.Fatalf("second activation: %q", got)
	}
	if u2 := r.unit(t, "proxy-to-nginx.socket"); u2.MainPID == u.MainPID || u2.MainPID == 0 {
		t.Fatalf("second activation pid %d, first %d", u2.MainPID, u.MainPID)
	}
}
