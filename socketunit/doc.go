// Package socketunit reads systemd socket units (and the part of their service units that
// activation needs) exactly as systemd 252 does: the unit-file grammar with file:line for every
// assignment, one table of keys with systemd's value parsers and defaults, specifiers,
// drop-ins, the unit search path, and the load-time checks that make systemd refuse a unit.
//
// The package is pure: besides reading unit files it has no side effects. Findings are values
// (Diagnostic), never log lines; a Diagnostic with SeverityError means systemd would refuse to
// load the unit.
//
// Typical use:
//
//	res, err := socketunit.LoadSocket("/etc/systemd/system/echo.socket", socketunit.Options{})
//	if err != nil {
//		return err // the file could not be read at all
//	}
//	for _, d := range res.Diagnostics {
//		fmt.Fprintln(os.Stderr, d) // "FILE:LINE: message", systemd's wording
//	}
//	if res.Refused() {
//		return errors.New("unit refused")
//	}
//	for _, l := range res.Socket.Listen {
//		fmt.Println(l.Kind, l) // ListenStream 127.0.0.1:7
//	}
package socketunit
