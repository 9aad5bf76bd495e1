package forwarder

import (
	"fmt"
	"time"
)

// Defaults of the settings that systemd-socket-proxyd also has, and of sockvisor's own.
const (
	DefaultConnectionsMax = 256
	DefaultPipeSize       = 256 << 10
	DefaultConnectRetry   = 5 * time.Second
	DefaultConnectTimeout = 10 * time.Second
)

// Config is what a Forwarder does: where it connects and within which limits.
type Config struct {
	// Target is where every connection goes: HOST:PORT, [V6]:PORT, V6:PORT, HOST (port 80),
	// /path, @abstract or vsock:CID:PORT.
	Target string
	// ConnectionsMax is how many connections may be open at once; the next client is accepted
	// and closed at once.
	ConnectionsMax int
	// ExitIdleTime makes Serve return when no connection was open for this long, counted from
	// start-up and from the last close (0 = never).
	ExitIdleTime time.Duration
	// ConnectTimeout bounds each connection attempt to one target address (0 = the kernel's).
	ConnectTimeout time.Duration
	// ConnectRetry is how long a refused or absent target is retried with backoff, counted
	// from the client's arrival (0 = fail at once, like systemd-socket-proxyd).
	ConnectRetry time.Duration
	// IdleTimeout closes a connection that moved no byte in either direction for this long
	// (0 = never).
	IdleTimeout time.Duration
	// PipeSize is the kernel pipe buffer requested per direction while bytes are in flight.
	PipeSize int
	// ProxyProtocol sends a PROXY protocol header of this version (1 or 2) to the backend
	// before any data (0 = none).
	ProxyProtocol int
	// KeepAlive turns on TCP keepalive on both legs; KeepAliveIdle sets its idle time
	// (0 = the kernel's).
	KeepAlive     bool
	KeepAliveIdle time.Duration
	// NoDelay sets TCP_NODELAY on both legs (the proxy forwards what arrives; the senders
	// already decided about coalescing).
	NoDelay bool
	// Listen are addresses to listen on in addition to the sockets passed to Serve
	// (--listen; opened by Listen, not by Serve).
	Listen []string
	// Notify sends READY=1, STOPPING=1 and watchdog pings to $NOTIFY_SOCKET (the command
	// sets it; a forwarder run inside the supervisor leaves it off).
	Notify bool
	// Workers is the number of event loops (0 = one per two CPUs, at least one; never more
	// than one per CPU).
	Workers int
	// StopTimeout bounds how long a stopping forwarder flushes bytes it already read
	// (0 = one second).
	StopTimeout time.Duration
	// ListenDatagram are datagram addresses to listen on (--listen-datagram).
	ListenDatagram []string

	// flows is told +1/-1 as datagram flows start and expire, so they count as activity
	// for ExitIdleTime (set by Serve; may be nil).
	flows func(delta int)
}

// DefaultConfig returns the settings systemd-socket-proxyd starts with, plus sockvisor's own
// defaults (connect retry, connect timeout, TCP_NODELAY).
func DefaultConfig() Config {
	return Config{
		ConnectionsMax: DefaultConnectionsMax,
		ConnectTimeout: DefaultConnectTimeout,
		ConnectRetry:   DefaultConnectRetry,
		PipeSize:       DefaultPipeSize,
		NoDelay:        true,
	}
}

// validate reports the first setting that cannot work.
func (c Config) validate() error {
	switch {
	case c.Target == "":
		return fmt.Errorf("no target")
	case c.ConnectionsMax < 1:
		return fmt.Errorf("connection limit %d is too low", c.ConnectionsMax)
	case c.ProxyProtocol < 0 || c.ProxyProtocol > 2:
		return fmt.Errorf("PROXY protocol version %d unknown (1 or 2)", c.ProxyProtocol)
	case c.PipeSize < 0:
		return fmt.Errorf("pipe size %d is negative", c.PipeSize)
	case c.ExitIdleTime < 0 || c.ConnectTimeout < 0 || c.ConnectRetry < 0 || c.IdleTimeout < 0:
		return fmt.Errorf("negative time span")
	}
	return nil
}
