package socketunit

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"syscall"
)

// Section is a unit-file section a key may appear in.
type Section uint8

// The sections of socket and service units.
const (
	SectionUnit Section = 1 << iota
	SectionSocket
	SectionService
	SectionInstall
)

var sectionNames = []struct {
	s    Section
	name string
}{{SectionUnit, "Unit"}, {SectionSocket, "Socket"}, {SectionService, "Service"}, {SectionInstall, "Install"}}

// String returns the section names, e.g. "Socket" or "Socket,Service".
func (s Section) String() string {
	var names []string
	for _, n := range sectionNames {
		if s&n.s != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

func sectionByName(name string) Section {
	for _, n := range sectionNames {
		if n.name == name {
			return n.s
		}
	}
	return 0
}

// Key describes one key of the table: where it may appear, its value, default and list
// semantics, and whether sockvisor applies it.
type Key struct {
	Name     string
	Sections Section
	Value    string // the value syntax, for the documentation
	Default  string // the default, for the documentation ("" = unset)
	Resets   bool   // an empty assignment resets the setting to its default
	Repeats  bool   // each assignment adds to a list
	Applied  bool   // sockvisor applies the setting (otherwise it is accepted and reported by verify)
	Since    string // the systemd release that added it, when newer than 252 ("v255"); "" otherwise
	Doc      string // one line: what it does

	// apply parses the value and stores it; nil means the key is recognised but not parsed.
	// A non-nil error means systemd treats the assignment as fatal: it stops reading the file and
	// refuses the unit (the message has already been recorded).
	apply func(p *unitParser, a assignment) error
}

// errFatal marks an assignment systemd refuses the unit for.
var errFatal = errors.New("fatal unit setting")

// Keys returns every key of the table, sorted by section and name.
func Keys() []Key {
	out := make([]Key, 0, len(keyTable))
	for _, k := range keyTable {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sections != out[j].Sections {
			return out[i].Sections < out[j].Sections
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// keyTable maps "Section.Key" to its row; it is built once from the row lists and not changed
// afterwards.
var keyTable = buildKeyTable()

func buildKeyTable() map[string]*Key {
	m := map[string]*Key{}
	add := func(rows []*Key) {
		for _, r := range rows {
			for _, n := range sectionNames {
				if r.Sections&n.s == 0 {
					continue
				}
				id := n.name + "." + r.Name
				if prev, dup := m[id]; dup && prev != r {
					panic("socketunit: duplicate key row " + id)
				}
				m[id] = r
			}
		}
	}
	add(socketKeys())
	add(serviceKeys())
	add(execKeys())
	add(killKeys())
	add(unitKeys())
	add(installKeys())
	add(removedKeyRows())
	add(checkedContextKeys())
	// Every other key systemd 252 accepts: recognised, not applied.
	rest := func(sections Section, names []keyName) {
		for _, kn := range names {
			var missing Section
			for _, n := range sectionNames {
				if sections&n.s != 0 && m[n.name+"."+kn.name] == nil {
					missing |= n.s
				}
			}
			if missing != 0 {
				add([]*Key{notAppliedKey(kn, missing)})
			}
		}
	}
	rest(SectionSocket|SectionService, systemd252ContextKeys)
	rest(SectionService, systemd252ServiceKeys)
	rest(SectionUnit, systemd252UnitKeys)
	rest(SectionInstall, systemd252InstallKeys)
	return m
}

func lookupKey(section, key string) *Key {
	return keyTable[section+"."+key]
}

// unitParser applies assignments to the unit being loaded.
type unitParser struct {
	name     string            // unit name, e.g. "echo.socket"
	fragment string            // the unit file, for %y/%Y
	spec     *SpecifierContext // built on first use: most units have no specifiers
	sock     *Socket           // nil for a service
	svc      *Service
	exec     *ExecContext
	kill     *KillContext
	unit     *UnitSection
	install  *InstallSection
	diags    []Diagnostic

	fatalErrno  syscall.Errno // why the file could not be read to the end, if it could not
	pam         bool          // PAMName= is set (systemd's socket_verify checks KillMode= then)
	suggestions int           // "did you mean" notices given so far
}

// specifiers returns the specifier values of the unit (reading the host's facts once).
func (p *unitParser) specifiers() SpecifierContext {
	if p.spec == nil {
		c := DefaultSpecifierContext(p.name)
		c.FragmentPath = p.fragment
		p.spec = &c
	}
	return *p.spec
}

func (p *unitParser) add(a assignment, sev Severity, own bool, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{
		Location: a.Loc,
		Key:      a.Key,
		Severity: sev,
		Own:      own,
		Message:  fmt.Sprintf(format, args...),
	})
}

// warn records systemd's warning for an assignment it ignores.
func (p *unitParser) warn(a assignment, format string, args ...any) {
	p.add(a, SeverityWarning, false, format, args...)
}

// fatal records systemd's error for an assignment that makes it refuse the unit.
func (p *unitParser) fatal(a assignment, format string, args ...any) error {
	p.add(a, SeverityError, false, format, args...)
	return errFatal
}

// section returns the section an assignment belongs to for this unit.
func (p *unitParser) assign(a assignment) error {
	k := lookupKey(a.Section, a.Key)
	if k == nil {
		if !strings.HasPrefix(a.Key, "X-") {
			p.warn(a, "Unknown key '%s' in section [%s], ignoring.", a.Key, a.Section)
			if p.suggestions < maxSuggestions {
				p.suggestions++
				if s := suggestKey(a.Section, a.Key); s != "" {
					p.add(a, SeverityNotice, true, "did you mean %s=?", s)
				}
			}
		}
		return nil
	}
	if k.Since != "" {
		p.add(a, SeverityNotice, true,
			"%s= (systemd %s) is applied by sockvisor; systemd 252 ignores it (\"Unknown key '%s' in section [%s], ignoring.\")",
			a.Key, k.Since, a.Key, a.Section)
	} else if !k.Applied && a.Section != "Install" {
		p.add(a, SeverityNotice, true, "%s= is accepted but not applied by sockvisor", a.Key)
	}
	if k.apply == nil {
		return nil
	}
	return k.apply(p, a)
}
