// Package forwarder is the proxy core behind sockvisor proxy, a drop-in for
// systemd-socket-proxyd: it forwards every connection accepted on listening stream sockets to
// one target (and datagrams on datagram sockets to a datagram target).
//
// Bytes move with splice(2) through kernel pipes borrowed from a pool only while bytes are in
// flight, driven by one epoll event loop per two CPUs; an idle connection costs its two sockets and
// a few hundred bytes. A half-close is forwarded, the connection cap is exact, a target that is
// not up yet is retried, and running out of file descriptors slows accepting instead of
// spinning.
//
// Typical use, with the sockets a socket activator passed:
//
//	cfg, code := forwarder.ParseArgs("sockvisor proxy", os.Args[1:], os.Stdout, os.Stderr)
//	if code >= 0 {
//		os.Exit(code)
//	}
//	files, err := forwarder.ListenFDs() // $LISTEN_FDS, or forwarder.Listen(cfg) for --listen
//	…
//	fw, err := forwarder.New(cfg, slog.Default())
//	…
//	err = fw.Serve(ctx, files) // until ctx is cancelled or --exit-idle-time passed
//
// A Config built in code starts from DefaultConfig().
package forwarder
