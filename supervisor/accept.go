//go:build linux

package supervisor

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// acceptBackoff is how long a listening fd rests when the fd table or memory is exhausted:
// accepting slows down instead of spinning or failing the unit.
const acceptBackoff = 250 * time.Millisecond

// acceptOne accepts one connection of an Accept=yes unit and starts its instance; the fd is
// watched again afterwards.
func (m *manager) acceptOne(u *unit, p *port, log *slog.Logger) {
	defer func() {
		if u.state == stateListening && p.resume.IsZero() {
			m.arm(p)
		}
	}()
	cfd, _, err := unix.Accept4(p.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	switch {
	case err == nil:
	case acceptAgain(err):
		return
	case errors.Is(err, unix.EMFILE), errors.Is(err, unix.ENFILE), errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.ENOMEM):
		log.Warn("cannot accept, pausing the socket", "err", err, "pause", acceptBackoff)
		p.resume = time.Now().Add(acceptBackoff)
		return
	default:
		log.Error("Failed to accept socket: " + err.Error())
		m.stopUnit(u, resultResources)
		return
	}
	conn := os.NewFile(uintptr(cfd), "connection")
	m.b.connOptions(u.sock(), conn)
	// Services get a blocking connection, as systemd hands it over (inetd-style daemons read
	// stdin with plain read(2)).
	_ = unix.SetNonblock(cfd, false)
	m.enterRunningConn(u, conn, cfd, log)
}

// acceptAgain reports errors after which accepting simply goes on (systemd's
// ERRNO_IS_ACCEPT_AGAIN: the peer left, or nothing was there).
func acceptAgain(err error) bool {
	for _, e := range []unix.Errno{unix.EAGAIN, unix.EINTR, unix.ECONNABORTED, unix.EPROTO, unix.EOPNOTSUPP,
		unix.ENETDOWN, unix.ENOPROTOOPT, unix.EHOSTDOWN, unix.ENONET, unix.EHOSTUNREACH, unix.ENETUNREACH,
		unix.ECONNRESET, unix.ECONNREFUSED, unix.EPIPE, unix.ETIMEDOUT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// enterRunningConn is systemd's socket_enter_running with a connection: trigger limit,
// MaxConnections=, MaxConnectionsPerSource=, then one service instance for the connection.
func (m *manager) enterRunningConn(u *unit, conn *os.File, fd int, log *slog.Logger) {
	s := u.sock()
	if !u.trigger.below(time.Now()) {
		conn.Close()
		log.Warn("Trigger limit hit, refusing further activation.")
		u.nRefused++
		m.stopUnit(u, resultTriggerLimitHit)
		return
	}
	if uint64(u.nConnections) >= uint64(s.MaxConnections) {
		log.Warn(fmt.Sprintf("Too many incoming connections (%d), dropping connection.", u.nConnections))
		u.nRefused++
		conn.Close()
		return
	}
	source, limited := "", false
	if s.MaxConnectionsPerSource > 0 {
		source, limited = peerSource(fd)
		if limited && u.peers[source]+1 > s.MaxConnectionsPerSource {
			log.Warn(fmt.Sprintf("Too many incoming connections (%d) from source %s, dropping connection.", u.peers[source]+1, source))
			u.nRefused++
			conn.Close()
			return
		}
	}
	instance, err := instanceName(u.nAccepted, fd)
	if err != nil {
		// The peer is already gone (ENOTCONN and friends): drop silently like systemd.
		log.Debug("connection gone before it could be named", "err", err)
		conn.Close()
		return
	}
	name := instanceServiceName(u.name, instance)
	svc, err := m.b.instance(u.loaded, name)
	if err != nil {
		log.Warn("Failed to load connection service unit, using its template as loaded", "service", name, "err", err)
		svc = u.loaded.Service
	}
	u.nAccepted++
	st := serviceStart{
		service: svc,
		name:    name,
		files:   []*os.File{conn},
		names:   []string{s.FDName()},
		env:     remoteEnv(fd),
		conn:    conn,
	}
	j, err := m.b.start(m.ctx, st)
	if err != nil {
		log.Error("Failed to start service", "service", name, "err", err)
		conn.Close()
		return
	}
	if u.conns == nil {
		u.conns = map[job]*connection{}
		u.peers = map[string]uint32{}
	}
	c := &connection{file: conn, service: name}
	if limited {
		c.source = source
		u.peers[source]++
	}
	u.conns[j] = c
	u.nConnections++
	log.Debug("started instance", "service", name)
	m.watch(j, func(r jobResult) { m.connDone(u, j, r) })
}

// connDone releases the connection of an instance that has ended.
func (m *manager) connDone(u *unit, j job, r jobResult) {
	c := u.conns[j]
	if c == nil {
		return
	}
	delete(u.conns, j)
	u.nConnections--
	if c.source != "" {
		if u.peers[c.source]--; u.peers[c.source] == 0 {
			delete(u.peers, c.source)
		}
	}
	c.file.Close()
	if r.result() != resultSuccess {
		m.log.Debug("instance failed", "unit", u.name, "service", c.service, "result", r.String())
	}
}
