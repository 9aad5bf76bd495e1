//go:build linux

package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Config is what Run needs.
type Config struct {
	// Units are unit files and directories of them; empty means the sockets enabled on this
	// machine (linked under sockets.target.wants/ in the unit search path).
	Units []string
	// SearchPath is the unit search path for services, drop-ins and enabled sockets; nil means
	// systemd's default.
	SearchPath []string
	// Control is the path of the control socket that `sockvisor status` talks to; "" = none.
	Control string
	// Init makes sockvisor a child subreaper that reaps every orphan, as PID 1 in a container
	// must; it is implied when sockvisor runs as PID 1. With Init, sockvisor also exits (with a
	// failure) once no unit is left that could activate.
	Init bool
	// NoInProcessProxy starts a systemd-socket-proxyd service as a process like any other
	// instead of running it on sockvisor's own forwarder.
	NoInProcessProxy bool
	// Log receives every log line; nil discards them.
	Log *slog.Logger
}

// ErrFailed is returned by Run when a unit ended in the failed state.
var ErrFailed = errors.New("failed")

// Run supervises the socket units of cfg until ctx is cancelled or SIGTERM/SIGINT arrives;
// SIGHUP and changes to the unit directories reload the set. It returns nil after a clean stop
// and an error wrapping ErrFailed when a unit failed.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	b, err := newRealBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.close()
	return runWith(ctx, cfg, b)
}

// runWith is Run on a given backend.
func runWith(ctx context.Context, cfg Config, b backend) error {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	p, err := newPoller()
	if err != nil {
		return err
	}
	m := &manager{
		cfg:     cfg,
		log:     cfg.Log,
		b:       b,
		poll:    p,
		units:   map[string]*unit{},
		tokens:  map[uint32]*port{},
		async:   make(chan func()),
		quit:    make(chan struct{}),
		control: make(chan chan []UnitStatus),
		timer:   time.NewTimer(time.Hour),
	}
	defer p.close()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.ctx = rctx
	var force context.Context
	force, m.forceStop = context.WithCancel(context.Background())
	defer m.forceStop()
	m.force = force

	var srv *controlServer
	if cfg.Control != "" {
		srv, err = listenControl(cfg.Control, m.control, m.log)
		if err != nil {
			return err
		}
		defer srv.close()
	}
	w, err := newWatcher(m.log)
	if err != nil {
		m.log.Warn("unit files will not be watched for changes", "err", err)
	}
	if w != nil {
		defer w.close()
	}

	loaded, refused := m.loadAll()
	if len(loaded) == 0 {
		m.shutdownAsync()
		return errors.New("no socket unit to run")
	}
	m.apply(loaded, false, refused)
	var watchC <-chan struct{}
	if w != nil {
		w.set(m.watchDirs())
		watchC = w.C
	}

	stopping := false
	ctxDone := ctx.Done() // set to nil once handled: a done context must not spin the loop
	trim := true          // return the memory of loading to the OS once the units are up
	first := true
	for {
		m.armTimer()
		if stopping && m.settled() {
			break
		}
		if trim && m.settled() {
			trim = false
			if first {
				first = false
				b.unitsUp()
			}
			debug.FreeOSMemory()
		}
		if !stopping && m.cfg.Init && m.settled() && !m.anyActive() {
			m.log.Error("no socket unit is left that could activate, stopping")
			stopping = true
			m.stopAll()
			continue
		}
		select {
		case <-ctxDone:
			ctxDone = nil
			if !stopping {
				stopping = true
				m.stopAll()
			}
		case s := <-sigs:
			switch s {
			case syscall.SIGHUP:
				if !stopping {
					m.log.Info("reloading", "reason", "SIGHUP")
					m.reload(true)
					trim = true
					if w != nil {
						w.set(m.watchDirs())
					}
				}
			default:
				if stopping {
					m.log.Warn("second stop request: killing what is left now", "signal", s.String())
					m.forceStop()
					break
				}
				m.log.Info("stopping", "signal", s.String())
				stopping = true
				m.stopAll()
			}
		case <-watchC:
			if !stopping {
				m.log.Info("reloading", "reason", "unit files changed")
				m.reload(false)
				trim = true
				w.set(m.watchDirs())
			}
		case evs := <-p.C:
			for _, e := range evs {
				m.dispatch(e)
			}
		case f := <-m.async:
			f()
		case <-m.timer.C:
			m.tick(time.Now())
		case reply := <-m.control:
			reply <- m.status()
		}
	}
	cancel()
	m.shutdownAsync()
	return m.outcome()
}

