//go:build linux

package forwarder

// Placeholders for fwdextras' datagram functions until they land on main.

import (
	"context"
	"errors"
	"log/slog"
	"os"
)

func serveDatagram(ctx context.Context, f *os.File, cfg Config, log *slog.Logger) error {
	return errors.New("datagram forwarding is not available yet")
}

func listenDatagram(addr string) (*os.File, error) {
	return nil, errors.New("datagram listening is not available yet")
}
