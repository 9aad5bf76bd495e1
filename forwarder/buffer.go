//go:build linux

package forwarder

import (
	"golang.org/x/sys/unix"
)

// buffer holds the bytes of one direction between reading them from the source and writing
// them to the destination: a kernel pipe (zero-copy splice) or, where the source cannot
// splice, a user-space buffer.
type buffer interface {
	// fill moves up to max bytes from the socket fd into the buffer; 0 bytes and no error
	// mean end of stream.
	fill(fd int, max int) (int, error)
	// drain moves up to n buffered bytes to the socket fd.
	drain(fd int, n int) (int, error)
	// space is how many more bytes fill may take while n bytes are held.
	space(n int) int
	// release gives the buffer back to w; held says whether bytes are still in it.
	release(w *worker, held bool)
}

// pipe is a kernel pipe used as a splice buffer.
type pipe struct {
	r, w int
	size int
	used int64 // when it was last given back to the pool (worker clock)
}

func (p *pipe) fill(fd int, max int) (int, error) {
	return splice(fd, p.w, max)
}

func (p *pipe) drain(fd int, n int) (int, error) {
	return splice(p.r, fd, n)
}

// splice moves up to n bytes between a socket and a pipe without blocking. Every fd involved
// is non-blocking, so the raw system call skips the scheduler's bookkeeping.
func splice(from, to, n int) (int, error) {
	for {
		r, _, errno := unix.RawSyscall6(unix.SYS_SPLICE, uintptr(from), 0, uintptr(to), 0,
			uintptr(n), unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		switch errno {
		case 0:
			return int(r), nil
		case unix.EINTR:
			continue
		}
		return 0, errno
	}
}

func (p *pipe) space(n int) int { return p.size - n }

func (p *pipe) release(w *worker, held bool) {
	if held {
		p.close()
		return
	}
	w.pipes.put(p, w.now)
}

func (p *pipe) close() {
	unix.Close(p.r)
	unix.Close(p.w)
}

// copyBuf is the user-space buffer for sources that cannot splice (EINVAL), or when no pipe
// could be made.
type copyBuf struct {
	b        []byte
	off, end int
}

func (c *copyBuf) fill(fd int, max int) (int, error) {
	for {
		n, err := unix.Read(fd, c.b[c.end:min(len(c.b), c.end+max)])
		if err == unix.EINTR {
			continue
		}
		if n > 0 {
			c.end += n
		}
		return max0(n), err
	}
}

func (c *copyBuf) drain(fd int, n int) (int, error) {
	for {
		m, err := unix.SendmsgN(fd, c.b[c.off:c.off+n], nil, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		if m > 0 {
			c.off += m
			if c.off == c.end {
				c.off, c.end = 0, 0
			}
		}
		return max0(m), err
	}
}

func (c *copyBuf) space(int) int {
	if c.off == c.end {
		c.off, c.end = 0, 0
	}
	return len(c.b) - c.end
}

func (c *copyBuf) release(w *worker, held bool) {
	c.off, c.end = 0, 0
	if len(w.bufs) < maxPooledBufs {
		w.bufs = append(w.bufs, c)
	}
}

func max0(n int) int { return max(n, 0) }

// copyBufSize is the size of a user-space buffer.
const copyBufSize = 64 << 10

// maxPooledBufs bounds the user-space buffers a worker keeps for reuse.
const maxPooledBufs = 16

// pipeIdle is how long a pooled pipe may stay unused before it is closed.
const pipeIdle = 2e9

// maxPooledPipes bounds the pipes a worker keeps for reuse.
const maxPooledPipes = 256

// pipePool keeps empty pipes for reuse, newest last; pipes unused for pipeIdle are closed.
type pipePool struct {
	size int
	free []*pipe
}

// get returns an empty pipe, or an error when none can be made.
func (pp *pipePool) get() (*pipe, error) {
	if n := len(pp.free); n > 0 {
		p := pp.free[n-1]
		pp.free[n-1] = nil
		pp.free = pp.free[:n-1]
		return p, nil
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	p := &pipe{r: fds[0], w: fds[1], size: 65536}
	if pp.size > 0 {
		// Fails with EPERM beyond the user's pipe-user-pages-soft: then the default stays.
		unix.FcntlInt(uintptr(p.w), unix.F_SETPIPE_SZ, pp.size)
	}
	if n, err := unix.FcntlInt(uintptr(p.w), unix.F_GETPIPE_SZ, 0); err == nil && n > 0 {
		p.size = n
	}
	return p, nil
}

func (pp *pipePool) put(p *pipe, now int64) {
	if len(pp.free) >= maxPooledPipes {
		p.close()
		return
	}
	p.used = now
	pp.free = append(pp.free, p)
}

// trim closes pipes unused since before now-pipeIdle and returns when the next one expires
// (0 = none pooled).
func (pp *pipePool) trim(now int64) int64 {
	i := 0
	for i < len(pp.free) && now-pp.free[i].used >= pipeIdle {
		pp.free[i].close()
		i++
	}
	if i > 0 {
		n := copy(pp.free, pp.free[i:])
		clear(pp.free[n:])
		pp.free = pp.free[:n]
	}
	if len(pp.free) == 0 {
		return 0
	}
	return pp.free[0].used + pipeIdle
}

// closeAll closes every pooled pipe.
func (pp *pipePool) closeAll() {
	for _, p := range pp.free {
		p.close()
	}
	pp.free = nil
}
