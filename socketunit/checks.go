package socketunit

import (
	"fmt"
	"syscall"
)

// verifySocket is systemd's socket_verify (252): the settings that make it refuse a socket unit.
// pam says whether PAMName= is set (sockvisor does not apply it, but systemd checks it here).
func verifySocket(s *Socket, pam bool) []Diagnostic {
	refuse := func(format string, args ...any) []Diagnostic {
		return []Diagnostic{{Location: Location{File: s.Path}, Severity: SeverityError, Message: fmt.Sprintf(format, args...)}}
	}
	if len(s.Listen) == 0 {
		return refuse("Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.")
	}
	if s.Accept && hasNonAcceptingListen(s) {
		return refuse("Unit configured for accepting sockets, but sockets are non-accepting. Refusing.")
	}
	if s.Accept && s.MaxConnections <= 0 {
		return refuse("MaxConnection= setting too small. Refusing.")
	}
	if s.Accept && s.Service != "" {
		return refuse("Explicit service configuration for accepting socket units not supported. Refusing.")
	}
	if pam && s.Kill.KillMode != "control-group" {
		return refuse("Unit has PAM enabled. Kill mode must be set to 'control-group'. Refusing.")
	}
	if s.Accept && s.DeferTrigger != DeferTriggerNo {
		return refuse("Socket unit is configured to be accepting with DeferTrigger= enabled. Refusing.")
	}
	if len(s.Symlinks) > 0 && fileSystemNodes(s) != 1 {
		return refuse("Unit has symlinks set but none or more than one node in the file system. Refusing.")
	}
	return nil
}

// hasNonAcceptingListen reports whether any entry cannot accept() connections: everything but
// stream and seqpacket sockets.
func hasNonAcceptingListen(s *Socket) bool {
	for _, l := range s.Listen {
		if !l.Kind.IsSocket() || !l.Address.CanAccept() {
			return true
		}
	}
	return false
}

// fileSystemNodes counts the entries that are nodes in the file system: AF_UNIX path sockets
// and FIFOs (socket_find_symlink_target).
func fileSystemNodes(s *Socket) int {
	n := 0
	for _, l := range s.Listen {
		switch {
		case l.Kind == ListenFIFO:
			n++
		case l.Kind.IsSocket() && l.Address.Family == syscall.AF_UNIX && len(l.Address.Path) > 0 && l.Address.Path[0] == '/':
			n++
		}
	}
	return n
}

// verifyService is the part of systemd's service_verify (252) that depends on the unit file.
func verifyService(s *Service) []Diagnostic {
	refuse := func(msg string) []Diagnostic {
		return []Diagnostic{{Location: Location{File: s.Path}, Severity: SeverityError, Message: msg}}
	}
	if len(s.ExecStart) == 0 && len(s.ExecStop) == 0 {
		return refuse("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.")
	}
	if s.Type != "oneshot" && len(s.ExecStart) == 0 {
		return refuse("Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.")
	}
	if !s.RemainAfterExit && len(s.ExecStart) == 0 {
		return refuse("Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.")
	}
	if s.Type != "oneshot" && len(s.ExecStart) > 1 {
		return refuse("Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.")
	}
	switch {
	case s.Type != "oneshot":
	case s.Restart == "no", s.Restart == "on-failure", s.Restart == "on-abnormal", s.Restart == "on-watchdog", s.Restart == "on-abort":
	default:
		return refuse("Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.")
	}
	return nil
}
