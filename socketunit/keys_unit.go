package socketunit

import "strings"

// dependencyKeys are the [Unit] dependency keys sockvisor keeps (as written) in UnitSection.Deps.
var dependencyKeys = []string{
	"Requires", "Requisite", "Wants", "BindsTo", "Upholds", "PartOf", "Conflicts", "Before", "After",
	"OnFailure", "OnSuccess", "PropagatesReloadTo", "ReloadPropagatedFrom", "PropagatesStopTo",
	"StopPropagatedFrom", "JoinsNamespaceOf",
}

// conditionPathKeys are the Condition*=/Assert*= checks whose value is a path.
var conditionPathKeys = []string{
	"PathExists", "PathExistsGlob", "PathIsDirectory", "PathIsSymbolicLink", "PathIsMountPoint", "PathIsReadWrite",
	"PathIsEncrypted", "DirectoryNotEmpty", "FileNotEmpty", "FileIsExecutable",
}

// conditionPathValue is config_parse_unit_condition_path: optional "|" (trigger) and "!"
// (negate) prefixes, then an absolute path; empty resets.
func conditionPathValue(p *unitParser, a assignment) error {
	v := strings.TrimPrefix(strings.TrimPrefix(a.Value, "|"), "!")
	if a.Value == "" {
		return nil
	}
	x, err := p.expand(v, maxPathLen)
	if err != nil {
		p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", v, strerror(err))
		return nil
	}
	p.checkPath(a, x, pathIgnore)
	return nil
}

// jobTimeoutValue is config_parse_job_timeout_sec.
func jobTimeoutValue(p *unitParser, a assignment) error {
	if _, err := ParseTimespanFix0(a.Value); err != nil {
		p.warn(a, "Failed to parse %s= parameter, ignoring: %s", a.Key, a.Value)
	}
	return nil
}

// unitKeys are the [Unit] keys sockvisor reads.
func unitKeys() []*Key {
	rows := []*Key{
		{Name: "Description", Sections: SectionUnit, Value: "string", Resets: true, Applied: true,
			Doc: "human-readable name", apply: printfValue(onUnit(func(u *UnitSection) *string { return &u.Description }))},
		{Name: "Documentation", Sections: SectionUnit, Value: "URLs", Resets: true, Repeats: true, Applied: true,
			Doc: "documentation URLs", apply: documentationValue},
		{Name: "DefaultDependencies", Sections: SectionUnit, Value: "boolean", Default: "yes", Applied: true,
			Doc:   "implicit dependencies on sockets.target, sysinit.target, shutdown.target",
			apply: boolValue(onUnit(func(u *UnitSection) *bool { return &u.DefaultDependencies }))},
		{Name: "StopWhenUnneeded", Sections: SectionUnit, Value: "boolean", Default: "no", Applied: true,
			Doc: "stop when no longer needed", apply: boolValue(onUnit(func(u *UnitSection) *bool { return &u.StopWhenUnneeded }))},
	}
	for _, name := range conditionPathKeys {
		for _, kind := range []string{"Condition", "Assert"} {
			rows = append(rows, &Key{Name: kind + name, Sections: SectionUnit, Value: "[|][!]absolute path", Resets: true, Repeats: true,
				Doc: "accepted and checked as systemd does; not applied by sockvisor", apply: conditionPathValue})
		}
	}
	rows = append(rows,
		&Key{Name: "RequiresMountsFor", Sections: SectionUnit, Value: "absolute paths", Resets: true, Repeats: true,
			Doc: "accepted and checked as systemd does; not applied by sockvisor", apply: pathListValue(func(p *unitParser) *[]string { return new([]string) })},
		&Key{Name: "SourcePath", Sections: SectionUnit, Value: "absolute path",
			Doc: "accepted and checked as systemd does; not applied by sockvisor", apply: func(p *unitParser, a assignment) error {
				if a.Value != "" {
					if v, err := p.expand(a.Value, maxPathLen); err != nil {
						p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", a.Value, strerror(err))
					} else {
						p.checkPath(a, v, pathIgnore)
					}
				}
				return nil
			}},
		&Key{Name: "JobTimeoutSec", Sections: SectionUnit, Value: "time span",
			Doc: "accepted and checked as systemd does; not applied by sockvisor", apply: jobTimeoutValue},
		&Key{Name: "JobRunningTimeoutSec", Sections: SectionUnit, Value: "time span",
			Doc: "accepted and checked as systemd does; not applied by sockvisor", apply: jobTimeoutValue},
	)
	for _, name := range dependencyKeys {
		rows = append(rows, &Key{Name: name, Sections: SectionUnit, Value: "unit names", Resets: true, Repeats: true, Applied: true,
			Doc: "dependency (kept as written; sockvisor orders start-up by After=/Before=)", apply: dependencyValue})
	}
	return rows
}

