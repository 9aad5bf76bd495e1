//go:build linux

package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sockvisor/sockvisor/socketunit"
)

// unit is one socket unit under supervision.
type unit struct {
	name   string
	loaded *socketunit.Loaded
	state  unitState
	result string
	// everFailed is set when the unit failed at some point of this run (for the exit code).
	everFailed bool
	// gen changes at every start and stop, so late results of an earlier one are ignored.
	gen uint64
	// next, when set, is started as soon as a stop in progress completes (reload).
	next *socketunit.Loaded
	// remove drops the unit once a stop in progress completes (reload).
	remove bool

	set   portSet
	ports []*port

	trigger rateLimit

	service     job // Accept=no: the running service
	serviceName string
	conns       map[job]*connection // Accept=yes: one per running instance
	peers       map[string]uint32   // Accept=yes: running instances per source

	nAccepted, nConnections, nRefused uint64
}

// port is one listening fd of a unit.
type port struct {
	u      *unit
	file   *os.File
	fd     int
	token  uint32    // poll token while armed, 0 otherwise
	poll   rateLimit // PollLimit*=
	resume time.Time // paused (poll limit, fd table full) until then
}

// connection is an accepted connection handed to an instance (Accept=yes).
type connection struct {
	file    *os.File
	source  string // per-source key, "" when not limited
	service string
}

func (u *unit) sock() *socketunit.Socket { return u.loaded.Socket }

// busy reports whether the unit is starting or stopping.
func (u *unit) busy() bool {
	switch u.state {
	case stateStartPre, stateStartPost, stateStopPre, stateStopPost:
		return true
	}
	return false
}

// newUnit makes a dead unit from a loaded configuration.
func newUnit(l *socketunit.Loaded) *unit {
	return &unit{name: l.Socket.Name, loaded: l, result: resultSuccess}
}

// startUnit runs ExecStartPre=, opens the fds, runs ExecStartPost= and starts listening.
func (m *manager) startUnit(u *unit) {
	u.gen++
	gen := u.gen
	u.state = stateStartPre
	u.result = resultSuccess
	u.trigger = newRateLimit(u.sock().TriggerLimitInterval, u.sock().TriggerLimitBurst)
	l := u.loaded
	log := m.log.With("unit", u.name)
	if err := m.b.check(l); err != nil {
		log.Error("refusing to start", "err", err)
		u.state = stateFailed
		u.result = resultResources
		u.everFailed = true
		return
	}
	if pc, ok := m.inProcessProxy(u); ok {
		if _, err := m.b.proxy(pc); err != nil {
			log.Error("refusing to start: bad proxy command line", "err", err)
			u.state = stateFailed
			u.result = resultResources
			u.everFailed = true
			return
		}
	}
	timeout := l.Socket.Timeout.Duration()
	m.spawn(func() {
		s := l.Socket
		fail := func(result string, set portSet) {
			if set != nil {
				m.runControl(log, "ExecStopPre", s, s.ExecStopPre, set, timeout)
				if err := set.Close(); err != nil {
					log.Warn("closing sockets", "err", err)
				}
			}
			m.runControl(log, "ExecStopPost", s, s.ExecStopPost, nil, timeout)
			m.post(func() {
				if u.gen == gen {
					m.settle(u, stateFailed, result)
				}
			})
		}
		if err := m.b.runCommands(m.ctx, s, s.ExecStartPre, nil, timeout); err != nil {
			log.Error("ExecStartPre= failed", "err", err)
			fail(commandResult(err), nil)
			return
		}
		set, err := m.b.open(m.ctx, l)
		if err != nil {
			log.Error("Failed to listen on sockets: " + err.Error())
			fail(resultResources, nil)
			return
		}
		m.post(func() {
			if u.gen == gen {
				u.state = stateStartPost
			}
		})
		var files []*os.File
		if s.PassFileDescriptorsToExec {
			files = set.Files()
		}
		if err := m.b.runCommands(m.ctx, s, s.ExecStartPost, files, timeout); err != nil {
			log.Error("ExecStartPost= failed", "err", err)
			fail(commandResult(err), set)
			return
		}
		m.post(func() {
			if u.gen != gen {
				set.Close()
				return
			}
			m.adopt(u, set)
			log.Info("listening")
			m.enterListening(u)
		})
	})
}

