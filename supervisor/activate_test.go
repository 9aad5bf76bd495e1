//go:build linux

package supervisor

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"github.com/sockvisor/sockvisor/internal/testnet"
)

// activateTools returns the tools to compare: sockvisor under the name systemd-socket-activate
// (so that messages carry the same program name) and, when installed, the real one.
func activateTools(t *testing.T) map[string]string {
	t.Helper()
	link := filepath.Join(t.TempDir(), "systemd-socket-activate")
	if err := os.Symlink(testbin.Path(t), link); err != nil {
		t.Fatal(err)
	}
	tools := map[string]string{"sockvisor": link}
	if p, err := exec.LookPath("systemd-socket-activate"); err == nil {
		tools["systemd"] = p
	} else {
		t.Log("systemd-socket-activate not installed: checking sockvisor alone")
	}
	return tools
}

// activateRun is a running activate process with its output.
type activateRun struct {
	cmd            *exec.Cmd
	stdout, stderr *testbin.Output
	done           chan struct{}
}

// startActivate starts tool with args and env (nil: a small fixed environment).
func startActivate(t *testing.T, tool string, env []string, args ...string) *activateRun {
	t.Helper()
	cmd := exec.Command(tool, args...)
	if filepath.Base(tool) == "systemd-socket-activate" {
		cmd.Args[0] = "systemd-socket-activate" // getopt prints argv[0] as given
	}
	if env == nil {
		env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/root", "TERM=dumb", "OTHER=x"}
	}
	cmd.Env = env
	r := &activateRun{cmd: cmd, stdout: &testbin.Output{}, stderr: &testbin.Output{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.stdout, r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-r.done
	})
	return r
}

func (r *activateRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%v did not exit; stderr:\n%s", r.cmd.Args, r.stderr)
	}
	return r.cmd.ProcessState.ExitCode()
}

// dial connects to a listening address, retrying until it listens.
func dial(t *testing.T, network, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	waitFor(t, "connect to "+addr, func() bool {
		var err error
		c, err = net.DialTimeout(network, addr, time.Second)
		return err == nil
	})
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// TestActivateMessagesMatchSystemd compares messages and exit codes of bad command lines.
func TestActivateMessagesMatchSystemd(t *testing.T) {
	tools := activateTools(t)
	cases := [][]string{
		{},
		{"cat"},
		{"-x"},
		{"-l"},
		{"--listen"},
		{"--accept=1", "cat"},
		{"-l", "127.0.0.1:0", "-d", "-a", "cat"},
		{"-d", "--seqpacket", "-l", "1", "cat"},
		{"--seqpacket", "-d", "-l", "1", "cat"},
		{"-E", "a b=c", "-l", "1", "cat"},
		{"-l", "foo:bar", "cat"},
		{"-l", "1.2.3.4:99999", "cat"},
		{"-l", "[::1]:0%nosuchdev", "cat"},
		{"--f"},
		{"--bogus", "cat"},
		{"-ad", "-l", "1", "cat"},
	}
	// All at once: each run is a short process start, mostly waiting.
	type result struct{ sockvisor, systemd string }
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	for i, args := range cases {
		for name, tool := range tools {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, tool, args...)
				cmd.Args[0] = "systemd-socket-activate"
				cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				cmd.Run()
				out := fmt.Sprintf("exit %d\n%s", cmd.ProcessState.ExitCode(), stderr.String())
				if name == "systemd" {
					results[i].systemd = out
				} else {
					results[i].sockvisor = out
				}
			}()
		}
	}
	wg.Wait()
	for i, args := range cases {
		r := results[i]
		if !strings.HasPrefix(r.sockvisor, "exit 1\n") {
			t.Errorf("sockvisor %q: %s, want exit 1", args, r.sockvisor)
		}
		if r.systemd != "" && r.systemd != r.sockvisor {
			t.Errorf("%q:\nsockvisor: %s\nsystemd:   %s", args, r.sockvisor, r.systemd)
		}
	}
	// "-l ADDR" taken twice: the second bind fails the same way.
	port := testnet.Port(t)
	for name, tool := range tools {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		r := startActivate(t, tool, nil, "-l", addr, "-l", addr, "cat")
		if code := r.wait(t); code != 1 || !strings.Contains(r.stderr.String(), "Failed to open '"+addr+"': Address already in use") {
			t.Errorf("%s: exit %d, stderr %q", name, code, r.stderr)
		}
	}
}

