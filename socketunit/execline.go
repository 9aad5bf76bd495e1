package socketunit

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// ExecLineError is what systemd logs for an Exec*= line it cannot (fully) take: warnings that
// did not stop parsing ("Ignoring unknown escape sequences: …") and the message that did.
// Fatal means systemd refuses the unit (the command had no "-" prefix); otherwise the rest of the
// line is ignored and the commands before the bad one are kept.
type ExecLineError struct {
	Warnings []string // logged, parsing went on
	Message  string   // the message that stopped parsing; "" when there are only warnings
	Fatal    bool     // the unit is refused ("bad-setting")
	Err      error    // the errno behind Message, if any
}

// Error returns the stopping message, or the first warning.
func (e *ExecLineError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	if len(e.Warnings) > 0 {
		return e.Warnings[0]
	}
	return "exec line error"
}

// Unwrap returns the errno behind the message.
func (e *ExecLineError) Unwrap() error { return e.Err }

// ParseExecLine parses an Exec*= value as systemd's config_parse_exec, without specifier
// expansion (see ParseExecLineExpand). Each command may carry the prefixes "-" (IgnoreFailure),
// "@" (ArgvZero: the next word is argv[0]), ":" (NoEnvExpand), "+" (Privileged), "!" and "!!"
// (AmbientOnly); words are unquoted and C-unescaped; a lone ";" separates commands and "\;" is a
// literal ";" argument. The path must be absolute or a plain file name. An empty value returns
// no commands (it resets the list). Source is left to the caller.
//
// The error, when not nil, is an *ExecLineError holding systemd's messages; the commands
// returned with it are those systemd keeps.
func ParseExecLine(s string) ([]ExecCommand, error) {
	return parseExecLine(s, nil)
}

// ParseExecLineExpand is ParseExecLine with specifier expansion as systemd does it: the path with
// unit_path_printf limits, each argument with unit_full_printf.
func ParseExecLineExpand(s string, c SpecifierContext) ([]ExecCommand, error) {
	return parseExecLine(s, &c)
}

// execWordFlags are the flags config_parse_exec splits with.
const execWordFlags = WordUnquote | WordCUnescape