// manager owns every unit; all of its state is touched by the Run goroutine only. Work that
// blocks (control processes, stopping services) runs in goroutines that post their results back
// through async.
type manager struct {
	cfg  Config
	log  *slog.Logger
	b    backend
	poll *poller
	ctx  context.Context

	units     map[string]*unit
	tokens    map[uint32]*port // armed fds by poll token
	nextToken uint32

	async   chan func()
	quit    chan struct{}
	wg      sync.WaitGroup
	control chan chan []UnitStatus

	timer *time.Timer

	// force is cancelled by a second SIGTERM/SIGINT: services still stopping get their final
	// kill signal at once instead of after TimeoutStopSec=.
	force     context.Context
	forceStop context.CancelFunc
}

// post runs f on the manager goroutine; it is dropped when the manager has ended.
func (m *manager) post(f func()) {
	select {
	case m.async <- f:
	case <-m.quit:
	}
}

// spawn runs f in a goroutine the manager waits for before Run returns.
func (m *manager) spawn(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// shutdownAsync releases goroutines still trying to post and waits for all of them.
func (m *manager) shutdownAsync() {
	close(m.quit)
	m.wg.Wait()
}

// settled reports whether no unit is in a transition.
func (m *manager) settled() bool {
	for _, u := range m.units {
		if u.busy() {
			return false
		}
	}
	return true
}

// anyActive reports whether some unit listens or runs its service.
func (m *manager) anyActive() bool {
	for _, u := range m.units {
		if u.state.active() {
			return true
		}
	}
	return false
}

// stopAll stops every unit.
func (m *manager) stopAll() {
	for _, u := range m.sorted() {
		m.stopUnit(u, "")
	}
}

// outcome is Run's result once every unit has stopped.
func (m *manager) outcome() error {
	var failed []string
	for _, u := range m.sorted() {
		if u.state == stateFailed || u.everFailed {
			failed = append(failed, u.name+" ("+u.result+")")
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %s", ErrFailed, strings.Join(failed, ", "))
	}
	return nil
}

// sorted returns the units ordered by name.
func (m *manager) sorted() []*unit {
	us := make([]*unit, 0, len(m.units))
	for _, u := range m.units {
		us = append(us, u)
	}
	slices.SortFunc(us, func(a, b *unit) int { return strings.Compare(a.name, b.name) })
	return us
}

// armTimer sets the timer to the earliest moment a paused fd may be watched again.
func (m *manager) armTimer() {
	var next time.Time
	for _, u := range m.units {
		for _, p := range u.ports {
			if !p.resume.IsZero() && (next.IsZero() || p.resume.Before(next)) {
				next = p.resume
			}
		}
	}
	// Since Go 1.23 Reset discards a value the timer may already hold.
	if next.IsZero() {
		m.timer.Reset(time.Hour)
		return
	}
	m.timer.Reset(time.Until(next))
}

// tick resumes fds whose pause has ended.
func (m *manager) tick(now time.Time) {
	for _, u := range m.units {
		for _, p := range u.ports {
			if !p.resume.IsZero() && !p.resume.After(now) {
				p.resume = time.Time{}
				if u.state == stateListening {
					m.arm(p)
				}
			}
		}
	}
}
