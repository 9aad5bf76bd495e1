//go:build linux

package supervisor

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// ShimCommand is the hidden sockvisor command under which a service is started: sockvisor
// re-executes itself as "sockvisor __exec [OPTIONS] -- PATH ARGV0 ARGS...", and the shim, now
// running as the service's PID, sets LISTEN_PID to that PID, applies what must be applied
// between fork and exec, and execs the service (DESIGN.md, "LISTEN_PID is the child's own PID").
//
// Options (all optional):
//
//	--listen-fds=N      fds 3..3+N-1 are the sockets: set LISTEN_FDS=N and LISTEN_PID=$$
//	--fdnames=A:B       with --listen-fds: LISTEN_FDNAMES
//	--report-fd=K       a pipe on which a failure before exec is reported ("CODE message");
//	                    it is close-on-exec, so EOF means the exec succeeded
//	--umask=OCTAL       umask
//	--nice=N            scheduling priority
//	--nofile=SOFT:HARD  RLIMIT_NOFILE
//	--groups=G,G  --gid=G  --uid=U   identity, applied in that order
//	--chdir=DIR  --chdir-optional    working directory (after the identity switch, as systemd)
//	--ignore-sigpipe    start the service with SIGPIPE ignored (systemd's IgnoreSIGPIPE=yes)
//	--activate=PATH     systemd-socket-activate's child: PATH is its search path for the command
//	                    name, "Execing …" is printed first, an empty LISTEN_PID= in the
//	                    environment gets the PID in place, nothing else is added, and a failed
//	                    exec prints "Failed to execp …" and exits 1
//
// SYSTEMD_EXEC_PID is set to the service's PID as systemd does, and with sockets LISTEN_PIDFDID
// (systemd v259) when the kernel has pidfs: the inode number of a pidfd for the service, which
// unlike a PID is never reused.
const ShimCommand = "__exec"

// shimOptions is the parsed command line of the exec shim.
type shimOptions struct {
	listenFDs     int
	fdNames       string
	hasFDNames    bool
	reportFD      int
	umask         int
	nice          *int
	nofile        *[2]uint64
	groups        []int
	gid, uid      int
	chdir         string
	chdirOptional bool
	ignoreSIGPIPE bool
	activate      bool
	activatePath  string
	path          string
	argv          []string
}

// shimArgs builds the shim's arguments (after the command name) from o.
func (o *shimOptions) args() []string {
	a := []string{ShimCommand}
	if o.listenFDs > 0 {
		a = append(a, "--listen-fds="+strconv.Itoa(o.listenFDs))
		if o.hasFDNames {
			a = append(a, "--fdnames="+o.fdNames)
		}
	}
	if o.reportFD > 0 {
		a = append(a, "--report-fd="+strconv.Itoa(o.reportFD))
	}
	if o.umask >= 0 {
		a = append(a, "--umask="+strconv.FormatInt(int64(o.umask), 8))
	}
	if o.nice != nil {
		a = append(a, "--nice="+strconv.Itoa(*o.nice))
	}
	if o.nofile != nil {
		a = append(a, fmt.Sprintf("--nofile=%d:%d", o.nofile[0], o.nofile[1]))
	}
	if o.groups != nil {
		gs := make([]string, len(o.groups))
		for i, g := range o.groups {
			gs[i] = strconv.Itoa(g)
		}
		a = append(a, "--groups="+strings.Join(gs, ","))
	}
	if o.gid >= 0 {
		a = append(a, "--gid="+strconv.Itoa(o.gid))
	}
	if o.uid >= 0 {
		a = append(a, "--uid="+strconv.Itoa(o.uid))
	}
	if o.chdir != "" {
		a = append(a, "--chdir="+o.chdir)
		if o.chdirOptional {
			a = append(a, "--chdir-optional")
		}
	}
	if o.ignoreSIGPIPE {
		a = append(a, "--ignore-sigpipe")
	}
	if o.activate {
		a = append(a, "--activate="+o.activatePath)
	}
	a = append(a, "--", o.path)
	return append(a, o.argv...)
}

