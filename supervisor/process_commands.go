//go:build linux

package supervisor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sockvisor/sockvisor/socketunit"
)

// ErrTimeout is wrapped by RunCommands when a command ran past its timeout.
var ErrTimeout = errors.New("timed out")

// CommandError is a command of RunCommands that failed.
type CommandError struct {
	Unit   string
	Argv   []string
	Status ExitStatus // how it ended; zero when it could not be started
	Err    error      // why it could not be started, or ErrTimeout
}

func (e *CommandError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %q: %v", e.Unit, e.Argv, e.Err)
	}
	return fmt.Sprintf("%s: %q failed: %s", e.Unit, e.Argv, e.Status)
}

func (e *CommandError) Unwrap() error { return e.Err }

// RunCommands runs cmds one after the other (ExecStartPre=, ExecStartPost=, ExecStop=,
// ExecStopPost=, and the socket unit's own Exec*=) with spec's settings, each as a control
// process: only exit code 0 is success. It stops at the first failure and returns it as a
// *CommandError; a command with the "-" prefix that fails (including one that cannot be
// started) is logged and counts as success. A command still running after timeout (0 = no
// limit) is stopped per spec.Kill (final kill after another timeout) and fails with
// ErrTimeout, whatever its prefix.
func RunCommands(ctx context.Context, r *Reaper, cmds []socketunit.ExecCommand, spec ProcessSpec, timeout time.Duration) error {
	log := spec.Log
	for _, c := range cmds {
		s := spec
		s.Command = c
		s.Notify = false
		if err := runCommand(ctx, r, s, timeout); err != nil {
			var ce *CommandError
			if c.IgnoreFailure && errors.As(err, &ce) && !errors.Is(err, ErrTimeout) && ctx.Err() == nil {
				if log != nil {
					log.Info("command failed, ignored (\"-\" prefix)", "unit", spec.Unit, "error", err)
				}
				continue
			}
			return err
		}
	}
	return nil
}

func runCommand(ctx context.Context, r *Reaper, spec ProcessSpec, timeout time.Duration) error {
	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	startCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		startCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	p, err := StartProcess(startCtx, r, spec)
	if err != nil {
		if ctx.Err() == nil && startCtx.Err() != nil {
			err = fmt.Errorf("%w before exec: %v", ErrTimeout, err)
		}
		return &CommandError{Unit: spec.Unit, Argv: spec.Command.Argv, Err: err}
	}
	select {
	case <-p.Done():
	case <-deadline:
		p.Stop(ctx, timeout)
		return &CommandError{Unit: spec.Unit, Argv: spec.Command.Argv, Status: p.Wait(), Err: ErrTimeout}
	case <-ctx.Done():
		p.Stop(context.Background(), timeout)
		return &CommandError{Unit: spec.Unit, Argv: spec.Command.Argv, Status: p.Wait(), Err: ctx.Err()}
	}
	if st := p.Wait(); !st.Success(false) {
		return &CommandError{Unit: spec.Unit, Argv: spec.Command.Argv, Status: st}
	}
	return nil
}
