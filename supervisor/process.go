//go:build linux

package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sockvisor/sockvisor/socketunit"
)

// ProcessSpec describes one process to start: a command of a service with the service's exec
// and kill settings, and what socket activation hands it.
type ProcessSpec struct {
	Unit    string                 // for messages and logs, e.g. "echo@0-….service"
	Command socketunit.ExecCommand // Path, Argv and prefixes
	Exec    socketunit.ExecContext
	Kill    socketunit.KillContext

	Files    []*os.File // the sockets, passed as fds 3, 4, … with LISTEN_FDS/LISTEN_PID; the caller keeps ownership
	FDNames  []string   // LISTEN_FDNAMES, one per file; nil: not set
	Conn     *os.File   // the connection of an Accept=yes instance, for StandardInput/Output=socket
	ExtraEnv []string   // variables sockvisor adds: REMOTE_ADDR, REMOTE_PORT, MAINPID, …
	BaseEnv  []string   // the manager environment the service starts from; nil: PATH=DefaultPath
	Notify   bool       // Type=notify: create a NOTIFY_SOCKET and make Ready wait for READY=1

	ShimPath string       // the sockvisor binary run as the exec shim; "" = the running binary
	Log      *slog.Logger // nil: discard
}

// Process is a started service process.
type Process struct {
	unit   string
	pid    int
	kill   socketunit.KillContext
	log    *slog.Logger
	done   chan struct{}
	status ExitStatus
	ready  chan struct{}
	notify *notifySocket
	wg     sync.WaitGroup // the notify reader and its closer; Wait waits for them
}

// PID returns the process ID (also its process group and session ID: every service gets setsid).
func (p *Process) PID() int { return p.pid }

// Done is closed when the process has exited and its status is known.
func (p *Process) Done() <-chan struct{} { return p.done }

// Status returns how the process ended; valid after Done is closed.
func (p *Process) Status() ExitStatus { return p.status }

// Ready is closed when the service counts as started: for Type=notify on READY=1 (never, if the
// process exits first: select on Done too), otherwise at once, since StartProcess returns only
// after the exec succeeded.
func (p *Process) Ready() <-chan struct{} { return p.ready }

// Notified returns what a Type=notify service has sent so far (zero for other types).
func (p *Process) Notified() NotifyState {
	if p.notify == nil {
		return NotifyState{}
	}
	return p.notify.snapshot()
}

// Signal sends sig to the main process, or to its whole process group when group is set.
func (p *Process) Signal(sig syscall.Signal, group bool) error {
	select {
	case <-p.done:
		return os.ErrProcessDone
	default:
	}
	target := p.pid
	if group {
		target = -p.pid
	}
	return syscall.Kill(target, sig)
}

// ErrStillAlive is returned by Stop when the process survived the final kill signal.
var ErrStillAlive = errors.New("process still alive after the final kill signal")

// Stop ends the process as systemd's KillMode= says, without cgroups: control-group (the
// default) signals the process group, which every service leads (setsid); mixed sends
// KillSignal= to the main process only and the final SIGKILL to the group; process signals the
// main process only; none sends nothing and returns. KillSignal= is followed by SIGCONT (and
// SIGHUP with SendSIGHUP=yes); if the main process has not exited after timeout (or when ctx
// is done) and SendSIGKILL=yes, FinalKillSignal= (SIGKILL) follows. Processes that left the
// group (setsid/setpgid of their own) are not reached: there is no cgroup to find them.
func (p *Process) Stop(ctx context.Context, timeout time.Duration) error {
	k := p.kill
	mode := k.KillMode
	if mode == "" {
		mode = "control-group"
	}
	if mode == "none" {
		return nil
	}
	sig := syscall.Signal(k.KillSignal)
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	final := syscall.Signal(k.FinalKillSignal)
	if final == 0 {
		final = syscall.SIGKILL
	}
	group := mode == "control-group"
	p.signalAlive(sig, group)
	if sig != syscall.SIGCONT && sig != syscall.SIGKILL {
		p.signalAlive(syscall.SIGCONT, group)
	}
	if k.SendSIGHUP && sig != syscall.SIGHUP {
		p.signalAlive(syscall.SIGHUP, group)
	}
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-p.done:
		if mode == "process" {
			return nil
		}
		// The main process is gone; the rest of its group had KillSignal too (mixed: not yet).
		if mode == "mixed" && groupAlive(p.pid) {
			syscall.Kill(-p.pid, sig)
		}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for groupAlive(p.pid) {
			select {
			case <-tick.C:
				continue
			case <-timer:
			case <-ctx.Done():
			}
			if k.SendSIGKILL {
				syscall.Kill(-p.pid, final)
			}
			break
		}
		return nil
	case <-timer:
	case <-ctx.Done():
	}
	if !k.SendSIGKILL {
		return nil
	}
	p.log.Warn("stop timed out, killing", "unit", p.unit, "pid", p.pid, "signal", signalShortName(final))
	p.signalAlive(final, mode != "process")
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
		return fmt.Errorf("%s: pid %d: %w", p.unit, p.pid, ErrStillAlive)
	}
}