// parseShimArgs parses the shim's arguments (after the command name).
func parseShimArgs(args []string) (*shimOptions, error) {
	o := &shimOptions{umask: -1, gid: -1, uid: -1}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest := args[i+1:]
			if len(rest) < 2 {
				return nil, fmt.Errorf("missing PATH and ARGV0 after --")
			}
			o.path, o.argv = rest[0], rest[1:]
			return o, nil
		}
		name, val, _ := strings.Cut(a, "=")
		var err error
		switch name {
		case "--listen-fds":
			o.listenFDs, err = strconv.Atoi(val)
		case "--fdnames":
			o.fdNames, o.hasFDNames = val, true
		case "--report-fd":
			o.reportFD, err = strconv.Atoi(val)
		case "--umask":
			var u int64
			u, err = strconv.ParseInt(val, 8, 32)
			o.umask = int(u)
		case "--nice":
			var n int
			n, err = strconv.Atoi(val)
			o.nice = &n
		case "--nofile":
			s, h, _ := strings.Cut(val, ":")
			var lim [2]uint64
			lim[0], err = strconv.ParseUint(s, 10, 64)
			if err == nil {
				lim[1], err = strconv.ParseUint(h, 10, 64)
			}
			o.nofile = &lim
		case "--groups":
			o.groups = []int{}
			for _, g := range strings.Split(val, ",") {
				if g == "" {
					continue
				}
				var n int
				if n, err = strconv.Atoi(g); err != nil {
					break
				}
				o.groups = append(o.groups, n)
			}
		case "--gid":
			o.gid, err = strconv.Atoi(val)
		case "--uid":
			o.uid, err = strconv.Atoi(val)
		case "--chdir":
			o.chdir = val
		case "--chdir-optional":
			o.chdirOptional = true
		case "--ignore-sigpipe":
			o.ignoreSIGPIPE = true
		case "--activate":
			o.activate, o.activatePath = true, val
		default:
			return nil, fmt.Errorf("unknown option %q", a)
		}
		if err != nil {
			return nil, fmt.Errorf("bad value in %q: %w", a, err)
		}
	}
	return nil, fmt.Errorf("missing -- PATH ARGV0")
}