// installKeys are the [Install] keys; they only matter when enabling a unit.
func installKeys() []*Key {
	words := func(name, doc string, f func(i *InstallSection) *[]string) *Key {
		return &Key{Name: name, Sections: SectionInstall, Value: "unit names", Resets: true, Repeats: true, Applied: true,
			Doc: doc, apply: wordsValue(onInstall(f))}
	}
	return []*Key{
		words("WantedBy", "units that want this one when enabled", func(i *InstallSection) *[]string { return &i.WantedBy }),
		words("RequiredBy", "units that require this one when enabled", func(i *InstallSection) *[]string { return &i.RequiredBy }),
		words("Also", "units enabled together with this one", func(i *InstallSection) *[]string { return &i.Also }),
		words("Alias", "other names of the unit", func(i *InstallSection) *[]string { return &i.Alias }),
	}
}

// wordsValue stores the unit names of an [Install] key; systemd checks them only when the unit
// is enabled, so there are no findings here.
func wordsValue(f field[[]string]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		if a.Value == "" {
			*f(p) = nil
			return nil
		}
		words, err := SplitWords(a.Value, WordUnquote)
		if err != nil {
			return nil
		}
		for _, w := range words {
			if v, err := p.expand(w, maxUnitNameLen); err == nil {
				w = v
			}
			*f(p) = append(*f(p), w)
		}
		return nil
	}
}

func dependencyValue(p *unitParser, a assignment) error {
	if p.unit.Deps == nil {
		p.unit.Deps = map[string][]string{}
	}
	if a.Value == "" {
		delete(p.unit.Deps, a.Key)
		return nil
	}
	words, err := SplitWords(a.Value, WordUnquote|WordRelax)
	if err != nil {
		p.warn(a, "Invalid syntax, ignoring: %s", a.Value)
		return nil
	}
	for _, w := range words {
		v, err := p.expand(w, maxUnitNameLen)
		if err != nil {
			p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", w, strerror(err))
			continue
		}
		if !validUnitName(v) {
			p.warn(a, "Failed to add dependency on %s, ignoring: Invalid argument", v)
			continue
		}
		p.unit.Deps[a.Key] = append(p.unit.Deps[a.Key], v)
	}
	return nil
}

func documentationValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		p.unit.Documentation = nil
		return nil
	}
	words, err := SplitWords(a.Value, WordUnquote)
	if err != nil {
		p.warn(a, "Invalid syntax, ignoring: %s", a.Value)
		return nil
	}
	for _, w := range words {
		v, err := p.expand(w, maxPrintfLen)
		if err != nil {
			p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", w, strerror(err))
			continue
		}
		if !validDocURL(v) {
			p.warn(a, "Invalid URL, ignoring: %s", v)
			continue
		}
		p.unit.Documentation = append(p.unit.Documentation, v)
	}
	return nil
}

// validDocURL is documentation_url_is_valid: http(s)://, file:, info: or man: with something
// after the scheme and no control characters.
func validDocURL(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' || c == 0x7f {
			return false
		}
	}
	for _, prefix := range []string{"http://", "https://", "file:/", "info:", "man:"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			return rest != ""
		}
	}
	return false
}

// unitTypes are the unit-name suffixes systemd knows.
var unitTypes = []string{"service", "socket", "target", "device", "mount", "automount", "swap", "timer", "path", "slice", "scope"}

// validUnitName is unit_name_is_valid(UNIT_NAME_ANY): PREFIX[@[INSTANCE]].TYPE of allowed
// characters, shorter than 256 bytes.
func validUnitName(s string) bool {
	if s == "" || len(s) >= maxUnitNameLen {
		return false
	}
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 {
		return false
	}
	typ := s[dot+1:]
	known := false
	for _, t := range unitTypes {
		if typ == t {
			known = true
		}
	}
	if !known {
		return false
	}
	name := s[:dot]
	at := strings.IndexByte(name, '@')
	if at == 0 || strings.Count(name, "@") > 1 {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(":-_.\\@", c) >= 0) {
			return false
		}
	}
	return true
}
