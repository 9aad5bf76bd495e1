//go:build linux

package listener

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sockvisor/sockvisor/internal/testbin"
	"github.com/sockvisor/sockvisor/socketunit"
)

// The test binary doubles as a helper process: with helperEnv set it opens the unit given in
// helperUnitEnv (adopting inherited fds), prints a helperResult as JSON and exits. Tests run
// it under other credentials, capabilities or network namespaces.
const (
	helperEnv     = "SOCKVISOR_LISTENER_HELPER"
	helperUnitEnv = "SOCKVISOR_LISTENER_UNIT"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain(os.Stdout, os.Stderr))
	}
	testbin.Main(m)
}

// helperResult is what the helper process reports.
type helperResult struct {
	Error     string
	Reports   []Report
	Unmatched []string // names of inherited fds no entry adopted
}

func helperMain(stdout, stderr io.Writer) int {
	var res helperResult
	defer json.NewEncoder(stdout).Encode(&res)
	var u socketunit.Socket
	if err := json.Unmarshal([]byte(os.Getenv(helperUnitEnv)), &u); err != nil {
		res.Error = err.Error()
		return 1
	}
	inh, err := Inherit(os.Getenv)
	if err != nil {
		res.Error = err.Error()
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(context.Background(), &u, OpenOptions{Inherited: inh, Log: log})
	if err != nil {
		res.Error = err.Error()
		return 1
	}
	defer s.Close()
	for _, fd := range s.FDs {
		r, err := ReadBack(&u, fd)
		if err != nil {
			res.Error = err.Error()
			return 1
		}
		res.Reports = append(res.Reports, r)
	}
	for _, d := range inh.Unmatched() {
		res.Unmatched = append(res.Unmatched, d.Name)
	}
	return 0
}

// helperCmd prepares a helper process for unit u; prefix is a wrapper command (setpriv, ip
// netns exec, sh -c) or nil. The test binary is copied where every user can run it.
func helperCmd(t *testing.T, u *socketunit.Socket, prefix ...string) *exec.Cmd {
	t.Helper()
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	bin := publicTestBinary(t)
	args := append(append([]string(nil), prefix...), bin, "-test.run=^$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperUnitEnv+"="+string(b))
	return cmd
}

// publicTestBinary copies the test binary into a directory every user may read.
func publicTestBinary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "listener.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// runHelper runs a prepared helper and decodes its result; stderr holds its log.
func runHelper(t *testing.T, cmd *exec.Cmd) (res helperResult, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if jerr := json.Unmarshal([]byte(out.String()), &res); jerr != nil {
		t.Fatalf("helper %v: %v (%v)\nstdout: %s\nstderr: %s", cmd.Args, err, jerr, out.String(), errb.String())
	}
	return res, errb.String()
}

// asUser makes cmd run as uid/gid with no supplementary groups.
func asUser(cmd *exec.Cmd, uid, gid uint32) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}}
	return cmd
}

func (r helperResult) String() string { return fmt.Sprintf("%+v", struct{ helperResult }{r}) }