// commandResult maps a control command's failure to a unit result.
func commandResult(err error) string {
	if errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return resultTimeout
	}
	return resultExitCode
}

// runControl runs one Exec*= list of a stopping unit and logs a failure.
func (m *manager) runControl(log *slog.Logger, key string, s *socketunit.Socket, cmds []socketunit.ExecCommand, set portSet, timeout time.Duration) {
	if len(cmds) == 0 {
		return
	}
	var files []*os.File
	if set != nil && s.PassFileDescriptorsToExec {
		files = set.Files()
	}
	// Stopping runs even when Run's context is done: use a fresh one bounded by TimeoutSec=.
	if err := m.b.runCommands(context.Background(), s, cmds, files, timeout); err != nil {
		log.Warn(key+"= failed", "err", err)
	}
}

// adopt takes the open fds of a unit.
func (m *manager) adopt(u *unit, set portSet) {
	u.set = set
	u.ports = u.ports[:0]
	for _, f := range set.Files() {
		p := &port{u: u, file: f, fd: rawFD(f)}
		u.ports = append(u.ports, p)
	}
	m.resetPollLimits(u)
}

// resetPollLimits applies the unit's PollLimit*= to each of its fds.
func (m *manager) resetPollLimits(u *unit) {
	for _, p := range u.ports {
		p.poll = newRateLimit(u.sock().PollLimitInterval, u.sock().PollLimitBurst)
	}
}

// rawFD returns the descriptor of f without switching it to blocking mode (File.Fd would).
func rawFD(f *os.File) int {
	fd := -1
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(x uintptr) { fd = int(x) })
	}
	if fd < 0 {
		// Not pollable by the runtime (e.g. a FIFO opened blocking): Fd changes nothing then.
		fd = int(f.Fd())
	}
	return fd
}

// enterListening watches every fd of the unit again, flushing queued traffic first when
// FlushPending= asks for it (Accept=no).
func (m *manager) enterListening(u *unit) {
	u.state = stateListening
	for _, p := range u.ports {
		// A service may have switched the shared file description to blocking.
		_ = unix.SetNonblock(p.fd, true)
		if u.sock().FlushPending && !u.sock().Accept {
			flushFD(p.fd)
		}
		if p.resume.IsZero() {
			m.arm(p)
		}
	}
}

// arm watches p once.
func (m *manager) arm(p *port) {
	if p.token != 0 {
		return
	}
	m.nextToken++
	if m.nextToken == wakeToken {
		m.nextToken++
	}
	if err := m.poll.arm(p.fd, m.nextToken); err != nil {
		m.log.Error("cannot watch socket", "unit", p.u.name, "err", err)
		return
	}
	p.token = m.nextToken
	m.tokens[p.token] = p
}

// disarm stops watching p.
func (m *manager) disarm(p *port) {
	if p.token == 0 {
		return
	}
	m.poll.disarm(p.fd)
	delete(m.tokens, p.token)
	p.token = 0
}

// disarmAll stops watching every fd of u.
func (m *manager) disarmAll(u *unit) {
	for _, p := range u.ports {
		m.disarm(p)
	}
}

