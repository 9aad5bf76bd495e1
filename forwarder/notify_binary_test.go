//go:build linux

package forwarder

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
)

// TestNotifyBinary runs `sockvisor proxy --listen=…` under a NOTIFY_SOCKET of the test's own,
// as a service manager would with Type=notify and WatchdogSec=: READY=1 once it serves,
// WATCHDOG=1 pings, STOPPING=1 on SIGTERM.
func TestNotifyBinary(t *testing.T) {
	t.Parallel()
	bin := testbin.Path(t)
	name := filepath.Join(t.TempDir(), "notify")
	sock := notifySocket(t, name)
	listen := freeAddr(t)
	cmd := exec.Command(bin, "proxy", "--listen="+listen, "127.0.0.1:9")
	cmd.Env = append(withoutListenEnv(), "NOTIFY_SOCKET="+name, "WATCHDOG_USEC=400000")
	a := startCmd(t, cmd)
	if got := readState(t, sock, 10*time.Second); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	waitListen(t, "tcp", listen) // READY=1 means the socket is served
	start := time.Now()
	pings := 0
	for time.Since(start) < time.Second {
		if got := readState(t, sock, 2*time.Second); got != "WATCHDOG=1" {
			t.Fatalf("got %q, want WATCHDOG=1", got)
		}
		pings++
	}
	if pings < 3 || pings > 8 {
		t.Errorf("%d watchdog pings in a second with WATCHDOG_USEC=400000, want about 5 (every 200 ms)", pings)
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	for {
		got := readState(t, sock, 5*time.Second)
		if got == "STOPPING=1" {
			break
		}
		if got != "WATCHDOG=1" {
			t.Fatalf("got %q after SIGTERM, want STOPPING=1", got)
		}
	}
	if err, ok := a.exited(5 * time.Second); !ok || exitStatus(err) != "exit 0" {
		t.Errorf("after SIGTERM: ended=%v %s, want exit 0", ok, exitStatus(err))
	}
}

// TestNotifyBinaryOtherWatchdogPID: WATCHDOG_PID naming another process means the watchdog is
// not ours: READY=1 and STOPPING=1 only.
func TestNotifyBinaryOtherWatchdogPID(t *testing.T) {
	t.Parallel()
	bin := testbin.Path(t)
	name := "@sockvisor-test-notify-bin-" + filepath.Base(t.TempDir())
	sock := notifySocket(t, name)
	cmd := exec.Command(bin, "proxy", "--listen="+freeAddr(t), "127.0.0.1:9")
	cmd.Env = append(withoutListenEnv(), "NOTIFY_SOCKET="+name, "WATCHDOG_USEC=100000", "WATCHDOG_PID=1")
	a := startCmd(t, cmd)
	if got := readState(t, sock, 10*time.Second); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	time.Sleep(300 * time.Millisecond)
	a.cmd.Process.Signal(syscall.SIGTERM)
	if got := readState(t, sock, 5*time.Second); got != "STOPPING=1" {
		t.Errorf("got %q, want STOPPING=1 and no watchdog pings", got)
	}
	a.exited(5 * time.Second)
}
