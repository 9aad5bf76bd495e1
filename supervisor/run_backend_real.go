//go:build linux

package supervisor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sockvisor/sockvisor/forwarder"
	"github.com/sockvisor/sockvisor/listener"
	"github.com/sockvisor/sockvisor/socketunit"
)

// realBackend wires the supervisor to socketunit, listener, the process side of this package
// and the forwarder.
type realBackend struct {
	log    *slog.Logger
	inh    *listener.Inherited
	reaper *Reaper
	cancel context.CancelFunc
	wg     sync.WaitGroup

	searchPath []string // for per-connection instances
}

// newRealBackend adopts the fds sockvisor inherited (LISTEN_FDS, also LISTEN_PID=1 from a
// container engine) and removes LISTEN_* from its environment, then starts the reaper — as a
// child subreaper that collects every orphan under Init or as PID 1.
func newRealBackend(ctx context.Context, cfg Config) (*realBackend, error) {
	inh, err := listener.Inherit(os.Getenv)
	if err != nil {
		cfg.Log.Warn("inherited file descriptors ignored", "err", err)
		inh = nil
	}
	for _, v := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PIDFDID"} {
		os.Unsetenv(v)
	}
	if inh != nil && len(inh.All()) > 0 {
		cfg.Log.Info("adopting inherited file descriptors", "count", len(inh.All()))
	}
	r := NewReaper(cfg.Log)
	if cfg.Init && os.Getpid() != 1 {
		if err := r.EnableSubreaper(); err != nil {
			return nil, err
		}
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b := &realBackend{log: cfg.Log, inh: inh, reaper: r, cancel: cancel, searchPath: cfg.SearchPath}
	if b.searchPath == nil {
		b.searchPath = socketunit.DefaultSearchPath()
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		_ = r.Run(rctx)
	}()
	return b, nil
}

// unitsUp closes the inherited fds no unit took.
func (b *realBackend) unitsUp() {
	if b.inh == nil {
		return
	}
	for _, fd := range b.inh.Unmatched() {
		b.log.Warn("inherited file descriptor matches no unit, closing it", "name", fd.Name, "address", fd.Address.String())
		fd.File.Close()
	}
	b.inh = nil
}

// close stops the reaper.
func (b *realBackend) close() {
	b.cancel()
	b.wg.Wait()
}

func (b *realBackend) load(path string, opts socketunit.Options) (*socketunit.Loaded, error) {
	return socketunit.LoadSocket(path, opts)
}

func (b *realBackend) instance(l *socketunit.Loaded, name string) (*socketunit.Service, error) {
	path := b.searchPath
	if l.Service != nil && l.Service.Path != "" {
		// Where the template was found comes first, as when the socket unit was loaded.
		path = append([]string{filepath.Dir(l.Service.Path)}, path...)
	}
	svc, _, err := socketunit.LoadService(name, socketunit.Options{SearchPath: path})
	return svc, err
}

func (b *realBackend) open(ctx context.Context, l *socketunit.Loaded) (portSet, error) {
	o := listener.OpenOptions{Inherited: b.inh, Log: b.log}
	if l.Service != nil {
		o.USB = listener.USBFunction{Descriptors: l.Service.USBFunctionDescriptors, Strings: l.Service.USBFunctionStrings}
	}
	return listener.Open(ctx, l.Socket, o)
}

func (b *realBackend) connOptions(s *socketunit.Socket, conn *os.File) {
	if err := listener.ApplyConnectionOptions(s, conn); err != nil {
		b.log.Debug("connection options", "unit", s.Name, "err", err)
	}
}

// check refuses a unit whose service cannot run: its executables must exist now, not at the
// first connection.
func (b *realBackend) check(l *socketunit.Loaded) error {
	svc := l.Service
	if svc == nil {
		return fmt.Errorf("Unit %s not found.", serviceOf(l.Socket))
	}
	if len(svc.ExecStart) == 0 {
		return fmt.Errorf("%s has no ExecStart= setting", svc.Name)
	}
	if _, ok := proxyService(svc); ok {
		return nil
	}
	env := append([]string{"PATH=" + defaultPath}, svc.Exec.Environment...)
	for _, c := range svc.ExecStart {
		if c.IgnoreFailure {
			continue
		}
		if _, err := lookExecutable(c.Path, env); err != nil {
			return fmt.Errorf("%s: %w", svc.Name, err)
		}
	}
	return nil
}

// defaultPath is the PATH services start with (systemd's default for the system manager).
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func (b *realBackend) start(ctx context.Context, st serviceStart) (job, error) {
	return startService(ctx, b.reaper, b.log, st), nil
}

func (b *realBackend) runCommands(ctx context.Context, s *socketunit.Socket, cmds []socketunit.ExecCommand, files []*os.File, timeout time.Duration) error {
	if len(cmds) == 0 {
		return nil
	}
	spec := ProcessSpec{Unit: s.Name, Exec: s.Exec, Kill: s.Kill, Files: files, Log: b.log}
	if files != nil {
		spec.FDNames = make([]string, len(files))
		for i := range files {
			spec.FDNames[i] = s.FDName()
		}
	}
	return RunCommands(ctx, b.reaper, cmds, spec, timeout)
}

// proxy parses the proxy's command line as `sockvisor proxy` would; a bad one is an error now.
func (b *realBackend) proxy(pc proxyCommand) (proxyServe, error) {
	var msg strings.Builder
	cfg, code := forwarder.ParseArgs(pc.prog, pc.args, io.Discard, &msg)
	if code >= 0 {
		line, _, _ := strings.Cut(strings.TrimSpace(msg.String()), "\n")
		return nil, fmt.Errorf("%s: bad arguments: %s", pc.prog, line)
	}
	log := b.log.With("proxy", pc.prog)
	return func(ctx context.Context, files []*os.File) error {
		f, err := forwarder.New(cfg, log)
		if err != nil {
			return err
		}
		return f.Serve(ctx, files)
	}, nil
}