func parseExecLine(rvalue string, spec *SpecifierContext) ([]ExecCommand, error) {
	if rvalue == "" {
		return nil, nil
	}
	var cmds []ExecCommand
	var warnings []string
	fail := func(fatal bool, err error, format string, args ...any) ([]ExecCommand, error) {
		return cmds, &ExecLineError{Warnings: warnings, Message: fmt.Sprintf(format, args...), Fatal: fatal, Err: err}
	}
	// word extracts one word as extract_first_word_and_warn does.
	word := func(p string) (*string, string, string, error) {
		w, rest, err := extractFirstWord(p, whitespace, execWordFlags)
		if err == nil {
			return w, rest, "", nil
		}
		w, rest, err = extractFirstWord(p, whitespace, execWordFlags|WordCUnescapeRelax)
		if err == nil {
			warnings = append(warnings, fmt.Sprintf("Ignoring unknown escape sequences: \"%s\"", *w))
			return w, rest, "", nil
		}
		return nil, "", fmt.Sprintf("Unbalanced quoting, ignoring: \"%s\"", rvalue), err
	}
	p := rvalue
	for {
		semicolon := false
		first, rest, msg, err := word(p)
		if err != nil {
			return fail(false, err, "%s", msg) // logged at error level, but not fatal: only this line is lost
		}
		if first == nil {
			break
		}
		p = rest
		if *first == ";" {
			continue
		}
		var cmd ExecCommand
		f := *first
		noSetUID, ambient := false, false
	prefixes:
		for f != "" {
			switch {
			case f[0] == '-' && !cmd.IgnoreFailure:
				cmd.IgnoreFailure = true
			case f[0] == '@' && !cmd.ArgvZero:
				cmd.ArgvZero = true
			case f[0] == ':' && !cmd.NoEnvExpand:
				cmd.NoEnvExpand = true
			case f[0] == '+' && !cmd.Privileged && !noSetUID && !ambient:
				cmd.Privileged = true
			case f[0] == '!' && !cmd.Privileged && !noSetUID && !ambient:
				noSetUID = true
			case f[0] == '!' && !cmd.Privileged && !ambient:
				noSetUID, ambient = false, true
			default:
				break prefixes
			}
			f = f[1:]
		}
		cmd.AmbientOnly = noSetUID || ambient
		ignore := cmd.IgnoreFailure
		sev := func(msg string) string {
			if ignore {
				return strings.Replace(msg, "%IGN%", ", ignoring", 1)
			}
			return strings.Replace(msg, "%IGN%", "", 1)
		}
		path := f
		if spec != nil {
			c := *spec
			c.MaxLength = SpecifierMaxPath
			path, err = ExpandSpecifiers(f, c)
			if err != nil {
				return fail(!ignore, err, "Failed to resolve unit specifiers in '%s'%s: %s", f, ignoreSuffix(ignore), errnoText(err))
			}
		}
		switch {
		case path == "":
			return fail(!ignore, syscall.EINVAL, "%s", sev(fmt.Sprintf("Empty path in command line%%IGN%%: '%s'", rvalue)))
		case !stringIsSafe(path):
			return fail(!ignore, syscall.EINVAL, "%s", sev("Executable name contains special characters%IGN%: "+path))
		case strings.HasSuffix(path, "/"):
			return fail(!ignore, syscall.EINVAL, "%s", sev("Executable path specifies a directory%IGN%: "+path))
		case strings.HasPrefix(path, "/") && !pathIsValid(path), !strings.HasPrefix(path, "/") && !filenameIsValid(path):
			return fail(!ignore, syscall.EINVAL, "%s", sev("Neither a valid executable name nor an absolute path%IGN%: "+path))
		}
		if !cmd.ArgvZero {
			cmd.Argv = append(cmd.Argv, path)
		}
		cmd.Path = pathSimplify(path)
		for p != "" {
			if p[0] == ';' && (len(p) == 1 || strings.IndexByte(whitespace, p[1]) >= 0) {
				p = p[skipSet(p, 1, whitespace):]
				semicolon = true
				break
			}
			if len(p) >= 2 && p[0] == '\\' && p[1] == ';' && (len(p) == 2 || strings.IndexByte(whitespace, p[2]) >= 0) {
				p = p[skipSet(p, 2, whitespace):]
				cmd.Argv = append(cmd.Argv, ";")
				continue
			}
			w, rest, msg, err := word(p)
			if err != nil {
				return fail(!ignore, err, "%s", msg)
			}
			if w == nil {
				break
			}
			p = rest
			arg := *w
			if spec != nil {
				c := *spec
				c.MaxLength = SpecifierMaxFull
				if arg, err = ExpandSpecifiers(*w, c); err != nil {
					return fail(!ignore, err, "Failed to resolve unit specifiers in %s%s: %s", *w, ignoreSuffix(ignore), errnoText(err))
				}
			}
			cmd.Argv = append(cmd.Argv, arg)
		}
		if len(cmd.Argv) == 0 {
			return fail(!ignore, syscall.EINVAL, "%s", sev("Empty executable name or zeroeth argument%IGN%: "+rvalue))
		}
		cmds = append(cmds, cmd)
		rvalue = p
		if !semicolon {
			break
		}
	}
	if len(warnings) > 0 {
		return cmds, &ExecLineError{Warnings: warnings}
	}
	return cmds, nil
}

// ignoreSuffix is ", ignoring" for a "-" command, "" otherwise.
func ignoreSuffix(ignore bool) string {
	if ignore {
		return ", ignoring"
	}
	return ""
}

// stringIsSafe is systemd's string_is_safe: no control characters, quotes, backslash or DEL.
func stringIsSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c == 0x7f || c == '"' || c == '\'' || c == '\\' {
			return false
		}
	}
	return true
}

// errnoText returns systemd's (glibc's) strerror text for the errnos the value grammars return.
func errnoText(err error) string {
	for _, e := range []struct {
		errno syscall.Errno
		text  string
	}{
		{syscall.EINVAL, "Invalid argument"},
		{syscall.ERANGE, "Numerical result out of range"},
		{syscall.ENODEV, "No such device"},
		{syscall.ENAMETOOLONG, "File name too long"},
		{syscall.EAFNOSUPPORT, "Address family not supported by protocol"},
		{syscall.EBADSLT, "Invalid slot"},
		{syscall.ENOENT, "No such file or directory"},
	} {
		if errors.Is(err, e.errno) {
			return e.text
		}
	}
	return err.Error()
}