// RunShim is the exec shim (see ShimCommand). It returns only on failure, with systemd's exit
// code for the step that failed.
func RunShim(args []string, stderr io.Writer) int {
	o, err := parseShimArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "sockvisor %s: %v\n", ShimCommand, err)
		return exitExec
	}
	fail := func(code int, format string, a ...any) int {
		msg := fmt.Sprintf(format, a...)
		if o.reportFD > 0 {
			unix.Write(o.reportFD, []byte(strconv.Itoa(code)+" "+msg))
		} else {
			fmt.Fprintf(stderr, "sockvisor %s: %s\n", ShimCommand, msg)
		}
		return code
	}
	if o.reportFD > 0 {
		if _, err := unix.FcntlInt(uintptr(o.reportFD), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
			return fail(exitFDs, "report fd %d: %v", o.reportFD, err)
		}
	}
	if o.activate {
		return activateChild(o, stderr)
	}
	if err := closeOnExecFrom(3 + o.listenFDs); err != nil {
		return fail(exitFDs, "mark inherited fds close-on-exec: %v", err)
	}
	if o.umask >= 0 {
		syscall.Umask(o.umask)
	}
	if o.nice != nil {
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, 0, *o.nice); err != nil {
			return fail(exitNice, "set priority %d: %v", *o.nice, err)
		}
	}
	if o.nofile != nil {
		lim := syscall.Rlimit{Cur: o.nofile[0], Max: o.nofile[1]}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fail(exitLimits, "set RLIMIT_NOFILE %d:%d: %v", lim.Cur, lim.Max, err)
		}
	}
	if o.groups != nil {
		if err := syscall.Setgroups(o.groups); err != nil {
			return fail(exitGroup, "set supplementary groups %v: %v", o.groups, err)
		}
	}
	if o.gid >= 0 {
		if err := syscall.Setgid(o.gid); err != nil {
			return fail(exitGroup, "set group %d: %v", o.gid, err)
		}
	}
	if o.uid >= 0 {
		if err := syscall.Setuid(o.uid); err != nil {
			return fail(exitUser, "set user %d: %v", o.uid, err)
		}
	}
	if o.chdir != "" {
		if err := syscall.Chdir(o.chdir); err != nil && !o.chdirOptional {
			return fail(exitChdir, "change directory to %s: %v", o.chdir, err)
		}
	}
	pid := strconv.Itoa(os.Getpid())
	env := make([]string, 0, len(os.Environ())+4)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PIDFDID", "SYSTEMD_EXEC_PID":
			continue
		}
		env = append(env, kv)
	}
	if o.listenFDs > 0 {
		env = append(env, "LISTEN_PID="+pid)
		if id, ok := pidfdID(); ok {
			env = append(env, "LISTEN_PIDFDID="+strconv.FormatUint(id, 10))
		}
		env = append(env, "LISTEN_FDS="+strconv.Itoa(o.listenFDs))
		if o.hasFDNames {
			env = append(env, "LISTEN_FDNAMES="+o.fdNames)
		}
	}
	env = append(env, "SYSTEMD_EXEC_PID="+pid)
	if o.ignoreSIGPIPE {
		signal.Ignore(syscall.SIGPIPE)
	}
	err = syscall.Exec(o.path, o.argv, env)
	return fail(exitExec, "exec %s: %v", o.path, err)
}

// closeOnExecFrom marks every fd from first on close-on-exec, so that the service gets exactly
// stdin, stdout, stderr and its sockets, whatever sockvisor itself inherited.
func closeOnExecFrom(first int) error {
	err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	entries, rerr := os.ReadDir("/proc/self/fd")
	if rerr != nil {
		return fmt.Errorf("close_range: %v; /proc/self/fd: %w", err, rerr)
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < first {
			continue
		}
		unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
	}
	return nil
}

// activateChild is the shim as systemd-socket-activate's per-connection child.
func activateChild(o *shimOptions, stderr io.Writer) int {
	joined := strings.Join(o.argv, " ")
	fmt.Fprintf(stderr, "Execing %s (%s)\n", o.path, joined)
	pid := strconv.Itoa(os.Getpid())
	env := os.Environ()
	for i, kv := range env {
		if kv == "LISTEN_PID=" {
			env[i] = "LISTEN_PID=" + pid
		}
	}
	path, err := lookPathIn(o.path, o.activatePath)
	if err == nil {
		err = closeOnExecFrom(3 + o.listenFDs)
	}
	if err == nil {
		err = syscall.Exec(path, o.argv, env)
	}
	fmt.Fprintf(stderr, "Failed to execp %s (%s): %s\n", o.path, joined, errnoText(err))
	return 1
}

// pidfsMagic is PID_FS_MAGIC, the file-system type of pidfds on kernels with pidfs (6.9+).
const pidfsMagic = 0x50494446

// pidfdID returns the pidfs inode number of the calling process, if the kernel has pidfs.
func pidfdID() (uint64, bool) {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return 0, false
	}
	defer unix.Close(fd)
	var fs unix.Statfs_t
	if unix.Fstatfs(fd, &fs) != nil || fs.Type != pidfsMagic {
		return 0, false
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return 0, false
	}
	return st.Ino, true
}

// selfExecutable returns a path that executes the running binary: /proc/self/exe, which keeps
// working after the file was replaced or deleted (an upgrade under a running supervisor), or
// os.Executable() where /proc is not mounted.
func selfExecutable() (string, error) {
	if unix.Access("/proc/self/exe", unix.X_OK) == nil {
		return "/proc/self/exe", nil
	}
	return os.Executable()
}
