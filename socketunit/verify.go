package socketunit

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Verify checks a socket or service unit the way systemd-analyze verify does, and adds
// sockvisor's own findings (Own set): commands that do not exist, ports this process may not
// bind. The error is non-nil only when the unit cannot be read at all.
func Verify(path string, opts Options) ([]Diagnostic, error) {
	return verifyWith(path, opts, hostEnv())
}

// verifyEnv is what the own checks need to know about the host.
type verifyEnv struct {
	// lowPorts returns the first port an unprivileged process may bind
	// (net.ipv4.ip_unprivileged_port_start) and whether this process may bind below it anyway
	// (root or CAP_NET_BIND_SERVICE); called only when a unit has such a port.
	lowPorts   func() (start int, allowed bool)
	searchPath []string
}

func hostEnv() verifyEnv {
	return verifyEnv{
		lowPorts: func() (int, bool) {
			start := 1024
			if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
				if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					start = n
				}
			}
			return start, hasCapability(10) // CAP_NET_BIND_SERVICE
		},
		searchPath: []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"},
	}
}

// hasCapability reports whether bit cap is set in this process's effective capabilities.
func hasCapability(bit uint) bool {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return os.Geteuid() == 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && n&(1<<bit) != 0
		}
	}
	return os.Geteuid() == 0
}

func verifyWith(path string, opts Options, env verifyEnv) ([]Diagnostic, error) {
	diags, err := verifyUnit(path, opts, env)
	sortFindings(diags)
	return diags, err
}

// sortFindings orders findings as systemd reports them: file by file (in the order they were
// read), by line, with a file's unit-level findings (no line) after its lines.
func sortFindings(diags []Diagnostic) {
	order := map[string]int{}
	for _, d := range diags {
		if _, ok := order[d.File]; !ok {
			order[d.File] = len(order)
		}
	}
	line := func(d Diagnostic) int {
		if d.Line <= 0 {
			return math.MaxInt
		}
		return d.Line
	}
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i], diags[j]
		if order[a.File] != order[b.File] {
			return order[a.File] < order[b.File]
		}
		return line(a) < line(b)
	})
}

func verifyUnit(path string, opts Options, env verifyEnv) ([]Diagnostic, error) {
	switch filepath.Ext(path) {
	case ".socket":
		res, err := LoadSocket(path, opts)
		if err != nil {
			return nil, err
		}
		diags := res.Diagnostics
		if res.Refused() {
			return diags, nil
		}
		diags = append(diags, env.portFindings(res.Socket)...)
		so := res.Socket
		for _, l := range []struct {
			key  string
			cmds []ExecCommand
		}{{"ExecStartPre", so.ExecStartPre}, {"ExecStartPost", so.ExecStartPost}, {"ExecStopPre", so.ExecStopPre}, {"ExecStopPost", so.ExecStopPost}} {
			diags = append(diags, env.socketCommandFindings(so.Path, l.key, l.cmds)...)
		}
		if res.Service != nil {
			diags = append(diags, env.serviceFindings(res.Service)...)
		}
		return diags, nil
	case ".service":
		svc, diags, err := verifyServiceUnit(path, opts)
		if err != nil {
			return nil, err
		}
		if refused(diags) {
			return diags, nil
		}
		return append(diags, env.serviceFindings(svc)...), nil
	}
	return nil, fmt.Errorf("%s: not a socket or service unit (the name must end in .socket or .service)", path)
}

func (env verifyEnv) serviceFindings(s *Service) []Diagnostic {
	var out []Diagnostic
	out = append(out, env.commandFindings("ExecStartPre", s.ExecStartPre)...)
	out = append(out, env.commandFindings("ExecStart", s.ExecStart)...)
	out = append(out, env.commandFindings("ExecStartPost", s.ExecStartPost)...)
	out = append(out, env.commandFindings("ExecReload", s.ExecReload)...)
	out = append(out, env.commandFindings("ExecStop", s.ExecStop)...)
	out = append(out, env.commandFindings("ExecStopPost", s.ExecStopPost)...)
	return out
}

// socketCommandFindings is systemd-analyze's verify_executable for the socket unit's own
// commands: one that cannot be executed (and has no "-" prefix) fails verification. Those with
// "-" get sockvisor's own warning.
func (env verifyEnv) socketCommandFindings(unitPath, key string, cmds []ExecCommand) []Diagnostic {
	var out, ignored []Diagnostic
	for _, c := range cmds {
		if c.IgnoreFailure {
			ignored = append(ignored, env.commandFindings(key, []ExecCommand{c})...)
			continue
		}
		path := c.Path
		if !strings.Contains(path, "/") && env.inSearchPath(path) {
			continue
		}
		if err := unix.Access(path, unix.X_OK); err != nil {
			out = append(out, Diagnostic{Location: Location{File: unitPath}, Key: key, Severity: SeverityError,
				Message: fmt.Sprintf("Command %s is not executable: %s", path, strerror(err))})
		}
	}
	return append(out, ignored...)
}

// commandFindings reports commands whose executable does not exist or is not executable.
func (env verifyEnv) commandFindings(key string, cmds []ExecCommand) []Diagnostic {
	var out []Diagnostic
	for _, c := range cmds {
		if c.Path == "" || strings.ContainsAny(c.Path, "$%") {
			continue // expanded at run time
		}
		problem := ""
		if strings.HasPrefix(c.Path, "/") {
			problem = executableProblem(c.Path)
		} else if !env.inSearchPath(c.Path) {
			problem = fmt.Sprintf("%s is not found in %s", c.Path, strings.Join(env.searchPath, ":"))
		}
		if problem != "" {
			out = append(out, Diagnostic{Location: c.Source, Key: key, Severity: SeverityWarning, Own: true,
				Message: fmt.Sprintf("%s= command %s: it will fail when started", key, problem)})
		}
	}
	return out
}

// executableProblem says what keeps path from being executed, or "" when nothing does.
func executableProblem(path string) string {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Sprintf("%s cannot be run (%s)", path, strerror(err))
	case st.IsDir():
		return fmt.Sprintf("%s is a directory", path)
	case st.Mode().Perm()&0o111 == 0:
		return fmt.Sprintf("%s is not executable", path)
	}
	return ""
}

func (env verifyEnv) inSearchPath(name string) bool {
	for _, d := range env.searchPath {
		if executableProblem(filepath.Join(d, name)) == "" {
			return true
		}
	}
	return false
}

// portFindings reports IP ports this process may not bind.
func (env verifyEnv) portFindings(s *Socket) []Diagnostic {
	var out []Diagnostic
	checked, start, allowed := false, 0, false
	for _, l := range s.Listen {
		a := l.Address
		if !l.Kind.IsSocket() || a.Family != syscall.AF_INET && a.Family != syscall.AF_INET6 || a.Port == 0 || a.Port >= 1024 {
			continue
		}
		if !checked {
			start, allowed = env.lowPorts()
			checked = true
		}
		if allowed || int(a.Port) >= start {
			continue
		}
		out = append(out, Diagnostic{Location: l.Source, Key: l.Kind.String(), Severity: SeverityWarning, Own: true,
			Message: fmt.Sprintf("port %d is below %d (net.ipv4.ip_unprivileged_port_start) and this process lacks CAP_NET_BIND_SERVICE: listening will fail unless sockvisor runs as root or with that capability",
				a.Port, start)})
	}
	return out
}