// signalAlive sends sig to the process (or its group) unless it has been collected already.
func (p *Process) signalAlive(sig syscall.Signal, group bool) {
	select {
	case <-p.done:
		if group && groupAlive(p.pid) {
			syscall.Kill(-p.pid, sig)
		}
		return
	default:
	}
	target := p.pid
	if group {
		target = -p.pid
	}
	syscall.Kill(target, sig)
}

// groupAlive reports whether a process group still has members.
func groupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

// StartProcess starts spec.Command through the exec shim and returns once the command has been
// exec'd: a command that does not exist, a user that cannot be switched to or a working
// directory that is missing is an error here, not a silent exit later. r must be running.
func StartProcess(ctx context.Context, r *Reaper, spec ProcessSpec) (*Process, error) {
	return startProcess(ctx, r, spec, systemUserDB)
}

func startProcess(ctx context.Context, r *Reaper, spec ProcessSpec, db userDB) (_ *Process, err error) {
	log := spec.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cmd := spec.Command
	if len(cmd.Argv) == 0 {
		return nil, fmt.Errorf("%s: empty command", spec.Unit)
	}
	ec := &spec.Exec
	creds, err := resolveCredentials(ec, cmd.Privileged, db)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Unit, err)
	}
	wd, err := workingDirectory(ec, creds, db)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Unit, err)
	}

	p := &Process{unit: spec.Unit, kill: spec.Kill, log: log, done: make(chan struct{}), ready: make(chan struct{})}
	own := append(creds.userEnv(), "INVOCATION_ID="+newInvocationID())
	if spec.Notify {
		p.notify, err = newNotifySocket(log)
		if err != nil {
			return nil, fmt.Errorf("%s: notify socket: %w", spec.Unit, err)
		}
		defer func() {
			if err != nil {
				p.notify.close()
			}
		}()
		own = append(own, "NOTIFY_SOCKET="+p.notify.addr)
	}
	env, warnings, err := buildEnvironment(ec, envInputs{base: spec.BaseEnv, own: own, extra: spec.ExtraEnv, getenv: osGetenv, readFile: os.ReadFile})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Unit, err)
	}
	for _, w := range warnings {
		log.Warn("environment file line ignored", "unit", spec.Unit, "detail", w)
	}
	argv := cmd.Argv
	if !cmd.NoEnvExpand {
		argv = ExpandArgv(argv, env)
		if len(argv) == 0 {
			return nil, fmt.Errorf("%s: command line is empty after variable expansion", spec.Unit)
		}
	}
	path, err := lookExecutable(cmd.Path, env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Unit, err)
	}

	fds, err := rawFDs(spec.Files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Unit, err)
	}
	conn := -1
	if spec.Conn != nil {
		c, err := rawFDs([]*os.File{spec.Conn})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.Unit, err)
		}
		conn = c[0]
	}
	stdio, err := openStdio(ec, stdioSources{conn: conn, files: fds, names: spec.FDNames, umask: ec.UMask})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Unit, err)
	}
	defer stdio.close()

	report, reportW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Unit, err)
	}
	defer report.Close()
	reportFD := 3 + len(fds)
	childFDs := append([]int{stdio.fds[0], stdio.fds[1], stdio.fds[2]}, fds...)
	childFDs = append(childFDs, int(reportW.Fd()))

	o := &shimOptions{
		listenFDs: len(fds), reportFD: reportFD, umask: int(ec.UMask), nice: ec.Nice, nofile: ec.LimitNOFILE,
		gid: -1, uid: -1, chdir: wd, chdirOptional: ec.WorkingDirectoryOpt, ignoreSIGPIPE: true,
		path: path, argv: argv,
	}
	if spec.FDNames != nil {
		o.fdNames, o.hasFDNames = strings.Join(spec.FDNames, ":"), true
	}
	if creds.set {
		o.uid, o.gid = int(creds.uid), int(creds.gid)
		o.groups = make([]int, len(creds.groups))
		for i, g := range creds.groups {
			o.groups[i] = int(g)
		}
	}
	shim := spec.ShimPath
	if shim == "" {
		if shim, err = selfExecutable(); err != nil {
			reportW.Close()
			return nil, fmt.Errorf("%s: find the sockvisor binary: %w", spec.Unit, err)
		}
	}
	shimArgv := append([]string{"sockvisor"}, o.args()...)
	attr := &syscall.ProcAttr{Env: env, Files: uintptrs(childFDs), Sys: &syscall.SysProcAttr{Setsid: true}}
	var st ExitStatus
	pid, err := r.start(func() (int, error) { return syscall.ForkExec(shim, shimArgv, attr) }, func(_ int, s ExitStatus) {
		st = s
		p.status = s
		close(p.done)
	})
	reportW.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", spec.Unit, shim, err)
	}
	p.pid = pid

	// The shim reports a failure before exec on the pipe; EOF means the exec happened.
	if dl, ok := ctx.Deadline(); ok {
		report.SetReadDeadline(dl)
	}
	msg, rerr := io.ReadAll(io.LimitReader(report, 4096))
	if rerr != nil || len(msg) > 0 {
		if rerr != nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		<-p.done
		if rerr != nil {
			return nil, fmt.Errorf("%s: waiting for exec: %w", spec.Unit, rerr)
		}
		_, text, _ := strings.Cut(string(msg), " ")
		return nil, fmt.Errorf("%s: %s (%s)", spec.Unit, text, st)
	}
	if p.notify != nil {
		p.notify.mu.Lock()
		p.notify.mainPID = pid
		p.notify.mu.Unlock()
		p.ready = p.notify.ready
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			p.notify.serve()
		}()
		go func() {
			defer p.wg.Done()
			<-p.done
			p.notify.close()
		}()
	} else {
		close(p.ready)
	}
	log.Debug("started", "unit", spec.Unit, "pid", pid, "argv", argv)
	return p, nil
}

