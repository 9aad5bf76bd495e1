//go:build linux

package supervisor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"github.com/sockvisor/sockvisor/internal/testnet"
)

func TestRunEchoExample(t *testing.T) {
	dir := copyDir(t, filepath.Join(repoRoot(), "examples", "echo"))
	port := testnet.Port(t)
	dropIn(t, dir, "echo.socket", "port.conf", fmt.Sprintf("[Socket]\nListenStream=\nListenStream=127.0.0.1:%d\n", port))
	r := startRun(t, dir)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < 3; i++ {
		got, err := echoLine(addr, fmt.Sprintf("hello %d", i))
		if err != nil || got != fmt.Sprintf("hello %d", i) {
			t.Fatalf("echo %d: %q, %v", i, got, err)
		}
	}
	waitFor(t, "instances to end", func() bool {
		u := r.unit(t, "echo.socket")
		return u.NAccepted == 3 && u.NConnections == 0
	})
	out, err := exec.Command(testbin.Path(t), "status", "--control="+r.control).CombinedOutput()
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	for _, want := range []string{"LISTEN", "UNIT", "ACTIVATES", addr, "echo.socket", "listening", "echo@.service"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(testbin.Path(t), "status", "--control="+r.control, "--format=json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var st []UnitStatus
	if err := json.Unmarshal(out, &st); err != nil || len(st) != 1 || st[0].NAccepted != 3 || st[0].Listen[0].Address != addr {
		t.Fatalf("status --format=json: %v %s", err, out)
	}
	if code := r.stop(t); code != 0 {
		t.Fatalf("exit code after SIGTERM %d, want 0", code)
	}
}

// packagedUnit links a unit file shipped by a Debian package into dir, skipping the test when
// the package is not installed.
func packagedUnit(t *testing.T, dir, name, pkg string) {
	t.Helper()
	src := filepath.Join("/lib/systemd/system", name)
	if _, err := os.Stat(src); err != nil {
		t.Skipf("%s not found: install the Debian package %s", src, pkg)
	}
	if err := os.Symlink(src, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// TestRunPackagedDaemons runs two real daemons from their own Debian unit files, moved to
// loopback / a temporary path by drop-ins, and talks to each with a real client:
// tinysshd (tinysshd.socket + tinysshd@.service: Accept=yes, inetd style on stdin) and uuidd
// (uuid-runtime's uuidd.socket + uuidd.service: Accept=no, sd_listen_fds, User=uuidd).
func TestRunPackagedDaemons(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: uuidd.service switches to User=uuidd, tinysshd's ExecStartPre writes /etc/tinyssh")
	}
	for _, bin := range []string{"ssh-keyscan", "tinysshd-printkey", "uuidd"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (Debian: openssh-client, tinysshd, uuid-runtime)", bin)
		}
	}
	dir := t.TempDir()
	packagedUnit(t, dir, "tinysshd.socket", "tinysshd")
	packagedUnit(t, dir, "uuidd.socket", "uuid-runtime")
	port := testnet.Port(t)
	dropIn(t, dir, "tinysshd.socket", "loopback.conf", fmt.Sprintf("[Socket]\nListenStream=\nListenStream=127.0.0.1:%d\n", port))
	req := filepath.Join(t.TempDir(), "request")
	dropIn(t, dir, "uuidd.socket", "tmp.conf", "[Socket]\nListenStream=\nListenStream="+req+"\n")
	r := startRun(t, filepath.Join(dir, "tinysshd.socket"), filepath.Join(dir, "uuidd.socket"))

	// Accept=yes: a real SSH key exchange with tinysshd on fd 0/1, then its host key compared.
	out, err := exec.Command("ssh-keyscan", "-T", "10", "-p", fmt.Sprint(port), "-t", "ed25519", "127.0.0.1").Output()
	if err != nil {
		t.Fatalf("ssh-keyscan: %v\n%s", err, out)
	}
	key, err := exec.Command("tinysshd-printkey", "/etc/tinyssh/sshkeydir").Output()
	if err != nil {
		t.Fatalf("tinysshd-printkey: %v", err)
	}
	if len(bytes.TrimSpace(key)) == 0 || !bytes.Contains(out, bytes.TrimSpace(key)) {
		t.Fatalf("ssh-keyscan saw %q, tinysshd's host key is %q", out, key)
	}
	if u := r.unit(t, "tinysshd.socket"); u.NAccepted != 1 {
		t.Fatalf("tinysshd.socket accepted %d connections, want 1", u.NAccepted)
	}

	// Accept=no: uuidd takes the socket with sd_listen_fds and answers its own client.
	for _, flag := range []string{"-r", "-t"} {
		out, err := exec.Command("uuidd", "-s", req, flag).CombinedOutput()
		id := strings.TrimSpace(string(out))
		if err != nil || len(id) != 36 || strings.Count(id, "-") != 4 {
			t.Fatalf("uuidd -s %s %s: %v %q", req, flag, err, out)
		}
	}
	u := r.unit(t, "uuidd.socket")
	if u.State != "running" || u.MainPID == 0 {
		t.Fatalf("uuidd.socket %+v, want running with a main pid", u)
	}
	st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", u.MainPID))
	want, _ := exec.Command("id", "-u", "uuidd").Output()
	if !bytes.Contains(st, []byte("Uid:\t"+strings.TrimSpace(string(want))+"\t")) {
		t.Fatalf("uuidd does not run as User=uuidd (uid %s):\n%s", want, st)
	}
	if code := r.stop(t); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
}
