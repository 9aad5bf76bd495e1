//go:build linux

package supervisor

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testnet"
)

// TestContainerExample runs examples/container's units the way its Dockerfile's entrypoint does
// (`sockvisor run --init DIR` as PID 1 of a new PID namespace) with the target and port moved
// by drop-ins: traffic flows through the in-process proxy with no process besides sockvisor (as
// in an image FROM scratch), and SIGTERM ends it with exit code 0.
func TestContainerExample(t *testing.T) {
	wrap := unshareOrSkip(t)
	dir := copyDir(t, filepath.Join(repoRoot(), "examples", "container", "units"))
	port := testnet.Port(t)
	backend := echoBackend(t)
	dropIn(t, dir, "web.socket", "test.conf", fmt.Sprintf("[Socket]\nListenStream=\nListenStream=127.0.0.1:%d\n", port))
	dropIn(t, dir, "web.service", "test.conf", fmt.Sprintf("[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-socket-proxyd --exit-idle-time=10min %s\n", backend))
	r := startCmd(t, "", wrap, "--init", dir)
	inner := innerPID(t, r.cmd.Process.Pid)
	for i := 0; i < 3; i++ {
		msg := fmt.Sprintf("through the container %d", i)
		if got, err := echoLine(fmt.Sprintf("127.0.0.1:%d", port), msg); err != nil || got != msg {
			t.Fatalf("request %d: %q %v", i, got, err)
		}
	}
	if kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", inner, inner)); strings.TrimSpace(string(kids)) != "" {
		t.Fatalf("PID 1 has children %q; the in-process proxy should need none", kids)
	}
	syscall.Kill(inner, syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if code := r.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0\n%s", code, r.log)
	}
}

// TestServiceScriptsParse checks the OpenRC and runit scripts of examples/ with sh -n.
func TestServiceScriptsParse(t *testing.T) {
	for _, p := range []string{"openrc/sockvisor", "runit/sockvisor/run", "runit/sockvisor/log/run"} {
		path := filepath.Join(repoRoot(), "examples", p)
		if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", p, err, out)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable", p)
		}
	}
}
