//go:build linux

package listener

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// fsThread runs file-system work (mkdir, bind of a UNIX path, mkfifo, mq_open) on one OS
// thread that has its own umask: the thread unshares its file-system attributes
// (unshare(CLONE_FS)), so setting the umask there to get SocketMode= exactly, as systemd does
// with WITH_UMASK, never changes the mode of files other goroutines create meanwhile. The
// thread exits (and is not reused by Go) when the work is done.
type fsThread struct {
	work chan func()
	done chan struct{}
	err  error // set when the thread could not be prepared; every call then fails with it
	mask int   // the process umask when the thread started
}

// startFSThread starts the thread; stop must be called to end it.
func startFSThread() *fsThread {
	t := &fsThread{work: make(chan func()), done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(t.done)
		// Never unlocked: the runtime terminates the thread when this goroutine returns.
		runtime.LockOSThread()
		t.err = unix.Unshare(unix.CLONE_FS)
		if t.err == nil {
			t.mask = unix.Umask(0)
			unix.Umask(t.mask)
		}
		close(ready)
		for f := range t.work {
			f()
		}
	}()
	<-ready
	return t
}

// run runs f on the thread with the umask set to mask, and restores the umask afterwards.
func (t *fsThread) run(mask int, f func() error) error {
	if t.err != nil {
		return t.err
	}
	var err error
	finished := make(chan struct{})
	t.work <- func() {
		defer close(finished)
		old := unix.Umask(mask)
		err = f()
		unix.Umask(old)
	}
	<-finished
	return err
}

// stop ends the thread and waits for it.
func (t *fsThread) stop() {
	close(t.work)
	<-t.done
}
