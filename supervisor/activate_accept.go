//go:build linux

package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// activateAccept is systemd-socket-activate's --accept loop: every connection gets a child
// (through the exec shim, so that LISTEN_PID is the child's PID) with the connection at fd 3, or
// as stdin and stdout with --inetd. Children are reaped as they exit; as PID 1 every orphan is
// reaped too, and SIGTERM/SIGINT end the children and then sockvisor with exit code 0.
func activateAccept(ctx context.Context, o ActivateOptions, fds []int) int {
	w := o.Stderr
	defer closeAll(fds)
	shim := o.ShimPath
	if shim == "" {
		var err error
		if shim, err = selfExecutable(); err != nil {
			fmt.Fprintf(w, "Failed to find the sockvisor binary: %v\n", err)
			return 1
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := NewReaper(nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.Run(ctx)
	}()
	var mu sync.Mutex
	children := map[int]bool{}
	if os.Getpid() == 1 {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer signal.Stop(sigs)
			select {
			case <-sigs:
				cancel()
			case <-ctx.Done():
			}
		}()
	}

	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		fmt.Fprintf(w, "Failed to create epoll object: %s\n", errnoText(err))
		return 1
	}
	defer unix.Close(ep)
	for i, fd := range fds {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			fmt.Fprintf(w, "Failed to add event on epoll fd:%d for fd:%d: %s\n", ep, fd, errnoText(err))
			return 1
		}
	}
	// An eventfd in the set wakes the loop when ctx ends.
	stop, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		fmt.Fprintf(w, "Failed to create eventfd: %s\n", errnoText(err))
		return 1
	}
	defer unix.Close(stop)
	unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, stop, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1})
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		unix.Write(stop, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	}()

	searchPath := envLookupDefault(o.Environ, "PATH", "/bin:/usr/bin")
	evs := make([]unix.EpollEvent, 1)
	for {
		n, err := unix.EpollWait(ep, evs, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			fmt.Fprintf(w, "epoll_wait() failed: %s\n", errnoText(err))
			return 1
		}
		if n == 0 {
			continue
		}
		if evs[0].Fd < 0 {
			break
		}
		i := int(evs[0].Fd)
		fmt.Fprintf(w, "Communication attempt on fd %d.\n", 3+i)
		conn, _, err := unix.Accept4(fds[i], unix.SOCK_CLOEXEC)
		if err != nil {
			if acceptAgain(err) {
				continue
			}
			fmt.Fprintf(w, "Failed to accept connection on fd:%d: %s\n", 3+i, errnoText(err))
			return 1
		}
		fmt.Fprintf(w, "Connection from %s to %s\n", connName(conn, true), connName(conn, false))
		// Built per connection, as systemd's child does (with its fd-name warning each time).
		env := activateEnv(&o, 1, 0)
		for i, kv := range env {
			if kv == "LISTEN_PID=0" {
				env[i] = "LISTEN_PID=" // the shim puts the child's PID here
			}
		}
		mu.Lock() // the exit callback waits until the child is recorded
		pid, err := spawnActivateChild(r, shim, &o, env, searchPath, conn, func(pid int, st ExitStatus) {
			code := st.Code
			if st.Signal != 0 {
				code = int(st.Signal)
			}
			fmt.Fprintf(w, "Child %d died with code %d\n", pid, code)
			mu.Lock()
			delete(children, pid)
			mu.Unlock()
		})
		if err == nil {
			children[pid] = true
		}
		mu.Unlock()
		unix.Close(conn)
		if err != nil {
			fmt.Fprintf(w, "Failed to fork: %s\n", errnoText(err))
			return 1
		}
		fmt.Fprintf(w, "Spawned %s (%s) as PID %d.\n", o.Argv[0], strings.Join(o.Argv, " "), pid)
	}
	// Stopped (SIGTERM/SIGINT as PID 1, or ctx): end the children, give them a moment.
	mu.Lock()
	for pid := range children {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for r.Children() > 0 && time.Now().Before(deadline) {
		r.reap()
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}

// spawnActivateChild starts one per-connection child through the shim.
func spawnActivateChild(r *Reaper, shim string, o *ActivateOptions, env []string, searchPath string, conn int, done func(int, ExitStatus)) (int, error) {
	so := &shimOptions{reportFD: 0, umask: -1, gid: -1, uid: -1, activate: true, activatePath: searchPath, path: o.Argv[0], argv: o.Argv}
	files := []uintptr{0, 1, 2}
	if o.Inetd {
		files[0], files[1] = uintptr(conn), uintptr(conn)
	} else {
		so.listenFDs = 1
		files = append(files, uintptr(conn))
	}
	argv := append([]string{"sockvisor"}, so.args()...)
	attr := &syscall.ProcAttr{Env: env, Files: files, Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}}
	return r.start(func() (int, error) { return syscall.ForkExec(shim, argv, attr) }, done)
}

// connName formats the peer or local address of a connection for the log.
func connName(fd int, peer bool) string {
	var sa unix.Sockaddr
	var err error
	if peer {
		sa, err = unix.Getpeername(fd)
	} else {
		sa, err = unix.Getsockname(fd)
	}
	if err != nil {
		return "n/a"
	}
	return prettySockaddr(sa, fd, peer)
}
