//go:build linux

package supervisor

import (
	"golang.org/x/sys/unix"
	"log/slog"
	"time"
)

// activate starts the service of an Accept=no unit on traffic (systemd's socket_enter_running
// without a connection): the fds are no longer watched until the service has exited.
func (m *manager) activate(u *unit, log *slog.Logger) {
	if !u.trigger.below(time.Now()) {
		log.Warn("Trigger limit hit, refusing further activation.")
		m.stopUnit(u, resultTriggerLimitHit)
		return
	}
	m.disarmAll(u)
	u.state = stateRunning
	s, svc := u.sock(), u.loaded.Service
	u.serviceName = svc.Name
	names := make([]string, len(u.ports))
	files := u.set.Files()
	for i := range names {
		names[i] = s.FDName()
	}
	var j job
	var err error
	if args, ok := m.inProcessProxy(u); ok {
		log.Info("starting the in-process proxy", "service", svc.Name)
		j, err = m.startProxy(u, args)
	} else {
		log.Info("starting", "service", svc.Name)
		// systemd hands the fds over in blocking mode (NonBlocking=no); enterListening makes
		// them non-blocking again for our own polling.
		for _, p := range u.ports {
			_ = unix.SetNonblock(p.fd, false)
		}
		j, err = m.b.start(m.ctx, serviceStart{service: svc, name: svc.Name, files: files, names: names})
	}
	if err != nil {
		log.Error("Failed to start service", "service", svc.Name, "err", err)
		m.enterListening(u)
		return
	}
	u.service = j
	m.watch(j, func(r jobResult) { m.serviceDone(u, j, r) })
}

// watch calls done on the manager goroutine once j has ended.
func (m *manager) watch(j job, done func(jobResult)) {
	m.spawn(func() {
		select {
		case <-j.Done():
			m.post(func() { done(j.Result()) })
		case <-m.quit:
		}
	})
}

// serviceDone is an Accept=no service that has ended: the unit listens again.
func (m *manager) serviceDone(u *unit, j job, r jobResult) {
	if u.service != j {
		return
	}
	u.service = nil
	log := m.log.With("unit", u.name, "service", u.serviceName)
	if r.result() == resultSuccess {
		log.Info("service ended", "result", r.String())
	} else {
		log.Warn("service failed", "result", r.String())
	}
	if u.state == stateRunning {
		m.enterListening(u)
	}
}
