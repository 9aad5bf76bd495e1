//go:build linux

package supervisor

import (
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExitStatus is how a process ended: an exit code, or the signal that killed it.
type ExitStatus struct {
	Code       int            // exit code when Signal is 0; -1 if the status was lost (reaped elsewhere)
	Signal     syscall.Signal // the signal that killed the process, or 0
	CoreDumped bool
}

// exitStatusFromWait converts a wait(2) status.
func exitStatusFromWait(ws unix.WaitStatus) ExitStatus {
	switch {
	case ws.Exited():
		return ExitStatus{Code: ws.ExitStatus()}
	case ws.Signaled():
		return ExitStatus{Signal: syscall.Signal(ws.Signal()), CoreDumped: ws.CoreDump()}
	}
	return ExitStatus{Code: -1}
}

// Success reports whether the status counts as a clean exit under systemd's defaults
// (SuccessExitStatus= empty): exit code 0, and for a service's main process also death by
// SIGHUP, SIGINT, SIGTERM or SIGPIPE.
func (s ExitStatus) Success(main bool) bool {
	if s.Signal == 0 {
		return s.Code == 0
	}
	if !main || s.CoreDumped {
		return false
	}
	switch s.Signal {
	case syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE:
		return true
	}
	return false
}

// ExitCode maps the status to a shell-style exit code: the code itself, or 128+signal.
func (s ExitStatus) ExitCode() int {
	if s.Signal != 0 {
		return 128 + int(s.Signal)
	}
	if s.Code < 0 {
		return 255
	}
	return s.Code
}

// String formats the status the way systemd logs it: "code=exited, status=3" or
// "code=killed, status=15/TERM"; codes sockvisor's exec shim uses carry systemd's names
// ("status=203/EXEC").
func (s ExitStatus) String() string {
	if s.Signal != 0 {
		code := "killed"
		if s.CoreDumped {
			code = "dumped"
		}
		return fmt.Sprintf("code=%s, status=%d/%s", code, int(s.Signal), signalShortName(s.Signal))
	}
	if s.Code < 0 {
		return "code=unknown"
	}
	if name := exitCodeName(s.Code); name != "" {
		return fmt.Sprintf("code=exited, status=%d/%s", s.Code, name)
	}
	return fmt.Sprintf("code=exited, status=%d", s.Code)
}

// signalShortName returns "TERM" for SIGTERM, or the number for an unnamed signal.
func signalShortName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return strings.TrimPrefix(n, "SIG")
	}
	return fmt.Sprint(int(sig))
}

// Exit codes of the exec shim, numbered as systemd numbers them (systemd.exec(5), "Process Exit
// Codes"), so that a failure reads the same in both.
const (
	exitChdir  = 200
	exitNice   = 201
	exitFDs    = 202
	exitExec   = 203
	exitLimits = 205
	exitStdin  = 208
	exitStdout = 209
	exitSignal = 210
	exitGroup  = 216
	exitUser   = 217
	exitUmask  = 220
)

// exitCodeName returns systemd's name for one of its exec exit codes, or "".
func exitCodeName(code int) string {
	switch code {
	case exitChdir:
		return "CHDIR"
	case exitNice:
		return "NICE"
	case exitFDs:
		return "FDS"
	case exitExec:
		return "EXEC"
	case exitLimits:
		return "LIMITS"
	case exitStdin:
		return "STDIN"
	case exitStdout:
		return "STDOUT"
	case exitSignal:
		return "SIGNAL_MASK"
	case exitGroup:
		return "GROUP"
	case exitUser:
		return "USER"
	case exitUmask:
		return "UMASK"
	}
	return ""
}
