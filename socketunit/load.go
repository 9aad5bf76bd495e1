package socketunit

import "errors"

// Options control how units are looked up.
type Options struct {
	// SearchPath is the unit search path for the service unit, drop-ins and templates. Nil means
	// the directory of the unit file first, then DefaultSearchPath.
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

// LoadSocket reads the socket unit at path with its drop-ins, applies systemd's defaults and
// load-time checks, and loads the service it triggers. The error is non-nil only when the file
// cannot be read at all; everything else is a Diagnostic.
func LoadSocket(path string, opts Options) (*Loaded, error) {
	return nil, errors.ErrUnsupported // implemented by the unit-file work of issue 2
}
