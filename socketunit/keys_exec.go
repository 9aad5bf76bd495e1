package socketunit

import (
	"math"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// execKeys are the exec settings (systemd.exec(5)) sockvisor applies, in [Socket] and [Service].
func execKeys() []*Key {
	const both = SectionSocket | SectionService
	return []*Key{
		{Name: "User", Sections: both, Value: "user", Resets: true, Applied: true,
			Doc: "user the processes run as", apply: userValue(onExec(func(e *ExecContext) *string { return &e.User }))},
		{Name: "Group", Sections: both, Value: "group", Resets: true, Applied: true,
			Doc: "group the processes run as", apply: userValue(onExec(func(e *ExecContext) *string { return &e.Group }))},
		{Name: "SupplementaryGroups", Sections: both, Value: "groups", Resets: true, Repeats: true, Applied: true,
			Doc: "supplementary groups", apply: supplementaryGroupsValue},
		{Name: "Environment", Sections: both, Value: "VAR=VALUE…", Resets: true, Repeats: true, Applied: true,
			Doc: "environment variables", apply: environmentValue},
		{Name: "EnvironmentFile", Sections: both, Value: "[-]absolute path", Resets: true, Repeats: true, Applied: true,
			Doc: "files of environment variables", apply: environmentFileValue},
		{Name: "PassEnvironment", Sections: both, Value: "names", Resets: true, Repeats: true, Applied: true,
			Doc: "variables passed on from sockvisor's environment", apply: envNamesValue(onExec(func(e *ExecContext) *[]string { return &e.PassEnvironment }))},
		{Name: "UnsetEnvironment", Sections: both, Value: "names or VAR=VALUE", Resets: true, Repeats: true, Applied: true,
			Doc: "variables removed", apply: envNamesValue(onExec(func(e *ExecContext) *[]string { return &e.UnsetEnvironment }))},
		{Name: "WorkingDirectory", Sections: both, Value: "[-]absolute path or ~", Resets: true, Applied: true,
			Doc: "working directory", apply: workingDirectoryValue},
		{Name: "UMask", Sections: both, Value: "octal mode", Default: "0022", Applied: true,
			Doc: "file mode creation mask", apply: modeValue(onExec(func(e *ExecContext) *uint32 { return &e.UMask }))},
		{Name: "StandardInput", Sections: both, Value: "null|tty|socket|file:PATH|fd:NAME|…", Default: "null", Applied: true,
			Doc: "standard input", apply: stdioValue(true, onExec(func(e *ExecContext) *StdioSpec { return &e.StandardInput }))},
		{Name: "StandardOutput", Sections: both, Value: "inherit|null|journal|socket|file:PATH|…", Default: "journal", Applied: true,
			Doc: "standard output", apply: stdioValue(false, onExec(func(e *ExecContext) *StdioSpec { return &e.StandardOutput }))},
		{Name: "StandardError", Sections: both, Value: "inherit|null|journal|socket|file:PATH|…", Default: "inherit", Applied: true,
			Doc: "standard error", apply: stdioValue(false, onExec(func(e *ExecContext) *StdioSpec { return &e.StandardError }))},
		{Name: "Nice", Sections: both, Value: "-20..19", Resets: true, Applied: true,
			Doc: "scheduling priority", apply: niceValue},
		{Name: "LimitNOFILE", Sections: both, Value: "N[:M] or infinity", Applied: true,
			Doc: "RLIMIT_NOFILE", apply: limitNOFILEValue},
	}
}

// killKeys are the kill settings (systemd.kill(5)) sockvisor applies.
func killKeys() []*Key {
	const both = SectionSocket | SectionService
	return []*Key{
		{Name: "KillMode", Sections: both, Value: "control-group|mixed|process|none", Default: "control-group", Applied: true,
			Doc: "which processes are signalled on stop", apply: enumValue([]string{"control-group", "mixed", "process", "none"},
				"Failed to parse kill mode specification", onKill(func(k *KillContext) *string { return &k.KillMode }))},
		{Name: "KillSignal", Sections: both, Value: "signal", Default: "SIGTERM", Resets: true, Applied: true,
			Doc: "first stop signal", apply: signalValue(onKill(func(k *KillContext) *int { return &k.KillSignal }))},
		{Name: "FinalKillSignal", Sections: both, Value: "signal", Default: "SIGKILL", Resets: true, Applied: true,
			Doc: "signal after the stop timeout", apply: signalValue(onKill(func(k *KillContext) *int { return &k.FinalKillSignal }))},
		{Name: "SendSIGKILL", Sections: both, Value: "boolean", Default: "yes", Applied: true,
			Doc: "send FinalKillSignal= after the timeout", apply: boolValue(onKill(func(k *KillContext) *bool { return &k.SendSIGKILL }))},
		{Name: "SendSIGHUP", Sections: both, Value: "boolean", Default: "no", Applied: true,
			Doc: "send SIGHUP right after KillSignal=", apply: boolValue(onKill(func(k *KillContext) *bool { return &k.SendSIGHUP }))},
	}
}

func supplementaryGroupsValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		p.exec.SupplementaryGroups = nil
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
			return p.fatal(a, "Failed to resolve unit specifiers in %s: %s", w, strerror(err))
		}
		if valid, _ := CheckUserGroupName(v); !valid {
			return p.fatal(a, "Invalid user/group name or numeric ID: %s", v)
		}
		p.exec.SupplementaryGroups = append(p.exec.SupplementaryGroups, v)
	}
	return nil
}

