//go:build linux

package listener

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// openFails opens u, expects an error containing every fragment, and checks that no fd leaked.
func openFails(t *testing.T, u *socketunit.Socket, fragments ...string) {
	t.Helper()
	before := fdList(t)
	s, err := Open(context.Background(), u, OpenOptions{})
	if err == nil {
		s.Close()
		t.Fatalf("Open succeeded, want an error containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q lacks %q", err, f)
		}
	}
	if after := fdList(t); after != before {
		t.Errorf("fds: %s before, %s after a failed Open", before, after)
	}
}

func TestAddressInUse(t *testing.T) {
	port := freePort(t)
	first := newUnit("first.socket", listenInet(socketunit.ListenStream, "127.0.0.1", port))
	s, err := Open(context.Background(), first, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The second unit opens a UNIX socket and a FIFO first: both must be closed again.
	dir := t.TempDir()
	second := newUnit("second.socket",
		listenUnix(socketunit.ListenStream, filepath.Join(dir, "ok.sock")),
		listenPath(socketunit.ListenFIFO, filepath.Join(dir, "ok.fifo")),
		listenInet(socketunit.ListenStream, "127.0.0.1", port))
	openFails(t, second, "second.socket: Failed to create listening socket (127.0.0.1:"+itoa(int(port))+")",
		"address already in use")
}

func TestParentIsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	openFails(t, newUnit("p.socket", listenUnix(socketunit.ListenStream, filepath.Join(file, "s.sock"))),
		"p.socket: Failed to create listening socket ("+file+"/s.sock)", "not a directory")
	openFails(t, newUnit("f.socket", listenPath(socketunit.ListenFIFO, filepath.Join(file, "fifo"))),
		"f.socket: Failed to open FIFO '"+file+"/fifo'", "not a directory")
}

func TestNoSuchDevice(t *testing.T) {
	u := newUnit("dev.socket", listenInet(socketunit.ListenStream, "127.0.0.1", freePort(t)))
	u.BindToDevice = "nosuchdev0"
	openFails(t, u, "dev.socket: Failed to create listening socket (127.0.0.1:", "set BindToDevice: no such device")
}

func TestExistingFIFOWrongModeOrOwner(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	u := newUnit("fifo.socket", listenPath(socketunit.ListenFIFO, path))
	openFails(t, u, "fifo.socket: Failed to open FIFO '"+path+"'", "mode 0600", "file exists")

	// The right mode works, and a stale node of the right kind is reused.
	u.SocketMode = 0o600
	s, err := Open(context.Background(), u, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if os.Geteuid() != 0 {
		t.Skip("changing the FIFO's owner needs root")
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	openFails(t, u, "fifo.socket: Failed to open FIFO", "owned by 65534:65534", "file exists")
}

func TestSpecialNotAFile(t *testing.T) {
	dir := t.TempDir()
	openFails(t, newUnit("sp.socket", listenPath(socketunit.ListenSpecial, dir)),
		"sp.socket: Failed to open special file '"+dir+"'", "file exists")
}

func TestSecondEntryFailsClosesFirst(t *testing.T) {
	u := newUnit("two.socket",
		listenInet(socketunit.ListenStream, "127.0.0.1", freePort(t)),
		listenInet(socketunit.ListenDatagram, "127.0.0.1", 0)) // port 0 is refused, as in systemd
	openFails(t, u, "Failed to create listening socket (127.0.0.1:0)", "invalid argument")
}

// TestPrivilegedPortAsNobody runs the helper as uid 65534: binding a port below 1024 fails
// with "permission denied", fatal, naming the unit and address.
func TestPrivilegedPortAsNobody(t *testing.T) {
	needRoot(t)
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil && strings.TrimSpace(string(b)) == "0" {
		t.Skip("net.ipv4.ip_unprivileged_port_start=0: every port is unprivileged here")
	}
	u := newUnit("low.socket", listenInet(socketunit.ListenStream, "127.0.0.1", 7))
	res, stderr := runHelper(t, asUser(helperCmd(t, u), 65534, 65534))
	want := "low.socket: Failed to create listening socket (127.0.0.1:7): bind: permission denied"
	if res.Error != want {
		t.Errorf("error = %q, want %q\n%s", res.Error, want, stderr)
	}
}

// TestRefusedOptionsWithoutNetAdmin drops CAP_NET_ADMIN and CAP_NET_RAW (either one permits
// both options): Transparent= fails with a warning,
// Mark= (an after-listen option refused for lack of privilege) at debug level, and the socket
// works.
func TestRefusedOptionsWithoutNetAdmin(t *testing.T) {
	needRoot(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	u := newUnit("cap.socket", listenInet(socketunit.ListenStream, "127.0.0.1", freePort(t)))
	u.Transparent, u.Mark = true, 5
	res, stderr := runHelper(t, helperCmd(t, u, setpriv, "--inh-caps=-net_admin,-net_raw", "--bounding-set=-net_admin,-net_raw"))
	if res.Error != "" || len(res.Reports) != 1 {
		t.Fatalf("result %v\n%s", res, stderr)
	}
	if !strings.Contains(stderr, `level=WARN msg="failed to set socket option, ignoring" unit=cap.socket address=127.0.0.1:`) ||
		!strings.Contains(stderr, `option=Transparent err="set Transparent: operation not permitted"`) {
		t.Errorf("no warning for Transparent=:\n%s", stderr)
	}
	if !strings.Contains(stderr, `level=DEBUG msg="failed to set socket option, ignoring"`) ||
		!strings.Contains(stderr, `option=Mark err="set Mark: operation not permitted"`) {
		t.Errorf("no debug line for Mark=:\n%s", stderr)
	}
	if r := reading(t, res.Reports[0], "Listening"); r.Value != "1" {
		t.Errorf("socket not listening: %+v", r)
	}
	if r := reading(t, res.Reports[0], "Transparent"); r.OK() {
		t.Errorf("Transparent reads back as set without CAP_NET_ADMIN: %+v", r)
	}
}
