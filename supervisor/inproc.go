//go:build linux

package supervisor

import (
	"context"
	"os"
	"path/filepath"

	"github.com/sockvisor/sockvisor/socketunit"
)

// proxyCommand is a service that runs in process on sockvisor's forwarder.
type proxyCommand struct {
	prog string   // the name messages carry: "systemd-socket-proxyd" or "sockvisor proxy"
	args []string // the arguments after the program (and "proxy")
}

// proxyService reports whether svc's ExecStart= is systemd-socket-proxyd (any path ending in
// that name) or `sockvisor proxy`, which sockvisor runs on its own forwarder instead of forking.
func proxyService(svc *socketunit.Service) (proxyCommand, bool) {
	if svc == nil || len(svc.ExecStart) != 1 {
		return proxyCommand{}, false
	}
	c := svc.ExecStart[0]
	switch filepath.Base(c.Path) {
	case "systemd-socket-proxyd":
		return proxyCommand{prog: "systemd-socket-proxyd", args: argsAfter(c.Argv, 1)}, true
	case "sockvisor":
		if len(c.Argv) > 1 && c.Argv[1] == "proxy" {
			return proxyCommand{prog: "sockvisor proxy", args: argsAfter(c.Argv, 2)}, true
		}
	}
	return proxyCommand{}, false
}

func argsAfter(argv []string, n int) []string {
	if len(argv) <= n {
		return nil
	}
	return argv[n:]
}

// inProcessProxy returns the proxy command of an Accept=no unit whose service runs in process.
func (m *manager) inProcessProxy(u *unit) (proxyCommand, bool) {
	if m.cfg.NoInProcessProxy || u.sock().Accept {
		return proxyCommand{}, false
	}
	return proxyService(u.loaded.Service)
}

// startProxy runs the forwarder on dups of the unit's fds (the forwarder may close them; the
// unit keeps its own). The job ends when the forwarder exits on idle or is stopped.
func (m *manager) startProxy(u *unit, pc proxyCommand) (job, error) {
	serve, err := m.b.proxy(pc)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	for _, p := range u.ports {
		f, err := dupFile(p.fd, p.file.Name())
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, err
		}
		files = append(files, f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	j := &inprocJob{done: make(chan struct{}), cancel: cancel}
	m.spawn(func() {
		defer close(j.done)
		err := serve(ctx, files)
		for _, f := range files {
			f.Close()
		}
		if err != nil && ctx.Err() == nil {
			j.res = jobResult{err: err}
		}
	})
	return j, nil
}

// inprocJob is the in-process proxy seen as a job.
type inprocJob struct {
	done   chan struct{}
	cancel context.CancelFunc
	res    jobResult
}

// Done is closed when the forwarder has returned.
func (j *inprocJob) Done() <-chan struct{} { return j.done }

// Result is how the forwarder ended.
func (j *inprocJob) Result() jobResult { return j.res }

// Stop cancels the forwarder and waits for it.
func (j *inprocJob) Stop(context.Context) {
	j.cancel()
	<-j.done
}

// PID is 0: the proxy runs inside sockvisor.
func (j *inprocJob) PID() int { return 0 }
