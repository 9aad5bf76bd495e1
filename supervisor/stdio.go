//go:build linux

package supervisor

import (
	"fmt"
	"os"
	"syscall"

	"github.com/sockvisor/sockvisor/socketunit"
)

// stdioSet holds the three fds a service starts with and the files opened for it, which the
// parent closes once the child has them.
type stdioSet struct {
	fds    [3]int
	opened []*os.File
}

func (s *stdioSet) close() {
	for _, f := range s.opened {
		f.Close()
	}
	s.opened = nil
}

// stdioSources are the fds a StandardInput/Output/Error= setting can refer to.
type stdioSources struct {
	conn    int      // the connection (Accept=yes), or -1
	files   []int    // the socket fds passed from fd 3
	names   []string // their names, for "fd:NAME"
	umask   uint32   // for files created by file:, append:, truncate:
	console string   // the terminal for "tty": "/dev/console"
}

// openStdio resolves the service's standard input, output and error as systemd does:
//
//   - input: null (the default), socket, fd:NAME, file:PATH (read-only), tty (the console, opened
//     without making it the controlling terminal; tty-force and tty-fail behave the same);
//   - output and error: inherit (output: stdin's fd; error: the output's fd), null, socket, fd:NAME, file:PATH (write, no
//     truncation), append:PATH, truncate:PATH, tty; journal, kmsg and syslog (and their
//     +console forms) go to sockvisor's own stderr, which is the log sockvisor writes too.
//
// Unset (Kind "") and inherit outputs are first fixed up as systemd's service_fix_stdio does at
// load: with a bidirectional stdin (socket, tty, fd:) they stay inherit (the reply goes back on
// the socket); otherwise output becomes journal, and so does error when both were inherit.
func openStdio(ec *socketunit.ExecContext, src stdioSources) (s *stdioSet, err error) {
	s = &stdioSet{}
	outKind, errKind := fixStdio(ec.StandardInput.Kind, ec.StandardOutput.Kind, ec.StandardError.Kind)
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	in := ec.StandardInput
	switch in.Kind {
	case "", "null":
		s.fds[0], err = s.open(os.DevNull, os.O_RDONLY, 0)
	case "socket":
		s.fds[0], err = src.socket("StandardInput")
	case "fd":
		s.fds[0], err = src.named("StandardInput", in.Path)
	case "file":
		s.fds[0], err = s.open(in.Path, os.O_RDONLY, 0)
	case "tty", "tty-force", "tty-fail":
		s.fds[0], err = s.open(src.consolePath(), os.O_RDWR|syscall.O_NOCTTY, 0)
	default:
		err = fmt.Errorf("StandardInput=%s is not supported", in.Kind)
	}
	if err != nil {
		return s, err
	}
	for i, o := range []socketunit.StdioSpec{ec.StandardOutput, ec.StandardError} {
		key := [...]string{"StandardOutput", "StandardError"}[i]
		fd := &s.fds[i+1]
		kind := [...]string{outKind, errKind}[i]
		if kind == "socket" && src.conn < 0 && len(src.files) != 1 {
			kind = "inherit" // systemd's fixup_output: no socket to write to
		}
		switch kind {
		case "inherit": // output: stdin, which fixStdio left bidirectional; error: output
			*fd = s.fds[i]
		case "journal", "journal+console", "kmsg", "kmsg+console", "syslog", "syslog+console":
			*fd = 2
		case "null":
			*fd, err = s.open(os.DevNull, os.O_WRONLY, 0)
		case "socket":
			*fd, err = src.socket(key)
		case "fd":
			*fd, err = src.named(key, o.Path)
		case "file":
			*fd, err = s.open(o.Path, os.O_WRONLY|os.O_CREATE, src.umask)
		case "append":
			*fd, err = s.open(o.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, src.umask)
		case "truncate":
			*fd, err = s.open(o.Path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, src.umask)
		case "tty":
			*fd, err = s.open(src.consolePath(), os.O_WRONLY|syscall.O_NOCTTY, 0)
		default:
			err = fmt.Errorf("%s=%s is not supported", key, kind)
		}
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

// fixStdio applies systemd's defaults and service_fix_stdio to the output kinds.
func fixStdio(in, out, errk string) (string, string) {
	if out == "" {
		out = "inherit"
	}
	if errk == "" {
		errk = "inherit"
	}
	switch in {
	case "tty", "tty-force", "tty-fail", "socket", "fd":
		return out, errk
	}
	if errk == "inherit" && out == "inherit" {
		errk = "journal"
	}
	if out == "inherit" {
		out = "journal"
	}
	return out, errk
}

// open opens a file for the child and remembers it for closing.
func (s *stdioSet) open(path string, flag int, umask uint32) (int, error) {
	f, err := os.OpenFile(path, flag, os.FileMode(0o666&^umask))
	if err != nil {
		return -1, err
	}
	s.opened = append(s.opened, f)
	return int(f.Fd()), nil
}

func (src stdioSources) consolePath() string {
	if src.console != "" {
		return src.console
	}
	return "/dev/console"
}

// socket returns the connection, or the only socket of an Accept=no service.
func (src stdioSources) socket(key string) (int, error) {
	if src.conn >= 0 {
		return src.conn, nil
	}
	if len(src.files) == 1 {
		return src.files[0], nil
	}
	return -1, fmt.Errorf("%s=socket needs a connection or exactly one socket, have %d", key, len(src.files))
}

// named returns the socket fd whose FileDescriptorName= is name.
func (src stdioSources) named(key, name string) (int, error) {
	for i, n := range src.names {
		if n == name && i < len(src.files) {
			return src.files[i], nil
		}
	}
	return -1, fmt.Errorf("%s=fd:%s: no socket of that name", key, name)
}
