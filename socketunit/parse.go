package socketunit

import (
	"errors"
	"fmt"
	"strings"
)

// execValue is config_parse_exec: each assignment appends its commands; empty resets the
// list. A bad command line makes systemd refuse the unit unless the command has the "-" prefix.
func execValue(f field[[]ExecCommand]) func(*unitParser, assignment) error {
	return func(p *unitParser, a assignment) error {
		if a.Value == "" {
			*f(p) = nil
			return nil
		}
		var cmds []ExecCommand
		var err error
		if strings.Contains(a.Value, "%") {
			cmds, err = ParseExecLineExpand(a.Value, p.specifiers())
		} else {
			cmds, err = ParseExecLine(a.Value)
		}
		for i := range cmds {
			cmds[i].Source = a.Loc
		}
		*f(p) = append(*f(p), cmds...)
		if err == nil {
			return nil
		}
		var le *ExecLineError
		if !errors.As(err, &le) {
			p.warn(a, "%s", err.Error())
			return nil
		}
		for _, w := range le.Warnings {
			p.warn(a, "%s", w)
		}
		switch {
		case le.Message == "":
		case le.Fatal:
			return p.fatal(a, "%s", le.Message)
		default:
			p.warn(a, "%s", le.Message)
		}
		return nil
	}
}

// pathCheck says how checkPath reports a bad path.
type pathCheck uint8

const (
	pathIgnore   pathCheck = iota // a warning, "…, ignoring: PATH"
	pathFatal                     // systemd refuses the unit: "…: PATH"
	pathFatalMsg                  // fatal wording, but the assignment is only ignored (StandardInput=file:…)
)

// checkPath is path_simplify_and_warn(PATH_CHECK_ABSOLUTE): it returns the simplified path, or
// records systemd's message and returns false.
func (p *unitParser) checkPath(a assignment, path string, how pathCheck) (string, bool) {
	clean, err := CheckPath(path, PathAbsolute)
	if err == nil {
		return clean, true
	}
	sev := SeverityWarning
	if how == pathFatal {
		sev = SeverityError
	}
	var pe *PathError
	msg := err.Error()
	if errors.As(err, &pe) {
		msg = pe.Message(a.Key, how != pathIgnore)
	}
	p.add(a, sev, false, "%s", msg)
	return "", false
}

// parseFile tokenizes one file of a unit and applies its assignments. It returns false, with
// systemd's summary finding recorded, when systemd would stop and refuse the unit.
func (p *unitParser) parseFile(file string, data []byte, sections []string) bool {
	ok := p.parseAssignments(file, data, sections)
	if !ok {
		p.diags = append(p.diags, p.loadFailure(file))
	}
	return ok
}

// loadFailure is the summary systemd prints for a unit it refuses while parsing: a fatal
// setting, or a file it could not read to the end (an errno then).
func (p *unitParser) loadFailure(file string) Diagnostic {
	d := Diagnostic{Location: Location{File: file}, Severity: SeverityError,
		Message: "Unit configuration has fatal error, unit will not be started."}
	if p.fatalErrno != 0 {
		d.Message = fmt.Sprintf("Unit %s failed to load properly, please adjust/correct and reload service manager: %s", p.name, strerror(p.fatalErrno))
	}
	return d
}

func (p *unitParser) parseAssignments(file string, data []byte, sections []string) bool {
	t := tokenize(file, data, sections)
	// Tokenizer findings and assignments are interleaved by line, as systemd reports them.
	diags := t.Diagnostics
	for _, a := range t.Assignments {
		for len(diags) > 0 && diags[0].Line < a.Loc.Line {
			p.diags = append(p.diags, diags[0])
			diags = diags[1:]
		}
		if err := p.assign(a); err != nil {
			return false // systemd stops reading here: later findings are never made
		}
	}
	p.diags = append(p.diags, diags...)
	p.fatalErrno = t.FatalErrno
	return !t.Fatal
}
