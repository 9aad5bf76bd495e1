package socketunit

import (
	"bytes"
	"fmt"
	"strings"
	"syscall"
	"unicode/utf8"
)

// maxLineLen is systemd's LONG_LINE_MAX: a physical line (and a joined continuation) must stay
// below 1 MiB, or the whole file is refused.
const maxLineLen = 1 << 20

// utf8BOM is the byte order mark systemd strips from the start of a line.
const utf8BOM = "\xef\xbb\xbf"

// lineSpace is systemd's WHITESPACE set, used to strip lines, keys and values.
const lineSpace = " \t\n\r"

// assignment is one KEY=VALUE line of a unit file, after continuation lines are joined and
// both sides are stripped.
type assignment struct {
	Section string
	Key     string
	Value   string
	Loc     Location // for a continued assignment, the last physical line (as systemd reports)
}

// tokenized is the result of tokenizing one file.
type tokenized struct {
	Assignments []assignment
	Diagnostics []Diagnostic
	// Fatal is set when systemd stops reading the file and refuses the unit (an invalid section
	// header, a line that is not UTF-8 clean, a line over 1 MiB); FatalErrno is the error it
	// reports for it.
	Fatal      bool
	FatalErrno syscall.Errno
}

// tokenize splits a unit file into assignments the way systemd's config_parse does. sections
// lists the sections the unit type knows; others are warned about (unless they start with
// "X-") and their assignments dropped.
func tokenize(file string, data []byte, sections []string) tokenized {
	t := tokenizer{file: file, sections: sections}
	t.run(data)
	return t.out
}

type tokenizer struct {
	file     string
	sections []string
	out      tokenized

	section        string // current section; "" = none
	sectionIgnored bool   // the current section is unknown or X-: skip silently
}

func (t *tokenizer) diag(line int, sev Severity, format string, args ...any) {
	t.out.Diagnostics = append(t.out.Diagnostics, Diagnostic{
		Location: Location{File: t.file, Line: line},
		Severity: sev,
		Message:  fmt.Sprintf(format, args...),
	})
}

func (t *tokenizer) run(data []byte) {
	var (
		line         int
		bomSeen      bool
		continuation []byte
		inCont       bool
	)
	for len(data) > 0 {
		raw, rest, ok := nextLine(data)
		data = rest
		if !ok {
			t.diag(line+1, SeverityError, "Line too long (the limit is %d bytes), refusing the unit.", maxLineLen-1)
			t.out.Fatal, t.out.FatalErrno = true, syscall.ENOBUFS
			return
		}
		line++
		// Comment lines are skipped before anything else, even inside a continuation.
		if trimmed := strings.TrimLeft(string(raw), lineSpace); trimmed != "" && (trimmed[0] == '#' || trimmed[0] == ';') {
			continue
		}
		if !bomSeen && bytes.HasPrefix(raw, []byte(utf8BOM)) {
			raw = raw[len(utf8BOM):]
			bomSeen = true
		}
		var p []byte
		if inCont {
			if len(continuation)+len(raw) > maxLineLen {
				t.diag(line, SeverityError, "Continuation line too long (the limit is %d bytes), refusing the unit.", maxLineLen)
				t.out.Fatal, t.out.FatalErrno = true, syscall.ENOBUFS
				return
			}
			continuation = append(continuation, raw...)
			p = continuation
		} else {
			p = raw
		}
		if endsEscaped(p) {
			p[len(p)-1] = ' '
			if !inCont {
				continuation = append([]byte(nil), p...)
				inCont = true
			}
			continue
		}
		if !t.parseLine(line, string(p)) {
			return
		}
		continuation, inCont = continuation[:0], false
	}
	if inCont {
		// systemd parses a continuation left open at the end of the file as one more line.
		t.parseLine(line+1, string(continuation))
	}
}

