// Package supervisor is socket activation: what `sockvisor run` and `sockvisor activate` do.
//
// Run supervises systemd socket units the way systemd does: it opens (or adopts) their fds,
// watches them all in one epoll loop, and on traffic starts the service (Accept=no: every fd
// from fd 3 with LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID) or one instance per connection
// (Accept=yes), with systemd's trigger and poll limits, MaxConnections= and
// MaxConnectionsPerSource=. A systemd-socket-proxyd service runs in process on the forwarder.
// Unit directories are watched and reloaded without losing a connection; under Init (or as
// PID 1) it is a container's init. The process side — StartProcess, RunCommands, the Reaper and
// the exec shim that sets LISTEN_PID to the service's own PID — is usable on its own.
//
// Typical use:
//
//	err := supervisor.Run(ctx, supervisor.Config{
//		Units:   []string{"/etc/sockvisor"},
//		Control: supervisor.DefaultControlPath(os.Getenv),
//		Log:     slog.Default(),
//	})
//	// nil after SIGTERM/SIGINT and a clean stop; errors.Is(err, supervisor.ErrFailed) when a
//	// unit failed.
//
//	units, err := supervisor.QueryStatus(ctx, path) // what `sockvisor status` prints
//
// The process side on its own:
//
//	r := supervisor.NewReaper(log) // owns every child's exit status
//	go r.Run(ctx)
//	p, err := supervisor.StartProcess(ctx, r, supervisor.ProcessSpec{
//		Unit: "web.service", Command: svc.ExecStart[0], Exec: svc.Exec, Kill: svc.Kill,
//		Files: files, // fd 3, 4, …; the child sees LISTEN_PID = its own PID
//	})
//	<-p.Done() // p.Status().Success(true); p.Stop(ctx, timeout) ends it per KillMode=
package supervisor
