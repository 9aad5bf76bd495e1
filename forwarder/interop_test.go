//go:build linux

package forwarder

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInteropEcho sends 10 MiB through each implementation to TCP, IPv6, UNIX and abstract
// backends and checks the echo byte for byte.
func TestInteropEcho(t *testing.T) {
	t.Parallel()
	payload := randomBytes(t, 10<<20)
	dir := t.TempDir()
	backends := []struct {
		name          string
		network, addr string
		proxydTarget  func(string) string // systemd-socket-proxyd needs ::1:PORT, not [::1]:PORT
	}{
		{"tcp4", "tcp", "127.0.0.1:0", nil},
		{"tcp6", "tcp6", "[::1]:0", func(s string) string { return strings.NewReplacer("[", "", "]", "").Replace(s) }},
		{"unix", "unix", filepath.Join(dir, "be.sock"), nil},
		{"abstract", "unix", "@sockvisor-test-" + filepath.Base(dir), nil},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			b := startBackend(t, be.network, be.addr, false)
			for _, im := range impls(t) {
				target := b.target
				if im.name == "proxyd" && be.proxydTarget != nil {
					target = be.proxydTarget(target)
				}
				a := activate(t, im.argv(target))
				if err := echoThrough(t, a.addr, payload); err != nil {
					t.Errorf("%s → %s %s: %v", im.name, be.name, target, err)
				}
			}
		})
	}
}

// TestInteropHalfClose: the client sends, then shuts its write side; the backend answers
// only after that EOF. sockvisor delivers the answer; systemd-socket-proxyd 252 does not (it
// tears the connection down on the first EOF).
func TestInteropHalfClose(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", true)
	for _, im := range impls(t) {
		a := activate(t, im.argv(b.target))
		c, err := net.Dial("tcp", a.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte("question"))
		c.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(c)
		c.Close()
		switch im.name {
		case "sockvisor":
			if string(got) != "answer" || err != nil {
				t.Errorf("sockvisor: read %q, %v; want the answer", got, err)
			}
		case "proxyd":
			if string(got) == "answer" {
				t.Errorf("systemd-socket-proxyd delivered the answer after a half-close; the documented bug is gone")
			}
		}
	}
}

// TestInteropConnectionsMax opens 5 connections one after the other against -c 2: sockvisor
// serves exactly 2, systemd-socket-proxyd 252 serves 3 (its off-by-one).
func TestInteropConnectionsMax(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	want := map[string]int{"sockvisor": 2, "proxyd": 3}
	for _, im := range impls(t) {
		// Sockets passed directly: activation's first connection would hold a slot a moment.
		a := passSockets(t, im.argv("-c", "2", b.target))
		served := 0
		for range 5 {
			c, err := net.Dial("tcp", a.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(3 * time.Second))
			c.Write([]byte("ping"))
			buf := make([]byte, 4)
			if _, err := io.ReadFull(c, buf); err == nil && string(buf) == "ping" {
				served++
			}
		}
		if served != want[im.name] {
			t.Errorf("%s -c 2: served %d of 5 connections, want %d", im.name, served, want[im.name])
		}
		if im.name == "sockvisor" && !strings.Contains(a.stderr.String(), "Hit connection limit") {
			t.Errorf("sockvisor logged no refusal:\n%s", a.stderr.String())
		}
	}
}

// TestInteropExitIdle: --exit-idle-time=1s ends sockvisor about a second after start-up when
// no client comes (systemd-socket-proxyd 252 never exits then), and about a second after the
// last connection closes (both).
func TestInteropExitIdle(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	for _, im := range impls(t) {
		t.Run(im.name+"/no-connection", func(t *testing.T) {
			t.Parallel()
			a := passSockets(t, im.argv("--exit-idle-time=1s", b.target))
			err, ended := a.exited(3 * time.Second)
			switch {
			case im.name == "sockvisor" && !ended:
				t.Errorf("sockvisor still running 3 s after start with --exit-idle-time=1s")
			case im.name == "sockvisor" && err != nil:
				t.Errorf("sockvisor ended with %s, want exit 0", exitStatus(err))
			case im.name == "proxyd" && ended:
				t.Errorf("systemd-socket-proxyd exited (%s) without a connection; the documented bug is gone", exitStatus(err))
			}
		})
		t.Run(im.name+"/after-connection", func(t *testing.T) {
			t.Parallel()
			a := activate(t, im.argv("--exit-idle-time=1s", b.target))
			if err := echoThrough(t, a.addr, []byte("x")); err != nil {
				t.Fatal(err)
			}
			closed := time.Now()
			err, ended := a.exited(4 * time.Second)
			if !ended {
				t.Fatalf("%s still running 4 s after the last connection closed", im.name)
			}
			if err != nil {
				t.Errorf("%s ended with %s, want exit 0", im.name, exitStatus(err))
			}
			if d := time.Since(closed); d < 500*time.Millisecond {
				t.Errorf("%s exited %v after the close, before the idle time", im.name, d)
			}
		})
	}
}

