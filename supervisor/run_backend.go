//go:build linux

package supervisor

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/sockvisor/sockvisor/socketunit"
)

// portSet is the open fds of one socket unit, in configuration order.
type portSet interface {
	Files() []*os.File
	// Close closes the fds and removes what RemoveOnStop= asks to remove.
	Close() error
}

// job is something running on behalf of a unit: a service process or the in-process proxy.
type job interface {
	// Done is closed when the job has ended.
	Done() <-chan struct{}
	// Result says how it ended; valid once Done is closed.
	Result() jobResult
	// Stop ends the job (KillSignal=, then SIGKILL after TimeoutStopSec=, or at once when ctx is
	// done) and returns when it has.
	Stop(ctx context.Context)
	// PID is the main process, 0 for the in-process proxy.
	PID() int
}

// jobResult is how a job ended.
type jobResult struct {
	code   int            // exit status, when it exited
	signal syscall.Signal // the signal that killed it, or 0
	core   bool           // it dumped core
	err    error          // it could not be started or stopped cleanly
}

// result maps the outcome to systemd's result names.
func (r jobResult) result() string {
	switch {
	case r.err != nil:
		return resultResources
	case r.core:
		return resultCoreDump
	case r.signal != 0:
		return resultSignal
	case r.code != 0:
		return resultExitCode
	}
	return resultSuccess
}

// String describes the outcome for a log line.
func (r jobResult) String() string {
	switch {
	case r.err != nil:
		return r.err.Error()
	case r.signal != 0:
		return fmt.Sprintf("killed by signal %s", r.signal)
	}
	return fmt.Sprintf("exited with status %d", r.code)
}

// serviceStart is what one activation hands to a service.
type serviceStart struct {
	service *socketunit.Service
	name    string     // the service unit name ("echo.service", "echo@0-….service")
	files   []*os.File // fd 3 onwards
	names   []string   // LISTEN_FDNAMES, one per file
	env     []string   // extra environment (REMOTE_ADDR, REMOTE_PORT)
	conn    *os.File   // Accept=yes: the connection (stdin/stdout with StandardInput=socket)
}

// backend is what the supervisor needs from the rest of sockvisor: opening sockets (listener),
// starting processes (exec) and the in-process proxy (forwarder). Tests substitute their own.
type backend interface {
	// load reads a socket unit and the service it triggers (socketunit.LoadSocket).
	load(path string, opts socketunit.Options) (*socketunit.Loaded, error)
	// instance loads the per-connection service NAME@INSTANCE.service of an Accept=yes unit, so
	// that %i and friends expand to the instance.
	instance(l *socketunit.Loaded, name string) (*socketunit.Service, error)
	// open opens (or adopts from the inherited fds) the listening fds of a socket unit.
	open(ctx context.Context, l *socketunit.Loaded) (portSet, error)
	// start starts an activated service.
	start(ctx context.Context, st serviceStart) (job, error)
	// runCommands runs one Exec*= list of the socket unit, each command bounded by timeout; files
	// are passed as LISTEN_FDS when non-nil (PassFileDescriptorsToExec=).
	runCommands(ctx context.Context, s *socketunit.Socket, cmds []socketunit.ExecCommand, files []*os.File, timeout time.Duration) error
	// connOptions applies the unit's socket options to an accepted connection.
	connOptions(s *socketunit.Socket, conn *os.File)
	// proxy parses a proxy command line for the in-process forwarder.
	proxy(pc proxyCommand) (proxyServe, error)
	// unitsUp is called once, when the first set of units has started: inherited fds that no
	// unit took are released then.
	unitsUp()
	// check reports an error when the service of a unit cannot be started at all.
	check(l *socketunit.Loaded) error
}

// proxyServe runs the forwarder on the given listening fds until ctx is done or it exits on
// idle (nil).
type proxyServe func(ctx context.Context, files []*os.File) error
