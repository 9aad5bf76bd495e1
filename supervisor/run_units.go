//go:build linux

package supervisor

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sockvisor/sockvisor/socketunit"
)

// unitFiles lists the socket unit files Run supervises: the files named in cfg.Units, the
// *.socket files of the directories named there (templates excluded), or with no Units the
// sockets enabled in the search path. The first file of a given unit name wins.
func (m *manager) unitFiles() []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		name := filepath.Base(p)
		if seen[name] {
			m.log.Warn("unit given twice, using the first", "unit", name, "ignored", p)
			return
		}
		seen[name] = true
		out = append(out, p)
	}
	if len(m.cfg.Units) == 0 {
		for _, dir := range m.searchPath() {
			for _, p := range socketFiles(filepath.Join(dir, "sockets.target.wants")) {
				if !seen[filepath.Base(p)] {
					add(p)
				}
			}
		}
		return out
	}
	for _, p := range m.cfg.Units {
		fi, err := os.Stat(p)
		if err != nil {
			m.log.Error("cannot read unit", "path", p, "err", err)
			continue
		}
		if !fi.IsDir() {
			add(p)
			continue
		}
		for _, f := range socketFiles(p) {
			add(f)
		}
	}
	return out
}

// searchPath is the configured unit search path, or the system one.
func (m *manager) searchPath() []string {
	if m.cfg.SearchPath != nil {
		return m.cfg.SearchPath
	}
	return socketunit.DefaultSearchPath()
}

// socketFiles returns the *.socket files of dir, templates excluded, sorted by name.
func socketFiles(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".socket") || strings.HasSuffix(n, "@.socket") || e.IsDir() {
			continue
		}
		out = append(out, filepath.Join(dir, n))
	}
	slices.Sort(out)
	return out
}

// loadAll loads every unit file; refused units are logged with verify's messages and left out,
// their names returned in refused.
func (m *manager) loadAll() (out []*socketunit.Loaded, refused map[string]bool) {
	refused = map[string]bool{}
	for _, p := range m.unitFiles() {
		l, err := m.b.load(p, socketunit.Options{SearchPath: m.cfg.SearchPath})
		if err != nil {
			m.log.Error("cannot load unit", "path", p, "err", err)
			refused[filepath.Base(p)] = true
			continue
		}
		if l.Refused() {
			m.logDiagnostics(l)
			m.log.Error("unit refused, skipping it", "unit", filepath.Base(p))
			refused[filepath.Base(p)] = true
			continue
		}
		if l.Service == nil {
			m.log.Error("Unit "+serviceOf(l.Socket)+" not found, skipping the socket.", "unit", l.Socket.Name)
			refused[filepath.Base(p)] = true
			continue
		}
		out = append(out, l)
	}
	return out, refused
}

// logDiagnostics logs what loading a unit found, each finding at its severity.
func (m *manager) logDiagnostics(l *socketunit.Loaded) {
	for _, d := range l.Diagnostics {
		switch d.Severity {
		case socketunit.SeverityError:
			m.log.Error(d.String())
		case socketunit.SeverityWarning:
			m.log.Warn(d.String())
		default:
			m.log.Info(d.String())
		}
	}
}

// serviceOf names the service a socket unit activates: Service=, NAME.service or NAME@.service.
func serviceOf(s *socketunit.Socket) string {
	if s.Service != "" {
		return s.Service
	}
	prefix := strings.TrimSuffix(s.Name, ".socket")
	if s.Accept {
		if i := strings.IndexByte(prefix, '@'); i >= 0 {
			prefix = prefix[:i]
		}
		return prefix + "@.service"
	}
	return prefix + ".service"
}

// watchDirs returns the directories whose changes trigger a reload: those of the unit files
// and of their symlink targets, their drop-in directories, and the service files' directories.
func (m *manager) watchDirs() []string {
	set := map[string]bool{}
	add := func(d string) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			set[d] = true
		}
	}
	if len(m.cfg.Units) == 0 {
		for _, dir := range m.searchPath() {
			add(dir)
			add(filepath.Join(dir, "sockets.target.wants"))
		}
	}
	for _, p := range m.cfg.Units {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			add(p)
		} else {
			add(filepath.Dir(p))
		}
	}
	for _, u := range m.units {
		for _, p := range []string{u.sock().Path, servicePath(u)} {
			if p == "" {
				continue
			}
			add(filepath.Dir(p))
			if r, err := filepath.EvalSymlinks(p); err == nil {
				add(filepath.Dir(r))
			}
			add(p + ".d")
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// servicePath is the file of the unit's service, "" if unknown.
func servicePath(u *unit) string {
	if u.loaded.Service == nil {
		return ""
	}
	return u.loaded.Service.Path
}
