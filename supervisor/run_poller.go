//go:build linux

package supervisor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// pollEvent is one readiness report: the token an fd was armed with and the epoll bits.
type pollEvent struct {
	token  uint32
	events uint32
}

// poller is the one epoll instance that watches every listening fd of every unit. An fd is armed
// one-shot with a token; its event is delivered once on C and the fd stays quiet until it is
// armed again, so an fd nobody handles never spins. The goroutine that waits in epoll_wait is
// owned by the poller and ends in close.
type poller struct {
	epfd   int
	wakefd int // eventfd: wakes epoll_wait for close
	C      chan []pollEvent
	done   chan struct{}
	wg     sync.WaitGroup
}

// wakeToken is the token of the eventfd; unit tokens start at 1.
const wakeToken = 0

// newPoller creates the epoll instance and starts its goroutine.
func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeToken}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	p := &poller{epfd: epfd, wakefd: wakefd, C: make(chan []pollEvent), done: make(chan struct{})}
	p.wg.Add(1)
	go p.loop()
	return p, nil
}

func (p *poller) loop() {
	defer p.wg.Done()
	buf := make([]unix.EpollEvent, 32)
	for {
		n, err := unix.EpollWait(p.epfd, buf, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return
		}
		var out []pollEvent
		for _, e := range buf[:n] {
			if uint32(e.Fd) == wakeToken {
				return
			}
			out = append(out, pollEvent{token: uint32(e.Fd), events: e.Events})
		}
		select {
		case p.C <- out:
		case <-p.done:
			return
		}
	}
}

// arm watches fd for input once, reporting token. An fd is armed at most once at a time.
func (p *poller) arm(fd int, token uint32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: int32(token)}
	err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
	if errors.Is(err, unix.ENOENT) {
		err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev)
	}
	if err != nil {
		return fmt.Errorf("epoll_ctl fd %d: %w", fd, err)
	}
	return nil
}

// disarm stops watching fd; an event already read for it arrives with a stale token.
func (p *poller) disarm(fd int) {
	_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

// close stops the goroutine and releases the epoll instance.
func (p *poller) close() {
	close(p.done)
	var one [8]byte
	binary.NativeEndian.PutUint64(one[:], 1)
	_, _ = unix.Write(p.wakefd, one[:])
	p.wg.Wait()
	unix.Close(p.epfd)
	unix.Close(p.wakefd)
}
