//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procs owns the long-running processes of one benchmark; stopAll kills every one of them.
type procs struct {
	mu   sync.Mutex
	list []*proc
}

// proc is a child process that leads its own process group.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *tail
	done chan struct{} // closed when the process has been waited for
	err  error         // the wait result, valid after done
}

// start runs argv in a new process group with extra environment variables and registers it.
func (ps *procs) start(name string, env []string, argv ...string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out := &tail{max: 4096}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// stopAll stops every registered process, newest first.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i].stop()
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after 3 s, and waits for the leader.
// Members of the group that outlive the leader are killed too.
func (p *proc) stop() {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// describe returns the process name with its exit status and last output, for error messages.
func (p *proc) describe() string {
	state := "running"
	if p.exited() {
		state = fmt.Sprint(p.err)
		if p.err == nil {
			state = "exited 0"
		}
	}
	msg := strings.TrimSpace(p.out.String())
	if msg == "" {
		return fmt.Sprintf("%s (%s)", p.name, state)
	}
	return fmt.Sprintf("%s (%s): %s", p.name, state, msg)
}

// pids returns every live process of the group.
func (p *proc) pids() []int {
	pgid := p.cmd.Process.Pid
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses and may hold spaces:
		// state ppid pgrp ...
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			out = append(out, pid)
		}
	}
	return out
}

// rssKiB returns the resident memory of the whole process group.
func (p *proc) rssKiB() int64 {
	var sum int64
	for _, pid := range p.pids() {
		sum += statusKiB(pid, "VmRSS:")
	}
	return sum
}

// cpuSeconds returns the user plus system CPU time used so far by the live processes of the
// group (all their threads).
func (p *proc) cpuSeconds() float64 {
	var ticks int64
	for _, pid := range p.pids() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		// After the command: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt
		// cmajflt utime(11) stime(12).
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + s
		}
	}
	return float64(ticks) / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on every Linux architecture Go
// supports).
const clockTicks = 100

// fds returns the number of open file descriptors of the whole process group.
func (p *proc) fds() int {
	n := 0
	for _, pid := range p.pids() {
		ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err == nil {
			n += len(ents)
		}
	}
	return n
}

// comm returns the command name of the group leader ("" once it is gone).
func (p *proc) comm() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p.cmd.Process.Pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// statusKiB reads a "Key:   N kB" line of /proc/PID/status.
func statusKiB(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	return kibField(string(b), key)
}

// meminfoKiB reads a "Key:   N kB" line of /proc/meminfo.
func meminfoKiB(key string) int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return kibField(string(b), key)
}

// kibField finds the line starting with key in text and returns its number.
func kibField(text, key string) int64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// runTool runs a short-lived tool in its own process group, kills the group when ctx ends or
// after limit, and returns its standard output.
func runTool(ctx context.Context, limit time.Duration, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	var stdout bytes.Buffer
	stderr := &tail{max: 2048}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stray children
	}
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return stdout.String(), fmt.Errorf("%s: timed out after %s", argv[0], limit)
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("%s: %w: %s", argv[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(b), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// raiseNofile raises this process's file-descriptor limit (and so its children's) to n, or
// as far as the hard limit allows, and returns the limit in force.
func raiseNofile(n uint64) (int, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur >= n {
		return int(lim.Cur), nil
	}
	want := syscall.Rlimit{Cur: n, Max: max(n, lim.Max)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return int(n), nil
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("setrlimit: %w", err)
	}
	return int(lim.Cur), fmt.Errorf("RLIMIT_NOFILE stays at its hard limit %d (raising it needs CAP_SYS_RESOURCE)", lim.Cur)
}

// kernel returns the running kernel's release.
func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "Linux"
	}
	return "Linux " + strings.TrimSpace(string(b))
}
