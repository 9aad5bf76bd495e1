package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockvisor/sockvisor/internal/testbin"
)

// runBin runs the sockvisor binary with a deadline (a hang is a failure) and returns its
// output and exit code.
func runBin(t *testing.T, cred *syscall.Credential, bin string, args ...string) (stdout, stderr string, rc int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "SYSTEMD_UNIT_PATH=/nonexistent")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v: did not finish within 20s", args)
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		rc = exit.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v", args, err)
	}
	if strings.Contains(e.String(), "panic") || strings.Contains(e.String(), "goroutine ") {
		t.Fatalf("%v: panicked:\n%s", args, e.String())
	}
	return o.String(), e.String(), rc
}

func unitDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const okService = "[Service]\nExecStart=/bin/true\n"

func TestVerifyOutputAndExitCodes(t *testing.T) {
	bin := testbin.Path(t)
	dir := unitDir(t, map[string]string{
		"good.socket":    "[Socket]\nListenStream=127.0.0.1:7070\n",
		"good.service":   okService,
		"warn.socket":    "[Socket]\nListenStream=127.0.0.1:7071\nBacklog=lots\nSlice=x.slice\n",
		"warn.service":   okService,
		"refused.socket": "[Socket]\nBacklog=5\n",
		"nocmd.socket":   "[Socket]\nListenStream=127.0.0.1:7072\n",
		"nocmd.service":  "[Service]\nExecStart=/nonexistent/daemon --flag\n",
	})
	p := func(n string) string { return filepath.Join(dir, n) }

	if out, errOut, rc := runBin(t, nil, bin, "verify", p("good.socket")); rc != 0 || out != "" || errOut != "" {
		t.Errorf("good: rc %d, stdout %q, stderr %q", rc, out, errOut)
	}
	out, _, rc := runBin(t, nil, bin, "verify", p("warn.socket"))
	wantLines := []string{
		p("warn.socket") + ":3: Failed to parse unsigned value, ignoring: lots",
		p("warn.socket") + ":4: sockvisor: Slice= is accepted but not applied by sockvisor",
	}
	if rc != 0 || strings.TrimSpace(out) != strings.Join(wantLines, "\n") {
		t.Errorf("warnings: rc %d, output\n%s\nwant\n%s", rc, out, strings.Join(wantLines, "\n"))
	}
	if _, _, rc := runBin(t, nil, bin, "verify", "--strict", p("warn.socket")); rc != 1 {
		t.Errorf("--strict with a warning: rc %d, want 1", rc)
	}
	out, _, rc = runBin(t, nil, bin, "verify", p("good.socket"), p("refused.socket"))
	if rc != 1 || !strings.Contains(out, p("refused.socket")+": Unit has no Listen setting") {
		t.Errorf("refused: rc %d, output %q", rc, out)
	}
	out, _, rc = runBin(t, nil, bin, "verify", p("nocmd.socket"))
	if rc != 0 || !strings.Contains(out, p("nocmd.service")+":2: sockvisor: ExecStart= command /nonexistent/daemon cannot be run (No such file or directory): it will fail when started") {
		t.Errorf("missing command: rc %d, output %q", rc, out)
	}

	out, _, rc = runBin(t, nil, bin, "verify", "--format=json", p("warn.socket"), p("refused.socket"))
	if rc != 1 {
		t.Errorf("json: rc %d, want 1", rc)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var findings []map[string]any
	for {
		var f map[string]any
		if err := dec.Decode(&f); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("json output %q: %v", out, err)
		}
		findings = append(findings, f)
	}
	if len(findings) != 3 {
		t.Fatalf("json: %d findings, want 3: %s", len(findings), out)
	}
	first := findings[0]
	if first["file"] != p("warn.socket") || first["line"] != 3.0 || first["key"] != "Backlog" || first["severity"] != "warning" || first["own"] != false ||
		first["message"] != "Failed to parse unsigned value, ignoring: lots" {
		t.Errorf("json finding = %v", first)
	}
	if findings[1]["own"] != true || findings[2]["severity"] != "error" {
		t.Errorf("json findings = %v", findings)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	bin := testbin.Path(t)
	for _, args := range [][]string{{"verify"}, {"verify", "--bogus", "x.socket"}, {"verify", "--format=xml", "x.socket"}} {
		out, errOut, rc := runBin(t, nil, bin, args...)
		if rc != 2 || out != "" || !strings.Contains(errOut, "usage: sockvisor verify [--format=text|json] [--strict] UNIT...") {
			t.Errorf("%v: rc %d, stdout %q, stderr %q", args, rc, out, errOut)
		}
	}
	if out, _, rc := runBin(t, nil, bin, "verify", "--help"); rc != 0 || !strings.Contains(out, "--strict") {
		t.Errorf("--help: rc %d, %q", rc, out)
	}
}

// TestVerifyBadInput feeds verify files that are not unit files, or hostile ones: each gets a
// clear finding with its file name and exit 1, and no panic or hang.
func TestVerifyBadInput(t *testing.T) {
	bin := testbin.Path(t)
	garbage := make([]byte, 64<<10)
	rand.New(rand.NewSource(1)).Read(garbage)
	dir := unitDir(t, map[string]string{
		"garbage.socket":    string(garbage),
		"longline.socket":   "[Socket]\nListenStream=1\nDescription=" + strings.Repeat("x", 2<<20) + "\n",
		"utf8.socket":       "[Socket]\nListenStream=1\nDescription=caf\xe9\n",
		"bomb.socket":       "[Socket]\nListenStream=/run/" + strings.Repeat("%n", 100000) + "\n",
		"longline.service":  okService,
		"utf8.service":      okService,
		"bomb.service":      okService,
		"garbage.service":   okService,
		"nul.socket":        "[Socket]\x00ListenStream=127.0.0.1:7073\x00\x00Backlog=\x005\n",
		"nul.service":       okService,
		"notaunit.txt":      "hello",
		"nonexistent.dummy": "",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	if err := os.Mkdir(p("dir.socket"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file string
		rc   int
		want string
	}{
		{"missing.socket", 1, p("missing.socket") + ": sockvisor: cannot read the unit: No such file or directory"},
		{"dir.socket", 1, p("dir.socket") + ": sockvisor: cannot read the unit: Is a directory"},
		{"notaunit.txt", 1, "not a socket or service unit"},
		{"garbage.socket", 1, p("garbage.socket") + ":"},
		{"longline.socket", 1, p("longline.socket") + ":3: Line too long"},
		{"utf8.socket", 1, p("utf8.socket") + ":3: String is not UTF-8 clean, ignoring assignment: Description=caf\ufffd"},
		{"bomb.socket", 1, p("bomb.socket") + ":2: Failed to resolve unit specifiers in '/run/%n%n"},
		{"nul.socket", 0, p("nul.socket") + ":4: Failed to parse unsigned value, ignoring: \n" + p("nul.socket") + ":5: Missing '=', ignoring line."},
	} {
		out, errOut, rc := runBin(t, nil, bin, "verify", p(c.file))
		if rc != c.rc || !strings.Contains(out, c.want) {
			t.Errorf("%s: rc %d (want %d), output %.300q, stderr %q; want it to contain %q", c.file, rc, c.rc, out, errOut, c.want)
		}
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		out, _, rc := runBin(t, nil, bin, "verify", "/dev/zero", "/dev/null")
		if rc != 1 || !strings.Contains(out, "/dev/zero: sockvisor:") {
			t.Errorf("devices: rc %d, %q", rc, out)
		}
	}
}

// TestVerifyUnreadable runs verify as an unprivileged user on a file it may not read.
func TestVerifyUnreadable(t *testing.T) {
	bin := testbin.Path(t)
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred = &syscall.Credential{Uid: 65534, Gid: 65534} // root reads anything: drop to nobody
	}
	dir, err := os.MkdirTemp("", "sockvisor-verify-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The test binary's directory may not be reachable for nobody: use a copy.
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	myBin := filepath.Join(dir, "sockvisor")
	if err := os.WriteFile(myBin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(dir, "secret.socket")
	if err := os.WriteFile(unit, []byte("[Socket]\nListenStream=1\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	out, _, rc := runBin(t, cred, myBin, "verify", unit)
	if rc != 1 || !strings.Contains(out, unit+": sockvisor: cannot read the unit: Permission denied") {
		t.Errorf("unreadable: rc %d, output %q", rc, out)
	}
}