// dispatch handles traffic on one fd.
func (m *manager) dispatch(e pollEvent) {
	p := m.tokens[e.token]
	if p == nil {
		return // disarmed since
	}
	delete(m.tokens, e.token)
	p.token = 0
	u := p.u
	if u.state != stateListening {
		return
	}
	log := m.log.With("unit", u.name)
	if e.events != unix.EPOLLIN {
		if e.events&unix.EPOLLHUP != 0 {
			log.Error("Got POLLHUP on a listening socket. The service probably invoked shutdown() on it, and should better not do that.")
		} else {
			log.Error("Got unexpected poll event on socket.", "events", e.events)
		}
		m.stopUnit(u, resultResources)
		return
	}
	now := time.Now()
	if !p.poll.below(now) {
		p.resume = p.poll.end()
		log.Debug("poll limit hit, pausing the socket", "until", p.resume)
		return
	}
	log.Debug("Incoming traffic")
	if u.sock().Accept && isListening(p.fd) {
		m.acceptOne(u, p, log)
		return
	}
	m.activate(u, log)
}

// isListening reports whether fd is a listening (accepting) socket.
func isListening(fd int) bool {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	return err == nil && v == 1
}

// flushFD discards what is queued on fd: pending connections of a listening socket, data of
// anything else.
func flushFD(fd int) {
	if isListening(fd) {
		for {
			cfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
			if err == unix.EINTR || err == unix.ECONNABORTED {
				continue
			}
			if err != nil {
				return
			}
			unix.Close(cfd)
		}
	}
	buf := make([]byte, 2048)
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
	}
}

// settle ends a start or stop: the unit becomes dead or failed, and a pending reload step runs.
func (m *manager) settle(u *unit, state unitState, result string) {
	if result != "" && result != resultSuccess {
		u.result = result
		state = stateFailed
	}
	if state == stateFailed && u.state != stateFailed {
		u.everFailed = true
		m.log.Warn("unit failed", "unit", u.name, "result", u.result)
	}
	u.state = state
	if u.remove {
		delete(m.units, u.name)
		return
	}
	if u.next != nil {
		u.loaded, u.next = u.next, nil
		m.startUnit(u)
	}
}

// stopUnit stops the unit's services and instances, runs ExecStopPre=, closes the fds (with
// RemoveOnStop=), runs ExecStopPost= and ends dead — or failed with result, when result is set.
func (m *manager) stopUnit(u *unit, result string) {
	switch u.state {
	case stateDead, stateFailed:
		m.settle(u, u.state, "")
		return
	case stateStopPre, stateStopPost:
		return
	}
	u.gen++
	gen := u.gen
	if u.state == stateStartPre || u.state == stateStartPost {
		// The start goroutine sees the new generation and cleans up behind itself.
		m.settle(u, stateDead, result)
		return
	}
	m.disarmAll(u)
	u.state = stateStopPre
	if result != "" {
		u.result = result
	}
	var jobs []job
	if u.service != nil {
		jobs = append(jobs, u.service)
	}
	var conns []*os.File
	for j, c := range u.conns {
		jobs = append(jobs, j)
		conns = append(conns, c.file)
	}
	set, s := u.set, u.sock()
	u.set, u.ports = nil, nil
	log := m.log.With("unit", u.name)
	timeout := s.Timeout.Duration()
	m.spawn(func() {
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j.Stop(m.force)
			}()
		}
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
		m.runControl(log, "ExecStopPre", s, s.ExecStopPre, set, timeout)
		m.post(func() {
			if u.gen == gen {
				u.state = stateStopPost
			}
		})
		// ExecStopPost= sees the fds only with PassFileDescriptorsToExec=yes (then they are
		// closed after it, as upstream's socket-pass-fds test expects).
		closeSet := func() {
			if set != nil {
				if err := set.Close(); err != nil {
					log.Warn("closing sockets", "err", err)
				}
			}
		}
		if s.PassFileDescriptorsToExec {
			m.runControl(log, "ExecStopPost", s, s.ExecStopPost, set, timeout)
			closeSet()
		} else {
			closeSet()
			m.runControl(log, "ExecStopPost", s, s.ExecStopPost, nil, timeout)
		}
		m.post(func() {
			if u.gen != gen {
				return
			}
			log.Info("stopped")
			m.settle(u, stateDead, result)
		})
	})
}
