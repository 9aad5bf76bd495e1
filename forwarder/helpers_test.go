//go:build linux

package forwarder

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"github.com/sockvisor/sockvisor/internal/testnet"
)

// proxydPath is systemd's proxy, the reference the interop tests compare against.
const proxydPath = "/lib/systemd/systemd-socket-proxyd"

// backend is a test server: echo (everything back, until EOF) or answer (reads until EOF,
// then writes "answer").
type backend struct {
	ln     net.Listener
	target string // how the proxy names it
	wg     sync.WaitGroup
}

func startBackend(t testing.TB, network, addr string, answer bool) *backend {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	b := &backend{ln: ln, target: ln.Addr().String()}
	if network == "unix" && strings.HasPrefix(addr, "@") {
		b.target = addr
	}
	b.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.wg.Go(func() {
				defer c.Close()
				if answer {
					io.Copy(io.Discard, c)
					c.Write([]byte("answer"))
					return
				}
				echoPlain(c)
			})
		}
	})
	t.Cleanup(func() { ln.Close(); b.wg.Wait() })
	return b
}

// freeAddr returns a loopback address whose port is free for TCP and UDP right now (see
// testnet).
func freeAddr(t testing.TB) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(testnet.Port(t))
}

// impl is a proxy implementation under test: sockvisor or systemd-socket-proxyd.
type impl struct {
	name string
	path string
}

// impls returns sockvisor and, when installed, systemd-socket-proxyd.
func impls(t *testing.T) []impl {
	list := []impl{{"sockvisor", testbin.Path(t)}}
	if _, err := os.Stat(proxydPath); err == nil {
		list = append(list, impl{"proxyd", proxydPath})
	} else {
		t.Logf("%s missing: comparing against systemd-socket-proxyd skipped", proxydPath)
	}
	return list
}

// argv returns the command line running the implementation as a proxy.
func (im impl) argv(args ...string) []string {
	if im.name == "sockvisor" {
		return append([]string{im.path, "proxy"}, args...)
	}
	return append([]string{im.path}, args...)
}

// activated is a proxy run under systemd-socket-activate, or with sockets passed directly.
type activated struct {
	cmd    *exec.Cmd
	addr   string
	stderr *testbin.Output
	done   chan struct{}
	err    error
}

// activate runs argv under systemd-socket-activate listening on a free loopback port; the
// proxy starts with the first connection.
func activate(t *testing.T, argv []string) *activated {
	t.Helper()
	sa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate missing")
	}
	addr := freeAddr(t)
	args := append([]string{"-l", addr, "-E", "SYSTEMD_LOG_LEVEL=debug"}, argv...)
	a := startCmd(t, exec.Command(sa, args...))
	a.addr = addr
	waitDial(t, addr)
	return a
}

// passSockets runs argv with a fresh listening socket passed as fd 3 ($LISTEN_PID set by the
// shell that execs it), so the proxy starts before any connection.
func passSockets(t *testing.T, argv []string, env ...string) *activated {
	t.Helper()
	f, addr := loopbackListener(t)
	defer f.Close()
	cmd := exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`}, argv...)...)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Env = append(os.Environ(), env...)
	a := startCmd(t, cmd)
	a.addr = addr
	return a
}

func startCmd(t *testing.T, cmd *exec.Cmd) *activated {
	t.Helper()
	a := &activated{cmd: cmd, stderr: &testbin.Output{}, done: make(chan struct{})}
	cmd.Stderr = a.stderr
	cmd.Stdout = a.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.err = cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		select {
		case <-a.done:
		default:
			cmd.Process.Kill()
			<-a.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), a.stderr.String())
		}
	})
	return a
}

// exited waits up to d for the process to end and returns its wait error.
func (a *activated) exited(d time.Duration) (error, bool) {
	select {
	case <-a.done:
		return a.err, true
	case <-time.After(d):
		return nil, false
	}
}

func waitDial(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			// systemd-socket-activate starts the proxy on this connection: close it cleanly.
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never accepted", addr)
}

// randomBytes returns n random bytes.
func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// echoThrough sends payload through addr and checks the echo comes back byte for byte
// (without half-closing, which systemd-socket-proxyd cannot forward).
func echoThrough(t testing.TB, addr string, payload []byte) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	werr := make(chan error, 1)
	go func() { _, err := c.Write(payload); werr <- err }()
	got := make([]byte, len(payload))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if !bytes.Equal(got, payload) {
		return errors.New("echo differs from what was sent")
	}
	return nil
}

// serveInProcess runs a Forwarder on a fresh loopback listener and returns its address.
func serveInProcess(t testing.TB, cfg Config) (string, *Forwarder, context.CancelFunc, <-chan error) {
	t.Helper()
	f, addr := loopbackListener(t)
	fw, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() { done <- fw.Serve(ctx, []*os.File{f}); f.Close(); close(finished) }()
	t.Cleanup(func() { cancel(); <-finished })
	return addr, fw, cancel, done
}

// loopbackListener opens a TCP listener on a free loopback port and returns it as a file
// (what a proxy inherits) with its address; the caller closes the file.
func loopbackListener(t testing.TB) (*os.File, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	return f, ln.Addr().String()
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("FORWARDER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// countFDs counts the open file descriptors of process pid.
func countFDs(t testing.TB, pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// cpuTime returns the user+system CPU time of process pid in clock ticks.
func cpuTime(t testing.TB, pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseInt(fields[11], 10, 64)
	k, _ := strconv.ParseInt(fields[12], 10, 64)
	return u + k
}

// exitStatus describes how a process ended: "exit 0", "exit 1", "signal terminated".
func exitStatus(err error) string {
	if err == nil {
		return "exit 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "signal " + ws.Signal().String()
		}
		return "exit " + strconv.Itoa(ee.ExitCode())
	}
	return err.Error()
}

// echoPlain writes back what it reads until EOF, through a buffer: io.Copy would splice
// through Go's own pooled pipes, which stay open until a GC and blur fd counts.
func echoPlain(c net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