// Wait blocks until the process has exited and its notify reader has stopped.
func (p *Process) Wait() ExitStatus {
	<-p.done
	p.wg.Wait()
	return p.status
}

// lookExecutable resolves a command name without a slash in the PATH of the service's
// environment, and checks that the result is an executable file.
func lookExecutable(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", err
		}
		return name, nil
	}
	path, _ := envLookup(env)("PATH")
	if path == "" {
		path = DefaultPath
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if checkExecutable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("exec %s: %w in PATH %s", name, exec.ErrNotFound, path)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("exec %s: %w", path, err)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("exec %s: %w", path, syscall.EACCES)
	}
	return nil
}

// rawFDs returns the descriptors of files without switching them to blocking mode (which
// (*os.File).Fd does, and which would change the shared file description under a caller that
// polls it).
func rawFDs(files []*os.File) ([]int, error) {
	fds := make([]int, len(files))
	for i, f := range files {
		rc, err := f.SyscallConn()
		if err != nil {
			return nil, fmt.Errorf("fd of %s: %w", f.Name(), err)
		}
		if err := rc.Control(func(fd uintptr) { fds[i] = int(fd) }); err != nil {
			return nil, fmt.Errorf("fd of %s: %w", f.Name(), err)
		}
	}
	return fds, nil
}

func uintptrs(fds []int) []uintptr {
	u := make([]uintptr, len(fds))
	for i, fd := range fds {
		u[i] = uintptr(fd)
	}
	return u
}
