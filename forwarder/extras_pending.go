//go:build linux

package forwarder

// Placeholders for fwdextras' functions until they land on main (removed as they do).

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
)

func proxyHeader(version int, src, dst net.Addr) ([]byte, error) {
	return nil, errors.ErrUnsupported
}

func proxyHeaderFallback(version int, src, dst net.Addr) bool { return false }

const proxyUnknownWarning = "PROXY protocol fallback"

type notifier struct{}

func newNotifier(log *slog.Logger) *notifier { return &notifier{} }
func (n *notifier) Ready()                   {}
func (n *notifier) Stopping()                {}
func (n *notifier) Run(ctx context.Context)  {}

func serveDatagram(ctx context.Context, f *os.File, cfg Config, log *slog.Logger) error {
	return errors.New("datagram forwarding is not available yet")
}

func listenDatagram(addr string) (*os.File, error) {
	return nil, errors.New("datagram listening is not available yet")
}
