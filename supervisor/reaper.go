//go:build linux

package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reaper owns the wait status of every child sockvisor starts. Each child is started through it
// (StartProcess, RunCommands, the activate command) and its status is delivered to the callback
// registered with the start, so nothing in the process may call exec.Cmd.Wait or os.Process.Wait
// for these children.
//
// In reap-all mode (EnableSubreaper, or automatically when sockvisor is PID 1) the reaper also
// collects every orphan re-parented to sockvisor with wait4(-1). In that mode no other code of
// the process may start children with os/exec: their statuses would be taken by the reaper.
// Outside reap-all mode only registered PIDs are waited for, so os/exec keeps working.
type Reaper struct {
	log  *slog.Logger
	kick chan struct{}

	mu       sync.Mutex // held across fork+register and across each wait4, so no status is lost
	children map[int]func(int, ExitStatus)
	reapAll  bool
	orphans  int
}

// NewReaper returns a reaper; call Run to start collecting statuses. A nil log discards messages.
func NewReaper(log *slog.Logger) *Reaper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reaper{
		log:      log,
		kick:     make(chan struct{}, 1),
		children: make(map[int]func(int, ExitStatus)),
		reapAll:  os.Getpid() == 1,
	}
}

// EnableSubreaper makes sockvisor a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned
// descendants are re-parented to it instead of to PID 1, and the reaper collects them.
func (r *Reaper) EnableSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl(PR_SET_CHILD_SUBREAPER)", err)
	}
	r.mu.Lock()
	r.reapAll = true
	r.mu.Unlock()
	return nil
}

// ReapsAll reports whether the reaper collects every child, not only its own (PID 1 or subreaper).
func (r *Reaper) ReapsAll() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reapAll
}

// Orphans returns how many processes the reaper collected that it had not started itself.
func (r *Reaper) Orphans() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.orphans
}

// Children returns how many started children have not been collected yet.
func (r *Reaper) Children() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.children)
}

// Run collects exit statuses on every SIGCHLD until ctx is done.
func (r *Reaper) Run(ctx context.Context) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	r.reap() // children that ended before Notify
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sigs:
		case <-r.kick:
		}
		r.reap()
	}
}

// start forks a child with fork (which returns its PID) and registers done for its status, with
// the lock held so that a child that exits at once is not collected as a stranger.
func (r *Reaper) start(fork func() (int, error), done func(pid int, st ExitStatus)) (int, error) {
	r.mu.Lock()
	pid, err := fork()
	if err == nil {
		r.children[pid] = done
	}
	r.mu.Unlock()
	if err == nil {
		select {
		case r.kick <- struct{}{}:
		default:
		}
	}
	return pid, err
}

// reap collects every status that is ready.
func (r *Reaper) reap() {
	if r.ReapsAll() {
		for r.reapOne(-1) {
		}
		return
	}
	r.mu.Lock()
	pids := make([]int, 0, len(r.children))
	for pid := range r.children {
		pids = append(pids, pid)
	}
	r.mu.Unlock()
	for _, pid := range pids {
		r.reapOne(pid)
	}
}

// reapOne waits (without blocking) for pid, or for any child when pid is -1, and dispatches the
// status; it reports whether a child was collected.
func (r *Reaper) reapOne(pid int) bool {
	var ws unix.WaitStatus
	r.mu.Lock()
	got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	for errors.Is(err, unix.EINTR) {
		got, err = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
	var done func(int, ExitStatus)
	st := exitStatusFromWait(ws)
	switch {
	case err != nil && pid > 0 && errors.Is(err, unix.ECHILD):
		// Somebody else waited for it: the status is lost, but the child is gone.
		done, got = r.children[pid], pid
		st = ExitStatus{Code: -1}
		delete(r.children, pid)
	case err != nil || got <= 0:
		r.mu.Unlock()
		return false
	default:
		var ok bool
		done, ok = r.children[got]
		if ok {
			delete(r.children, got)
		} else {
			r.orphans++
		}
	}
	r.mu.Unlock()
	if done != nil {
		done(got, st)
	} else {
		r.log.Debug("reaped orphan", "pid", got, "status", st.String())
	}
	return true
}