// validEnvName is env_name_is_valid: a non-empty name of letters, digits and '_' that does not
// start with a digit.
func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func environmentValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		p.exec.Environment = nil
		return nil
	}
	words, err := SplitWords(a.Value, WordCUnescape|WordUnquote)
	if err != nil {
		p.warn(a, "Invalid syntax, ignoring: %s", a.Value)
		return nil
	}
	for _, w := range words {
		v, err := p.expand(w, maxPrintfLen)
		if err != nil {
			p.warn(a, "Failed to resolve specifiers in %s, ignoring: %s", w, strerror(err))
			continue
		}
		name, _, ok := strings.Cut(v, "=")
		if !ok || !validEnvName(name) {
			p.warn(a, "Invalid environment assignment, ignoring: %s", v)
			continue
		}
		p.exec.Environment = append(p.exec.Environment, v)
	}
	return nil
}

func environmentFileValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		p.exec.EnvironmentFiles = nil
		return nil
	}
	v, err := p.expand(a.Value, maxPathLen)
	if err != nil {
		p.warn(a, "Failed to resolve unit specifiers in '%s', ignoring: %s", a.Value, strerror(err))
		return nil
	}
	path, optional := strings.CutPrefix(v, "-")
	path, ok := p.checkPath(a, path, pathIgnore)
	if !ok {
		return nil
	}
	p.exec.EnvironmentFiles = append(p.exec.EnvironmentFiles, EnvironmentFile{Path: path, Optional: optional})
	return nil
}

func envNamesValue(f field[[]string]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		if a.Value == "" {
			*f(p) = nil
			return nil
		}
		words, err := SplitWords(a.Value, WordUnquote)
		if err != nil {
			p.warn(a, "Trailing garbage in %s, ignoring: %s", a.Key, a.Value)
			return nil
		}
		for _, w := range words {
			v, err := p.expand(w, maxPrintfLen)
			if err != nil {
				p.warn(a, "Failed to resolve specifiers in %s, ignoring: %s", w, strerror(err))
				continue
			}
			name, _, hasValue := strings.Cut(v, "=")
			if !validEnvName(name) || hasValue && a.Key == "PassEnvironment" {
				p.warn(a, "Invalid environment name for %s, ignoring: %s", a.Key, v)
				continue
			}
			*f(p) = append(*f(p), v)
		}
		return nil
	}
}

func workingDirectoryValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		p.exec.WorkingDirectory, p.exec.WorkingDirectoryOpt = "", false
		return nil
	}
	v, optional := strings.CutPrefix(a.Value, "-")
	if v == "~" {
		p.exec.WorkingDirectory, p.exec.WorkingDirectoryOpt = "~", optional
		return nil
	}
	v, err := p.expand(v, maxPathLen)
	if err != nil {
		return p.fatal(a, "Failed to resolve unit specifiers in %s: %s", a.Value, strerror(err))
	}
	path, ok := p.checkPath(a, v, pathFatal)
	if !ok {
		return errFatal
	}
	p.exec.WorkingDirectory, p.exec.WorkingDirectoryOpt = path, optional
	return nil
}

func stdioValue(input bool, f field[StdioSpec]) func(*unitParser, assignment) error {
	simple := []string{"inherit", "null", "tty", "journal", "kmsg", "journal+console", "kmsg+console", "socket", "syslog", "syslog+console"}
	msg := "Failed to parse output specifier"
	if input {
		simple = []string{"null", "tty", "tty-force", "tty-fail", "socket", "data"}
		msg = "Failed to parse input specifier"
	}
	return func(p *unitParser, a assignment) error {
		for _, s := range simple {
			if a.Value == s {
				*f(p) = StdioSpec{Kind: s}
				return nil
			}
		}
		kind, rest, ok := strings.Cut(a.Value, ":")
		if ok && (kind == "fd" || kind == "file" || !input && (kind == "append" || kind == "truncate")) {
			if kind == "fd" {
				if !ValidFDName(rest) || rest == "" {
					p.warn(a, "Invalid file descriptor name, ignoring: %s", rest)
					return nil
				}
				*f(p) = StdioSpec{Kind: kind, Path: rest}
				return nil
			}
			v, err := p.expand(rest, maxPathLen)
			if err != nil {
				p.warn(a, "Failed to resolve unit specifiers in %s, ignoring: %s", rest, strerror(err))
				return nil
			}
			path, ok := p.checkPath(a, v, pathFatalMsg)
			if !ok {
				return nil
			}
			*f(p) = StdioSpec{Kind: kind, Path: path}
			return nil
		}
		p.warn(a, "%s, ignoring: %s", msg, a.Value)
		return nil
	}
}