// nextLine returns the next physical line of data without its end-of-line marker, as systemd's
// read_line: "\n", "\r", "\0" and combinations of distinct markers ("\r\n", "\n\r", "\r\n\0",
// …) end a line; a NUL always ends the marker run. ok is false when the line reaches 1 MiB.
func nextLine(data []byte) (line, rest []byte, ok bool) {
	i := 0
	for i < len(data) && data[i] != '\n' && data[i] != '\r' && data[i] != 0 {
		if i >= maxLineLen-1 {
			return nil, nil, false
		}
		i++
	}
	line = data[:i]
	seen := byte(0) // bit 1: \n, bit 2: \r
	for i < len(data) {
		var bit byte
		switch data[i] {
		case 0:
			return line, data[i+1:], true
		case '\n':
			bit = 1
		case '\r':
			bit = 2
		default:
			return line, data[i:], true
		}
		if seen&bit != 0 {
			return line, data[i:], true
		}
		seen |= bit
		i++
	}
	return line, data[i:], true
}

// endsEscaped reports whether p ends in an odd backslash, scanning escapes from the start as
// systemd does ("a\\" is an escaped backslash, not a continuation).
func endsEscaped(p []byte) bool {
	escaped := false
	for _, c := range p {
		if escaped {
			escaped = false
		} else if c == '\\' {
			escaped = true
		}
	}
	return escaped
}

// parseLine handles one logical line; it returns false when the file must not be read further.
func (t *tokenizer) parseLine(line int, l string) bool {
	l = strings.Trim(l, lineSpace)
	if l == "" {
		return true
	}
	if !utf8Clean(l) {
		t.diag(line, SeverityError, "String is not UTF-8 clean, ignoring assignment: %s", utf8EscapeInvalid(l))
		t.out.Fatal, t.out.FatalErrno = true, syscall.EINVAL
		return false
	}
	if l[0] == '[' {
		if l[len(l)-1] != ']' {
			t.diag(line, SeverityError, "Invalid section header '%s'", l)
			t.out.Fatal, t.out.FatalErrno = true, syscall.EBADMSG
			return false
		}
		name := l[1 : len(l)-1]
		if !safeSectionName(name) {
			t.diag(line, SeverityError, "Bad characters in section header '%s'", l)
			t.out.Fatal, t.out.FatalErrno = true, syscall.EBADMSG
			return false
		}
		if t.knownSection(name) {
			t.section, t.sectionIgnored = name, false
			return true
		}
		if !strings.HasPrefix(name, "X-") {
			t.diag(line, SeverityWarning, "Unknown section '%s'. Ignoring.", name)
		}
		t.section, t.sectionIgnored = "", true
		return true
	}
	if t.section == "" {
		if !t.sectionIgnored {
			t.diag(line, SeverityWarning, "Assignment outside of section. Ignoring.")
		}
		return true
	}
	eq := strings.IndexByte(l, '=')
	switch {
	case eq < 0:
		t.diag(line, SeverityWarning, "Missing '=', ignoring line.")
		return true
	case eq == 0:
		t.diag(line, SeverityWarning, "Missing key name before '=', ignoring line.")
		return true
	}
	t.out.Assignments = append(t.out.Assignments, assignment{
		Section: t.section,
		Key:     strings.Trim(l[:eq], lineSpace),
		Value:   strings.Trim(l[eq+1:], lineSpace),
		Loc:     Location{File: t.file, Line: line},
	})
	return true
}

// safeSectionName is systemd's string_is_safe: no control characters, quotes, backslashes or DEL.
func safeSectionName(s string) bool {
	for _, c := range []byte(s) {
		if c < ' ' || c == '"' || c == '\'' || c == '\\' || c == 0x7f {
			return false
		}
	}
	return true
}

func (t *tokenizer) knownSection(name string) bool {
	for _, s := range t.sections {
		if s == name {
			return true
		}
	}
	return false
}

// utf8Clean reports whether s is valid UTF-8 by systemd's rules, which also refuse the
// Unicode noncharacters (U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF).
func utf8Clean(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !validUnichar(r) {
			return false
		}
		i += n
	}
	return true
}

func validUnichar(r rune) bool {
	switch {
	case r >= 0xFDD0 && r <= 0xFDEF:
		return false
	case r&0xFFFE == 0xFFFE:
		return false
	}
	return true
}

// utf8EscapeInvalid replaces each byte that does not start a valid character with U+FFFD, as
// systemd's utf8_escape_invalid does for its messages.
func utf8EscapeInvalid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !validUnichar(r) {
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}
