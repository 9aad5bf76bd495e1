//go:build linux

package forwarder

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"go.uber.org/goleak"
)

// notifySocket listens on a unixgram socket at name (a path or "@abstract") and returns it.
func notifySocket(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readState reads one notification, failing after timeout.
func readState(t *testing.T, c *net.UnixConn, timeout time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(timeout))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// logTo returns a logger writing text lines into b.
func logTo(b *testbin.Output) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestNotifierReadyStopping(t *testing.T) {
	for _, name := range []string{
		filepath.Join(t.TempDir(), "notify"),
		fmt.Sprintf("@sockvisor-test-notify-%d", os.Getpid()),
	} {
		t.Run(name, func(t *testing.T) {
			sock := notifySocket(t, name)
			n := newNotifierEnv(slog.New(slog.DiscardHandler), envOf(map[string]string{"NOTIFY_SOCKET": name}))
			n.Ready()
			if got := readState(t, sock, 5*time.Second); got != "READY=1" {
				t.Errorf("got %q, want READY=1", got)
			}
			n.Stopping()
			if got := readState(t, sock, 5*time.Second); got != "STOPPING=1" {
				t.Errorf("got %q, want STOPPING=1", got)
			}
		})
	}
}

func TestNotifierWithoutSocketIsSilent(t *testing.T) {
	var logs testbin.Output
	n := newNotifierEnv(logTo(&logs), envOf(map[string]string{"WATCHDOG_USEC": "1000"}))
	n.Ready()
	n.Stopping()
	done := make(chan struct{})
	go func() { n.Run(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run without NOTIFY_SOCKET did not return at once")
	}
	if logs.String() != "" {
		t.Errorf("logged without NOTIFY_SOCKET: %s", logs.String())
	}
}

func TestNotifierManagerGone(t *testing.T) {
	var logs testbin.Output
	n := newNotifierEnv(logTo(&logs), envOf(map[string]string{"NOTIFY_SOCKET": filepath.Join(t.TempDir(), "absent")}))
	n.Ready() // must not panic or block
	if !strings.Contains(logs.String(), "sd_notify failed") || !strings.Contains(logs.String(), "READY=1") {
		t.Errorf("no warning for an unreachable NOTIFY_SOCKET: %q", logs.String())
	}
}

func TestNotifierBadSocketName(t *testing.T) {
	var logs testbin.Output
	n := newNotifierEnv(logTo(&logs), envOf(map[string]string{"NOTIFY_SOCKET": "relative/path"}))
	n.Ready()
	if n.socket != "" || !strings.Contains(logs.String(), "neither a path nor an abstract") {
		t.Errorf("relative NOTIFY_SOCKET accepted: socket=%q log=%q", n.socket, logs.String())
	}
}

func TestNotifierWatchdog(t *testing.T) {
	defer goleak.VerifyNone(t)
	name := filepath.Join(t.TempDir(), "notify")
	sock := notifySocket(t, name)
	n := newNotifierEnv(slog.New(slog.DiscardHandler), envOf(map[string]string{
		"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": strconv.Itoa(os.Getpid()),
	}))
	if n.watchdog != 200*time.Millisecond {
		t.Fatalf("watchdog = %v, want 200ms", n.watchdog)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	start := time.Now()
	for i := range 4 {
		if got := readState(t, sock, 2*time.Second); got != "WATCHDOG=1" {
			t.Fatalf("ping %d: got %q", i, got)
		}
	}
	// The first ping is immediate, then one every 100 ms: three intervals.
	if el := time.Since(start); el < 250*time.Millisecond || el > 1500*time.Millisecond {
		t.Errorf("4 pings took %v, want about 300ms (half of WATCHDOG_USEC apart)", el)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestNotifierWatchdogConditions(t *testing.T) {
	name := filepath.Join(t.TempDir(), "notify")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want time.Duration
	}{
		{"ours", map[string]string{"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": strconv.Itoa(os.Getpid())}, 3 * time.Second},
		{"pid unset", map[string]string{"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "3000000"}, 3 * time.Second},
		{"other pid", map[string]string{"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"}, 0},
		{"zero", map[string]string{"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "0"}, 0},
		{"garbage", map[string]string{"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "3s"}, 0},
		{"overflow", map[string]string{"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "99999999999999999999"}, 0},
		{"no socket", map[string]string{"WATCHDOG_USEC": "3000000"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := newNotifierEnv(slog.New(slog.DiscardHandler), envOf(tc.env)).watchdog; got != tc.want {
				t.Errorf("watchdog = %v, want %v", got, tc.want)
			}
		})
	}
}
