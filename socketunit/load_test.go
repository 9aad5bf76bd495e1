package socketunit

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// writeFiles creates files (path relative to dir → content) and returns dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if content == "@masked" {
			if err := os.Symlink(os.DevNull, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// noSearch keeps the host's unit directories out of a test.
var noSearch = Options{SearchPath: []string{}}

const trueService = "[Service]\nExecStart=/bin/true\n"

func messages(diags []Diagnostic) []string {
	var out []string
	for _, d := range diags {
		if !d.Own {
			out = append(out, d.String())
		}
	}
	return out
}

func load(t *testing.T, path string, opts Options) *Loaded {
	t.Helper()
	res, err := LoadSocket(path, opts)
	if err != nil {
		t.Fatalf("LoadSocket(%s): %v", path, err)
	}
	return res
}

func TestLoadSocketDefaults(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"echo.socket":  "[Unit]\nDescription=Echo\n[Socket]\nListenStream=127.0.0.1:7\nListenDatagram=7\n",
		"echo.service": trueService,
	})
	res := load(t, filepath.Join(dir, "echo.socket"), noSearch)
	if len(res.Diagnostics) != 0 || res.Refused() {
		t.Fatalf("diagnostics: %v", res.Diagnostics)
	}
	s := res.Socket
	checks := []struct {
		what      string
		got, want any
	}{
		{"Name", s.Name, "echo.socket"},
		{"Backlog", s.Backlog, uint32(2147483647)},
		{"SocketMode", s.SocketMode, uint32(0o666)},
		{"DirectoryMode", s.DirectoryMode, uint32(0o755)},
		{"MaxConnections", s.MaxConnections, uint32(64)},
		{"Priority", s.Priority, -1}, {"IPTOS", s.IPTOS, -1}, {"IPTTL", s.IPTTL, -1}, {"Mark", s.Mark, -1},
		{"AcceptFileDescriptors", s.AcceptFileDescriptors, true},
		{"TriggerLimitInterval", s.TriggerLimitInterval, Timespan(2e6)},
		{"TriggerLimitBurst", s.TriggerLimitBurst, uint32(20)},
		{"PollLimitInterval", s.PollLimitInterval, Timespan(2e6)},
		{"PollLimitBurst", s.PollLimitBurst, uint32(15)},
		{"Timeout", s.Timeout, Timespan(90e6)},
		{"DeferTriggerMax", s.DeferTriggerMax, Infinity},
		{"UMask", s.Exec.UMask, uint32(0o022)},
		{"KillSignal", s.Kill.KillSignal, int(syscall.SIGTERM)},
		{"SendSIGKILL", s.Kill.SendSIGKILL, true},
		{"DefaultDependencies", s.Unit.DefaultDependencies, true},
		{"Description", s.Unit.Description, "Echo"},
		{"FDName", s.FDName(), "echo.socket"},
		{"listen count", len(s.Listen), 2},
		{"service", res.Service != nil && res.Service.Name == "echo.service", true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if len(s.Listen) == 2 {
		l0, l1 := s.Listen[0], s.Listen[1]
		if l0.Kind != ListenStream || l0.Address.Type != syscall.SOCK_STREAM || l0.Address.Port != 7 || l0.Source.Line != 4 {
			t.Errorf("Listen[0] = %+v", l0)
		}
		if l1.Kind != ListenDatagram || l1.Address.Type != syscall.SOCK_DGRAM || l1.Source.Line != 5 {
			t.Errorf("Listen[1] = %+v", l1)
		}
	}
}

func TestLoadSocketAcceptDefaultsAndTemplateService(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"echo.socket":   "[Socket]\nListenStream=7\nAccept=yes\n",
		"echo@.service": "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n",
	})
	res := load(t, filepath.Join(dir, "echo.socket"), noSearch)
	if res.Refused() {
		t.Fatalf("refused: %v", res.Diagnostics)
	}
	if res.Socket.TriggerLimitBurst != 200 || res.Socket.PollLimitBurst != 150 || res.Socket.FDName() != "connection" {
		t.Errorf("accept defaults: burst %d/%d, fdname %q", res.Socket.TriggerLimitBurst, res.Socket.PollLimitBurst, res.Socket.FDName())
	}
	if res.Service == nil || res.Service.Name != "echo@.service" || res.Service.Exec.StandardInput.Kind != "socket" {
		t.Errorf("service = %+v", res.Service)
	} else if out := res.Service.Exec.StandardOutput.Kind; out != "inherit" {
		t.Errorf("StandardInput=socket: StandardOutput = %s, want inherit (the connection)", out)
	}
}

func TestListenResetAndOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"x.socket":  "[Socket]\nListenStream=1\nListenDatagram=2\nListenStream=\nListenDatagram=3\nListenStream=4\nListenStream=4\n",
		"x.service": trueService,
	})
	res := load(t, filepath.Join(dir, "x.socket"), noSearch)
	var got []string
	for _, l := range res.Socket.Listen {
		got = append(got, l.Kind.String()+" "+l.Address.String())
	}
	want := "ListenDatagram [::]:3,ListenStream [::]:4,ListenStream [::]:4"
	if strings.Join(got, ",") != want {
		t.Errorf("listen = %v, want %s", got, want)
	}
}

func TestDropins(t *testing.T) {
	high := writeFiles(t, map[string]string{
		"foo@.socket":                "[Socket]\nListenStream=/run/%i.sock\nBacklog=1\n",
		"foo@.service":               trueService,
		"foo@bar.socket.d/20-b.conf": "[Socket]\nBacklog=20\n",
		"foo@.socket.d/10-a.conf":    "[Socket]\nBacklog=10\nMark=5\n",
		"socket.d/05-type.conf":      "[Socket]\nMark=1\nPriority=3\n",
		"foo@bar.socket.d/30-m.conf": "@masked",
	})
	low := writeFiles(t, map[string]string{
		"foo@bar.socket.d/20-b.conf":  "[Socket]\nBacklog=99\n", // masked by the same name in high
		"foo@bar.socket.d/25-c.conf":  "[Socket]\nIPTTL=7\n",
		"foo@bar.socket.d/30-m.conf":  "[Socket]\nIPTTL=99\n", // masked by /dev/null in high
		"foo@bar.socket.d/40.notconf": "[Socket]\nIPTTL=100\n",
	})
	res := load(t, "foo@bar.socket", Options{SearchPath: []string{high, low}})
	s := res.Socket
	if s.Path != filepath.Join(high, "foo@.socket") {
		t.Errorf("fragment = %s", s.Path)
	}
	if s.Backlog != 20 || s.Mark != 5 || s.Priority != 3 || s.IPTTL != 7 {
		t.Errorf("Backlog %d Mark %d Priority %d IPTTL %d; want 20 5 3 7", s.Backlog, s.Mark, s.Priority, s.IPTTL)
	}
	if len(s.Listen) != 1 || s.Listen[0].Address.Path != "/run/bar.sock" {
		t.Errorf("listen = %+v", s.Listen)
	}
	if res.Refused() {
		t.Errorf("refused: %v", res.Diagnostics)
	}
}

