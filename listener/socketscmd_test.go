//go:build linux

package listener

import (
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"github.com/sockvisor/sockvisor/socketunit"
)

// writeUnit writes NAME.socket and NAME.service into dir and returns the socket's path; it
// skips the test while the unit-file parser is not there yet.
func writeUnit(t *testing.T, dir, name, socket string) string {
	t.Helper()
	p := filepath.Join(dir, name+".socket")
	if err := os.WriteFile(p, []byte("[Socket]\n"+socket), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".service"), []byte("[Service]\nExecStart=/bin/cat\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := socketunit.LoadSocket(p, socketunit.Options{}); errors.Is(err, errors.ErrUnsupported) {
		t.Skip("socketunit.LoadSocket is not implemented yet")
	}
	return p
}

// socketsJSON runs `sockvisor sockets --format=json` and decodes its rows.
func socketsJSON(t *testing.T, cmd *exec.Cmd) ([]Row, string) {
	t.Helper()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v\n%s\n%s", cmd.Args, err, out.String(), errb.String())
	}
	var rows []Row
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return rows, errb.String()
}

func TestSocketsCommand(t *testing.T) {
	dir := t.TempDir()
	port := itoa(int(freePort(t)))
	q := uniq("/sockvisor-cmd-test")
	mqUnlink(q)
	defer mqUnlink(q)
	unit := writeUnit(t, dir, "all", strings.Join([]string{
		"ListenStream=127.0.0.1:" + port,
		"ListenDatagram=[::1]:" + port,
		"ListenStream=" + dir + "/run/s.sock",
		"ListenSequentialPacket=" + uniq("@sockvisor-cmd-test"),
		"ListenFIFO=" + dir + "/fifo",
		"ListenMessageQueue=" + q,
		"ListenNetlink=route 0",
		"NoDelay=yes", "ReceiveBuffer=256K", "SocketMode=0600", "PipeSize=128K", "RemoveOnStop=yes",
		"MessageQueueMaxMessages=4", "MessageQueueMessageSize=128", "",
	}, "\n"))
	rows, stderr := socketsJSON(t, exec.Command(testbin.Path(t), "sockets", "--format=json", unit))
	want := []string{"127.0.0.1:" + port, "[::1]:" + port, dir + "/run/s.sock", uniq("@sockvisor-cmd-test"), dir + "/fifo", q, "route 0"}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v\n%s", len(rows), len(want), rows, stderr)
	}
	for i, r := range rows {
		if r.Address != want[i] || r.Origin != "opened" || r.FD != 3+i || r.Name != "all.socket" || r.Mismatch != 0 {
			t.Errorf("row %d = %+v, want %s opened at fd %d with every option as asked", i, r, want[i], 3+i)
		}
	}
	if exists(dir+"/run/s.sock") || exists(dir+"/fifo") {
		t.Error("RemoveOnStop=yes: nodes left behind")
	}
	out, err := exec.Command(testbin.Path(t), "sockets", unit).Output()
	if err != nil || !strings.Contains(string(out), "NoDelay=1") || !strings.Contains(string(out), "ReceiveBuffer=524288") {
		t.Errorf("text output (%v):\n%s", err, out)
	}
}

// TestSocketsCommandInheritsFromSystemdSocketActivate: systemd-socket-activate passes two of
// the unit's sockets (it execs on the first connection); `sockvisor sockets` adopts them and
// opens the third itself.
func TestSocketsCommandInheritsFromSystemdSocketActivate(t *testing.T) {
	sa, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate not installed")
	}
	dir := t.TempDir()
	port := itoa(int(freePort(t)))
	unit := writeUnit(t, dir, "act", "ListenStream=127.0.0.1:"+port+"\nListenStream="+dir+"/a.sock\nListenDatagram="+uniq("@sockvisor-act")+"\n")
	cmd := exec.Command(sa, "-l", "127.0.0.1:"+port, "-l", dir+"/a.sock", "--fdname=a:b",
		testbin.Path(t), "sockets", "--format=json", unit)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var c net.Conn
	for range 100 {
		if c, err = net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Exit status 2: systemd-socket-activate bound a.sock under our umask, so its mode is not
	// the unit's SocketMode=0666 — a real difference the command must report.
	var ee *exec.ExitError
	if err := cmd.Wait(); err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 2) {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errb.String())
	}
	var rows []Row
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errb.String())
	}
	origins := []string{}
	for _, r := range rows {
		origins = append(origins, r.Origin)
	}
	if strings.Join(origins, ",") != "inherited,inherited,opened" {
		t.Errorf("origins = %v, want inherited,inherited,opened\n%s", origins, out.String())
	}
	for _, r := range rows {
		for _, x := range r.Options {
			if !x.OK() && x.Key != "SocketMode" {
				t.Errorf("%s: %s reads back %q, want %q", r.Address, x.Key, x.Value, x.Want)
			}
		}
	}
}

