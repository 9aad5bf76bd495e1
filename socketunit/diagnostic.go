package socketunit

import "fmt"

// Severity says how much a finding matters.
type Severity uint8

// Severities, from least to most serious.
const (
	// SeverityNotice is informational (systemd logs it at notice level, e.g. /var/run rewritten).
	SeverityNotice Severity = iota
	// SeverityWarning is a problem systemd works around (the assignment is ignored).
	SeverityWarning
	// SeverityError means systemd refuses to load the unit.
	SeverityError
)

// String returns "notice", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case SeverityNotice:
		return "notice"
	case SeverityWarning:
		return "warning"
	default:
		return "error"
	}
}

// Location is where an assignment was read: for a continued line, the last physical line.
type Location struct {
	File string
	Line int
}

// String returns "FILE:LINE", or just FILE when the line is unknown.
func (l Location) String() string {
	if l.Line <= 0 {
		return l.File
	}
	return fmt.Sprintf("%s:%d", l.File, l.Line)
}

// Diagnostic is one finding about a unit file.
type Diagnostic struct {
	Location
	Key      string // the key the finding is about ("ListenStream"); empty for file-level findings
	Severity Severity
	Own      bool   // a finding of sockvisor's own, not one systemd makes
	Message  string // systemd's wording wherever systemd has a message for it
}

// String formats the finding as "FILE:LINE: message" (own findings: "FILE:LINE: sockvisor: message").
func (d Diagnostic) String() string {
	if d.Own {
		return fmt.Sprintf("%s: sockvisor: %s", d.Location, d.Message)
	}
	return fmt.Sprintf("%s: %s", d.Location, d.Message)
}