// envOf parses `env` output into its lines, replacing the value of LISTEN_PID by "PID" after
// checking it against want (0: not checked).
func envOf(t *testing.T, out string, wantPID int) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if v, ok := strings.CutPrefix(l, "LISTEN_PID="); ok {
			if wantPID != 0 && v != strconv.Itoa(wantPID) {
				t.Errorf("LISTEN_PID=%s, want %d", v, wantPID)
			}
			l = "LISTEN_PID=PID"
		}
		lines = append(lines, l)
	}
	return lines
}

// TestActivateEnvMatchesSystemd: the child's environment, in order, is the same under both,
// without and with --accept; LISTEN_PID is the exec'd process (the activate process itself
// without --accept).
func TestActivateEnvMatchesSystemd(t *testing.T) {
	tools := activateTools(t)
	env := []string{"TERMCAP_X=1", "PATH=" + os.Getenv("PATH"), "USER=u", "HOME=/h", "TERM=xterm", "SECRET=s", "PASS=p"}
	for _, accept := range []bool{false, true} {
		got := map[string][]string{}
		for name, tool := range tools {
			port := testnet.Port(t)
			args := []string{"-l", fmt.Sprintf("127.0.0.1:%d", port), "--fdname=web", "-E", "FOO=bar", "-E", "PASS", "-E", "LISTEN_FDS=1", "-E", "NOPE"}
			if accept {
				args = append(args, "-a")
			}
			args = append(args, "--", "env")
			r := startActivate(t, tool, env, args...)
			c := dial(t, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
			c.Close()
			if accept {
				waitFor(t, "child exit", func() bool { return strings.Contains(r.stderr.String(), "died with code") })
				r.cmd.Process.Kill()
			}
			r.wait(t)
			want := 0
			if !accept {
				want = r.cmd.Process.Pid
			}
			got[name] = envOf(t, r.stdout.String(), want)
			if !contains(got[name], "FOO=bar") || !contains(got[name], "PASS=p") || contains(got[name], "SECRET=s") {
				t.Errorf("%s accept=%v: env %q", name, accept, got[name])
			}
		}
		if sd, ok := got["systemd"]; ok && strings.Join(sd, "\n") != strings.Join(got["sockvisor"], "\n") {
			t.Errorf("accept=%v env differs:\nsockvisor: %q\nsystemd:   %q", accept, got["sockvisor"], sd)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestActivateUpstreamCases runs systemd's own socket-activate test cases
// (TEST-74-AUX-UTILS.socket-activate.sh) against both tools.
func TestActivateUpstreamCases(t *testing.T) {
	exe, _ := os.Executable()
	for name, tool := range activateTools(t) {
		t.Run(name, func(t *testing.T) {
			// -l PORT --accept --inetd cat echoes.
			port := testnet.Port(t)
			startActivate(t, tool, nil, "-l", strconv.Itoa(port), "--accept", "--inetd", "cat")
			for _, msg := range []string{"hello", "again"} {
				c := dial(t, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
				fmt.Fprint(c, msg)
				c.(*net.TCPConn).CloseWrite()
				b, _ := readAll(c)
				c.Close()
				if b != msg {
					t.Errorf("--accept --inetd cat: got %q, want %q", b, msg)
				}
			}
			// -l PORT --now SERVER-ON-FD-3 echoes (systemd 252 has no --now: -l then first traffic).
			port = testnet.Port(t)
			args := []string{"-l", strconv.Itoa(port), "--now", "--", "env", testServiceEnv + "=echo-fd3", exe}
			if name == "systemd" && !supportsNow(tool) {
				args = append(args[:2], args[3:]...)
			}
			r := startActivate(t, tool, nil, args...)
			if name == "sockvisor" {
				// --now execs before any traffic: the process is the test service already.
				waitFor(t, "exec", func() bool {
					b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", r.cmd.Process.Pid))
					return bytes.HasPrefix(b, []byte(exe))
				})
			}
			c := dial(t, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
			fmt.Fprintln(c, "bye")
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if line != "bye\n" {
				t.Errorf("--now echo: got %q, %v; stderr %s", line, err, r.stderr)
			}
			// --accept --now fails (sockvisor only: 252 does not know --now and fails anyway).
			if r := startActivate(t, tool, nil, "-l", strconv.Itoa(testnet.Port(t)), "--accept", "--now", "cat"); r.wait(t) == 0 {
				t.Error("--accept --now succeeded")
			}
			// Two -l with --inetd fails (252 only once traffic arrives; sockvisor at once).
			p1, p2 := testnet.Port(t), testnet.Port(t)
			r = startActivate(t, tool, nil, "-l", strconv.Itoa(p1), "-l", strconv.Itoa(p2), "--inetd", "cat")
			want := 1
			if name == "systemd" {
				// 252 checks only at exec time, after traffic, and then exits 0 (its main
				// returns success after a failed exec); v258 fails at once with 1, as sockvisor.
				waitFor(t, "listening", func() bool { return strings.Contains(r.stderr.String(), "as 4.") })
				// The dial may report a reset: 252 exits (closing the listener) as soon as the
				// connection is queued. Either way it has seen the traffic.
				if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p1), 5*time.Second); err == nil {
					c.Close()
				}
				want = -1
			}
			if code := r.wait(t); want != -1 && code != want || !strings.Contains(r.stderr.String(), "--inetd only supported for single file descriptors.") {
				t.Errorf("two -l with --inetd: exit %d, stderr %q", code, r.stderr)
			}
		})
	}
}

// supportsNow reports whether a systemd-socket-activate knows --now (v258+).
func supportsNow(tool string) bool {
	out, _ := exec.Command(tool, "--help").Output()
	return bytes.Contains(out, []byte("--now"))
}

func readAll(c net.Conn) (string, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(c)
	return b.String(), err
}

// TestActivateDatagramAndMixed: -d gives the service a datagram socket; --listen-datagram next
// to -l gives it a stream and a datagram socket in one invocation (systemd issue #9983).
func TestActivateDatagramAndMixed(t *testing.T) {
	bin := testbin.Path(t)
	exe, _ := os.Executable()
	for name, tool := range activateTools(t) {
		port := testnet.Port(t)
		r := startActivate(t, tool, nil, "-d", "-l", fmt.Sprintf("127.0.0.1:%d", port), "--", "env", testServiceEnv+"=dgram", exe)
		echoUDP(t, name+" -d", fmt.Sprintf("127.0.0.1:%d", port))
		if !strings.Contains(r.stderr.String(), "Execing env") {
			t.Errorf("%s: stderr %q", name, r.stderr)
		}
	}
	sp, dp := testnet.Port(t), testnet.Port(t)
	r := startActivate(t, bin, nil, "activate", "-l", fmt.Sprintf("127.0.0.1:%d", sp), fmt.Sprintf("--listen-datagram=127.0.0.1:%d", dp), "--", "env", testServiceEnv+"=mixed", exe)
	echoUDP(t, "mixed", fmt.Sprintf("127.0.0.1:%d", dp))
	c := dial(t, "tcp", fmt.Sprintf("127.0.0.1:%d", sp))
	fmt.Fprintln(c, "stream")
	line, _ := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if line != "stream\n" {
		t.Errorf("mixed stream echo %q; stderr %s", line, r.stderr)
	}
	if want := fmt.Sprintf("Listening on 127.0.0.1:%d as 4.", dp); !strings.Contains(r.stderr.String(), want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	// A datagram listener cannot be combined with --accept.
	r = startActivate(t, bin, nil, "activate", "-a", "--listen-datagram=127.0.0.1:1", "cat")
	if code := r.wait(t); code != 1 || !strings.Contains(r.stderr.String(), "Datagram sockets do not accept connections.") {
		t.Errorf("--accept --listen-datagram: exit %d, %q", code, r.stderr)
	}
}

// echoUDP sends datagrams until one comes back (the first one wakes the activation).
func echoUDP(t *testing.T, what, addr string) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c.Write([]byte("ping"))
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Read(buf)
		if err == nil {
			if string(buf[:n]) != "ping" {
				t.Errorf("%s: got %q", what, buf[:n])
			}
			return
		}
	}
	t.Errorf("%s: no datagram came back", what)
}

// TestActivateAcceptListenPID: each per-connection child sees LISTEN_PID equal to its own PID
// and the connection at fd 3; the parent logs its spawn and death like systemd's.
func TestActivateAcceptListenPID(t *testing.T) {
	bin := testbin.Path(t)
	port := testnet.Port(t)
	r := startActivate(t, bin, nil, "activate", "-a", "-l", fmt.Sprintf("127.0.0.1:%d", port), "--",
		"sh", "-c", `echo "$LISTEN_PID $$ $LISTEN_FDS $(readlink /proc/self/fd/3)" >&3`)
	c := dial(t, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
	out, _ := readAll(c)
	c.Close()
	f := strings.Fields(out)
	if len(f) != 4 || f[0] != f[1] || f[2] != "1" || !strings.HasPrefix(f[3], "socket:") {
		t.Fatalf("child said %q", out)
	}
	waitFor(t, "reap", func() bool { return strings.Contains(r.stderr.String(), "Child "+f[0]+" died with code 0") })
	if re := regexp.MustCompile(`Spawned sh \(sh -c .*\) as PID ` + f[0] + `\.`); !re.MatchString(r.stderr.String()) {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestActivateAsPID1ReapsOrphans runs `sockvisor activate --accept` as PID 1 of a new PID
// namespace; every connection leaves an orphaned grandchild, which must be reaped (no zombie
// stays), and SIGTERM ends sockvisor with exit code 0.
func TestActivateAsPID1ReapsOrphans(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a new PID namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare not installed")
	}
	if out, err := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot create a PID namespace here: %v %s", err, out)
	}
	bin := testbin.Path(t)
	port := testnet.Port(t)
	r := startActivate(t, unshare, nil, "--pid", "--fork", "--mount-proc", bin, "activate", "-a", "--inetd",
		"-l", fmt.Sprintf("127.0.0.1:%d", port), "--", "sh", "-c", "sleep 0.2 & echo $$")
	for i := 0; i < 5; i++ {
		c := dial(t, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
		out, _ := readAll(c)
		c.Close()
		if strings.TrimSpace(out) == "" {
			t.Fatalf("connection %d: no output; stderr %s", i, r.stderr)
		}
	}
	pid1 := childOf(t, r.cmd.Process.Pid)
	if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid1)); !bytes.Contains(b, []byte("NSpid:\t"+strconv.Itoa(pid1)+"\t1\n")) {
		t.Fatalf("sockvisor is not PID 1 of its namespace:\n%s", b)
	}
	// The sleeps end after 0.2 s and are re-parented to sockvisor: none may stay a zombie.
	waitFor(t, "orphans reaped", func() bool { return len(descendants(pid1)) == 0 })
	syscall.Kill(pid1, syscall.SIGTERM)
	if code := r.wait(t); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0; stderr %s", code, r.stderr)
	}
}

// childOf returns the only child of pid.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	var child int
	waitFor(t, "child process", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		f := strings.Fields(string(b))
		if len(f) == 1 {
			child, _ = strconv.Atoi(f[0])
		}
		return child != 0
	})
	return child
}

// descendants lists the processes (zombies included) whose parent is pid.
func descendants(pid int) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, e.Name()+" "+s[:i+1]+" "+f[0])
		}
	}
	sort.Strings(out)
	return out
}
