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
// ExecStop= (with $MAINPID), the kill sequence and ExecStopPost=.
type serviceJob struct {
	done     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	res      jobResult

	main *Process
}

// startService starts st's service and returns once its main process runs; the rest of the
// life cycle runs in a goroutine that ends when the job is Done.
func startService(ctx context.Context, r *Reaper, log *slog.Logger, st serviceStart) (job, error) {
	svc := st.service
	spec := ProcessSpec{Unit: st.name, Exec: svc.Exec, Kill: svc.Kill, Conn: st.conn, ExtraEnv: st.env, Log: log}
	startTimeout := svc.TimeoutStartSec.Duration()
	if err := RunCommands(ctx, r, svc.ExecStartPre, spec, startTimeout); err != nil {
		return nil, err
	}
	j := &serviceJob{done: make(chan struct{}), stop: make(chan struct{})}
	main := spec
	main.Files, main.FDNames = st.files, st.names
	main.Notify = svc.Type == "notify" || svc.Type == "notify-reload"
	if svc.Type == "oneshot" {
		go func() {
			defer close(j.done)
			if err := RunCommands(ctx, r, svc.ExecStart, main, startTimeout); err != nil {
				j.res.err = err
			}
			j.finish(ctx, r, svc, spec, 0)
		}()
		return j, nil
	}
	main.Command = svc.ExecStart[0]
	p, err := StartProcess(ctx, r, main)
	if err != nil {
		return nil, err
	}
	j.main = p
	if err := RunCommands(ctx, r, svc.ExecStartPost, spec, startTimeout); err != nil {
		log.Warn("ExecStartPost= failed, stopping the service", "unit", st.name, "err", err)
		j.stopOnce.Do(func() { close(j.stop) })
	}
	go func() {
		defer close(j.done)
		select {
		case <-p.Done():
		case <-j.stop:
			j.finish(ctx, r, svc, spec, p.PID())
			_ = p.Stop(context.Background(), svc.TimeoutStopSec.Duration())
			<-p.Done()
			j.res = resultOf(p.Status(), j.res)
			return
		}
		j.res = resultOf(p.Status(), j.res)
		j.finish(ctx, r, svc, spec, p.PID())
	}()
	return j, nil
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
func resultOf(st ExitStatus, prev jobResult) jobResult {
	if prev.err != nil {
		return prev
	}
	if st.Success(true) {
		return jobResult{}
	}
	return jobResult{code: st.Code, signal: st.Signal, core: st.CoreDumped}
}

// Done is closed when the service has ended and its stop commands have run.
func (j *serviceJob) Done() <-chan struct{} { return j.done }

// Result is how the main process ended.
func (j *serviceJob) Result() jobResult { return j.res }

// Stop asks the service to stop and waits until it has.
func (j *serviceJob) Stop(ctx context.Context) {
	j.stopOnce.Do(func() { close(j.stop) })
	select {
	case <-j.done:
	case <-ctx.Done():
	}
}

// PID is the main process.
func (j *serviceJob) PID() int {
	if j.main == nil {
		return 0
	}
	return j.main.PID()
}
