//go:build linux

package supervisor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// activateExec replaces sockvisor with the command (systemd-socket-activate's exec_process):
// the sockets move to fds 3.. (or, with --inetd, the single socket becomes stdin and stdout),
// every other fd from 3 up is closed on exec, and LISTEN_PID is our own PID, which becomes the
// command's. It returns only when the exec fails.
func activateExec(o ActivateOptions, fds []int) int {
	w := o.Stderr
	name := o.Argv[0]
	joined := strings.Join(o.Argv, " ")
	env := activateEnv(&o, len(fds), os.Getpid())
	fmt.Fprintf(w, "Execing %s (%s)\n", name, joined)
	path, err := lookPathIn(name, envLookupDefault(o.Environ, "PATH", "/bin:/usr/bin"))
	if err == nil {
		err = placeFDs(fds, o.Inetd)
	}
	if err == nil {
		err = syscall.Exec(path, o.Argv, env)
	}
	fmt.Fprintf(w, "Failed to execp %s (%s): %s\n", name, joined, errnoText(err))
	return 1
}

// placeFDs moves fds to 3, 4, … without close-on-exec (or the first to stdin and stdout for
// inetd) and marks every other fd from 3 up close-on-exec. It goes through fresh fds above the
// target range first, so no source is overwritten before it is moved.
func placeFDs(fds []int, inetd bool) error {
	if inetd {
		for _, target := range []int{0, 1} {
			if err := unix.Dup3(fds[0], target, 0); err != nil {
				return err
			}
		}
		return closeOnExecFrom(3)
	}
	n := len(fds)
	high := make([]int, n)
	for i, fd := range fds {
		h, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3+n)
		if err != nil {
			return err
		}
		high[i] = h
	}
	for i, h := range high {
		if err := unix.Dup3(h, 3+i, 0); err != nil {
			return err
		}
	}
	return closeOnExecFrom(3 + n)
}

// lookPathIn resolves a command name like execvp does: a name with a slash is used as is,
// otherwise the first executable file in the directories of path.
func lookPathIn(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	err := error(unix.ENOENT)
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		fi, serr := os.Stat(p)
		if serr != nil {
			continue
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 || unix.Access(p, unix.X_OK) != nil {
			err = unix.EACCES
			continue
		}
		return p, nil
	}
	return "", err
}

// envLookupDefault returns a variable of environ, or def when it is unset.
func envLookupDefault(environ []string, name, def string) string {
	if v, ok := envLookup(environ)(name); ok {
		return v
	}
	return def
}