// TestSocketsCommandReportsUnmatched: a Go parent passes the unit's socket and a stray one;
// the stray one is reported as unmatched.
func TestSocketsCommandReportsUnmatched(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	unit := writeUnit(t, dir, "go", "ListenStream=127.0.0.1:"+itoa(int(port))+"\n")
	src := newUnit("src.socket", listenInet(socketunit.ListenStream, "127.0.0.1", port),
		listenUnix(socketunit.ListenDatagram, dir+"/stray.sock"))
	s, err := Open(t.Context(), src, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, testbin.Path(t), "sockets", "--format=json", unit)
	cmd.ExtraFiles = s.Files()
	cmd.Env = append(os.Environ(), "LISTEN_FDS=2", "LISTEN_FDNAMES=web:stray")
	rows, stderr := socketsJSON(t, cmd)
	if len(rows) != 2 || rows[0].Origin != "inherited" || rows[1].Origin != "unmatched" || rows[1].Name != "stray" ||
		rows[1].Address != dir+"/stray.sock" || rows[1].FD != 4 {
		t.Errorf("rows = %+v\n%s", rows, stderr)
	}
}

// TestSocketsCommandEveryOption loads a unit that sets nearly every [Socket] option through
// the real parser and binary: every setting must read back as asked (exit status 0).
func TestSocketsCommandEveryOption(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	port := itoa(int(freePort(t)))
	q := uniq("/sockvisor-cmd-every")
	mqUnlink(q)
	defer mqUnlink(q)
	special := filepath.Join(dir, "special")
	os.WriteFile(special, nil, 0o644)
	lines := []string{
		"ListenDatagram=127.0.0.1:" + port, "ListenStream=[::1]:" + port, "ListenNetlink=kobject-uevent 1",
		"ListenMessageQueue=" + q, "ListenSpecial=" + special, "ListenSequentialPacket=" + uniq("@sockvisor-every"),
		"ListenFIFO=" + dir + "/fifo",
		"SocketProtocol=udplite", "Timestamping=ns", "PassPacketInfo=yes", "PassCredentials=yes", "PassSecurity=yes",
		"PassPIDFD=yes", "AcceptFileDescriptors=no", "Priority=6", "Mark=3", "IPTOS=16", "IPTTL=12",
		"TCPCongestion=reno", "MessageQueueMaxMessages=5", "MessageQueueMessageSize=200", "Writable=yes",
		"FreeBind=yes", "Transparent=yes", "ReusePort=yes", "SendBuffer=64K", "ReceiveBuffer=1M", "Backlog=12",
		"KeepAlive=yes", "KeepAliveTimeSec=1min", "KeepAliveIntervalSec=7", "KeepAliveProbes=3", "DeferAcceptSec=3",
		"NoDelay=yes", "Broadcast=yes", "BindIPv6Only=ipv6-only", "PipeSize=64K", "SocketMode=0640",
		"SocketUser=nobody", "DirectoryMode=0700", "RemoveOnStop=yes", "",
	}
	if noVsock() == "" {
		lines = append([]string{"ListenStream=vsock::" + port}, lines...)
	}
	unit := writeUnit(t, dir, "every", strings.Join(lines, "\n"))
	cmd := exec.Command(testbin.Path(t), "sockets", "--all", unit)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v (exit status 2 = a setting differs):\n%s", err, out)
	}
	for _, s := range []string{"SocketProtocol=udplite", "Timestamping=ns", "Mark=3", "TCPCongestion=reno", "DeferAcceptSec=3",
		"MessageQueueMaxMessages=5", "Writable=yes", "PipeSize=65536", "SocketUser=nobody", "BindIPv6Only=1"} {
		if !strings.Contains(string(out), s) {
			t.Errorf("output lacks %s:\n%s", s, out)
		}
	}
}
