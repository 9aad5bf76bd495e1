package socketunit

import (
	"strconv"
	"strings"
	"syscall"
)

// checkedContextKeys are exec and resource-control keys sockvisor does not apply but whose
// values it checks with systemd's messages, because units commonly set them.
func checkedContextKeys() []*Key {
	const both = SectionSocket | SectionService
	row := func(name, value string, apply func(*unitParser, assignment) error) *Key {
		return &Key{Name: name, Sections: both, Value: value, Doc: "accepted and checked as systemd does; not applied by sockvisor", apply: apply}
	}
	rows := []*Key{
		row("PAMName", "PAM service name", func(p *unitParser, a assignment) error {
			p.pam = a.Value != ""
			return nil
		}),
		row("CPUQuota", "percentage", cpuQuotaValue),
		row("IOSchedulingClass", "none|realtime|best-effort|idle|0..3", func(p *unitParser, a assignment) error {
			switch a.Value {
			case "", "none", "realtime", "best-effort", "idle", "0", "1", "2", "3":
			default:
				p.warn(a, "Failed to parse IO scheduling class, ignoring: %s", a.Value)
			}
			return nil
		}),
		row("ProtectSystem", "boolean|full|strict", wordOrBool("Failed to parse protect system value", "full", "strict")),
		row("ProtectHome", "boolean|read-only|tmpfs", wordOrBool("Failed to parse protect home value", "read-only", "tmpfs")),
		row("Slice", "slice unit name", sliceValue),
	}
	for _, name := range []string{"MemoryMin", "MemoryLow", "MemoryHigh", "MemoryMax", "MemorySwapMax", "DefaultMemoryMin", "DefaultMemoryLow"} {
		rows = append(rows, row(name, "size|N%|infinity", memoryLimitValue))
	}
	for _, name := range []string{"RuntimeDirectory", "StateDirectory", "CacheDirectory", "LogsDirectory", "ConfigurationDirectory"} {
		rows = append(rows, row(name, "relative paths", execDirectoriesValue))
	}
	return rows
}

// cpuQuotaValue is config_parse_cpu_quota: empty, or a positive percentage ("20%", "150%").
func cpuQuotaValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		return nil
	}
	n, ok := strings.CutSuffix(a.Value, "%")
	if f, err := strconv.ParseFloat(n, 64); !ok || err != nil || f <= 0 || strings.ContainsAny(n, "+-eEinIN") {
		p.warn(a, "Invalid CPU quota '%s', ignoring.", a.Value)
	}
	return nil
}

// memoryLimitValue is config_parse_memory_limit: empty, "infinity", a percentage or a size.
func memoryLimitValue(p *unitParser, a assignment) error {
	p.memoryLimit(a)
	return nil
}

// memoryLimit checks a memory limit with systemd's messages and reports whether it is valid.
func (p *unitParser) memoryLimit(a assignment) bool {
	if a.Value == "" || a.Value == "infinity" {
		return true
	}
	if n, ok := strings.CutSuffix(a.Value, "%"); ok {
		if f, err := strconv.ParseFloat(n, 64); err != nil || f < 0 || f > 100 {
			p.warn(a, "Invalid memory limit '%s', ignoring: %s", a.Value, strerror(syscall.EINVAL))
			return false
		}
		return true
	}
	v, err := ParseSize(a.Value)
	switch {
	case err != nil:
		p.warn(a, "Invalid memory limit '%s', ignoring: %s", a.Value, strerror(err))
		return false
	case v == 0:
		p.warn(a, "Memory limit '%s' out of range, ignoring.", a.Value)
		return false
	}
	return true
}

// wordOrBool checks a value that is a boolean or one of words.
func wordOrBool(msg string, words ...string) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		for _, w := range words {
			if a.Value == w {
				return nil
			}
		}
		if _, err := ParseBool(a.Value); err != nil && a.Value != "" {
			p.warn(a, "%s, ignoring: %s", msg, a.Value)
		}
		return nil
	}
}

// sliceValue is config_parse_unit_slice: the name of a slice unit.
func sliceValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		return nil
	}
	v, err := p.expand(a.Value, maxUnitNameLen)
	if err != nil {
		p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", a.Value, strerror(err))
		return nil
	}
	switch {
	case !validUnitName(v):
		p.warn(a, "Failed to load slice unit %s, ignoring: Unit name %s is not valid.", v, v)
	case !strings.HasSuffix(v, ".slice") || strings.Contains(v, "@"):
		p.warn(a, "Failed to assign slice %s to unit %s, ignoring: %s", v, p.name, strerror(syscall.EINVAL))
	}
	return nil
}

// execDirectoriesValue is config_parse_exec_directories: relative, normalized paths.
func execDirectoriesValue(p *unitParser, a assignment) error {
	words, err := SplitWords(a.Value, WordUnquote)
	if err != nil {
		p.warn(a, "Invalid syntax, ignoring: %s", a.Value)
		return nil
	}
	for _, w := range words {
		path, _, _ := strings.Cut(w, ":") // "source:destination" (v250 symlinks); the source is checked
		v, err := p.expand(path, maxPathLen)
		if err != nil {
			p.warn(a, "Failed to resolve unit specifiers in \"%s\", ignoring: %s", path, strerror(err))
			continue
		}
		switch {
		case strings.HasPrefix(v, "/"):
			p.warn(a, "%s= path is absolute, ignoring: %s", a.Key, v)
		case v == "." || v == ".." || strings.HasPrefix(v, "../") || strings.HasSuffix(v, "/..") || strings.Contains(v, "/../"):
			p.warn(a, "%s= path is not normalized, ignoring: %s", a.Key, v)
		}
	}
	return nil
}