func niceValue(p *unitParser, a assignment) error {
	if a.Value == "" {
		p.exec.Nice = nil
		return nil
	}
	n, err := ParseInt(a.Value)
	if err == nil && (n < -20 || n > 19) {
		err = syscall.ERANGE
	}
	if err != nil {
		if strerror(err) == strerror(syscall.ERANGE) {
			p.warn(a, "Nice priority out of range, ignoring: %s", a.Value)
		} else {
			p.warn(a, "Failed to parse nice priority '%s', ignoring: %s", a.Value, strerror(err))
		}
		return nil
	}
	p.exec.Nice = &n
	return nil
}

// limitNOFILEValue is config_parse_rlimit for RLIMIT_NOFILE.
func limitNOFILEValue(p *unitParser, a assignment) error {
	if lim, ok := p.rlimit(a); ok {
		p.exec.LimitNOFILE = &lim
	}
	return nil
}

// rlimit parses a plain resource limit with systemd's messages.
func (p *unitParser) rlimit(a assignment) ([2]uint64, bool) {
	lim, ok := parseRlimit(a.Value)
	switch {
	case !ok:
		p.warn(a, "Failed to parse resource value, ignoring: %s", a.Value)
	case lim[0] > lim[1]:
		p.warn(a, "Soft resource limit chosen higher than hard limit, ignoring: %s", a.Value)
		ok = false
	}
	return lim, ok
}

// rlimitKinds says how each Limit*= key's values are written: plain numbers, sizes, time spans
// or nice levels.
var rlimitKinds = map[string]byte{
	"LimitNOFILE": 'n', "LimitNPROC": 'n', "LimitLOCKS": 'n', "LimitSIGPENDING": 'n', "LimitRTPRIO": 'n',
	"LimitCORE": 's', "LimitFSIZE": 's', "LimitDATA": 's', "LimitSTACK": 's', "LimitRSS": 's', "LimitAS": 's',
	"LimitMEMLOCK": 's', "LimitMSGQUEUE": 's',
	"LimitCPU": 't', "LimitRTTIME": 't',
	"LimitNICE": 'p',
}

// rlimitParse parses a resource limit of the key's kind ("SOFT[:HARD]", each "infinity" or a
// value), as systemd's rlimit_parse; ok is false for a value it refuses.
func rlimitParse(kind byte, s string) (soft, hard uint64, ok bool) {
	one := func(v string) (uint64, bool) {
		if v == "infinity" {
			return math.MaxUint64, true
		}
		switch kind {
		case 's':
			n, err := ParseSize(v)
			return n, err == nil
		case 't':
			t, err := ParseTimespan(v)
			return uint64(t), err == nil && t != Infinity
		case 'p':
			if strings.HasPrefix(v, "+") || strings.HasPrefix(v, "-") {
				n, err := ParseInt(v)
				return uint64(20 - n), err == nil && n >= -20 && n <= 19
			}
			n, err := ParseUnsigned(v)
			return uint64(n), err == nil && n <= 40
		}
		lim, ok := parseRlimit(v)
		return lim[0], ok
	}
	softS, hardS, pair := strings.Cut(s, ":")
	soft, ok = one(softS)
	hard = soft
	if ok && pair {
		hard, ok = one(hardS)
	}
	return soft, hard, ok
}

// parseRlimit parses a plain resource limit: "N", "SOFT:HARD" or "infinity" for either (the
// soft limit may come out higher than the hard one).
func parseRlimit(s string) ([2]uint64, bool) {
	one := func(s string) (uint64, bool) {
		if s == "infinity" {
			return math.MaxUint64, true
		}
		n, err := strconv.ParseUint(s, 10, 64)
		return n, err == nil && n != math.MaxUint64
	}
	softS, hardS, pair := strings.Cut(s, ":")
	soft, ok1 := one(softS)
	hard, ok2 := soft, true
	if pair {
		hard, ok2 = one(hardS)
	}
	if !ok1 || !ok2 {
		return [2]uint64{}, false
	}
	return [2]uint64{soft, hard}, true
}

// signalValue is config_parse_signal: a name (with or without "SIG"), "RTMIN+n" or a number
// (an empty value is an error too).
func signalValue(f field[int]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		sig := parseSignal(a.Value)
		if sig <= 0 {
			p.warn(a, "Failed to parse signal name, ignoring: %s", a.Value)
			return nil
		}
		*f(p) = sig
		return nil
	}
}

func parseSignal(s string) int {
	if n, err := ParseInt(s); err == nil {
		if n > 0 && n <= 64 {
			return n
		}
		return -1
	}
	name := s
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig > 0 {
		return int(sig)
	}
	for _, rt := range []struct {
		prefix string
		base   int
	}{{"SIGRTMIN+", 34}, {"SIGRTMAX-", 64}} {
		if rest, ok := strings.CutPrefix(name, rt.prefix); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 || n > 30 {
				return -1
			}
			if rt.prefix == "SIGRTMIN+" {
				return rt.base + n
			}
			return rt.base - n
		}
	}
	switch name {
	case "SIGRTMIN":
		return 34
	case "SIGRTMAX":
		return 64
	}
	return -1
}