func TestDropinFindingsNameTheDropin(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"x.socket":          "[Socket]\nListenStream=1\n",
		"x.service":         trueService,
		"x.socket.d/a.conf": "[Socket]\n\nBacklog=nope\n",
	})
	res := load(t, filepath.Join(dir, "x.socket"), noSearch)
	want := filepath.Join(dir, "x.socket.d/a.conf") + ":3: Failed to parse unsigned value, ignoring: nope"
	if got := messages(res.Diagnostics); len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMaskedAndMissing(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"m.socket":   "@masked",
		"n.socket":   "[Socket]\nListenStream=1\n",
		"s.socket":   "[Socket]\nListenStream=1\nService=other.service\n",
		"a.socket":   "[Socket]\nListenStream=1\nAccept=yes\n",
		"ms.socket":  "[Socket]\nListenStream=1\n",
		"ms.service": "@masked",
		"e.socket":   "[Socket]\nListenStream=1\n",
		"e.service":  "[Service]\nType=simple\n",
	})
	for name, want := range map[string]string{
		"m.socket":  "m.socket: Unit m.socket is masked.",
		"n.socket":  "n.socket: service n.service not loaded, socket cannot be started.",
		"s.socket":  "s.socket: service other.service not loaded, socket cannot be started.",
		"a.socket":  "a.socket: service a@internal.service not loaded, socket cannot be started.",
		"ms.socket": "ms.socket: service ms.service not loaded, socket cannot be started.",
		"e.socket":  "e.socket: service e.service not loaded, socket cannot be started.",
	} {
		res := load(t, filepath.Join(dir, name), noSearch)
		got := messages(res.Diagnostics)
		if !res.Refused() || len(got) == 0 || got[len(got)-1] != filepath.Join(dir, want) {
			t.Errorf("%s: got %q, want last %q", name, got, want)
		}
	}
	if _, err := LoadSocket(filepath.Join(dir, "nonexistent.socket"), noSearch); err == nil {
		t.Error("nonexistent unit: no error")
	}
	if _, err := LoadSocket(dir, noSearch); err == nil {
		t.Error("directory: no error")
	}
}

func TestLoadTimeChecks(t *testing.T) {
	for _, c := range []struct{ unit, want string }{
		{"[Socket]\nBacklog=5\n", "Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing."},
		{"[Socket]\nListenStream=1\nListenStream=\n", "Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing."},
		{"[Socket]\nListenDatagram=1\nAccept=yes\n", "Unit configured for accepting sockets, but sockets are non-accepting. Refusing."},
		{"[Socket]\nListenFIFO=/run/f\nAccept=yes\n", "Unit configured for accepting sockets, but sockets are non-accepting. Refusing."},
		{"[Socket]\nListenStream=1\nAccept=yes\nMaxConnections=0\n", "MaxConnection= setting too small. Refusing."},
		{"[Socket]\nListenStream=1\nAccept=yes\nService=y.service\n", "Explicit service configuration for accepting socket units not supported. Refusing."},
		{"[Socket]\nListenStream=/run/a\nListenStream=/run/b\nSymlinks=/run/c\n", "Unit has symlinks set but none or more than one node in the file system. Refusing."},
		{"[Socket]\nListenStream=1\nSymlinks=/run/c\n", "Unit has symlinks set but none or more than one node in the file system. Refusing."},
		{"[Socket]\nListenStream=1\nAccept=yes\nDeferTrigger=yes\n", "Socket unit is configured to be accepting with DeferTrigger= enabled. Refusing."},
	} {
		dir := writeFiles(t, map[string]string{"x.socket": c.unit, "x.service": trueService, "x@.service": trueService, "y.service": trueService})
		res := load(t, filepath.Join(dir, "x.socket"), noSearch)
		got := messages(res.Diagnostics)
		want := filepath.Join(dir, "x.socket") + ": " + c.want
		if !res.Refused() || len(got) == 0 || got[len(got)-1] != want {
			t.Errorf("%q: got %q, want %q", c.unit, got, want)
		}
	}
	// MaxConnections=0 with Accept=no is accepted by 252.
	dir := writeFiles(t, map[string]string{"x.socket": "[Socket]\nListenStream=1\nMaxConnections=0\n", "x.service": trueService})
	if res := load(t, filepath.Join(dir, "x.socket"), noSearch); res.Refused() {
		t.Errorf("MaxConnections=0, Accept=no: refused: %v", res.Diagnostics)
	}
}

func TestFatalAssignmentStopsTheFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"x.socket":  "[Socket]\nListenStream=1\nSocketUser=a:b\nBacklog=nope\n",
		"x.service": trueService,
	})
	res := load(t, filepath.Join(dir, "x.socket"), noSearch)
	got := messages(res.Diagnostics)
	want := []string{
		filepath.Join(dir, "x.socket") + ":3: Invalid user/group name or numeric ID: a:b",
		filepath.Join(dir, "x.socket") + ": Unit configuration has fatal error, unit will not be started.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || !res.Refused() {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSearchPathEnvironment(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	t.Setenv("SYSTEMD_UNIT_PATH", a+":"+b+":")
	got := searchPath(Options{}, "")
	want := append([]string{a, b}, DefaultSearchPath()...)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("trailing colon: %v, want %v", got, want)
	}
	t.Setenv("SYSTEMD_UNIT_PATH", a)
	if got := searchPath(Options{}, "/x"); strings.Join(got, " ") != "/x "+a {
		t.Errorf("no trailing colon: %v", got)
	}
	if got := searchPath(Options{SearchPath: []string{b}}, ""); len(got) != 1 || got[0] != b {
		t.Errorf("Options.SearchPath: %v", got)
	}
}

func TestLoadServiceByName(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"web@.service": "[Service]\nType=notify\nExecStart=/bin/echo %i\nTimeoutSec=0\nRestart=on-failure\nRestartSec=5\nSockets=web.socket\nEnvironment=A=1 \"B=2 3\"\nUser=www\nKillMode=mixed\n",
	})
	svc, diags, err := LoadService("web@blue.service", Options{SearchPath: []string{dir}})
	if err != nil || len(messages(diags)) != 0 {
		t.Fatalf("LoadService: %v %v", err, diags)
	}
	if svc.Type != "notify" || svc.Restart != "on-failure" || svc.RestartSec != 5e6 || svc.TimeoutStartSec != Infinity ||
		svc.TimeoutStopSec != Infinity || len(svc.Sockets) != 1 || svc.Exec.User != "www" || svc.Kill.KillMode != "mixed" {
		t.Errorf("service = %+v", svc)
	}
	if len(svc.ExecStart) != 1 || strings.Join(svc.ExecStart[0].Argv, " ") != "/bin/echo blue" {
		t.Errorf("ExecStart = %+v", svc.ExecStart)
	}
	if svc.Exec.StandardOutput.Kind != "journal" || svc.Exec.StandardError.Kind != "inherit" {
		t.Errorf("stdio defaults: output %s, error %s; want journal, inherit", svc.Exec.StandardOutput.Kind, svc.Exec.StandardError.Kind)
	}
	if strings.Join(svc.Exec.Environment, "|") != "A=1|B=2 3" {
		t.Errorf("Environment = %q", svc.Exec.Environment)
	}
	// An instance by path: the directory is searched first, the template found from the name.
	svc, _, err = LoadService(filepath.Join(dir, "web@0-127.0.0.1:80-127.0.0.1:5555.service"), noSearch)
	if err != nil || len(svc.ExecStart) != 1 || strings.Join(svc.ExecStart[0].Argv, " ") != "/bin/echo 0-127.0.0.1:80-127.0.0.1:5555" {
		t.Errorf("instance by path: %v %+v", err, svc)
	}
	if _, _, err := LoadService("nope.service", Options{SearchPath: []string{dir}}); err == nil {
		t.Error("missing service: no error")
	}
}

func TestPermissionWarnings(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.socket": "[Socket]\nListenStream=1\n", "x.service": trueService})
	path := filepath.Join(dir, "x.socket")
	if err := os.Chmod(path, 0o777); err != nil {
		t.Fatal(err)
	}
	got := messages(load(t, path, noSearch).Diagnostics)
	want := []string{
		path + ": Configuration file " + path + " is marked executable. Please remove executable permission bits. Proceeding anyway.",
		path + ": Configuration file " + path + " is marked world-writable. Please remove world writability permission bits. Proceeding anyway.",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}
