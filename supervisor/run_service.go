//go:build linux

package supervisor

import (
	"context"
	"log/slog"
	"strconv"
	"sync"

	"github.com/sockvisor/sockvisor/socketunit"
)

// serviceJob is an activated service: ExecStartPre=, the main process (or the commands of a
// Type=oneshot service), ExecStartPost=; when the main process ends or Stop is called,
// ExecStop= (with $MAINPID), the kill sequence and ExecStopPost=. Everything runs in the job's
// own goroutine, so a slow ExecStartPre= never holds up the supervisor.
type serviceJob struct {
	done     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	kill     chan struct{} // closed when a stop must not wait for TimeoutStopSec=
	killOnce sync.Once
	res      jobResult

	mu   sync.Mutex
	main *Process
}

// startService starts st's service in the background; a failure to start is the job's result.
func startService(ctx context.Context, r *Reaper, log *slog.Logger, st serviceStart) job {
	j := &serviceJob{done: make(chan struct{}), stop: make(chan struct{}), kill: make(chan struct{})}
	go func() {
		defer close(j.done)
		j.res = j.run(ctx, r, log, st)
	}()
	return j
}

// run is the life of the service; it returns how it ended.
func (j *serviceJob) run(ctx context.Context, r *Reaper, log *slog.Logger, st serviceStart) jobResult {
	svc := st.service
	// Starting is abandoned when Stop comes first (a hanging ExecStartPre= is killed).
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-j.stop:
			cancel()
		case <-sctx.Done():
		}
	}()
	ctx = sctx
	spec := ProcessSpec{Unit: st.name, Exec: svc.Exec, Kill: svc.Kill, Conn: st.conn, ExtraEnv: st.env, Log: log}
	startTimeout := svc.TimeoutStartSec.Duration()
	if err := RunCommands(ctx, r, svc.ExecStartPre, spec, startTimeout); err != nil {
		log.Warn("ExecStartPre= failed", "unit", st.name, "err", err)
		return jobResult{err: err}
	}
	main := spec
	main.Files, main.FDNames = st.files, st.names
	main.Notify = svc.Type == "notify" || svc.Type == "notify-reload"
	if svc.Type == "oneshot" {
		var res jobResult
		if err := RunCommands(ctx, r, svc.ExecStart, main, startTimeout); err != nil {
			res.err = err
		}
		j.finish(ctx, r, svc, spec, 0)
		return res
	}
	main.Command = svc.ExecStart[0]
	p, err := StartProcess(ctx, r, main)
	if err != nil {
		log.Warn("cannot start service", "unit", st.name, "err", err)
		return jobResult{err: err}
	}
	j.mu.Lock()
	j.main = p
	j.mu.Unlock()
	if err := RunCommands(ctx, r, svc.ExecStartPost, spec, startTimeout); err != nil {
		log.Warn("ExecStartPost= failed, stopping the service", "unit", st.name, "err", err)
		j.stopOnce.Do(func() { close(j.stop) })
	}
	select {
	case <-p.Done():
		res := resultOf(p.Status())
		j.finish(ctx, r, svc, spec, p.PID())
		return res
	case <-j.stop:
		j.finish(ctx, r, svc, spec, p.PID())
		kctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-j.kill:
				cancel()
			case <-kctx.Done():
			}
		}()
		_ = p.Stop(kctx, svc.TimeoutStopSec.Duration())
		<-p.Done()
		return resultOf(p.Status())
	}
}

// finish runs ExecStop= (with $MAINPID while the main process lives) and ExecStopPost=.
func (j *serviceJob) finish(ctx context.Context, r *Reaper, svc *socketunit.Service, spec ProcessSpec, pid int) {
	stopTimeout := svc.TimeoutStopSec.Duration()
	s := spec
	if pid > 0 {
		s.ExtraEnv = append(append([]string(nil), spec.ExtraEnv...), "MAINPID="+strconv.Itoa(pid))
	}
	ctx = context.WithoutCancel(ctx)
	_ = RunCommands(ctx, r, svc.ExecStop, s, stopTimeout)
	_ = RunCommands(ctx, r, svc.ExecStopPost, spec, stopTimeout)
}

// resultOf maps a main process status to a job result (death by SIGTERM & co. is success, as
// systemd counts it for a main process).
func resultOf(st ExitStatus) jobResult {
	if st.Success(true) {
		return jobResult{}
	}
	return jobResult{code: st.Code, signal: st.Signal, core: st.CoreDumped}
}

// Done is closed when the service has ended and its stop commands have run.
func (j *serviceJob) Done() <-chan struct{} { return j.done }

// Result is how the service ended; valid once Done is closed.
func (j *serviceJob) Result() jobResult { return j.res }

// Stop asks the service to stop and waits until it has; once ctx is done the final kill signal
// goes out without waiting for TimeoutStopSec=.
func (j *serviceJob) Stop(ctx context.Context) {
	j.stopOnce.Do(func() { close(j.stop) })
	select {
	case <-j.done:
		return
	case <-ctx.Done():
	}
	j.killOnce.Do(func() { close(j.kill) })
	<-j.done
}

// PID is the main process, 0 before it started.
func (j *serviceJob) PID() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.main == nil {
		return 0
	}
	return j.main.PID()
}
