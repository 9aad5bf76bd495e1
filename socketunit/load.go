package socketunit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Options control how units are looked up.
type Options struct {
	// SearchPath is the unit search path for the service unit, drop-ins and templates, after the
	// directory of the unit file (which always comes first, as with systemd-analyze verify). Nil
	// means $SYSTEMD_UNIT_PATH (a trailing ':' appends the defaults), else DefaultSearchPath();
	// an empty, non-nil slice means no other directory.
	SearchPath []string
}

// Loaded is a socket unit as systemd would load it, with the service it triggers.
type Loaded struct {
	Socket      *Socket
	Service     *Service // Service=, NAME.service, or NAME@.service for Accept=yes; nil if not found
	Diagnostics []Diagnostic
}

// Refused reports whether systemd would refuse to load the unit.
func (l *Loaded) Refused() bool {
	for _, d := range l.Diagnostics {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Sections a socket and a service unit may have.
var (
	socketSections  = []string{"Unit", "Socket", "Install"}
	serviceSections = []string{"Unit", "Service", "Install"}
)

// LoadSocket reads the socket unit at path with its drop-ins, applies systemd's defaults and
// load-time checks, and loads the service it triggers. The error is non-nil only when the file
// cannot be read at all; everything else is a Diagnostic.
func LoadSocket(path string, opts Options) (*Loaded, error) {
	name := filepath.Base(path)
	if !strings.HasSuffix(name, ".socket") {
		return nil, fmt.Errorf("%s: not a socket unit (the name must end in .socket)", path)
	}
	fragment, dirs, err := resolveUnitPath(path, opts)
	if err != nil && !errors.Is(err, errMasked) {
		return nil, err
	}
	name = verifyInstance(name)
	s := newSocket(name, fragment)
	res := &Loaded{Socket: s}
	if errors.Is(err, errMasked) {
		res.Diagnostics = append(res.Diagnostics, Diagnostic{Location: Location{File: fragment}, Severity: SeverityError,
			Message: fmt.Sprintf("Unit %s is masked.", name)})
		return res, nil
	}
	p := &unitParser{name: name, fragment: fragment, sock: s, exec: &s.Exec, kill: &s.Kill, unit: &s.Unit, install: &s.Install}
	ok, err := p.parseUnit(fragment, dirs, socketSections)
	if err != nil {
		return nil, err
	}
	res.Diagnostics = p.diags
	if !ok {
		return res, nil
	}
	addSocketExtras(s)
	res.Diagnostics = append(res.Diagnostics, verifySocket(s, p.pam)...)
	if res.Refused() {
		return res, nil
	}
	svcName := serviceNameFor(s)
	svc, diags, err := loadService(svcName, dirs)
	res.Diagnostics = append(res.Diagnostics, diags...)
	if err != nil || refused(diags) {
		res.Diagnostics = append(res.Diagnostics, Diagnostic{Location: Location{File: fragment}, Severity: SeverityError,
			Message: fmt.Sprintf("service %s not loaded, socket cannot be started.", svcName)})
		return res, nil
	}
	if t := templateName(svc.Name); t != "" && s.Accept && s.Service == "" {
		svc.Name = t // the template every connection's instance is made from
	}
	res.Service = svc
	return res, nil
}

// LoadService loads a service unit by name ("echo.service", "echo@inst.service", found on the
// search path, an instance from its template) or by path, with its drop-ins, defaults and
// load-time checks. The error is non-nil when the unit is not found, masked or unreadable.
func LoadService(name string, opts Options) (*Service, []Diagnostic, error) {
	first := ""
	if strings.ContainsRune(name, '/') {
		first = filepath.Dir(name)
		name = filepath.Base(name)
	}
	return loadService(name, searchPath(opts, first))
}

// verifyServiceUnit loads a service unit for verify: a template is checked as the instance
// systemd-analyze verify uses ("foo@.service" as "foo@i.service").
func verifyServiceUnit(path string, opts Options) (*Service, []Diagnostic, error) {
	dir, name := filepath.Split(path)
	dirs := searchPath(opts, filepath.Clean(dir))
	if dir == "" {
		dirs = append([]string{"."}, dirs...)
	}
	return loadService(verifyInstance(name), dirs)
}

func loadService(name string, dirs []string) (*Service, []Diagnostic, error) {
	fragment, err := findFragment(name, dirs)
	if err != nil {
		return nil, nil, err
	}
	svc := newService(name, fragment)
	p := &unitParser{name: name, fragment: fragment, svc: svc, exec: &svc.Exec, kill: &svc.Kill, unit: &svc.Unit, install: &svc.Install}
	ok, err := p.parseUnit(fragment, dirs, serviceSections)
	if err != nil {
		return nil, p.diags, err
	}
	if !ok {
		return svc, p.diags, nil
	}
	fixServiceStdio(&svc.Exec)
	return svc, append(p.diags, verifyService(svc)...), nil
}

// verifyInstance turns a template name ("foo@.socket") into the instance systemd-analyze verify
// 252 checks in its place ("foo@i.socket"); other names are returned unchanged.
func verifyInstance(name string) string {
	if at := strings.IndexByte(name, '@'); at >= 0 && strings.HasPrefix(name[at+1:], ".") {
		return name[:at+1] + "i" + name[at+1:]
	}
	return name
}

func refused(diags []Diagnostic) bool {
	return (&Loaded{Diagnostics: diags}).Refused()
}

// resolveUnitPath finds the file for a unit given as a path (or, when no such file exists, as a
// name on the search path; an instance falls back to its template) and returns it with the
// search path to use for drop-ins and the service.
func resolveUnitPath(path string, opts Options) (string, []string, error) {
	name := filepath.Base(path)
	dir := filepath.Dir(path)
	if _, err := os.Lstat(path); err == nil {
		dirs := searchPath(opts, dir)
		if isMasked(path) {
			return path, dirs, fmt.Errorf("%s: %w", name, errMasked)
		}
		return path, dirs, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", nil, err
	}
	first := dir
	if !strings.ContainsRune(path, '/') {
		first = "" // a bare name: only the search path (and the current directory for templates)
	}
	dirs := searchPath(opts, first)
	lookIn := dirs
	if first == "" {
		lookIn = append([]string{"."}, dirs...)
	}
	fragment, err := findFragment(name, lookIn)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	return fragment, dirs, err
}

// parseUnit parses the fragment and then its drop-ins. It returns false when systemd would
// refuse the unit for a fatal parse error, and an error when the fragment cannot be read.
func (p *unitParser) parseUnit(fragment string, dirs []string, sections []string) (bool, error) {
	data, err := readUnitFile(fragment)
	if err != nil {
		return false, err
	}
	p.checkPermissions(fragment)
	if !p.parseFile(fragment, data, sections) {
		return false, nil
	}
	for _, d := range findDropins(p.name, dirs) {
		data, err := readUnitFile(d)
		if err != nil {
			p.fatalErrno = syscall.EIO
			var errno syscall.Errno
			if errors.As(err, &errno) {
				p.fatalErrno = errno
			}
			p.diags = append(p.diags, p.loadFailure(d))
			return false, nil
		}
		p.checkPermissions(d)
		if !p.parseFile(d, data, sections) {
			return false, nil
		}
	}
	return true, nil
}

// checkPermissions gives systemd's warnings (stat_warn_permissions) for a unit file that is
// executable or world-writable.
func (p *unitParser) checkPermissions(path string) {
	st, err := os.Stat(path)
	if err != nil {
		return
	}
	warn := func(msg string) {
		p.diags = append(p.diags, Diagnostic{Location: Location{File: path}, Severity: SeverityWarning, Message: msg})
	}
	if st.Mode().Perm()&0o111 != 0 {
		warn(fmt.Sprintf("Configuration file %s is marked executable. Please remove executable permission bits. Proceeding anyway.", path))
	}
	if st.Mode().Perm()&0o002 != 0 {
		warn(fmt.Sprintf("Configuration file %s is marked world-writable. Please remove world writability permission bits. Proceeding anyway.", path))
	}
}

// readUnitFile reads a regular unit file; devices, FIFOs and directories are refused (reading
// them could block or never end).
func readUnitFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch {
	case st.IsDir():
		return nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return io.ReadAll(f)
}

// newSocket returns a socket unit with socket_init's defaults.
func newSocket(name, path string) *Socket {
	return &Socket{
		Name:                  name,
		Path:                  path,
		Backlog:               math.MaxInt32, // SOMAXCONN_DELUXE (252-stable and later; mainline 252.0 had 4096)
		SocketMode:            0o666,
		DirectoryMode:         0o755,
		MaxConnections:        64,
		Priority:              -1,
		IPTOS:                 -1,
		IPTTL:                 -1,
		Mark:                  -1,
		AcceptFileDescriptors: true,
		Timeout:               90 * 1e6,
		TriggerLimitInterval:  Infinity, // "unset" until addSocketExtras
		TriggerLimitBurst:     math.MaxUint32,
		PollLimitInterval:     Infinity,
		PollLimitBurst:        math.MaxUint32,
		DeferTriggerMax:       Infinity,
		Exec:                  defaultExec(StdioSpec{Kind: "null"}, StdioSpec{Kind: "journal"}, StdioSpec{Kind: "inherit"}),
		Kill:                  defaultKill(),
		Unit:                  UnitSection{DefaultDependencies: true},
	}
}

// newService returns a service unit with systemd's defaults (service_init; standard output is
// settled after parsing by fixServiceStdio). A socket unit's own processes log to the journal
// (socket_init), see newSocket.
func newService(name, path string) *Service {
	return &Service{
		Name:            name,
		Path:            path,
		Type:            "simple",
		Restart:         "no",
		RestartSec:      100 * 1e3,
		TimeoutStartSec: 90 * 1e6,
		TimeoutStopSec:  90 * 1e6,
		Exec:            defaultExec(StdioSpec{Kind: "null"}, StdioSpec{Kind: "inherit"}, StdioSpec{Kind: "inherit"}),
		Kill:            defaultKill(),
		Unit:            UnitSection{DefaultDependencies: true},
	}
}

func defaultExec(in, out, errOut StdioSpec) ExecContext {
	return ExecContext{UMask: 0o022, StandardInput: in, StandardOutput: out, StandardError: errOut}
}

func defaultKill() KillContext {
	return KillContext{KillMode: "control-group", KillSignal: int(unix.SIGTERM), FinalKillSignal: int(unix.SIGKILL), SendSIGKILL: true}
}

// fixServiceStdio is systemd's service_fix_stdio: unless standard input is a bidirectional
// stream (a socket, a tty, a named fd), an inherited standard output goes to the manager's
// default, the journal. (Like systemd, an explicit StandardOutput=inherit is treated the same.)
func fixServiceStdio(e *ExecContext) {
	switch e.StandardInput.Kind {
	case "tty", "tty-force", "tty-fail", "socket", "fd":
		return
	}
	if e.StandardOutput.Kind == "inherit" {
		e.StandardOutput = StdioSpec{Kind: "journal"}
	}
}

// addSocketExtras fills in the defaults systemd's socket_add_extras sets after parsing.
func addSocketExtras(s *Socket) {
	if s.TriggerLimitInterval == Infinity {
		s.TriggerLimitInterval = 2 * 1e6
	}
	if s.TriggerLimitBurst == math.MaxUint32 {
		s.TriggerLimitBurst = 20
		if s.Accept {
			s.TriggerLimitBurst = 200
		}
	}
	if s.PollLimitInterval == Infinity {
		s.PollLimitInterval = 2 * 1e6
	}
	if s.PollLimitBurst == math.MaxUint32 {
		s.PollLimitBurst = 15
		if s.Accept {
			s.PollLimitBurst = 150
		}
	}
}

// serviceNameFor returns the service a socket unit activates: Service=, NAME.service, or for
// Accept=yes the instance NAME@internal.service that systemd-analyze verify checks (it loads
// from the template NAME@.service).
func serviceNameFor(s *Socket) string {
	if s.Service != "" {
		return s.Service
	}
	prefix := strings.TrimSuffix(s.Name, ".socket")
	if s.Accept {
		if at := strings.IndexByte(prefix, '@'); at >= 0 {
			prefix = prefix[:at]
		}
		return prefix + "@internal.service"
	}
	return prefix + ".service"
}