// TestInteropBadArguments runs both implementations with bad command lines and compares exit
// codes and messages (sockvisor invoked under the name systemd-socket-proxyd).
func TestInteropBadArguments(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(proxydPath); err != nil {
		t.Skipf("%s missing", proxydPath)
	}
	link := filepath.Join(t.TempDir(), "systemd-socket-proxyd")
	if err := os.Symlink(impls(t)[0].path, link); err != nil {
		t.Fatal(err)
	}
	cases := [][]string{
		{}, {"a", "b"}, {"-c", "0", "x"}, {"-c", "abc", "x"}, {"-c", "08", "x"}, {"-c", "-5", "x"},
		{"-c", "4294967296", "x"}, {"--connections-max=", "x"}, {"--exit-idle-time=foo", "x"},
		{"--exit-idle-time=-1", "x"}, {"--exit-idle-time=", "x"}, {"--foo", "x"}, {"-x", "x"},
		{"-c"}, {"--exit-idle-time"}, {"x"}, {"-c", "0x10", "x"}, {"--help"}, {"-h"},
		{"--exit-idle-time=1min 5s", "x"}, {"-c", "-0", "x"},
	}
	for _, args := range cases {
		var outs [2]string
		var codes [2]int
		for i, path := range []string{proxydPath, link} {
			cmd := exec.Command(path, args...)
			cmd.Env = withoutListenEnv()
			out, err := cmd.CombinedOutput()
			outs[i] = strings.ReplaceAll(string(out), path, "systemd-socket-proxyd")
			codes[i] = cmd.ProcessState.ExitCode()
			if err != nil && codes[i] < 0 {
				t.Fatal(err)
			}
		}
		if codes[0] != codes[1] {
			t.Errorf("%q: exit %d, systemd-socket-proxyd %d", args, codes[1], codes[0])
		}
		if len(args) == 0 || (args[0] != "--help" && args[0] != "-h") {
			if outs[0] != outs[1] {
				t.Errorf("%q: message %q, systemd-socket-proxyd %q", args, outs[1], outs[0])
			}
		}
	}
}

func withoutListenEnv() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "LISTEN_") {
			env = append(env, e)
		}
	}
	return env
}

// TestInteropSIGTERM: SIGTERM makes sockvisor stop and exit 0 with a connection open;
// systemd-socket-proxyd 252 dies of the signal.
func TestInteropSIGTERM(t *testing.T) {
	t.Parallel()
	b := startBackend(t, "tcp", "127.0.0.1:0", false)
	for _, im := range impls(t) {
		a := activate(t, im.argv(b.target))
		c, err := net.Dial("tcp", a.addr)
		if err != nil {
			t.Fatal(err)
		}
		if err := echoThrough(t, a.addr, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		a.cmd.Process.Signal(syscall.SIGTERM)
		err, ended := a.exited(5 * time.Second)
		c.Close()
		if !ended {
			t.Fatalf("%s still running 5 s after SIGTERM", im.name)
		}
		got := exitStatus(err)
		want := map[string]string{"sockvisor": "exit 0", "proxyd": "signal terminated"}[im.name]
		if got != want {
			t.Errorf("%s after SIGTERM: %s, want %s", im.name, got, want)
		}
	}
}

// TestInteropStartupErrors passes both implementations bad inherited sockets and compares
// their messages and exit codes.
func TestInteropStartupErrors(t *testing.T) {
	t.Parallel()
	seq, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Bind(seq, &syscall.SockaddrUnix{Name: filepath.Join(t.TempDir(), "seq.sock")})
	syscall.Listen(seq, 8)
	seqf := os.NewFile(uintptr(seq), "seqpacket")
	defer seqf.Close()
	tcp, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Bind(tcp, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	tcpf := os.NewFile(uintptr(tcp), "bound, not listening")
	defer tcpf.Close()

	cases := []struct {
		name string
		file *os.File // passed as fd 3 with LISTEN_PID set by the shell
		env  []string // instead: this environment
		want string
	}{
		{"seqpacket", seqf, nil, "Passed in socket is not a stream socket.\n"},
		{"not listening", tcpf, nil, "Passed in socket is not a stream socket.\n"},
		{"bad LISTEN_PID", nil, []string{"LISTEN_PID=abc", "LISTEN_FDS=1"}, "Failed to receive sockets from parent.\n"},
		{"bad LISTEN_FDS", nil, []string{"LISTEN_PID=self", "LISTEN_FDS=x"}, "Failed to receive sockets from parent.\n"},
		{"other process", nil, []string{"LISTEN_PID=1", "LISTEN_FDS=1"}, "Didn't get any sockets passed in.\n"},
	}
	for _, tc := range cases {
		for _, im := range impls(t) {
			argv := im.argv("127.0.0.1:9")
			var cmd *exec.Cmd
			env := withoutListenEnv()
			switch {
			case tc.file != nil:
				cmd = exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`}, argv...)...)
				cmd.ExtraFiles = []*os.File{tc.file}
			case tc.env[0] == "LISTEN_PID=self":
				cmd = exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$ exec "$0" "$@"`}, argv...)...)
				env = append(env, tc.env[1:]...)
			default:
				cmd = exec.Command(argv[0], argv[1:]...)
				env = append(env, tc.env...)
			}
			cmd.Env = env
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 || string(out) != tc.want {
				t.Errorf("%s, %s: exit %d, %q; want exit 1, %q", tc.name, im.name, code, out, tc.want)
			}
		}
	}
}
