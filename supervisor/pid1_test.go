//go:build linux

package supervisor

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testnet"
)

// unshareOrSkip returns the unshare wrapper that runs sockvisor as PID 1 of a new PID namespace.
func unshareOrSkip(t *testing.T) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a new PID namespace")
	}
	u, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	return []string{u, "--pid", "--fork", "--mount-proc"}
}

// innerPID returns the host PID of the process unshare forked (sockvisor, PID 1 inside).
func innerPID(t *testing.T, unsharePID int) int {
	t.Helper()
	var pid int
	waitFor(t, "the namespace's PID 1", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", unsharePID, unsharePID))
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return false
		}
		pid, _ = strconv.Atoi(f[0])
		return pid > 0
	})
	return pid
}

// zombieChildren counts the zombie children of pid.
func zombieChildren(pid int) (n int) {
	for _, d := range descendants(pid) {
		if strings.HasSuffix(d, " Z") {
			n++
		}
	}
	return n
}

func TestRunAsPID1ReapsOrphansAndStopsCleanly(t *testing.T) {
	wrap := unshareOrSkip(t)
	dir := t.TempDir()
	port := testnet.Port(t)
	// Each connection's instance leaves an orphan that exits a little later: only PID 1 can
	// collect it.
	os.WriteFile(filepath.Join(dir, "orphans.socket"), []byte(fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n", port)), 0o644)
	os.WriteFile(filepath.Join(dir, "orphans@.service"), []byte("[Service]\nExecStart=/bin/sh -c '(sleep 0.3 &); echo spawned'\nStandardInput=socket\nStandardOutput=socket\n"), 0o644)

	// A socket handed in by a "container engine": LISTEN_FDS=1, LISTEN_PID=1.
	inh, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inhPort := inh.Addr().(*net.TCPAddr).Port
	inhFile, _ := inh.(*net.TCPListener).File()
	inh.Close()
	defer inhFile.Close()
	os.WriteFile(filepath.Join(dir, "handed.socket"), []byte(fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n", inhPort)), 0o644)
	os.WriteFile(filepath.Join(dir, "handed@.service"), []byte("[Service]\nExecStart=/bin/echo adopted\nStandardInput=socket\nStandardOutput=socket\n"), 0o644)

	// And one no unit asks for: released once the units are up.
	stray, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	strayAddr := stray.Addr().String()
	strayFile, _ := stray.(*net.TCPListener).File()
	stray.Close()
	defer strayFile.Close()

	r := startPID1(t, wrap, []*os.File{inhFile, strayFile}, dir)
	inner := innerPID(t, r.cmd.Process.Pid)
	for i := 0; i < 5; i++ {
		if got := dialRead(t, fmt.Sprintf("127.0.0.1:%d", port), ""); got != "spawned" {
			t.Fatalf("connection %d: %q", i, got)
		}
	}
	if got := dialRead(t, fmt.Sprintf("127.0.0.1:%d", inhPort), ""); got != "adopted" {
		t.Fatalf("inherited socket (LISTEN_PID=1): %q", got)
	}
	if !strings.Contains(r.log.String(), "inherited file descriptor matches no unit, closing it") {
		t.Errorf("the stray inherited socket was not reported:\n%s", r.log)
	}
	// (unshare itself keeps a copy of the fd, so the socket stays open from outside.)
	if !strings.Contains(r.log.String(), strayAddr) {
		t.Errorf("the report does not name the stray socket %s", strayAddr)
	}
	time.Sleep(time.Second) // the orphans exit after 0.3 s
	waitFor(t, "PID 1 to reap every orphan", func() bool { return zombieChildren(inner) == 0 })
	syscall.Kill(inner, syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatal("PID 1 did not exit after SIGTERM")
	}
	if code := r.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code after SIGTERM %d, want 0\n%s", code, r.log)
	}
}

func TestRunAsPID1ExitsOnCrashLoop(t *testing.T) {
	wrap := unshareOrSkip(t)
	dir := t.TempDir()
	port := testnet.Port(t)
	os.WriteFile(filepath.Join(dir, "crash.socket"), []byte(fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nTriggerLimitBurst=3\nTriggerLimitIntervalSec=10s\n", port)), 0o644)
	os.WriteFile(filepath.Join(dir, "crash.service"), []byte("[Service]\nExecStart=/bin/false\n"), 0o644)
	r := startPID1(t, wrap, nil, dir)
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("PID 1 kept running with its only unit in a crash loop\n%s", r.log)
	}
	if code := r.cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit code %d, want 1 after the unit failed\n%s", code, r.log)
	}
	for _, want := range []string{"Trigger limit hit, refusing further activation.", "trigger-limit-hit"} {
		if !strings.Contains(r.log.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, r.log)
		}
	}
	if n := strings.Count(r.log.String(), "service failed"); n != 3 {
		t.Fatalf("service ran %d times, want the trigger burst (3)\n%s", n, r.log)
	}
}

// startPID1 starts sockvisor run as PID 1 of a new PID namespace, optionally handing it
// listening sockets with LISTEN_PID=1 as a container engine does.
func startPID1(t *testing.T, wrap []string, inherit []*os.File, args ...string) *runProc {
	t.Helper()
	if inherit == nil {
		return startCmd(t, "", wrap, args...)
	}
	t.Setenv("LISTEN_FDS", strconv.Itoa(len(inherit)))
	t.Setenv("LISTEN_PID", "1")
	return startCmdFiles(t, wrap, inherit, args...)
}
